// SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966), and any other scheme as an opaque
// absoluteURI. %HH escapes are decoded once (never recursively, RFC 4475 §3.1.1.3) into the
// decoded fields; the `raw` text is kept for forwarding and comparison.

import {
  C_ALPHA as C_ALPHA_,
  C_HNV as C_HNV_,
  C_HOST as C_HOST_,
  C_PARAM as C_PARAM_,
  C_PASSWORD as C_PASSWORD_,
  C_SCHEME as C_SCHEME_,
  C_UNRESERVED as C_UNRESERVED_,
  C_URIC as C_URIC_,
  C_USER as C_USER_,
  CHAR as CHAR_,
} from './chars.js'
import { type HostType, hostType } from './host.js'
import {
  escapesValid,
  fail,
  lowerSlice,
  type Param,
  type ParseFailure,
  parseUint,
  unescapePct,
} from './scan.js'

// Module-local copies: V8 reads an imported binding through its module cell on every use
// (measured ~30% slower in the byte loops); a local const is folded.
const C_ALPHA = C_ALPHA_
const C_HNV = C_HNV_
const C_HOST = C_HOST_
const C_PARAM = C_PARAM_
const C_PASSWORD = C_PASSWORD_
const C_SCHEME = C_SCHEME_
const C_UNRESERVED = C_UNRESERVED_
const C_URIC = C_URIC_
const C_USER = C_USER_
const CHAR = CHAR_

export interface Uri {
  /** the URI exactly as written */
  readonly raw: string
  /** lower case, e.g. `sip`, `sips`, `tel`, `http` */
  readonly scheme: string
  /** user part, escapes decoded (tel: the subscriber number); null when absent */
  readonly user: string | null
  /** user part as written */
  readonly userRaw: string | null
  /** password, escapes decoded; null when absent */
  readonly password: string | null
  /** host as written (an IPv6 reference keeps its brackets); null for tel and opaque URIs */
  readonly host: string | null
  readonly hostType: HostType | null
  readonly port: number | null
  /** uri-parameters in order; names lower-cased, names and values unescaped */
  readonly params: readonly Param[]
  /** headers after '?', in order, unescaped (names keep their case) */
  readonly headers: readonly Param[]
  /** for schemes other than sip/sips/tel: everything after `scheme:`; otherwise null */
  readonly opaque: string | null
}

const C_USER_CHARS = C_UNRESERVED | C_USER
const C_PASSWORD_CHARS = C_UNRESERVED | C_PASSWORD
const C_PARAM_CHARS = C_UNRESERVED | C_PARAM
const C_HNV_CHARS = C_UNRESERVED | C_HNV

/** End of the run of chars in `cls` (or %HH escapes) from i. */
function runEnd(s: string, i: number, end: number, cls: number): number {
  while (i < end) {
    const c = s.charCodeAt(i)
    if (c === 0x25) {
      i++
      continue
    }
    if (c >= 128 || (CHAR[c]! & cls) === 0) break
    i++
  }
  return i
}

const NO_PARAMS: readonly Param[] = Object.freeze([])

function isWord(s: string, n: number, w: string): boolean {
  if (n !== w.length) return false
  for (let i = 0; i < n; i++) if ((s.charCodeAt(i) | 0x20) !== w.charCodeAt(i)) return false
  return true
}

/** Lower-cased scheme s[0, n); sip, sips and tel are interned. */
function schemeName(s: string, n: number): string {
  if (isWord(s, n, 'sip')) return 'sip'
  if (isWord(s, n, 'sips')) return 'sips'
  if (isWord(s, n, 'tel')) return 'tel'
  return s.slice(0, n).toLowerCase()
}

/** Parses a URI. Returns null (and fills `f`) when it is not well-formed. */
export function parseUri(s: string, f?: ParseFailure): Uri | null {
  const end = s.length
  if (end === 0) return fail(f, 0, 'empty URI')
  const c0 = s.charCodeAt(0)
  if (c0 >= 128 || (CHAR[c0]! & C_ALPHA) === 0) return fail(f, 0, 'URI must start with a scheme')
  let i = 1
  while (i < end) {
    const c = s.charCodeAt(i)
    if (c >= 128 || (CHAR[c]! & C_SCHEME) === 0) break
    i++
  }
  if (i >= end || s.charCodeAt(i) !== 0x3a) return fail(f, i, 'URI scheme not followed by ":"')
  const scheme = schemeName(s, i)
  i++
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(s, scheme, i, f)
  if (scheme === 'tel') return parseTelUri(s, i, f)
  // absoluteURI = scheme ":" ( hier-part / opaque-part ): uric characters only
  if (i >= end) return fail(f, i, 'empty URI after scheme')
  for (let k = i; k < end; k++) {
    const c = s.charCodeAt(k)
    if (c >= 128 || (CHAR[c]! & C_URIC) === 0) return fail(f, k, 'character not allowed in URI')
  }
  if (!escapesValid(s, i, end)) return fail(f, i, 'bad % escape')
  return {
    raw: s,
    scheme,
    user: null,
    userRaw: null,
    password: null,
    host: null,
    hostType: null,
    port: null,
    params: NO_PARAMS,
    headers: NO_PARAMS,
    opaque: s.slice(i),
  }
}

/** s[a, b) with %HH escapes decoded (validated first); null when an escape is malformed. */
function decoded(s: string, a: number, b: number, pct: boolean): string | null {
  if (!pct) return s.slice(a, b)
  if (!escapesValid(s, a, b)) return null
  return unescapePct(s.slice(a, b))
}

function parseSipUri(s: string, scheme: string, i: number, f?: ParseFailure): Uri | null {
  const end = s.length
  // most URIs have no escape at all: then no part needs decoding
  const pct = s.indexOf('%', i) >= 0
  let userRaw: string | null = null
  let user: string | null = null
  let password: string | null = null
  const at = s.indexOf('@', i)
  if (at >= 0) {
    const ue = runEnd(s, i, at, C_USER_CHARS)
    if (ue === i) return fail(f, i, 'empty user part')
    if (ue < at) {
      if (s.charCodeAt(ue) !== 0x3a) return fail(f, ue, 'character not allowed in user part')
      const pe = runEnd(s, ue + 1, at, C_PASSWORD_CHARS)
      if (pe !== at) return fail(f, pe, 'character not allowed in password')
      password = decoded(s, ue + 1, at, pct)
      if (password === null) return fail(f, ue + 1, 'bad % escape in password')
    }
    userRaw = s.slice(i, ue)
    user = pct ? decoded(s, i, ue, pct) : userRaw
    if (user === null) return fail(f, i, 'bad % escape in user part')
    i = at + 1
  }
  // hostport
  const hostStart = i
  if (i < end && s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i)
    if (close < 0) return fail(f, i, 'unterminated IPv6 reference')
    i = close + 1
  } else {
    while (i < end) {
      const c = s.charCodeAt(i)
      if (c >= 128 || (CHAR[c]! & C_HOST) === 0) break
      i++
    }
  }
  const type = hostType(s, hostStart, i)
  if (type === null) return fail(f, hostStart, 'invalid host')
  const host = s.slice(hostStart, i)
  let port: number | null = null
  if (i < end && s.charCodeAt(i) === 0x3a) {
    const ps = i + 1
    i = ps
    while (i < end && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++
    port = i - ps <= 5 ? parseUint(s, ps, i, 65535) : -1
    if (port < 0) return fail(f, ps, 'invalid port')
  }
  let params: Param[] | null = null
  while (i < end && s.charCodeAt(i) === 0x3b) {
    const ns = i + 1
    i = runEnd(s, ns, end, C_PARAM_CHARS)
    if (i === ns) return fail(f, ns, 'empty URI parameter')
    const rawName = pct ? decoded(s, ns, i, pct) : null
    if (pct && rawName === null) return fail(f, ns, 'bad % escape in URI parameter')
    const name = rawName === null ? lowerSlice(s, ns, i) : rawName.toLowerCase()
    let value: string | null = null
    if (i < end && s.charCodeAt(i) === 0x3d) {
      const vs = i + 1
      i = runEnd(s, vs, end, C_PARAM_CHARS)
      if (i === vs) return fail(f, vs, `URI parameter ${name} has '=' but no value`)
      value = decoded(s, vs, i, pct)
      if (value === null) return fail(f, vs, 'bad % escape in URI parameter')
    }
    if (params === null) params = [{ name, value }]
    else params.push({ name, value })
  }
  let headers: Param[] | null = null
  if (i < end && s.charCodeAt(i) === 0x3f) {
    headers = []
    do {
      const ns = i + 1
      i = runEnd(s, ns, end, C_HNV_CHARS)
      if (i === ns) return fail(f, ns, 'empty URI header name')
      if (i >= end || s.charCodeAt(i) !== 0x3d) return fail(f, i, 'URI header without "="')
      const vs = i + 1
      i = runEnd(s, vs, end, C_HNV_CHARS)
      const name = decoded(s, ns, vs - 1, pct)
      const value = decoded(s, vs, i, pct)
      if (name === null || value === null) return fail(f, ns, 'bad % escape in URI header')
      headers.push({ name, value })
    } while (i < end && s.charCodeAt(i) === 0x26)
  }
  if (i !== end) return fail(f, i, 'unexpected character in URI')
  return {
    raw: s,
    scheme,
    user,
    userRaw,
    password,
    host,
    hostType: type,
    port,
    params: params ?? NO_PARAMS,
    headers: headers ?? NO_PARAMS,
    opaque: null,
  }
}

function parseTelUri(s: string, i: number, f?: ParseFailure): Uri | null {
  const end = s.length
  const ns = i
  i = runEnd(s, i, end, C_PARAM_CHARS)
  if (i === ns) return fail(f, ns, 'empty telephone number')
  const userRaw = s.slice(ns, i)
  const params: Param[] = []
  while (i < end && s.charCodeAt(i) === 0x3b) {
    const ps = i + 1
    i = runEnd(s, ps, end, C_PARAM_CHARS)
    if (i === ps) return fail(f, ps, 'empty tel parameter')
    const name = unescapePct(s.slice(ps, i)).toLowerCase()
    let value: string | null = null
    if (i < end && s.charCodeAt(i) === 0x3d) {
      const vs = i + 1
      i = runEnd(s, vs, end, C_PARAM_CHARS)
      value = unescapePct(s.slice(vs, i))
    }
    params.push({ name, value })
  }
  if (i !== end) return fail(f, i, 'unexpected character in tel URI')
  if (!escapesValid(s, ns, end)) return fail(f, ns, 'bad % escape')
  return {
    raw: s,
    scheme: 'tel',
    user: unescapePct(userRaw),
    userRaw,
    password: null,
    host: null,
    hostType: null,
    port: null,
    params: params.length === 0 ? NO_PARAMS : params,
    headers: NO_PARAMS,
    opaque: null,
  }
}

/** Value of a URI parameter (lower-case name): a string, null for a flag, undefined if absent. */
export function uriParam(uri: Uri, name: string): string | null | undefined {
  for (const p of uri.params) if (p.name === name) return p.value
  return undefined
}
