// Runs one packet through the firewall model, as the kernel would through the rendered
// ruleset. Used before `firewall apply` to refuse a ruleset that would cut the operator's
// own SSH session (SSH_CONNECTION), and by tests as an oracle for the renderers.
//
// What the model cannot know for a packet (the input interface, the hop limit) is
// resolved pessimistically: such a rule is taken to match when it refuses and not to match
// when it accepts, so "allowed" means allowed whatever the unknowns are.

import { type Cidr, createCidrMatcher, isLoopbackIp, parseIp } from '../net/cidr.js'
import { cidrOf } from './bogons.js'
import type { CtState, Family, FirewallModel, IcmpType, Match, Rule } from './model.js'

export interface Packet {
  readonly family: Family
  readonly src: string
  readonly dst?: string
  /** input interface; undefined: unknown (not loopback) */
  readonly iif?: string
  /** the source is one of this host's addresses */
  readonly srcLocal?: boolean
  readonly proto: 'tcp' | 'udp' | 'icmp'
  readonly dport?: number
  /** TCP: true for a connection's first packet (SYN without ACK) */
  readonly tcpSyn?: boolean
  readonly ct: CtState
  readonly icmpType?: IcmpType
  readonly hopLimit?: number
  /** the transport payload as text (SIP) */
  readonly payload?: string
}

export interface Decision {
  readonly verdict: 'accept' | 'drop' | 'reject'
  /** the rule that decided; undefined: the chain policy */
  readonly rule?: Rule
}

type Tri = 'yes' | 'no' | 'unknown'

const matcherCache = new WeakMap<FirewallModel, Map<string, (ip: string) => boolean>>()

function setMatcher(model: FirewallModel, name: string): (ip: string) => boolean {
  let cache = matcherCache.get(model)
  if (cache === undefined) {
    cache = new Map()
    matcherCache.set(model, cache)
  }
  let fn = cache.get(name)
  if (fn === undefined) {
    const set = model.sets.find((s) => s.name === name)
    const cidrs: Cidr[] = set === undefined ? [] : set.elements.map(cidrOf)
    // the matcher folds IPv4-mapped IPv6 into IPv4; the family check keeps them apart
    const m = createCidrMatcher(cidrs)
    const family = set?.family
    fn = (ip: string) => parseIp(ip)?.family === family && m.has(ip)
    cache.set(name, fn)
  }
  return fn
}

function wildcard(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name
}

function and(...parts: Tri[]): Tri {
  if (parts.includes('no')) return 'no'
  return parts.includes('unknown') ? 'unknown' : 'yes'
}

function matches(model: FirewallModel, m: Match, p: Packet): Tri {
  const t: Tri[] = []
  const yes = (b: boolean): Tri => (b ? 'yes' : 'no')
  if (m.family !== undefined) t.push(yes(m.family === p.family))
  if (m.iifLoopback) t.push(yes(p.iif === 'lo'))
  if (m.iifName !== undefined) t.push(p.iif === undefined ? 'unknown' : yes(wildcard(m.iifName, p.iif)))
  if (m.ct !== undefined) t.push(yes(m.ct.includes(p.ct)))
  if (m.ports !== undefined)
    t.push(
      yes(
        p.dport !== undefined &&
          m.ports.some(
            (pm) => pm.proto === p.proto && pm.ports.some((r) => p.dport! >= r.from && p.dport! <= r.to),
          ),
      ),
    )
  if (m.proto !== undefined) t.push(yes(m.proto === p.proto))
  if (m.tcpNotSyn) t.push(yes(p.proto === 'tcp' && p.tcpSyn !== true))
  if (m.saddrLocal) t.push(yes(p.srcLocal === true))
  if (m.saddrSet !== undefined) t.push(yes(setMatcher(model, m.saddrSet)(p.src)))
  if (m.daddr !== undefined)
    t.push(p.dst === undefined ? 'unknown' : yes(parseIp(p.dst)?.text === parseIp(m.daddr)?.text))
  if (m.icmp !== undefined)
    t.push(yes(p.proto === 'icmp' && p.icmpType !== undefined && m.icmp.includes(p.icmpType)))
  if (m.hopLimit255) t.push(p.hopLimit === undefined ? 'unknown' : yes(p.hopLimit === 255))
  if (m.payloadPrefix !== undefined)
    t.push(yes(p.proto === 'udp' && p.payload !== undefined && p.payload.startsWith(m.payloadPrefix)))
  if (m.payloadContains !== undefined)
    t.push(yes(p.payload?.toLowerCase().includes(m.payloadContains.toLowerCase()) === true))
  // one packet is never over a per-source rate; a global token bucket starts full
  if (m.overPerSource !== undefined) t.push('no')
  return and(...t)
}

function runChain(model: FirewallModel, name: string, p: Packet, depth: number): Decision | 'return' | null {
  const rules = model.chains.get(name) ?? []
  for (const r of rules) {
    const tri = matches(model, r.match, p)
    if (tri === 'no') continue
    const a = r.action
    switch (a.kind) {
      case 'log':
        continue
      case 'accept':
        if (tri === 'yes') return { verdict: 'accept', rule: r }
        continue
      case 'return':
        if (tri === 'yes') return 'return'
        continue
      case 'drop':
        return { verdict: 'drop', rule: r }
      case 'reject':
        return { verdict: 'reject', rule: r }
      case 'jump': {
        if (depth > 8) throw new Error(`firewall model: jump depth exceeded at chain ${name}`)
        const sub = runChain(model, a.chain, p, depth + 1)
        if (sub !== null && sub !== 'return') return sub
        continue
      }
    }
  }
  return null
}

/** What the input chain does with `p` (ban sets aside: they are empty at apply time). */
export function evaluate(model: FirewallModel, p: Packet): Decision {
  const d = runChain(model, 'input', p, 0)
  return d === null || d === 'return' ? { verdict: 'drop' } : d
}

export interface SshSession {
  readonly client: string
  readonly clientPort: number
  readonly server: string
  readonly serverPort: number
}

/** Parses SSH_CONNECTION ("client_ip client_port server_ip server_port"). */
export function parseSshConnection(value: string | undefined): SshSession | null {
  if (value === undefined) return null
  const parts = value.trim().split(/\s+/)
  if (parts.length !== 4) return null
  const client = parseIp(parts[0]!)
  const server = parseIp(parts[2]!)
  const cport = Number(parts[1])
  const sport = Number(parts[3])
  if (client === null || server === null || !Number.isInteger(cport) || !Number.isInteger(sport)) return null
  return { client: client.text, clientPort: cport, server: server.text, serverPort: sport }
}

export type SessionCheck =
  | { readonly status: 'none' }
  | { readonly status: 'allowed'; readonly session: SshSession; readonly by?: Rule }
  | { readonly status: 'cut'; readonly session: SshSession; readonly reason: string }

/**
 * Would the operator's SSH session survive this firewall? A reconnect is tested (a new
 * TCP SYN from the client to the server port), not only the current flow: after a
 * rollback timer fires or conntrack forgets the flow, the operator must still get in.
 */
export function checkSshSession(model: FirewallModel, sshConnection: string | undefined): SessionCheck {
  const s = parseSshConnection(sshConnection)
  if (s === null) return { status: 'none' }
  const family: Family = s.client.includes(':') ? 6 : 4
  const local = isLoopbackIp(s.client)
  const d = evaluate(model, {
    family,
    src: s.client,
    dst: s.server,
    ...(local ? { iif: 'lo' } : {}),
    proto: 'tcp',
    dport: s.serverPort,
    tcpSyn: true,
    ct: 'new',
  })
  if (d.verdict === 'accept') return { status: 'allowed', session: s, ...(d.rule ? { by: d.rule } : {}) }
  const by =
    d.rule === undefined
      ? 'the default policy (drop)'
      : `the rule "${d.rule.origin.purpose}" (${d.rule.origin.key})`
  const hints = [`add ${s.client} (or its network) to adminNetworks`]
  if (model.sshPort === false) hints.push('firewall.sshPort is false')
  else if (model.sshPort !== s.serverPort)
    hints.push(`this SSH server listens on port ${s.serverPort}, firewall.sshPort is ${model.sshPort}`)
  return {
    status: 'cut',
    session: s,
    reason: `your SSH session from ${s.client} to port ${s.serverPort} would be cut: ${by} refuses it; ${hints.join('; ')}`,
  }
}
