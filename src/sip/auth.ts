// Authorization / Proxy-Authorization credentials and WWW-Authenticate / Proxy-Authenticate
// challenges (RFC 3261 §20.7, §25.1; RFC 2617; RFC 7616 digest fields incl. SHA-256(-sess),
// username* and userhash; RFC 8760). Other schemes keep their parameters (or token68) so a
// proxy can forward them untouched (RFC 4475 §3.3.7).
//   credentials = auth-scheme LWS auth-param *(COMMA auth-param) / auth-scheme LWS token68
//   auth-param  = token EQUAL ( token / quoted-string )
// One header line carries exactly one credentials/challenge value: these headers are not
// comma-combinable lists (RFC 3261 §7.3.1).

import {
  C_HEX as C_HEX_,
  CHAR as CHAR_,
  COMMA as COMMA_,
  CR as CR_,
  DQUOTE as DQUOTE_,
  HT as HT_,
  LF as LF_,
  SP as SP_,
} from './chars.js'
import {
  fail,
  lowerSlice,
  type ParseFailure,
  quotedEnd,
  skipLws,
  tokenEnd,
  unescapePct,
  unquote,
} from './scan.js'

// Module-local copies: V8 reads an imported binding through its module cell on every use
// (measured ~30% slower in the byte loops); a local const is folded.
const C_HEX = C_HEX_
const CHAR = CHAR_
const COMMA = COMMA_
const CR = CR_
const DQUOTE = DQUOTE_
const HT = HT_
const LF = LF_
const SP = SP_

export interface AuthParam {
  /** lower-cased name */
  readonly name: string
  /** value with quotes removed and quoted-pairs decoded */
  readonly value: string
  /** true when the value was a quoted-string */
  readonly quoted: boolean
}

interface AuthBase {
  /** scheme as written (compare case-insensitively), e.g. `Digest` */
  readonly scheme: string
  readonly params: readonly AuthParam[]
  /** for schemes such as Basic or Bearer that carry one opaque token */
  readonly token68: string | null
  readonly realm: string | null
  readonly nonce: string | null
  readonly opaque: string | null
  readonly algorithm: string | null
  readonly userhash: boolean | null
}

/** Authorization / Proxy-Authorization value. */
export interface Credentials extends AuthBase {
  readonly username: string | null
  /** RFC 7616 `username*` (RFC 5987 ext-value), decoded */
  readonly usernameStar: string | null
  readonly uri: string | null
  readonly response: string | null
  readonly cnonce: string | null
  readonly qop: string | null
  readonly nc: string | null
}

/** WWW-Authenticate / Proxy-Authenticate value. */
export interface Challenge extends AuthBase {
  /** `domain`: space-separated URIs */
  readonly domain: readonly string[] | null
  readonly stale: boolean | null
  /** `qop` options, e.g. ['auth', 'auth-int'] */
  readonly qop: readonly string[] | null
  readonly charset: string | null
}

function unquotedValueEnd(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i)
    if (c === SP || c === HT || c === CR || c === LF || c === COMMA || c === DQUOTE || c < 0x20 || c === 0x7f)
      break
    i++
  }
  return i
}

function isToken68(s: string, i: number, end: number): boolean {
  if (i >= end) return false
  let k = i
  while (k < end) {
    const c = s.charCodeAt(k)
    const ok =
      (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      c === 0x2d ||
      c === 0x2e ||
      c === 0x5f ||
      c === 0x7e ||
      c === 0x2b ||
      c === 0x2f
    if (!ok) break
    k++
  }
  if (k === i) return false
  while (k < end && s.charCodeAt(k) === 0x3d) k++
  return skipLws(s, k, end) === end
}

function isDigestScheme(s: string, a: number, b: number): boolean {
  if (b - a !== 6) return false
  const w = 'digest'
  for (let i = 0; i < 6; i++) if ((s.charCodeAt(a + i) | 0x20) !== w.charCodeAt(i)) return false
  return true
}

// Bit per digest parameter: a repeated one is rejected (two `response=` values would let the
// gateway and the PBX check different credentials).
const DIGEST_BITS: Readonly<Record<string, number>> = {
  username: 1,
  'username*': 2,
  realm: 4,
  nonce: 8,
  uri: 16,
  response: 32,
  algorithm: 64,
  cnonce: 128,
  opaque: 256,
  qop: 512,
  nc: 1024,
  userhash: 2048,
  domain: 4096,
  stale: 8192,
  charset: 16384,
}

/** Scratch of the last parseAuth call (module-level: no per-call allocation). */
const scratch = {
  scheme: '',
  params: [] as AuthParam[],
  token68: null as string | null,
}

/** Parses `scheme params` into `scratch`; false (and `f` filled) when malformed. */
function parseAuth(s: string, f: ParseFailure | undefined): boolean {
  const end = s.length
  let i = skipLws(s, 0, end)
  const ss = i
  i = tokenEnd(s, i, end)
  if (i === ss) return fail(f, ss, 'missing auth scheme') !== null
  const digest = isDigestScheme(s, ss, i)
  scratch.scheme = s.slice(ss, i)
  scratch.token68 = null
  const params: AuthParam[] = []
  scratch.params = params
  const ws = i
  i = skipLws(s, i, end)
  if (i >= end) return digest ? fail(f, i, 'Digest without parameters') !== null : true
  if (i === ws) return fail(f, i, 'expected white space after auth scheme') !== null
  // token68 (Basic, Bearer …): the whole rest is one token, maybe with '=' padding
  if (!digest && isToken68(s, i, end)) {
    let e = end
    while (e > i && s.charCodeAt(e - 1) <= SP) e--
    scratch.token68 = s.slice(i, e)
    return true
  }
  let seen = 0
  for (;;) {
    const ns = i
    i = tokenEnd(s, i, end)
    const ne = i
    i = skipLws(s, i, end)
    if (ne === ns || i >= end || s.charCodeAt(i) !== 0x3d)
      return fail(f, ns, 'expected name=value auth parameter') !== null
    const name = lowerSlice(s, ns, ne)
    if (digest) {
      const bit = DIGEST_BITS[name] ?? 0
      if ((seen & bit) !== 0) return fail(f, ns, `repeated ${name} parameter`) !== null
      seen |= bit
    }
    i = skipLws(s, i + 1, end)
    if (i < end && s.charCodeAt(i) === DQUOTE) {
      const q = quotedEnd(s, i, end)
      if (q < 0) return fail(f, i, `unterminated quoted value of ${name}`) !== null
      params.push({ name, value: unquote(s, i, q), quoted: true })
      i = q
    } else {
      const vs = i
      i = unquotedValueEnd(s, i, end)
      if (i === vs) return fail(f, vs, `missing value of ${name}`) !== null
      params.push({ name, value: s.slice(vs, i), quoted: false })
    }
    i = skipLws(s, i, end)
    if (i >= end) break
    if (s.charCodeAt(i) !== COMMA) return fail(f, i, 'expected "," between auth parameters') !== null
    // empty list elements (",,") are tolerated, as HTTP #rule recipients must
    while (i < end && (s.charCodeAt(i) === COMMA || s.charCodeAt(i) <= SP)) i++
    if (i >= end) break
  }
  return true
}

function bool(v: string | null): boolean | null {
  if (v === null) return null
  const l = v.toLowerCase()
  return l === 'true' ? true : l === 'false' ? false : null
}

/** RFC 5987 ext-value: charset'language'pct-encoded. */
function decodeExtValue(v: string | null): string | null {
  if (v === null) return null
  const a = v.indexOf("'")
  const b = a < 0 ? -1 : v.indexOf("'", a + 1)
  if (b < 0) return null
  const charset = v.slice(0, a).toLowerCase()
  const text = v.slice(b + 1)
  if (charset === 'iso-8859-1')
    return text.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
  return unescapePct(text)
}

function isNc(v: string): boolean {
  if (v.length !== 8) return false
  for (let i = 0; i < 8; i++) {
    const c = v.charCodeAt(i)
    if (c >= 128 || (CHAR[c]! & C_HEX) === 0) return false
  }
  return true
}

/** Parses an Authorization or Proxy-Authorization value. */
export function parseCredentials(s: string, f?: ParseFailure): Credentials | null {
  if (!parseAuth(s, f)) return null
  const params = scratch.params
  let username: string | null = null
  let usernameStarRaw: string | null = null
  let realm: string | null = null
  let nonce: string | null = null
  let uri: string | null = null
  let response: string | null = null
  let algorithm: string | null = null
  let cnonce: string | null = null
  let opaque: string | null = null
  let qop: string | null = null
  let nc: string | null = null
  let userhash: string | null = null
  for (let k = 0; k < params.length; k++) {
    const p = params[k]!
    switch (p.name) {
      case 'username':
        username ??= p.value
        break
      case 'username*':
        usernameStarRaw ??= p.value
        break
      case 'realm':
        realm ??= p.value
        break
      case 'nonce':
        nonce ??= p.value
        break
      case 'uri':
        uri ??= p.value
        break
      case 'response':
        response ??= p.value
        break
      case 'algorithm':
        algorithm ??= p.value
        break
      case 'cnonce':
        cnonce ??= p.value
        break
      case 'opaque':
        opaque ??= p.value
        break
      case 'qop':
        qop ??= p.value
        break
      case 'nc':
        nc ??= p.value
        break
      case 'userhash':
        userhash ??= p.value
        break
    }
  }
  if (username !== null && usernameStarRaw !== null)
    return fail(f, 0, 'username and username* must not both be present (RFC 7616)')
  const usernameStar = decodeExtValue(usernameStarRaw)
  if (usernameStarRaw !== null && usernameStar === null) return fail(f, 0, 'malformed username*')
  if (nc !== null && !isNc(nc)) return fail(f, 0, 'nc must be 8 hex digits')
  return {
    scheme: scratch.scheme,
    params,
    token68: scratch.token68,
    realm,
    nonce,
    opaque,
    algorithm,
    userhash: bool(userhash),
    username,
    usernameStar,
    uri,
    response,
    cnonce,
    qop,
    nc,
  }
}

function splitOn(v: string | null, sep: RegExp): string[] | null {
  if (v === null) return null
  return v.split(sep).filter((x) => x.length > 0)
}

/** Parses a WWW-Authenticate or Proxy-Authenticate value. */
export function parseChallenge(s: string, f?: ParseFailure): Challenge | null {
  if (!parseAuth(s, f)) return null
  const params = scratch.params
  let realm: string | null = null
  let nonce: string | null = null
  let opaque: string | null = null
  let algorithm: string | null = null
  let userhash: string | null = null
  let domain: string | null = null
  let stale: string | null = null
  let qop: string | null = null
  let charset: string | null = null
  for (let k = 0; k < params.length; k++) {
    const p = params[k]!
    switch (p.name) {
      case 'realm':
        realm ??= p.value
        break
      case 'nonce':
        nonce ??= p.value
        break
      case 'opaque':
        opaque ??= p.value
        break
      case 'algorithm':
        algorithm ??= p.value
        break
      case 'userhash':
        userhash ??= p.value
        break
      case 'domain':
        domain ??= p.value
        break
      case 'stale':
        stale ??= p.value
        break
      case 'qop':
        qop ??= p.value
        break
      case 'charset':
        charset ??= p.value
        break
    }
  }
  return {
    scheme: scratch.scheme,
    params,
    token68: scratch.token68,
    realm,
    nonce,
    opaque,
    algorithm,
    userhash: bool(userhash),
    domain: splitOn(domain, /\s+/),
    stale: bool(stale),
    qop: splitOn(qop, /\s*,\s*/),
    charset,
  }
}
