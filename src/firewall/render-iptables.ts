// Policy → iptables-restore / ip6tables-restore input, and the `ipset restore` input that
// creates the ban sets they reference. Pure: the same policy always gives the same text.
//
// Each file replaces the whole filter table of its family, as iptables-restore does. The
// ban sets are ipsets (hash:ip with a default timeout), created with `-exist` so that a
// re-apply keeps their entries; they are checked first in INPUT, before conntrack.
// Everything the nftables rendering has is here too, plus the scanner User-Agent strings
// (xt_string; nftables has no substring match).

import type { Policy } from '../config/schema.js'
import {
  buildFirewallModel,
  type Family,
  type FirewallModel,
  type IcmpType,
  type Match,
  METER_SIZE,
  type PortMatch,
  type Rule,
} from './model.js'
import { type Rendered, TextBuilder } from './rendered.js'

export interface RenderedIptables {
  /** `ipset restore -exist` input: the ban sets (apply this first) */
  readonly ipset: Rendered
  /** `iptables-restore` input */
  readonly v4: Rendered
  /** `ip6tables-restore` input */
  readonly v6: Rendered
}

const CHAIN_PREFIX = 'SGW-'
/** multiport takes at most 15 ports; a range counts twice */
const MULTIPORT_SLOTS = 15
/** offset of the UDP payload from the start of the IP header (no IPv4 options / IPv6
 * extension headers; packets with them are not counted here, the gateway still counts) */
const UDP_PAYLOAD_OFFSET: Record<Family, number> = { 4: 28, 6: 48 }

const ICMPV6_NAMES: Record<IcmpType, string> = {
  'echo-request': 'echo-request',
  'destination-unreachable': 'destination-unreachable',
  'packet-too-big': 'packet-too-big',
  'time-exceeded': 'time-exceeded',
  'parameter-problem': 'parameter-problem',
  'nd-router-advert': 'router-advertisement',
  'nd-neighbor-solicit': 'neighbour-solicitation',
  'nd-neighbor-advert': 'neighbour-advertisement',
}

function chainName(name: string): string {
  return name === 'input' ? 'INPUT' : `${CHAIN_PREFIX}${name.toUpperCase()}`
}

/** A safe iptables-restore token for a string match; anything else goes in hex. */
function stringArg(text: string): string {
  if (/^[A-Za-z0-9 ._:/@+=,-]+$/.test(text)) return `--string "${text}"`
  const hex = Buffer.from(text, 'utf8').toString('hex')
  return `--hex-string "|${hex}|"`
}

function portArgs(pm: PortMatch): string[] {
  const items = pm.ports.map((r) => (r.from === r.to ? String(r.from) : `${r.from}:${r.to}`))
  if (items.length === 1) return [`-p ${pm.proto} --dport ${items[0]}`]
  const out: string[] = []
  let chunk: string[] = []
  let slots = 0
  for (const it of items) {
    const n = it.includes(':') ? 2 : 1
    if (slots + n > MULTIPORT_SLOTS) {
      out.push(`-p ${pm.proto} -m multiport --dports ${chunk.join(',')}`)
      chunk = []
      slots = 0
    }
    chunk.push(it)
    slots += n
  }
  out.push(`-p ${pm.proto} -m multiport --dports ${chunk.join(',')}`)
  return out
}

function rate(count: number, per: string): string {
  return `${count}/${per}`
}

/**
 * The iptables argument lines of one rule for `family` (several when a set or a port list
 * must be spelled out); [] when the rule is for the other family.
 */
export function iptablesLines(r: Rule, family: Family, model: FirewallModel): string[] {
  const m: Match = r.match
  if (m.family !== undefined && m.family !== family) return []
  // each entry: alternatives for one position; the cross product gives the lines
  const alternatives: string[][] = []
  if (m.iifLoopback) alternatives.push(['-i lo'])
  if (m.iifName !== undefined) alternatives.push([`-i ${m.iifName.replace(/\*$/, '+')}`])
  if (m.saddrSet !== undefined) {
    const set = model.sets.find((s) => s.name === m.saddrSet)
    if (set === undefined || set.family !== family) return []
    alternatives.push(set.elements.map((e) => `-s ${e}`))
  }
  if (m.daddr !== undefined) alternatives.push([`-d ${m.daddr}`])
  if (m.ports !== undefined) alternatives.push(m.ports.flatMap(portArgs))
  else if (m.proto !== undefined) alternatives.push([`-p ${m.proto}`])
  if (m.icmp !== undefined) {
    alternatives.push(
      family === 4
        ? m.icmp.map((t) => `-p icmp --icmp-type ${t}`)
        : m.icmp.map((t) => `-p ipv6-icmp --icmpv6-type ${ICMPV6_NAMES[t]}`),
    )
  }
  const rest: string[] = []
  if (m.hopLimit255) rest.push('-m hl --hl-eq 255')
  if (m.tcpNotSyn) rest.push('! --syn')
  if (m.ct !== undefined) rest.push(`-m conntrack --ctstate ${m.ct.map((s) => s.toUpperCase()).join(',')}`)
  if (m.saddrLocal) rest.push('-m addrtype --src-type LOCAL')
  if (m.payloadPrefix !== undefined) {
    const from = UDP_PAYLOAD_OFFSET[family]
    rest.push(
      `-m string --algo bm --from ${from} --to ${from + m.payloadPrefix.length} ${stringArg(m.payloadPrefix)}`,
    )
  }
  if (m.payloadContains !== undefined)
    rest.push(`-m string --algo bm --icase ${stringArg(m.payloadContains)}`)
  if (m.overPerSource !== undefined) {
    const o = m.overPerSource
    rest.push(
      `-m hashlimit --hashlimit-above ${rate(o.count, o.per)} --hashlimit-burst ${o.burst} ` +
        `--hashlimit-mode srcip${family === 6 ? ' --hashlimit-srcmask 64' : ''} --hashlimit-name ${o.name} ` +
        `--hashlimit-htable-max ${METER_SIZE} --hashlimit-htable-expire ${o.expireSeconds * 1000}`,
    )
  }
  if (m.underRate !== undefined)
    rest.push(
      `-m limit --limit ${rate(m.underRate.count, m.underRate.per)} --limit-burst ${m.underRate.burst}`,
    )
  const target = iptablesTarget(r, family)
  let lines = ['']
  for (const alts of alternatives) lines = lines.flatMap((l) => alts.map((a) => (l === '' ? a : `${l} ${a}`)))
  return lines.map((l) => [`-A ${chainName('input')}`, l, ...rest, target].filter((x) => x !== '').join(' '))
}

function iptablesTarget(r: Rule, family: Family): string {
  const a = r.action
  switch (a.kind) {
    case 'accept':
      return '-j ACCEPT'
    case 'drop':
      return '-j DROP'
    case 'reject':
      return a.tcpReset
        ? '-j REJECT --reject-with tcp-reset'
        : `-j REJECT --reject-with ${family === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable'}`
    case 'log':
      return `-j LOG --log-prefix "${a.prefix}" --log-level 6`
    case 'jump':
      return `-j ${chainName(a.chain)}`
    case 'return':
      return '-j RETURN'
  }
}

export function renderIptablesModel(model: FirewallModel, family: Family): Rendered {
  const b = new TextBuilder()
  const tool = family === 4 ? 'iptables-restore' : 'ip6tables-restore'
  const banSet = family === 4 ? model.bans.ipsetV4 : model.bans.ipsetV6
  b.line(`# sipwarden host firewall for site "${model.site}" (${tool}, IPv${family})`)
  b.line('# Generated from the policy by `sipwarden firewall render`: change the policy, not this file.')
  b.line('# Replaces the whole filter table. Needs the ban sets first:')
  b.line('#   sipwarden firewall render --format ipset | ipset restore -exist')
  b.line('# Apply with `sipwarden firewall apply --format iptables` (rolled back unless confirmed).')
  const tableOrigin = { purpose: 'filter table', key: 'firewall' }
  b.line('*filter', tableOrigin)
  b.line(':INPUT DROP [0:0]', tableOrigin)
  b.line('# FORWARD and OUTPUT stay open, as in the nftables rendering')
  b.line(':FORWARD ACCEPT [0:0]', tableOrigin)
  b.line(':OUTPUT ACCEPT [0:0]', tableOrigin)
  const userChains = [...model.chains.keys()].filter((c) => c !== 'input')
  for (const c of userChains) b.line(`:${chainName(c)} - [0:0]`, tableOrigin)

  const disabled = family === 6 && !model.ipv6
  if (disabled) {
    b.line('# IPv6 unused (firewall.ipv6: false): loopback only')
    b.line('-A INPUT -i lo -j ACCEPT', { purpose: 'loopback', key: 'firewall' })
  } else {
    b.line(`# banned sources (ipset ${banSet}), before conntrack`)
    b.line(`-A INPUT -m set --match-set ${banSet} src -j DROP`, {
      purpose: `banned IPv${family} sources`,
      key: family === 4 ? 'logwatch.action.setV4' : 'logwatch.action.setV6',
    })
    for (const [name, rules] of model.chains) {
      let lastPurpose = ''
      for (const r of rules) {
        const lines = iptablesLines(r, family, model).map((l) =>
          name === 'input' ? l : l.replace(/^-A INPUT /, `-A ${chainName(name)} `),
        )
        if (lines.length === 0) continue
        if (r.origin.purpose !== lastPurpose) b.line(`# ${r.origin.purpose} (${r.origin.key})`)
        lastPurpose = r.origin.purpose
        for (const l of lines) b.line(l, r.origin)
      }
    }
    b.line('# everything else: policy DROP')
  }
  b.line('COMMIT', tableOrigin)
  return b.build(model.warnings)
}

export function renderIpsetModel(model: FirewallModel): Rendered {
  const b = new TextBuilder()
  const bans = model.bans
  b.line(`# sipwarden ban sets for site "${model.site}" (ipset restore -exist)`)
  b.line('# Filled by the log watcher (logwatch.action type ipset). Created exactly as the log watcher')
  b.line('# creates them (timeout 0: every entry carries its own timeout), so either may come first.')
  for (const [name, family, key] of [
    [bans.ipsetV4, 'inet', 'logwatch.action.setV4, bans.maxEntries'],
    [bans.ipsetV6, 'inet6', 'logwatch.action.setV6, bans.maxEntries'],
  ] as const)
    b.line(`create ${name} hash:ip family ${family} timeout 0 maxelem ${bans.ipsetMaxElements}`, {
      purpose: `IPv${family === 'inet' ? 4 : 6} ban set`,
      key,
    })
  return b.build()
}

/** The three texts of the iptables rendering for a validated policy. */
export function renderIptables(policy: Policy): RenderedIptables {
  const model = buildFirewallModel(policy)
  return {
    ipset: renderIpsetModel(model),
    v4: renderIptablesModel(model, 4),
    v6: renderIptablesModel(model, 6),
  }
}
