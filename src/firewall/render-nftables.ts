// Policy → nftables ruleset (`nft -f` input). Pure: the same policy always gives the same
// text, byte for byte.
//
// Two tables, family inet (IPv4 and IPv6 in one):
// - `<bans.kernel.table>` holds the ban sets the gateway and the log watcher fill, and a
//   chain at priority -10 that drops their members before conntrack. It is declared, not
//   replaced, so bans survive a re-apply; only its chain is flushed and refilled. Sets and
//   chain are declared exactly as the log watcher's nftables action declares them
//   (src/logwatch/actions/nftables.ts), so either may create them first.
// - `<bans.kernel.table>_fw` holds the filter chains and is replaced as a whole
//   (`table …; delete table …; table … { … }` in one transaction: atomic, and it works
//   whether or not the table exists yet).
//
// nftables has no substring match, so the scanner User-Agent strings are not rendered here
// (the gateway's scanner stage drops them; the iptables rendering uses xt_string).

import type { Policy } from '../config/schema.js'
import {
  buildFirewallModel,
  type FirewallModel,
  type Match,
  METER_SIZE,
  type Meter,
  type Rule,
} from './model.js'
import { type Rendered, TextBuilder } from './rendered.js'

const T = '\t'

function portList(ports: Match['ports'] & object, single: boolean): string {
  const items = ports.flatMap((pm) =>
    pm.ports.map((r) => {
      const p = r.from === r.to ? String(r.from) : `${r.from}-${r.to}`
      return single ? p : `${pm.proto} . ${p}`
    }),
  )
  return items.length === 1 ? items[0]! : `{ ${items.join(', ')} }`
}

function hex(text: string): string {
  return `0x${Buffer.from(text, 'latin1').toString('hex')}`
}

function meterKey(m: Meter): string {
  // one entry per IPv4 address, per /64 for IPv6: an attacker holds a whole /64
  return m.family === 4 ? 'ip saddr' : 'ip6 saddr & ffff:ffff:ffff:ffff::'
}

function rate(r: { count: number; per: string; burst: number }): string {
  return `${r.count}/${r.per} burst ${r.burst} packets`
}

/** The nftables expression of a match; null when nftables cannot express it. */
export function nftMatch(m: Match): string | null {
  if (m.payloadContains !== undefined) return null
  const parts: string[] = []
  let familyImplied = false
  if (m.iifLoopback) parts.push('iif "lo"')
  if (m.iifName !== undefined) parts.push(`iifname "${m.iifName}"`)
  const ip = m.family === 6 ? 'ip6' : 'ip'
  if (m.saddrSet !== undefined) {
    parts.push(`${ip} saddr @${m.saddrSet}`)
    familyImplied = true
  }
  if (m.daddr !== undefined) {
    parts.push(`${ip} daddr ${m.daddr}`)
    familyImplied = true
  }
  if (m.hopLimit255) {
    parts.push('ip6 hoplimit 255')
    familyImplied = true
  }
  if (m.icmp !== undefined) {
    const kw = m.family === 6 ? 'icmpv6' : 'icmp'
    parts.push(`${kw} type ${m.icmp.length === 1 ? m.icmp[0] : `{ ${m.icmp.join(', ')} }`}`)
    familyImplied = true
  }
  if (m.ports !== undefined) {
    if (m.ports.length === 1) parts.push(`${m.ports[0]!.proto} dport ${portList(m.ports, true)}`)
    else parts.push(`meta l4proto . th dport ${portList(m.ports, false)}`)
  }
  if (m.proto !== undefined && m.ports === undefined) parts.push(m.tcpNotSyn ? '' : `meta l4proto ${m.proto}`)
  if (m.tcpNotSyn) parts.push('tcp flags & (fin|syn|rst|ack) != syn')
  if (m.ct !== undefined) parts.push(`ct state ${m.ct.join(',')}`)
  if (m.saddrLocal) parts.push('fib saddr type local')
  if (m.payloadPrefix !== undefined)
    // @th,64: the first payload byte after the 8-byte UDP header
    parts.push(`@th,64,${m.payloadPrefix.length * 8} ${hex(m.payloadPrefix)}`)
  if (m.overPerSource !== undefined) {
    const o = m.overPerSource
    parts.push(`update @${o.name} { ${meterKey(o)} limit rate over ${rate(o)} }`)
    familyImplied = true
  }
  if (m.underRate !== undefined) parts.push(`limit rate ${rate(m.underRate)}`)
  if (m.family !== undefined && !familyImplied)
    parts.unshift(`meta nfproto ${m.family === 4 ? 'ipv4' : 'ipv6'}`)
  return parts.filter((p) => p !== '').join(' ')
}

function nftAction(r: Rule): string {
  const a = r.action
  switch (a.kind) {
    case 'accept':
      return 'accept'
    case 'drop':
      return 'counter drop'
    case 'reject':
      return a.tcpReset ? 'counter reject with tcp reset' : 'counter reject with icmpx port-unreachable'
    case 'log':
      return `log prefix "${a.prefix}" level info`
    case 'jump':
      return `jump ${a.chain}`
    case 'return':
      return 'return'
  }
}

/** nft rule comments: at most 128 bytes, no double quotes. */
function comment(text: string): string {
  return `comment "${text.replace(/"/g, "'").slice(0, 120)}"`
}

export function renderNftablesModel(model: FirewallModel): Rendered {
  const b = new TextBuilder()
  const bans = model.bans
  const warnings = [...model.warnings]
  b.line('#!/usr/sbin/nft -f')
  b.line(`# sipwarden host firewall for site "${model.site}" (nftables, IPv4 and IPv6)`)
  b.line('# Generated from the policy by `sipwarden firewall render`: change the policy, not this file.')
  b.line('# Apply with `sipwarden firewall apply` (atomic, rolled back unless confirmed).')
  b.line()

  b.line('# Ban sets (bans.kernel), filled by the gateway and the log watcher; every entry carries')
  b.line('# its own timeout. Declared exactly as the log watcher declares them, and not replaced:')
  b.line('# their entries survive a re-apply. Checked before conntrack (priority -10).')
  const banOrigin = { purpose: 'ban sets', key: 'bans.kernel' }
  b.line(`table inet ${bans.table} {`, banOrigin)
  for (const [name, type] of [
    [bans.setV4, 'ipv4_addr'],
    [bans.setV6, 'ipv6_addr'],
  ] as const) {
    b.line(`${T}set ${name} {`, banOrigin)
    b.line(`${T}${T}type ${type}`, banOrigin)
    b.line(`${T}${T}flags timeout`, banOrigin)
    b.line(`${T}}`, banOrigin)
  }
  b.line(`${T}chain input {`, banOrigin)
  b.line(`${T}${T}type filter hook input priority -10; policy accept;`, banOrigin)
  b.line(`${T}}`, banOrigin)
  b.line('}', banOrigin)
  b.line(`flush chain inet ${bans.table} input`, banOrigin)
  b.line(`add rule inet ${bans.table} input ip saddr @${bans.setV4} drop`, {
    purpose: 'banned IPv4 sources',
    key: 'bans.kernel.setV4',
  })
  b.line(`add rule inet ${bans.table} input ip6 saddr @${bans.setV6} drop`, {
    purpose: 'banned IPv6 sources',
    key: 'bans.kernel.setV6',
  })
  b.line()

  b.line('# Host firewall: this table is replaced as a whole, in one transaction.')
  const tableOrigin = { purpose: 'firewall table', key: 'firewall' }
  b.line(`table inet ${model.table}`, tableOrigin)
  b.line(`delete table inet ${model.table}`, tableOrigin)
  b.line(`table inet ${model.table} {`, tableOrigin)
  for (const s of model.sets) {
    const o = { purpose: `address set ${s.name}`, key: setKey(s.name) }
    b.line(`${T}set ${s.name} {`, o)
    b.line(`${T}${T}type ${s.family === 4 ? 'ipv4_addr' : 'ipv6_addr'}`, o)
    if (s.elements.some((e) => e.includes('/'))) b.line(`${T}${T}flags interval`, o)
    b.line(`${T}${T}elements = { ${s.elements.join(', ')} }`, o)
    b.line(`${T}}`, o)
  }
  for (const m of model.meters) {
    const o = { purpose: `per-source table ${m.name}`, key: 'firewall' }
    b.line(`${T}set ${m.name} {`, o)
    b.line(`${T}${T}type ${m.family === 4 ? 'ipv4_addr' : 'ipv6_addr'}`, o)
    b.line(`${T}${T}size ${METER_SIZE}`, o)
    b.line(`${T}${T}flags dynamic,timeout`, o)
    b.line(`${T}${T}timeout ${m.expireSeconds}s`, o)
    b.line(`${T}}`, o)
  }
  const names = [...model.chains.keys()]
  for (const name of names) {
    const rules = model.chains.get(name)!
    b.line()
    b.line(`${T}chain ${name} {`, tableOrigin)
    if (name === 'input') b.line(`${T}${T}type filter hook input priority filter; policy drop;`, tableOrigin)
    let skipped: string[] = []
    const flushSkipped = () => {
      if (skipped.length === 0) return
      b.line(`${T}${T}# not in nftables (no substring match; the gateway drops these): ${skipped.join(', ')}`)
      skipped = []
    }
    let lastPurpose = ''
    for (const r of rules) {
      const expr = nftMatch(r.match)
      if (expr === null) {
        if (r.match.payloadContains !== undefined) skipped.push(r.match.payloadContains)
        continue
      }
      flushSkipped()
      if (r.origin.purpose !== lastPurpose) b.line(`${T}${T}# ${r.origin.purpose} (${r.origin.key})`)
      lastPurpose = r.origin.purpose
      const text = [expr, nftAction(r), r.action.kind === 'log' ? '' : comment(r.origin.purpose)]
        .filter((x) => x !== '')
        .join(' ')
      b.line(`${T}${T}${text}`, r.origin)
    }
    flushSkipped()
    if (name === 'input') b.line(`${T}${T}# everything else: policy drop`)
    b.line(`${T}}`, tableOrigin)
  }
  b.line('}', tableOrigin)
  if (model.scannerStrings.length > 0)
    warnings.push(
      'nftables has no substring match: scanner User-Agent strings are left to the gateway ' +
        '(the iptables rendering matches them in the kernel)',
    )
  return b.build(warnings)
}

function setKey(name: string): string {
  if (name.startsWith('admin')) return 'adminNetworks'
  if (name.startsWith('martians') || name.startsWith('bogons')) return 'firewall.antiSpoof'
  if (name.startsWith('known_networks')) return 'adminNetworks, trunks, tenants[].networks'
  if (name.startsWith('denied')) return 'gateway.acl.deny'
  if (name.startsWith('sip_exempt')) return 'trunks[].addresses, gateway.flood.exemptNetworks'
  return 'firewall'
}

/** The nftables ruleset for a validated policy. */
export function renderNftables(policy: Policy): Rendered {
  return renderNftablesModel(buildFirewallModel(policy))
}
