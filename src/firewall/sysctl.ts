// `firewall sysctl`: the kernel settings the VoIP hardening guides recommend next to the
// firewall, derived from the policy (IPv6 off when the firewall drops it anyway). Printed in
// sysctl.d format, or written to /proc/sys (which is per network namespace for net.*).

import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Policy } from '../config/schema.js'

export interface SysctlSetting {
  readonly key: string
  readonly value: string
  readonly why: string
}

export function recommendedSysctls(policy: Policy): SysctlSetting[] {
  const out: SysctlSetting[] = []
  const both = (key: string, value: string, why: string) => {
    out.push({ key: key.replace('*', 'all'), value, why })
    out.push({ key: key.replace('*', 'default'), value, why: '' })
  }
  both(
    'net.ipv4.conf.*.rp_filter',
    '1',
    'Reverse-path filter: drop packets whose source would not be routed back out of the interface they came ' +
      'in on (anti-spoofing). Use 2 (loose) on multi-homed hosts with asymmetric routing.',
  )
  both('net.ipv4.conf.*.log_martians', '1', 'Log packets with impossible source addresses.')
  out.push({
    key: 'net.ipv4.tcp_syncookies',
    value: '1',
    why: 'SYN cookies: SIP over TCP/TLS and the web interface keep answering during a SYN flood.',
  })
  out.push({
    key: 'net.ipv4.icmp_echo_ignore_broadcasts',
    value: '1',
    why: 'Do not answer broadcast pings (smurf amplification).',
  })
  out.push({
    key: 'net.ipv4.icmp_ignore_bogus_error_responses',
    value: '1',
    why: 'Ignore malformed ICMP error replies.',
  })
  both('net.ipv4.conf.*.accept_redirects', '0', 'A server does not take routing changes from ICMP redirects.')
  both('net.ipv4.conf.*.send_redirects', '0', 'A server is not a router: send no redirects.')
  both('net.ipv4.conf.*.accept_source_route', '0', 'Refuse source-routed packets.')
  if (policy.firewall.ipv6) {
    both('net.ipv6.conf.*.accept_redirects', '0', 'IPv6: no routing changes from ICMPv6 redirects.')
    both('net.ipv6.conf.*.accept_source_route', '0', 'IPv6: refuse source-routed packets.')
  } else {
    both(
      'net.ipv6.conf.*.accept_ra',
      '0',
      'IPv6 is unused (firewall.ipv6: false): take no router advertisements, so no address or route appears ' +
        'behind the firewall’s back.',
    )
    both('net.ipv6.conf.*.disable_ipv6', '1', 'IPv6 is unused (firewall.ipv6: false): switch it off.')
    out.push({
      key: 'net.ipv6.conf.lo.disable_ipv6',
      value: '0',
      why: 'Keep ::1 on loopback: local programs may bind it.',
    })
  }
  return out
}

export function renderSysctlConf(policy: Policy, settings: readonly SysctlSetting[]): string {
  const lines = [
    `# sipwarden kernel settings for site "${policy.site.name}" (sysctl.d format)`,
    '# Save as /etc/sysctl.d/90-sipwarden.conf and load with `sysctl --system`,',
    '# or set them now with `sipwarden firewall sysctl --apply`.',
  ]
  for (const s of settings) {
    if (s.why !== '') lines.push('', `# ${s.why}`)
    lines.push(`${s.key} = ${s.value}`)
  }
  return `${lines.join('\n')}\n`
}

export interface SysctlChange {
  readonly key: string
  readonly before?: string
  readonly after: string
  readonly status: 'changed' | 'unchanged' | 'unavailable' | 'failed'
  readonly error?: string
}

/** /proc/sys path of a key: dots are separators (interface names here have none). */
export function sysctlPath(key: string, procRoot = '/proc/sys'): string {
  return join(procRoot, ...key.split('.'))
}

/** Writes the settings in order (all before default before lo matters for disable_ipv6). */
export function applySysctls(settings: readonly SysctlSetting[], procRoot = '/proc/sys'): SysctlChange[] {
  return settings.map((s) => {
    const path = sysctlPath(s.key, procRoot)
    let before: string
    try {
      before = readFileSync(path, 'utf8').trim()
    } catch {
      return { key: s.key, after: s.value, status: 'unavailable' as const }
    }
    if (before === s.value) return { key: s.key, before, after: s.value, status: 'unchanged' as const }
    try {
      writeFileSync(path, `${s.value}\n`)
      return { key: s.key, before, after: s.value, status: 'changed' as const }
    } catch (err) {
      return { key: s.key, before, after: s.value, status: 'failed' as const, error: (err as Error).message }
    }
  })
}
