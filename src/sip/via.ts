// Via (RFC 3261 §20.42, §25.1; RFC 3581 rport; RFC 5118 §4.5 received with or without []).
//   via-parm = sent-protocol LWS sent-by *( SEMI via-params )
//   sent-protocol = protocol-name SLASH protocol-version SLASH transport   (SLASH = SWS "/" SWS)
//   sent-by = host [ COLON port ]

import { COMMA as COMMA_, HT as HT_, SP as SP_ } from './chars.js'
import { type HostType, hostType, isIpv4, isIpv6 } from './host.js'
import {
  fail,
  lazyParams,
  nextParam,
  P,
  type Param,
  type ParseFailure,
  paramName,
  paramValue,
  parseUint,
  skipLws,
  tokenEnd,
} from './scan.js'

// Module-local copies: V8 reads an imported binding through its module cell on every use
// (measured ~30% slower in the byte loops); a local const is folded.
const COMMA = COMMA_
const HT = HT_
const SP = SP_

/** One via-parm. `params` is parsed from the kept text on first read. */
export class Via {
  /** protocol name, upper-cased, e.g. `SIP` */
  readonly protocol: string
  /** protocol version, e.g. `2.0` */
  readonly version: string
  /** transport, upper-cased: UDP, TCP, TLS, SCTP, WS, WSS or any extension token */
  readonly transport: string
  /** sent-by host as written; an IPv6 reference keeps its brackets */
  readonly host: string
  readonly hostType: HostType
  readonly port: number | null
  readonly branch: string | null
  /** received address as written (brackets kept when the sender used them) */
  readonly received: string | null
  /** rport value when the parameter has one */
  readonly rport: number | null
  /** rport parameter present, with or without a value */
  readonly hasRport: boolean
  readonly maddr: string | null
  readonly ttl: number | null
  #text: string
  #paramsStart: number
  #paramsEnd: number
  #params: readonly Param[] | undefined

  /** @internal built by the parsers below */
  constructor(
    protocol: string,
    version: string,
    transport: string,
    host: string,
    hostType: HostType,
    port: number | null,
    branch: string | null,
    received: string | null,
    rport: number | null,
    hasRport: boolean,
    maddr: string | null,
    ttl: number | null,
    text: string,
    paramsStart: number,
    paramsEnd: number,
  ) {
    this.protocol = protocol
    this.version = version
    this.transport = transport
    this.host = host
    this.hostType = hostType
    this.port = port
    this.branch = branch
    this.received = received
    this.rport = rport
    this.hasRport = hasRport
    this.maddr = maddr
    this.ttl = ttl
    this.#text = text
    this.#paramsStart = paramsStart
    this.#paramsEnd = paramsEnd
    this.#params = undefined
  }

  /** every parameter in order, names lower-cased, values unquoted */
  get params(): readonly Param[] {
    this.#params ??=
      this.#paramsStart === this.#paramsEnd
        ? NO_PARAMS
        : lazyParams(this.#text, this.#paramsStart, this.#paramsEnd)
    return this.#params
  }

  toJSON(): object {
    return {
      protocol: this.protocol,
      version: this.version,
      transport: this.transport,
      host: this.host,
      hostType: this.hostType,
      port: this.port,
      branch: this.branch,
      received: this.received,
      rport: this.rport,
      hasRport: this.hasRport,
      maddr: this.maddr,
      ttl: this.ttl,
      params: this.params,
    }
  }
}

const NO_PARAMS: readonly Param[] = Object.freeze([])

let elementEnd = 0

// Interned spellings: the common protocol, version and transports cost no allocation.
const COMMON = ['SIP', '2.0', 'UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS']

/** s[a, b) upper-cased, as an interned string when it is one of COMMON. */
function upperToken(s: string, a: number, b: number): string {
  const n = b - a
  for (let k = 0; k < COMMON.length; k++) {
    const w = COMMON[k]!
    if (w.length !== n) continue
    let i = 0
    while (i < n) {
      const c = s.charCodeAt(a + i)
      if ((c >= 0x61 && c <= 0x7a ? c - 0x20 : c) !== w.charCodeAt(i)) break
      i++
    }
    if (i === n) return w
  }
  return s.slice(a, b).toUpperCase()
}

function slashAt(s: string, i: number, end: number): number {
  i = skipLws(s, i, end)
  if (i >= end || s.charCodeAt(i) !== 0x2f) return -1
  return skipLws(s, i + 1, end)
}

function parseViaAt(s: string, i: number, end: number, f?: ParseFailure): Via | null {
  i = skipLws(s, i, end)
  const ps = i
  i = tokenEnd(s, i, end)
  if (i === ps) return fail(f, ps, 'missing protocol name')
  const protocol = upperToken(s, ps, i)
  i = slashAt(s, i, end)
  if (i < 0) return fail(f, ps, 'expected "/" after protocol name')
  const vs = i
  i = tokenEnd(s, i, end)
  if (i === vs) return fail(f, vs, 'missing protocol version')
  const version = upperToken(s, vs, i)
  i = slashAt(s, i, end)
  if (i < 0) return fail(f, vs, 'expected "/" after protocol version')
  const ts = i
  i = tokenEnd(s, i, end)
  if (i === ts) return fail(f, ts, 'missing transport')
  const transport = upperToken(s, ts, i)
  const hs0 = i
  i = skipLws(s, i, end)
  if (i === hs0) return fail(f, i, 'expected white space before sent-by')
  // host
  const hs = i
  if (i < end && s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i)
    i = close < 0 || close >= end ? end : close + 1
  } else {
    while (i < end) {
      const c = s.charCodeAt(i)
      if (c === 0x3a || c === 0x3b || c === COMMA || c === SP || c === HT) break
      i++
    }
  }
  const type = hostType(s, hs, i)
  if (type === null) return fail(f, hs, 'invalid sent-by host')
  const host = s.slice(hs, i)
  let port: number | null = null
  let j = skipLws(s, i, end)
  if (j < end && s.charCodeAt(j) === 0x3a) {
    j = skipLws(s, j + 1, end)
    const pe = digitsEnd(s, j, end)
    port = pe - j <= 5 ? parseUint(s, j, pe, 65535) : -1
    if (port < 0) return fail(f, j, 'invalid sent-by port')
    i = pe
  }
  // parameters: the known ones are read here; the list itself is kept as text (Via.params)
  const paramsStart = i
  let branch: string | null = null
  let received: string | null = null
  let rport: number | null = null
  let hasRport = false
  let maddr: string | null = null
  let ttl: number | null = null
  let seen = 0
  for (;;) {
    const r = nextParam(s, i, end, f)
    if (r < 0) return null
    if (r === 0) break
    i = P.next
    const name = paramName(s, P.nameStart, P.nameEnd)
    let bit = 0
    switch (name) {
      case 'branch': {
        bit = 1
        const v = paramValue(s)
        if (v === null || v.length === 0) return fail(f, hs, 'branch without value')
        branch = v
        break
      }
      case 'received': {
        bit = 2
        const v = paramValue(s)
        if (v === null || !validReceived(v)) return fail(f, hs, 'received is not an IP address')
        received = v
        break
      }
      case 'rport': {
        bit = 4
        hasRport = true
        const v = paramValue(s)
        if (v !== null) {
          rport = v.length <= 5 ? parseUint(v, 0, v.length, 65535) : -1
          if (rport < 0) return fail(f, hs, 'invalid rport')
        }
        break
      }
      case 'maddr': {
        bit = 8
        const v = paramValue(s)
        if (v === null || hostType(v, 0, v.length) === null) return fail(f, hs, 'invalid maddr')
        maddr = v
        break
      }
      case 'ttl': {
        bit = 16
        const v = paramValue(s)
        ttl = v === null || v.length > 3 ? -1 : parseUint(v, 0, v.length, 255)
        if (ttl < 0) return fail(f, hs, 'invalid ttl')
        break
      }
    }
    // a repeated branch/received/rport/maddr/ttl is ambiguous: peers may pick different ones
    if ((seen & bit) !== 0) return fail(f, hs, `repeated ${name} parameter`)
    seen |= bit
  }
  elementEnd = P.next
  return new Via(
    protocol,
    version,
    transport,
    host,
    type,
    port,
    branch,
    received,
    rport,
    hasRport,
    maddr,
    ttl,
    s,
    paramsStart,
    i,
  )
}

function digitsEnd(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i)
    if (c < 0x30 || c > 0x39) break
    i++
  }
  return i
}

function validReceived(v: string): boolean {
  const n = v.length
  if (n > 2 && v.charCodeAt(0) === 0x5b && v.charCodeAt(n - 1) === 0x5d) return isIpv6(v, 1, n - 1)
  return isIpv4(v, 0, n) || isIpv6(v, 0, n)
}

/** Parses one via-parm (the whole string). */
export function parseVia(s: string, f?: ParseFailure): Via | null {
  const v = parseViaAt(s, 0, s.length, f)
  if (v === null) return null
  const e = skipLws(s, elementEnd, s.length)
  if (e !== s.length) return fail(f, e, 'unexpected text after Via')
  return v
}

/**
 * Parses only the first via-parm of a Via header value (the rest is not examined beyond
 * the separating comma): what a proxy needs to route a response.
 */
export function parseFirstVia(s: string, f?: ParseFailure): Via | null {
  const v = parseViaAt(s, 0, s.length, f)
  if (v === null) return null
  const e = skipLws(s, elementEnd, s.length)
  if (e !== s.length && s.charCodeAt(e) !== COMMA) return fail(f, e, 'expected "," between Via values')
  return v
}

/** Parses a Via header value: one or more comma-separated via-parms. */
export function parseViaList(s: string, f?: ParseFailure): Via[] | null {
  const out: Via[] = []
  const end = s.length
  let i = 0
  for (;;) {
    const v = parseViaAt(s, i, end, f)
    if (v === null) return null
    out.push(v)
    i = skipLws(s, elementEnd, end)
    if (i >= end) return out
    if (s.charCodeAt(i) !== COMMA) return fail(f, i, 'expected "," between Via values')
    i++
  }
}
