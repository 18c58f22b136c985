// SIP endpoints written as text: `udp:0.0.0.0:5060`, `tls:[2001:db8::1]:5061`,
// `tcp:pbx.example.net`. Used by the policy file (listen, upstream) and by command-line
// flags such as `--listen` and `--upstream`, so both accept exactly the same spelling.

import { explainInvalidIp, type IpFamily, type ParseResult, parseIp } from './cidr.js'

export const TRANSPORTS = ['udp', 'tcp', 'tls'] as const
export type Transport = (typeof TRANSPORTS)[number]

/** RFC 3261 section 19.1.2: 5060 for sip over UDP/TCP, 5061 for sips (TLS). */
export const DEFAULT_SIP_PORT = 5060
export const DEFAULT_SIPS_PORT = 5061

export function defaultPort(transport: Transport): number {
  return transport === 'tls' ? DEFAULT_SIPS_PORT : DEFAULT_SIP_PORT
}

export interface Endpoint {
  readonly transport: Transport
  /** canonical IP text, or a host name (lower case) when `requireIp` was not set */
  readonly host: string
  readonly port: number
}

/**
 * RFC 1123 host name: dot-separated labels of letters, digits and hyphens, 1..63 each,
 * 253 in all. The last label must not be all digits, so that a mistyped IPv4 address such
 * as `10.0.0.300` is never taken for a host name.
 */
export function isHostname(text: string): boolean {
  if (typeof text !== 'string' || text.length === 0 || text.length > 253) return false
  const name = text.endsWith('.') ? text.slice(0, -1) : text
  const labels = name.split('.')
  for (const label of labels) {
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label)) return false
  }
  return !/^\d+$/.test(labels[labels.length - 1] ?? '')
}

/** `host:port` with IPv6 in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

export function formatEndpoint(e: Endpoint): string {
  return `${e.transport}:${formatHostPort(e.host, e.port)}`
}

export interface ParseEndpointOptions {
  /** refuse host names (listen addresses must be IPs) */
  readonly requireIp?: boolean
  /** transport when the text has no `udp:`/`tcp:`/`tls:` prefix; default udp */
  readonly defaultTransport?: Transport
}

const PORT_RE = /^[1-9]\d{0,4}$/

function parsePort(text: string): number | null {
  if (!PORT_RE.test(text)) return null
  const n = Number(text)
  return n <= 65535 ? n : null
}

/** Parses `[transport:]host[:port]`. IPv6 addresses must be in brackets. */
export function parseEndpoint(text: string, options: ParseEndpointOptions = {}): ParseResult<Endpoint> {
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, reason: 'expected an endpoint' }
  let rest = text.trim()
  let transport: Transport = options.defaultTransport ?? 'udp'
  const m = /^([a-z]+):/i.exec(rest)
  if (m) {
    // `pbx:5080` is a host and a port; `udp:…` is a transport; anything else is a mistake.
    const after = rest.slice(m[0].length)
    if (!/^\d*$/.test(after)) {
      const t = m[1]!.toLowerCase()
      if (!(TRANSPORTS as readonly string[]).includes(t))
        return { ok: false, reason: `unknown transport "${m[1]}" in "${text}" (use udp, tcp or tls)` }
      transport = t as Transport
      rest = after
    }
  }
  let hostText: string
  let portText: string | undefined
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']')
    if (close < 0) return { ok: false, reason: `missing "]" in "${text}"` }
    hostText = rest.slice(1, close)
    const after = rest.slice(close + 1)
    if (after !== '') {
      if (!after.startsWith(':')) return { ok: false, reason: `unexpected "${after}" after "]" in "${text}"` }
      portText = after.slice(1)
    }
    const ip = parseIp(hostText)
    if (ip === null || ip.family !== 6)
      return { ok: false, reason: `${explainInvalidIp(hostText)} (brackets are for IPv6 addresses)` }
    hostText = ip.text
  } else {
    const colons = rest.split(':').length - 1
    if (colons > 1)
      return { ok: false, reason: `write IPv6 addresses in brackets, e.g. "${transport}:[::1]:5060"` }
    if (colons === 1) {
      const i = rest.indexOf(':')
      portText = rest.slice(i + 1)
      hostText = rest.slice(0, i)
    } else {
      hostText = rest
    }
    const ip = parseIp(hostText)
    if (ip !== null) hostText = ip.text
    else if (/^[0-9.]+$/.test(hostText)) return { ok: false, reason: explainInvalidIp(hostText) }
    else if (options.requireIp)
      return { ok: false, reason: `"${hostText}" is not an IP address (a listen address must be one)` }
    else if (!isHostname(hostText))
      return { ok: false, reason: `"${hostText}" is neither an IP address nor a host name` }
    else hostText = hostText.toLowerCase()
  }
  let port = defaultPort(transport)
  if (portText !== undefined) {
    const p = parsePort(portText)
    if (p === null) return { ok: false, reason: `invalid port "${portText}" in "${text}" (1..65535)` }
    port = p
  }
  return { ok: true, value: { transport, host: hostText, port } }
}

/** Address family of a host that is an IP, undefined for host names. */
export function hostFamily(host: string): IpFamily | undefined {
  return parseIp(host)?.family
}
