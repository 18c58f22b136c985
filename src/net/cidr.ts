// IP addresses and CIDR blocks: strict parsing for the policy file, and a compiled matcher
// for the packet path (style-by-example habit 13: exact-address set first, then masks).
//
// Strictness, on purpose:
// - IPv4 only as four decimal parts without leading zeros. `010.0.0.1` is octal to some
//   parsers and decimal to others; in an ACL that ambiguity is a hole, so it is refused.
// - IPv6 zone ids (`fe80::1%eth0`) are refused: they name an interface, not a network.
// - IPv4-mapped IPv6 (`::ffff:192.0.2.1`) is normalised to IPv4, so a dual-stack socket
//   reporting a mapped address matches an IPv4 rule.
// - A CIDR with host bits set (`10.1.2.3/8`) is refused with the intended network named:
//   a mistyped mask silently widens an ACL.

import ipaddr from 'ipaddr.js'

export type IpFamily = 4 | 6

export interface IpAddress {
  readonly family: IpFamily
  /** canonical text: dotted decimal for IPv4, RFC 5952 for IPv6 */
  readonly text: string
}

export interface Cidr {
  readonly family: IpFamily
  /** canonical network address (host bits zero) */
  readonly network: string
  readonly prefix: number
  /** canonical `network/prefix` */
  readonly text: string
}

export type ParseResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string }

const IPV4_MAPPED_PREFIX_BITS = 96

/**
 * Parses dotted-decimal IPv4 without leading zeros into an unsigned 32-bit integer.
 * Returns -1 when `text` is not such an address. Hand-written because it runs per packet.
 */
export function parseIpv4ToUint32(text: string): number {
  const len = text.length
  if (len < 7 || len > 15) return -1
  let value = 0
  let part = 0
  let digits = 0
  let parts = 0
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      if (digits === 1 && part === 0) return -1 // leading zero
      part = part * 10 + (c - 48)
      if (part > 255) return -1
      digits++
    } else if (c === 46) {
      if (digits === 0) return -1
      value = value * 256 + part
      part = 0
      digits = 0
      parts++
      if (parts > 3) return -1
    } else {
      return -1
    }
  }
  if (digits === 0 || parts !== 3) return -1
  return value * 256 + part
}

function uint32ToIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`
}

function parseIpv6(text: string): ipaddr.IPv6 | null {
  if (text.includes('%')) return null
  if (!ipaddr.IPv6.isValid(text)) return null
  try {
    return ipaddr.IPv6.parse(text)
  } catch {
    return null
  }
}

/** Parses an IPv4 or IPv6 address (see the strictness rules above); null when invalid. */
export function parseIp(text: string): IpAddress | null {
  if (typeof text !== 'string') return null
  const v4 = parseIpv4ToUint32(text)
  if (v4 >= 0) return { family: 4, text: uint32ToIpv4(v4) }
  if (!text.includes(':')) return null
  const v6 = parseIpv6(text)
  if (v6 === null) return null
  if (v6.isIPv4MappedAddress()) return { family: 4, text: v6.toIPv4Address().toString() }
  return { family: 6, text: v6.toRFC5952String() }
}

export function isIp(text: string): boolean {
  return parseIp(text) !== null
}

/** Canonical text of an address, or null when it is not one. */
export function normalizeIp(text: string): string | null {
  return parseIp(text)?.text ?? null
}

/** Why `text` is not an address, for error messages. */
export function explainInvalidIp(text: string): string {
  if (/^[0-9.]+$/.test(text)) {
    if (/(^|\.)0\d/.test(text)) return `"${text}" is not a valid IPv4 address (leading zeros are ambiguous)`
    return `"${text}" is not a valid IPv4 address`
  }
  if (text.includes('%')) return `"${text}" has an IPv6 zone id; write the address without "%…"`
  if (text.includes(':')) return `"${text}" is not a valid IPv6 address`
  return `"${text}" is not an IP address`
}

/**
 * Parses `address/prefix`. A bare address is accepted as a host block (/32 or /128) unless
 * `allowBareAddress` is false.
 */
export function parseCidr(text: string, options: { allowBareAddress?: boolean } = {}): ParseResult<Cidr> {
  if (typeof text !== 'string' || text.length === 0)
    return { ok: false, reason: 'expected an address or CIDR' }
  const slash = text.indexOf('/')
  const addrText = slash < 0 ? text : text.slice(0, slash)
  const addr = parseIp(addrText)
  if (addr === null) return { ok: false, reason: explainInvalidIp(addrText) }
  const mappedV6 = addr.family === 4 && addrText.includes(':')
  let prefix: number
  if (slash < 0) {
    if (options.allowBareAddress === false)
      return { ok: false, reason: `"${text}" has no prefix length (e.g. /24)` }
    prefix = addr.family === 4 ? 32 : 128
  } else {
    const prefixText = text.slice(slash + 1)
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText))
      return { ok: false, reason: `"${text}" has an invalid prefix length` }
    prefix = Number(prefixText)
    if (mappedV6) {
      // ::ffff:a.b.c.d/n covers IPv4 space only when n >= 96.
      if (prefix < IPV4_MAPPED_PREFIX_BITS || prefix > 128)
        return { ok: false, reason: `"${text}": an IPv4-mapped block needs a prefix length of 96..128` }
      prefix -= IPV4_MAPPED_PREFIX_BITS
    }
    const max = addr.family === 4 ? 32 : 128
    if (prefix > max) return { ok: false, reason: `"${text}": prefix length must be 0..${max}` }
  }
  const network = networkAddress(addr, prefix)
  if (network !== addr.text) {
    return {
      ok: false,
      reason: `"${text}" has host bits set; the network is ${network}/${prefix} (or write ${addr.text} alone for one host)`,
    }
  }
  return { ok: true, value: { family: addr.family, network, prefix, text: `${network}/${prefix}` } }
}

export function isCidr(text: string): boolean {
  return parseCidr(text).ok
}

function networkAddress(addr: IpAddress, prefix: number): string {
  if (addr.family === 4) {
    const v = parseIpv4ToUint32(addr.text)
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
    return uint32ToIpv4((v & mask) >>> 0)
  }
  const parts = ipaddr.IPv6.parse(addr.text).parts.slice()
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, prefix - i * 16))
    const mask = bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff
    parts[i] = (parts[i] ?? 0) & mask
  }
  return new ipaddr.IPv6(parts).toRFC5952String()
}

function ipv6Words(text: string): Uint32Array {
  const parts = ipaddr.IPv6.parse(text).parts
  const words = new Uint32Array(4)
  for (let i = 0; i < 4; i++) words[i] = (((parts[2 * i] ?? 0) << 16) | (parts[2 * i + 1] ?? 0)) >>> 0
  return words
}

/** True for 127.0.0.0/8 and ::1. */
export function isLoopbackIp(text: string): boolean {
  const ip = parseIp(text)
  if (ip === null) return false
  if (ip.family === 4) return ip.text.startsWith('127.')
  return ip.text === '::1'
}

/** True for 0.0.0.0 and ::, the "all interfaces" bind addresses. */
export function isUnspecifiedIp(text: string): boolean {
  const ip = parseIp(text)
  return ip !== null && (ip.text === '0.0.0.0' || ip.text === '::')
}

export interface CidrMatcher {
  /** number of entries compiled in */
  readonly size: number
  /** true when `ip` (any textual form, IPv4-mapped included) is inside one of the entries */
  has(ip: string): boolean
  /** the canonical entry that contains `ip`, most specific first; undefined when none */
  find(ip: string): string | undefined
}

/**
 * Compiles a list of addresses and CIDR blocks into a matcher: host entries go into a Set
 * (one hash lookup), blocks into typed-array masks sorted most specific first.
 * Throws TypeError on an invalid entry (policy validation reports those earlier, with lines).
 */
export function createCidrMatcher(entries: Iterable<string | Cidr>): CidrMatcher {
  const exact = new Set<string>()
  const v4: { net: number; mask: number; prefix: number; text: string }[] = []
  const v6: { net: Uint32Array; mask: Uint32Array; prefix: number; text: string }[] = []
  const seen = new Set<string>()
  for (const entry of entries) {
    let cidr: Cidr
    if (typeof entry === 'string') {
      const r = parseCidr(entry)
      if (!r.ok) throw new TypeError(`createCidrMatcher: ${r.reason}`)
      cidr = r.value
    } else {
      cidr = entry
    }
    if (seen.has(cidr.text)) continue
    seen.add(cidr.text)
    if ((cidr.family === 4 && cidr.prefix === 32) || (cidr.family === 6 && cidr.prefix === 128)) {
      exact.add(cidr.network)
    } else if (cidr.family === 4) {
      const mask = cidr.prefix === 0 ? 0 : (0xffffffff << (32 - cidr.prefix)) >>> 0
      v4.push({ net: parseIpv4ToUint32(cidr.network), mask, prefix: cidr.prefix, text: cidr.text })
    } else {
      const mask = new Uint32Array(4)
      for (let i = 0; i < 4; i++) {
        const bits = Math.max(0, Math.min(32, cidr.prefix - i * 32))
        mask[i] = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
      }
      v6.push({ net: ipv6Words(cidr.network), mask, prefix: cidr.prefix, text: cidr.text })
    }
  }
  v4.sort((a, b) => b.prefix - a.prefix)
  v6.sort((a, b) => b.prefix - a.prefix)
  const v4Net = Uint32Array.from(v4, (e) => e.net)
  const v4Mask = Uint32Array.from(v4, (e) => e.mask)

  function findV4(value: number, text: string): string | undefined {
    if (exact.has(text)) return text
    for (let i = 0; i < v4Net.length; i++) {
      if ((value & v4Mask[i]!) >>> 0 === v4Net[i]) return v4[i]!.text
    }
    return undefined
  }

  function find(ip: string): string | undefined {
    const value = parseIpv4ToUint32(ip)
    if (value >= 0) return findV4(value, ip)
    if (!ip.includes(':')) return undefined
    const parsed = parseIpv6(ip)
    if (parsed === null) return undefined
    if (parsed.isIPv4MappedAddress()) {
      const text = parsed.toIPv4Address().toString()
      return findV4(parseIpv4ToUint32(text), text)
    }
    const text = parsed.toRFC5952String()
    if (exact.has(text)) return text
    if (v6.length === 0) return undefined
    const words = ipv6Words(text)
    for (const e of v6) {
      if (
        (words[0]! & e.mask[0]!) >>> 0 === e.net[0] &&
        (words[1]! & e.mask[1]!) >>> 0 === e.net[1] &&
        (words[2]! & e.mask[2]!) >>> 0 === e.net[2] &&
        (words[3]! & e.mask[3]!) >>> 0 === e.net[3]
      )
        return e.text
    }
    return undefined
  }

  return {
    size: seen.size,
    has: (ip: string) => find(ip) !== undefined,
    find,
  }
}
