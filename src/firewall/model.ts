// The host firewall as data: one ordered list of rules built from the policy, which the
// nftables and iptables renderers turn into text and `evaluate.ts` runs against a packet
// (to refuse a ruleset that would cut the operator's SSH session). Building is a pure
// function of the policy; every rule carries its purpose and the policy key it comes from,
// so an error from `nft` or `iptables-restore` can be explained in policy terms.
//
// Order matters and is chosen for these reasons:
// - ban sets are checked in their own chain before conntrack (the fail2ban trap: an
//   `established` accept keeps a banned UDP flow alive, logs-and-fraud.md §1 item 4);
// - the SIP limits come before `ct state established accept` for the same reason: a
//   scanner whose first REGISTER was answered is "established" from then on;
// - cheapest first on the SIP ports: set lookups, then the per-source packet budget, then
//   the substring search for scanner User-Agents, then the per-method counts.

import type { Policy } from '../config/schema.js'
import { isLoopbackIp, isUnspecifiedIp, parseCidr, parseIp } from '../net/cidr.js'
import { BOGONS_V4, BOGONS_V6, MARTIANS_V4, MARTIANS_V6, normalizeCidrs } from './bogons.js'

export type Family = 4 | 6
export type CtState = 'invalid' | 'established' | 'related' | 'new'
export type Proto = 'tcp' | 'udp'

/** ICMP types by their nftables names (renderers translate). */
export type IcmpType =
  | 'echo-request'
  | 'destination-unreachable'
  | 'packet-too-big'
  | 'time-exceeded'
  | 'parameter-problem'
  | 'nd-router-advert'
  | 'nd-neighbor-solicit'
  | 'nd-neighbor-advert'

export interface PortRange {
  readonly from: number
  readonly to: number
}

export interface PortMatch {
  readonly proto: Proto
  readonly ports: readonly PortRange[]
}

export interface Rate {
  readonly count: number
  readonly per: 'second' | 'minute'
  readonly burst: number
}

/** A per-source rate: one entry per source address (IPv6: per /64) in a bounded table. */
export interface Meter extends Rate {
  /** nftables set / iptables hashlimit table name, per family */
  readonly name: string
  readonly family: Family
  /** entries unused this long are forgotten */
  readonly expireSeconds: number
}

export interface Match {
  readonly family?: Family
  readonly iifLoopback?: true
  readonly iifName?: string
  readonly ct?: readonly CtState[]
  /** alternatives: the packet matches one of them */
  readonly ports?: readonly PortMatch[]
  readonly proto?: Proto
  /** a TCP packet without SYN (or with ACK/FIN/RST) */
  readonly tcpNotSyn?: true
  /** source is one of this host's own addresses */
  readonly saddrLocal?: true
  /** name of a set in `FirewallModel.sets` */
  readonly saddrSet?: string
  readonly daddr?: string
  readonly icmp?: readonly IcmpType[]
  readonly hopLimit255?: true
  /** the UDP payload starts with these bytes (ASCII) */
  readonly payloadPrefix?: string
  /** the packet contains this text, case-insensitive */
  readonly payloadContains?: string
  /** the source is over this per-source rate */
  readonly overPerSource?: Meter
  /** globally under this rate (token bucket) */
  readonly underRate?: Rate
}

export type Action =
  | { readonly kind: 'accept' }
  | { readonly kind: 'drop' }
  | { readonly kind: 'reject'; readonly tcpReset?: true }
  | { readonly kind: 'log'; readonly prefix: string }
  | { readonly kind: 'jump'; readonly chain: string }
  | { readonly kind: 'return' }

export interface Origin {
  /** what the rule is for, in the operator's words; also the nftables rule comment */
  readonly purpose: string
  /** the policy key it comes from */
  readonly key: string
}

export interface Rule {
  readonly match: Match
  readonly action: Action
  readonly origin: Origin
}

export interface AddrSet {
  readonly name: string
  readonly family: Family
  /** canonical addresses and blocks, sorted, non-overlapping, never empty */
  readonly elements: readonly string[]
}

export interface BanSets {
  /** nftables: table (family inet) and sets, from bans.kernel */
  readonly table: string
  readonly setV4: string
  readonly setV6: string
  /** iptables: ipset names, from logwatch.action (type ipset) or its defaults */
  readonly ipsetV4: string
  readonly ipsetV6: string
  /** maxelem of the ipsets: bans.maxEntries, at least ipset's default 65536, exactly as the
   * log watcher's ipset action creates them (ipset -exist fails on any difference) */
  readonly ipsetMaxElements: number
}

export interface SipListener {
  readonly proto: Proto
  readonly port: number
  readonly family: Family
  /** bound address; undefined for all addresses */
  readonly address?: string
  readonly transport: 'udp' | 'tcp' | 'tls'
}

export interface FirewallModel {
  readonly site: string
  /** nftables table (family inet) holding the filter chains; replaced as a whole */
  readonly table: string
  readonly bans: BanSets
  readonly sets: readonly AddrSet[]
  readonly meters: readonly Meter[]
  /** chains by name; `input` is the base chain (policy drop) */
  readonly chains: ReadonlyMap<string, readonly Rule[]>
  readonly ipv6: boolean
  readonly sshPort: number | false
  readonly sip: readonly SipListener[]
  readonly rtp: PortRange
  /** user-agent fragments matched in iptables only (nftables has no substring match) */
  readonly scannerStrings: readonly string[]
  /** things the operator should know about the rendered ruleset */
  readonly warnings: readonly string[]
}

/** Default ipset names of the log watcher's ipset action (src/config/schema.ts). */
export const DEFAULT_IPSET_V4 = 'sipwarden_v4'
export const DEFAULT_IPSET_V6 = 'sipwarden_v6'

/** ipset's default maxelem; the log watcher never creates a ban ipset smaller. */
export const IPSET_DEFAULT_MAXELEM = 65536

/** Log prefix of refused packets (kernel log, journald). */
export const LOG_PREFIX = 'sipwarden refused: '

/** Bound on each per-source table (nftables set size, hashlimit htable-max). */
export const METER_SIZE = 65536

/** Largest token-bucket burst iptables accepts (xt_hashlimit, xt_limit); used for both. */
export const MAX_BURST = 10000

function burst(n: number): number {
  return Math.min(n, MAX_BURST)
}

/** Where the ban sets are, for the gateway's kernel sync and the log watcher's actions. */
export function banSetNames(policy: Policy): BanSets {
  const k = policy.bans.kernel
  const a = policy.logwatch.action
  return {
    table: k.table,
    setV4: k.setV4,
    setV6: k.setV6,
    ipsetV4: a.type === 'ipset' ? a.setV4 : DEFAULT_IPSET_V4,
    ipsetV6: a.type === 'ipset' ? a.setV6 : DEFAULT_IPSET_V6,
    ipsetMaxElements: Math.max(IPSET_DEFAULT_MAXELEM, policy.bans.maxEntries),
  }
}

/** The nftables table of the filter chains: beside the ban table, never the same. */
export function firewallTableName(policy: Policy): string {
  return `${policy.bans.kernel.table}_fw`
}

function familyOf(cidrText: string): Family {
  return cidrText.includes(':') ? 6 : 4
}

/** SIP listeners as the kernel sees them. Loopback listeners need no rule (loopback is
 * open); `0.0.0.0` is IPv4 only; `::` is dual-stack (Node's default for `::`). */
export function sipListeners(policy: Policy): SipListener[] {
  const out: SipListener[] = []
  const seen = new Set<string>()
  const add = (l: SipListener) => {
    const k = `${l.proto}/${l.port}/${l.family}/${l.address ?? ''}`
    if (seen.has(k)) return
    seen.add(k)
    out.push(l)
  }
  for (const l of policy.listen) {
    const proto: Proto = l.transport === 'udp' ? 'udp' : 'tcp'
    if (isLoopbackIp(l.address)) continue
    const base = { proto, port: l.port, transport: l.transport }
    if (isUnspecifiedIp(l.address)) {
      if (l.address === '0.0.0.0') add({ ...base, family: 4 })
      else {
        add({ ...base, family: 4 })
        add({ ...base, family: 6 })
      }
    } else {
      const ip = parseIp(l.address)
      if (ip !== null) add({ ...base, family: ip.family, address: ip.text })
    }
  }
  return out.sort(
    (a, b) =>
      a.family - b.family ||
      a.proto.localeCompare(b.proto) ||
      a.port - b.port ||
      (a.address ?? '').localeCompare(b.address ?? ''),
  )
}

function portMatches(listeners: readonly SipListener[], family: Family): PortMatch[] {
  const byProto = new Map<Proto, Set<number>>()
  for (const l of listeners) {
    if (l.family !== family) continue
    const s = byProto.get(l.proto) ?? new Set<number>()
    s.add(l.port)
    byProto.set(l.proto, s)
  }
  return (['tcp', 'udp'] as const)
    .filter((p) => byProto.has(p))
    .map((proto) => ({
      proto,
      ports: [...byProto.get(proto)!].sort((a, b) => a - b).map((p) => ({ from: p, to: p })),
    }))
}

function onlyUdp(pm: readonly PortMatch[]): PortMatch[] {
  return pm.filter((p) => p.proto === 'udp')
}

/** Networks the policy names as legitimate sources: never dropped as bogons. */
function namedNetworks(policy: Policy): string[] {
  const out: string[] = [...policy.adminNetworks]
  for (const t of policy.trunks) for (const a of t.addresses) if (parseCidr(a).ok) out.push(a)
  for (const t of policy.tenants) {
    out.push(...(t.defaults.networks ?? []))
    for (const a of t.accounts) out.push(...(a.networks ?? []))
  }
  out.push(...policy.gateway.flood.exemptNetworks, ...policy.logwatch.ignoreNetworks)
  return out
}

function trunkNetworks(policy: Policy): { cidrs: string[]; names: string[] } {
  const cidrs: string[] = []
  const names: string[] = []
  for (const t of policy.trunks)
    for (const a of t.addresses) {
      if (parseCidr(a).ok) cidrs.push(a)
      else names.push(`${t.name} (${a})`)
    }
  return { cidrs, names }
}

function scannerStrings(policy: Policy): string[] {
  const s = policy.gateway.scanner
  const seen = new Set<string>()
  const out: string[] = []
  for (const ua of [...s.userAgents, ...s.extraUserAgents]) {
    const k = ua.toLowerCase()
    if (seen.has(k)) continue
    seen.add(k)
    out.push(ua)
  }
  return out
}

/** Builds the firewall for a validated policy. Pure and deterministic. */
export function buildFirewallModel(policy: Policy): FirewallModel {
  const fw = policy.firewall
  const warnings: string[] = []
  const sets: AddrSet[] = []
  const meters: Meter[] = []
  const input: Rule[] = []
  const antispoof: Rule[] = []
  const families: Family[] = fw.ipv6 ? [4, 6] : [4]
  const refuseTcp: Action = fw.rejectWith === 'reject' ? { kind: 'reject', tcpReset: true } : { kind: 'drop' }

  /** Adds a set per family for `entries`; returns the names of the non-empty ones. */
  const addSets = (base: string, entries: readonly string[]): Map<Family, string> => {
    const names = new Map<Family, string>()
    for (const family of families) {
      const elements = normalizeCidrs(
        entries.filter((e) => familyOf(e) === family),
        family,
      )
      if (elements.length === 0) continue
      const name = `${base}_v${family}`
      sets.push({ name, family, elements })
      names.set(family, name)
    }
    return names
  }
  const meter = (base: string, family: Family, rate: Rate, expireSeconds: number): Meter => {
    const m: Meter = { name: `${base}_v${family}`, family, expireSeconds, ...rate }
    meters.push(m)
    return m
  }
  const rule = (match: Match, action: Action, purpose: string, key: string): Rule => ({
    match,
    action,
    origin: { purpose, key },
  })

  // 1. loopback, IPv6 off, conntrack invalid
  input.push(rule({ iifLoopback: true }, { kind: 'accept' }, 'loopback', 'firewall'))
  if (!fw.ipv6) input.push(rule({ family: 6 }, { kind: 'drop' }, 'IPv6 unused: dropped', 'firewall.ipv6'))
  input.push(rule({ ct: ['invalid'] }, { kind: 'drop' }, 'conntrack: invalid packets', 'firewall'))

  // 2. IPv6 essentials (RFC 4890): neighbour discovery on-link only (hop limit 255),
  // errors, and DHCPv6 replies from link-local servers. Before anti-spoofing, which would
  // otherwise see duplicate-address detection from `::`.
  if (fw.ipv6) {
    input.push(
      rule(
        {
          family: 6,
          icmp: ['nd-router-advert', 'nd-neighbor-solicit', 'nd-neighbor-advert'],
          hopLimit255: true,
        },
        { kind: 'accept' },
        'IPv6 neighbour discovery (on-link only)',
        'firewall.ipv6',
      ),
      rule(
        {
          family: 6,
          icmp: ['destination-unreachable', 'packet-too-big', 'time-exceeded', 'parameter-problem'],
        },
        { kind: 'accept' },
        'ICMPv6 errors (path MTU discovery)',
        'firewall.ipv6',
      ),
    )
    const ll = addSets('dhcpv6_servers', ['fe80::/10'])
    input.push(
      rule(
        { family: 6, saddrSet: ll.get(6)!, ports: [{ proto: 'udp', ports: [{ from: 546, to: 546 }] }] },
        { kind: 'accept' },
        'DHCPv6 client replies from link-local servers',
        'firewall.ipv6',
      ),
    )
  }

  // 3. anti-spoofing
  if (fw.antiSpoof) {
    input.push(
      rule(
        { saddrLocal: true },
        { kind: 'drop' },
        'anti-spoof: own address as source from outside',
        'firewall.antiSpoof',
      ),
    )
    const martians = addSets('martians', [...MARTIANS_V4, ...MARTIANS_V6])
    for (const [family, name] of martians)
      input.push(
        rule(
          { family, saddrSet: name },
          { kind: 'drop' },
          'anti-spoof: source never valid (this-network, loopback, multicast, reserved)',
          'firewall.antiSpoof',
        ),
      )
    if (fw.publicInterfaces.length > 0) {
      const known = addSets('known_networks', namedNetworks(policy))
      const bogons = addSets('bogons', [...BOGONS_V4, ...BOGONS_V6])
      for (const [family, name] of known)
        antispoof.push(
          rule(
            { family, saddrSet: name },
            { kind: 'return' },
            'anti-spoof: networks the policy names are not bogons',
            'adminNetworks, trunks, tenants[].networks',
          ),
        )
      for (const [family, name] of bogons)
        antispoof.push(
          rule(
            { family, saddrSet: name },
            { kind: 'drop' },
            'anti-spoof: private or documentation source on a public interface',
            'firewall.publicInterfaces',
          ),
        )
      for (const iface of fw.publicInterfaces)
        input.push(
          rule(
            { iifName: iface },
            { kind: 'jump', chain: 'antispoof' },
            `anti-spoof: bogon sources on ${iface}`,
            'firewall.publicInterfaces',
          ),
        )
    }
  } else {
    warnings.push('firewall.antiSpoof is false: spoofed sources are not dropped')
  }

  // 4. the gateway's static block list
  for (const [family, name] of addSets('denied', policy.gateway.acl.deny))
    input.push(rule({ family, saddrSet: name }, { kind: 'drop' }, 'static block list', 'gateway.acl.deny'))

  // 5. web and admin ports: per-source new-connection limit (before the admin accept, or it
  // would never apply: only admin networks reach these ports)
  const api = policy.api
  const webPorts = [...fw.webPorts]
  if (api.enabled && !isLoopbackIp(api.listen.address) && !webPorts.includes(api.listen.port))
    webPorts.push(api.listen.port)
  webPorts.sort((a, b) => a - b)
  const webMatch: PortMatch[] =
    webPorts.length > 0 ? [{ proto: 'tcp', ports: webPorts.map((p) => ({ from: p, to: p })) }] : []
  if (webMatch.length > 0) {
    const rate: Rate = {
      count: fw.webConnectionsPerMinute,
      per: 'minute',
      burst: burst(fw.webConnectionsPerMinute),
    }
    for (const family of families)
      input.push(
        rule(
          { family, ports: webMatch, ct: ['new'], overPerSource: meter('web_conn', family, rate, 120) },
          { kind: 'drop' },
          'web/admin ports: new connections per source per minute',
          'firewall.webConnectionsPerMinute',
        ),
      )
  }

  // 6. operators: full access
  const admin = addSets('admin', policy.adminNetworks)
  for (const [family, name] of admin)
    input.push(
      rule({ family, saddrSet: name }, { kind: 'accept' }, 'admin networks: full access', 'adminNetworks'),
    )
  if (admin.size === 0)
    warnings.push(
      fw.sshPort === false
        ? 'adminNetworks is empty: no address outside this host reaches the web or admin ports'
        : `adminNetworks is empty: SSH (port ${fw.sshPort}) is reachable from this host only`,
    )

  // 7. SIP ingress filters: only drops, before conntrack
  const listeners = sipListeners(policy)
  const limits = fw.sipLimits
  const trunks = trunkNetworks(policy)
  if (trunks.names.length > 0)
    warnings.push(
      `trunk host names are not in the firewall (resolved by the gateway, not at render time): ${trunks.names.join(', ')}; ` +
        'list their addresses to exempt them from the kernel SIP limits',
    )
  const exempt = addSets('sip_exempt', [...trunks.cidrs, ...policy.gateway.flood.exemptNetworks])
  for (const family of families) {
    const sip = portMatches(listeners, family)
    if (sip.length === 0) continue
    const exemptSet = exempt.get(family)
    if (exemptSet !== undefined)
      input.push(
        rule(
          { family, saddrSet: exemptSet, ports: sip },
          { kind: 'accept' },
          'SIP from trunks and exempt networks: no kernel limits',
          'trunks[].addresses, gateway.flood.exemptNetworks',
        ),
      )
    input.push(
      rule(
        {
          family,
          ports: sip,
          overPerSource: meter(
            'sip_budget',
            family,
            { count: limits.packetsPerSecond, per: 'second', burst: burst(limits.packetsPerSecond) },
            60,
          ),
        },
        { kind: 'drop' },
        'SIP packet budget per source per second',
        'firewall.sipLimits.packetsPerSecond',
      ),
    )
  }
  const strings = limits.dropScannerStrings ? scannerStrings(policy) : []
  const allSip = (['tcp', 'udp'] as const)
    .map((proto) => {
      const ports = [...new Set(listeners.filter((l) => l.proto === proto).map((l) => l.port))].sort(
        (a, b) => a - b,
      )
      return { proto, ports: ports.map((p) => ({ from: p, to: p })) }
    })
    .filter((p) => p.ports.length > 0)
  if (allSip.length > 0)
    for (const s of strings)
      input.push(
        rule(
          { ports: allSip, payloadContains: s },
          { kind: 'drop' },
          `SIP scanner string "${s}"`,
          'firewall.sipLimits.dropScannerStrings, gateway.scanner.userAgents',
        ),
      )
  for (const family of families) {
    const udp = onlyUdp(portMatches(listeners, family))
    if (udp.length === 0) continue
    for (const [method, perMinute, key] of [
      ['REGISTER', limits.registerPerMinute, 'firewall.sipLimits.registerPerMinute'],
      ['INVITE', limits.invitePerMinute, 'firewall.sipLimits.invitePerMinute'],
    ] as const)
      input.push(
        rule(
          {
            family,
            ports: udp,
            payloadPrefix: `${method} `,
            overPerSource: meter(
              `sip_${method.toLowerCase()}`,
              family,
              { count: perMinute, per: 'minute', burst: burst(perMinute) },
              120,
            ),
          },
          { kind: 'drop' },
          `SIP ${method} hits per source per minute (UDP)`,
          key,
        ),
      )
  }

  // 8. conntrack, then new connections
  input.push(
    rule(
      { ct: ['established', 'related'] },
      { kind: 'accept' },
      'conntrack: replies and related packets',
      'firewall',
    ),
    rule(
      { proto: 'tcp', tcpNotSyn: true, ct: ['new'] },
      { kind: 'reject', tcpReset: true },
      'new TCP connection without SYN: reset',
      'firewall',
    ),
  )
  if (fw.icmp.allowEcho) {
    const rate: Rate = { count: fw.icmp.echoPerSecond, per: 'second', burst: burst(fw.icmp.echoPerSecond) }
    for (const family of families)
      input.push(
        rule(
          { family, icmp: ['echo-request'], underRate: rate },
          { kind: 'accept' },
          family === 4 ? 'ICMP echo (ping), limited' : 'ICMPv6 echo (ping), limited',
          'firewall.icmp',
        ),
      )
  }
  if (fw.sshPort !== false)
    input.push(
      rule(
        { ports: [{ proto: 'tcp', ports: [{ from: fw.sshPort, to: fw.sshPort }] }] },
        refuseTcp,
        'SSH: admin networks only',
        'firewall.sshPort',
      ),
    )
  if (webMatch.length > 0)
    input.push(
      rule(
        { ports: webMatch },
        refuseTcp,
        'web/admin ports: admin networks only',
        'firewall.webPorts, api.listen',
      ),
    )

  // 9. services open to everyone
  for (const l of listeners) {
    if (!families.includes(l.family)) continue
    const m: Match = {
      family: l.family,
      ports: [{ proto: l.proto, ports: [{ from: l.port, to: l.port }] }],
      ...(l.address !== undefined ? { daddr: l.address } : {}),
    }
    input.push(rule(m, { kind: 'accept' }, `SIP over ${l.transport.toUpperCase()}`, 'listen'))
  }
  if (listeners.length === 0)
    warnings.push('every listener is on loopback: no SIP port is opened (a demo policy?)')
  const sshPort = fw.sshPort
  if (sshPort !== false && listeners.some((l) => l.proto === 'tcp' && l.port === sshPort))
    warnings.push(`a SIP TCP listener uses the SSH port ${sshPort}`)
  const rtp = { from: fw.rtpPorts.min, to: fw.rtpPorts.max }
  input.push(
    rule(
      { ports: [{ proto: 'udp', ports: [rtp] }] },
      { kind: 'accept' },
      'RTP media range',
      'firewall.rtpPorts',
    ),
  )

  // 10. what is left: log (rate limited), then refuse
  if (fw.logPerMinute > 0)
    input.push(
      rule(
        { underRate: { count: fw.logPerMinute, per: 'minute', burst: Math.min(fw.logPerMinute, 5) } },
        { kind: 'log', prefix: LOG_PREFIX },
        'log refused packets (rate limited)',
        'firewall.logPerMinute',
      ),
    )
  if (fw.rejectWith === 'reject')
    input.push(
      rule({ proto: 'tcp' }, { kind: 'reject', tcpReset: true }, 'refuse: TCP reset', 'firewall.rejectWith'),
      rule({}, { kind: 'reject' }, 'refuse: ICMP port unreachable', 'firewall.rejectWith'),
    )

  const chains = new Map<string, readonly Rule[]>([['input', input]])
  if (antispoof.length > 0) chains.set('antispoof', antispoof)
  return {
    site: policy.site.name,
    table: firewallTableName(policy),
    bans: banSetNames(policy),
    sets,
    meters,
    chains,
    ipv6: fw.ipv6,
    sshPort: fw.sshPort,
    sip: listeners,
    rtp,
    scannerStrings: strings,
    warnings,
  }
}
