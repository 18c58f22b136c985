// Socket addresses as PBXs print them. Only literal addresses are accepted: never a host name
// (fail2ban's <HOST> may resolve names; a name in a log line is attacker-controlled).
import ipaddr from 'ipaddr.js'

/** Parse a dotted-quad IPv4 address occupying exactly `s[start, end)`. Returns it or null. */
export function ipv4At(s: string, start: number, end: number): string | null {
  let parts = 0
  let value = -1
  let digits = 0
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return null // leading zero: ambiguous (octal in some parsers)
      value = (value < 0 ? 0 : value * 10) + (c - 48)
      if (++digits > 3 || value > 255) return null
    } else if (c === 46) {
      if (digits === 0 || ++parts > 3) return null
      value = -1
      digits = 0
    } else return null
  }
  if (parts !== 3 || digits === 0) return null
  return start === 0 && end === s.length ? s : s.slice(start, end)
}

// ipaddr.js costs about 15 µs per IPv6 address (measured on the bench log); an attacker repeats
// the same address, so a small cache of recent results pays. Bounded: cleared when full.
const V6_CACHE_MAX = 4096
const v6Cache = new Map<string, string | null>()

/** Parse an IPv6 address (no brackets, no zone) and return its RFC 5952 form; IPv4-mapped → IPv4. */
export function ipv6Normalize(text: string): string | null {
  if (text.length < 2 || text.length > 45 || text.indexOf('%') !== -1) return null
  const cached = v6Cache.get(text)
  if (cached !== undefined) return cached
  let out: string | null = null
  if (ipaddr.IPv6.isValid(text)) {
    const a = ipaddr.IPv6.parse(text)
    out = a.isIPv4MappedAddress() ? a.toIPv4Address().toString() : a.toString()
  }
  if (v6Cache.size >= V6_CACHE_MAX) v6Cache.clear()
  v6Cache.set(text, out)
  return out
}

/** A bare IP address, IPv4 or IPv6. */
export function parseIp(text: string): string | null {
  const v4 = ipv4At(text, 0, text.length)
  if (v4 !== null) return v4
  return text.indexOf(':') === -1 ? null : ipv6Normalize(text)
}

function isDigits(s: string, start: number, end: number): boolean {
  if (end <= start || end - start > 5) return false
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

const TRANSPORTS = ['UDP:', 'TCP:', 'TLS:', 'WS:', 'WSS:', 'udp:', 'tcp:', 'tls:', 'ws:', 'wss:']

/**
 * Parse an address as Asterisk, PJSIP and FreeSWITCH print a socket address, occupying exactly
 * `s[start, end)`: `1.2.3.4`, `1.2.3.4:5060`, `[2001:db8::1]:5060`, `[2001:db8::1]`,
 * `2001:db8::1` (bare IPv6, no port), each optionally preceded by a transport `UDP:` / `TCP:` …
 */
export function parseHostPort(s: string, start: number, end: number): string | null {
  if (end - start < 7 || end - start > 64) return null
  const c0 = s.charCodeAt(start)
  if (c0 >= 65) {
    // letters: maybe a transport prefix (hex digits a-f also start IPv6, handled below)
    for (const t of TRANSPORTS) {
      if (s.startsWith(t, start)) return parseHostPort(s, start + t.length, end)
    }
  }
  if (c0 === 91) {
    // [v6] or [v6]:port (also [v4]:port, which PJSIP prints for TCP: `TCP:[1.2.3.4]:61470`)
    const close = s.indexOf(']', start)
    if (close === -1 || close >= end) return null
    if (close + 1 !== end && !(s.charCodeAt(close + 1) === 58 && isDigits(s, close + 2, end))) return null
    const inner = s.slice(start + 1, close)
    return ipv4At(inner, 0, inner.length) ?? ipv6Normalize(inner)
  }
  // IPv4 with optional :port
  const colon = s.indexOf(':', start)
  if (colon === -1 || colon >= end) return ipv4At(s, start, end)
  const v4 = ipv4At(s, start, colon)
  if (v4 !== null) return isDigits(s, colon + 1, end) ? v4 : null
  // bare IPv6 (no port can be told apart, so none is assumed)
  return ipv6Normalize(s.slice(start, end))
}

/** Kamailio `$si:$sp`: IPv6 is printed without brackets, so the port is after the last colon. */
export function parseAddrColonPort(s: string, start: number, end: number): string | null {
  const colon = s.lastIndexOf(':', end - 1)
  if (colon < start || !isDigits(s, colon + 1, end)) return null
  if (s.charCodeAt(start) === 91) return parseHostPort(s, start, end)
  const host = s.slice(start, colon)
  return ipv4At(host, 0, host.length) ?? ipv6Normalize(host)
}
