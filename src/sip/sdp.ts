// Minimal SDP (RFC 8866, RFC 4566): what a security gateway needs to see in an offer or
// answer: origin, session and media connection addresses (IP4 and IP6, without brackets,
// RFC 5118 §4.6), media type/port/proto/formats, a=rtcp (RFC 3605), a=crypto (RFC 4568) and
// the direction attribute. Line ends may be CRLF or bare LF. Unknown line types are ignored;
// malformed o=, c=, m=, a=rtcp and a=crypto lines make the whole description invalid.

import { fail, type ParseFailure } from './scan.js'

export interface SdpConnection {
  readonly netType: string
  readonly addrType: string
  readonly address: string
  readonly ttl: number | null
  readonly count: number | null
}

export interface SdpOrigin {
  readonly username: string
  readonly sessionId: string
  readonly sessionVersion: string
  readonly netType: string
  readonly addrType: string
  readonly address: string
}

export interface SdpAttribute {
  readonly name: string
  readonly value: string | null
}

export interface SdpCrypto {
  readonly tag: number
  readonly suite: string
  /** key-params as written, e.g. `inline:<key>|2^20|1:32` (secret material: do not log) */
  readonly keyParams: readonly string[]
  readonly sessionParams: readonly string[]
}

export interface SdpRtcp {
  readonly port: number
  readonly netType: string | null
  readonly addrType: string | null
  readonly address: string | null
}

export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive'

export interface SdpMedia {
  readonly type: string
  readonly port: number
  readonly portCount: number | null
  readonly proto: string
  readonly formats: readonly string[]
  /** media-level c= line, or null (then the session-level connection applies) */
  readonly connection: SdpConnection | null
  readonly attributes: readonly SdpAttribute[]
  readonly rtcp: SdpRtcp | null
  readonly crypto: readonly SdpCrypto[]
  readonly direction: SdpDirection | null
}

export interface Sdp {
  readonly version: number
  readonly origin: SdpOrigin | null
  readonly sessionName: string | null
  /** session-level c= line */
  readonly connection: SdpConnection | null
  readonly attributes: readonly SdpAttribute[]
  readonly direction: SdpDirection | null
  readonly media: readonly SdpMedia[]
}

interface MutableMedia {
  type: string
  port: number
  portCount: number | null
  proto: string
  formats: string[]
  connection: SdpConnection | null
  attributes: SdpAttribute[]
  rtcp: SdpRtcp | null
  crypto: SdpCrypto[]
  direction: SdpDirection | null
}

/** Space-separated fields (runs of spaces count as one separator). */
function fields(v: string): string[] {
  const out: string[] = []
  const n = v.length
  let i = 0
  while (i < n) {
    while (i < n && v.charCodeAt(i) === 0x20) i++
    if (i >= n) break
    const s = i
    while (i < n && v.charCodeAt(i) !== 0x20) i++
    out.push(v.slice(s, i))
  }
  return out
}

function uint(s: string | undefined, max: number): number {
  if (s === undefined || s.length === 0 || s.length > 10) return -1
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x30 || c > 0x39) return -1
  }
  const n = Number(s)
  return n > max ? -1 : n
}

function parseConnection(v: string): SdpConnection | null {
  const f = fields(v)
  if (f.length !== 3) return null
  const [netType, addrType, spec] = f as [string, string, string]
  const parts = spec.split('/')
  const address = parts[0]!
  if (address.length === 0 || parts.length > 3) return null
  let ttl: number | null = null
  let count: number | null = null
  if (addrType.toUpperCase() === 'IP4' && parts.length >= 2) {
    ttl = uint(parts[1], 255)
    if (ttl < 0) return null
    if (parts.length === 3) {
      count = uint(parts[2], 0xffff)
      if (count < 0) return null
    }
  } else if (parts.length === 2) {
    count = uint(parts[1], 0xffff)
    if (count < 0) return null
  } else if (parts.length > 2) return null
  return { netType, addrType, address, ttl, count }
}

const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive'])

/** Parses an SDP body (Buffer or string). Returns null when it is not a usable description. */
export function parseSdp(body: Buffer | string, f?: ParseFailure): Sdp | null {
  const text = typeof body === 'string' ? body : body.toString('utf8')
  let version = -1
  let origin: SdpOrigin | null = null
  let sessionName: string | null = null
  let connection: SdpConnection | null = null
  const attributes: SdpAttribute[] = []
  let direction: SdpDirection | null = null
  const media: MutableMedia[] = []
  let cur: MutableMedia | null = null
  const n = text.length
  let next = 0
  while (next < n) {
    const at = next
    let e = text.indexOf('\n', at)
    if (e < 0) e = n
    next = e + 1
    if (e > at && text.charCodeAt(e - 1) === 0x0d) e--
    if (e === at) continue
    if (e - at < 2 || text.charCodeAt(at + 1) !== 0x3d) return fail(f, at, 'SDP line is not <type>=<value>')
    const type = text[at]!
    const v = text.slice(at + 2, e)
    if (version < 0) {
      if (type !== 'v') return fail(f, at, 'SDP must start with v=')
      version = uint(v.trim(), 0xffff)
      if (version < 0) return fail(f, at, 'bad v= line')
      continue
    }
    switch (type) {
      case 'o': {
        const o = fields(v)
        if (o.length !== 6) return fail(f, at, 'bad o= line')
        origin = {
          username: o[0]!,
          sessionId: o[1]!,
          sessionVersion: o[2]!,
          netType: o[3]!,
          addrType: o[4]!,
          address: o[5]!,
        }
        break
      }
      case 's':
        sessionName = v
        break
      case 'c': {
        const c = parseConnection(v)
        if (c === null) return fail(f, at, 'bad c= line')
        if (cur !== null) cur.connection ??= c
        else connection ??= c
        break
      }
      case 'm': {
        const m = fields(v)
        if (m.length < 3) return fail(f, at, 'bad m= line')
        const [portText, countText] = m[1]!.split('/')
        const port = uint(portText, 65535)
        const portCount = countText === undefined ? null : uint(countText, 65535)
        if (port < 0 || (portCount !== null && portCount < 0)) return fail(f, at, 'bad m= port')
        cur = {
          type: m[0]!,
          port,
          portCount,
          proto: m[2]!,
          formats: m.slice(3),
          connection: null,
          attributes: [],
          rtcp: null,
          crypto: [],
          direction: null,
        }
        media.push(cur)
        break
      }
      case 'a': {
        const colon = v.indexOf(':')
        const name = colon < 0 ? v : v.slice(0, colon)
        const value = colon < 0 ? null : v.slice(colon + 1)
        const attr = { name, value }
        if (DIRECTIONS.has(name) && value === null) {
          if (cur !== null) cur.direction = name as SdpDirection
          else direction = name as SdpDirection
        }
        if (cur === null) {
          attributes.push(attr)
          break
        }
        cur.attributes.push(attr)
        if (name === 'rtcp') {
          const r = fields(value ?? '')
          const port = uint(r[0], 65535)
          if (port < 0 || (r.length !== 1 && r.length !== 4)) return fail(f, at, 'bad a=rtcp line')
          cur.rtcp = { port, netType: r[1] ?? null, addrType: r[2] ?? null, address: r[3] ?? null }
        } else if (name === 'crypto') {
          const c = fields(value ?? '')
          const tag = uint(c[0], 999999999)
          if (tag < 0 || c.length < 3) return fail(f, at, 'bad a=crypto line')
          cur.crypto.push({
            tag,
            suite: c[1]!,
            keyParams: c[2]!.split(';'),
            sessionParams: c.slice(3),
          })
        }
        break
      }
      default:
        break
    }
  }
  if (version < 0) return fail(f, 0, 'empty SDP')
  return { version, origin, sessionName, connection, attributes, direction, media }
}

/** The connection that applies to media `m`: its own c= line or the session-level one. */
export function mediaConnection(sdp: Sdp, m: SdpMedia): SdpConnection | null {
  return m.connection ?? sdp.connection
}
