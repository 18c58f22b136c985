// name-addr / addr-spec with header parameters (RFC 3261 §20.10, §25.1): From, To, Contact,
// Route, Record-Route, Reply-To, Refer-To, P-Asserted-Identity …
//   ( name-addr / addr-spec ) *( SEMI param )
//   name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
//   display-name = *(token LWS) / quoted-string
// RFC 4475 §3.1.1.6: a token display name directly followed by '<' is accepted.

import {
  COMMA as COMMA_,
  DQUOTE as DQUOTE_,
  HT as HT_,
  LAQUOT as LAQUOT_,
  SEMI as SEMI_,
  SP as SP_,
} from './chars.js'
import {
  fail,
  lazyParams,
  nextParam,
  P,
  type Param,
  type ParseFailure,
  paramName,
  paramValue,
  quotedEnd,
  skipLws,
  tokenEnd,
  unquote,
} from './scan.js'
import { parseUri, type Uri } from './uri.js'

// Module-local copies: V8 reads an imported binding through its module cell on every use
// (measured ~30% slower in the byte loops); a local const is folded.
const COMMA = COMMA_
const DQUOTE = DQUOTE_
const HT = HT_
const LAQUOT = LAQUOT_
const SEMI = SEMI_
const SP = SP_

/**
 * One address with its header parameters. The URI is parsed on first use of `uri` when the
 * address came from a lazily parsed message; parseNameAddr() parses it at once.
 */
export class NameAddr {
  /** display name: quotes removed and quoted-pairs decoded; null when absent */
  readonly displayName: string | null
  /** the URI as written (without the <>) */
  readonly uriText: string
  /** true when written as `<uri>` (name-addr), false for a bare addr-spec */
  readonly bracketed: boolean
  /** the `tag` parameter, or null */
  readonly tag: string | null
  #uri: Uri | null | undefined
  #text: string
  #paramsStart: number
  #paramsEnd: number
  #params: readonly Param[] | undefined

  /** @internal built by the parsers below */
  constructor(
    displayName: string | null,
    uriText: string,
    bracketed: boolean,
    tag: string | null,
    uri: Uri | undefined,
    text: string,
    paramsStart: number,
    paramsEnd: number,
  ) {
    this.displayName = displayName
    this.uriText = uriText
    this.bracketed = bracketed
    this.tag = tag
    this.#uri = uri
    this.#text = text
    this.#paramsStart = paramsStart
    this.#paramsEnd = paramsEnd
    this.#params = undefined
  }

  /** header parameters (after the URI) in order, names lower-cased, values unquoted */
  get params(): readonly Param[] {
    this.#params ??=
      this.#paramsStart === this.#paramsEnd
        ? NO_PARAMS
        : lazyParams(this.#text, this.#paramsStart, this.#paramsEnd)
    return this.#params
  }

  /** The parsed URI; null when it is not well-formed (full-mode messages never have that). */
  get uri(): Uri | null {
    if (this.#uri === undefined) this.#uri = parseUri(this.uriText)
    return this.#uri
  }

  toJSON(): object {
    return {
      displayName: this.displayName,
      uri: this.uri,
      bracketed: this.bracketed,
      params: this.params,
      tag: this.tag,
    }
  }
}

const NO_PARAMS: readonly Param[] = Object.freeze([])

/** Index just after the element parsed by parseNameAddrAt. */
let elementEnd = 0

/** strict: parse and validate the URI now; otherwise only find its extent. */
function parseNameAddrAt(
  s: string,
  i: number,
  end: number,
  strict: boolean,
  f?: ParseFailure,
): NameAddr | null {
  i = skipLws(s, i, end)
  if (i >= end) return fail(f, i, 'empty address')
  let displayName: string | null = null
  const c = s.charCodeAt(i)
  if (c === DQUOTE) {
    const q = quotedEnd(s, i, end)
    if (q < 0) return fail(f, i, 'unterminated quoted display name')
    displayName = unquote(s, i, q)
    i = skipLws(s, q, end)
    if (i >= end || s.charCodeAt(i) !== LAQUOT) return fail(f, i, 'quoted display name not followed by <')
  } else if (c !== LAQUOT) {
    // either `token *(LWS token) <uri>` or an addr-spec starting with `scheme:`
    const first = tokenEnd(s, i, end)
    if (first < end && s.charCodeAt(first) === 0x3a && first > i) return parseAddrSpec(s, i, end, strict, f)
    let j = i
    let last = i
    for (;;) {
      const t = tokenEnd(s, j, end)
      if (t === j) break
      last = t
      j = skipLws(s, t, end)
    }
    if (last === i || j >= end || s.charCodeAt(j) !== LAQUOT)
      return fail(f, last, 'display name must be tokens or a quoted string followed by <uri>')
    displayName = s.slice(i, last)
    i = j
  }
  // s[i] === '<'
  const close = s.indexOf('>', i + 1)
  if (close < 0 || close >= end) return fail(f, i, 'missing > after URI')
  const uriText = s.slice(i + 1, close)
  let uri: Uri | undefined
  if (strict) {
    const parsed = parseUri(uriText, f)
    if (parsed === null) {
      if (f !== undefined) f.at += i + 1
      return null
    }
    uri = parsed
  }
  return finish(s, close + 1, end, displayName, uriText, uri, true, f)
}

function parseAddrSpec(
  s: string,
  i: number,
  end: number,
  strict: boolean,
  f?: ParseFailure,
): NameAddr | null {
  // without <>, the URI ends at the first ';' (header params), ',' (next element) or LWS
  let e = i
  while (e < end) {
    const c = s.charCodeAt(e)
    if (c === SEMI || c === COMMA || c === SP || c === HT) break
    e++
  }
  const uriText = s.slice(i, e)
  const q = uriText.indexOf('?')
  if (q >= 0) return fail(f, i + q, 'a URI with headers must be enclosed in <>')
  let uri: Uri | undefined
  if (strict) {
    const parsed = parseUri(uriText, f)
    if (parsed === null) {
      if (f !== undefined) f.at += i
      return null
    }
    uri = parsed
  }
  return finish(s, e, end, null, uriText, uri, false, f)
}

function finish(
  s: string,
  i: number,
  end: number,
  displayName: string | null,
  uriText: string,
  uri: Uri | undefined,
  bracketed: boolean,
  f: ParseFailure | undefined,
): NameAddr | null {
  // parameters are validated here and kept as text; only the tag is read now
  const paramsStart = i
  let tag: string | null = null
  for (;;) {
    const r = nextParam(s, i, end, f)
    if (r < 0) return null
    if (r === 0) break
    i = P.next
    if (tag === null && P.nameEnd - P.nameStart === 3 && paramName(s, P.nameStart, P.nameEnd) === 'tag')
      tag = paramValue(s)
  }
  elementEnd = P.next
  return new NameAddr(displayName, uriText, bracketed, tag, uri, s, paramsStart, i)
}

function single(s: string, strict: boolean, f?: ParseFailure): NameAddr | null {
  const na = parseNameAddrAt(s, 0, s.length, strict, f)
  if (na === null) return null
  const e = skipLws(s, elementEnd, s.length)
  if (e !== s.length) return fail(f, e, 'unexpected text after address')
  return na
}

function list(s: string, strict: boolean, f?: ParseFailure): NameAddr[] | null {
  const out: NameAddr[] = []
  const end = s.length
  let i = 0
  for (;;) {
    const na = parseNameAddrAt(s, i, end, strict, f)
    if (na === null) return null
    out.push(na)
    i = skipLws(s, elementEnd, end)
    if (i >= end) return out
    if (s.charCodeAt(i) !== COMMA) return fail(f, i, 'expected "," between addresses')
    i++
  }
}

/** Parses one address with its parameters (From, To, Refer-To …); the whole string must match. */
export function parseNameAddr(s: string, f?: ParseFailure): NameAddr | null {
  return single(s, true, f)
}

/** Parses a comma-separated list of addresses (Contact, Route, Record-Route, Path …). */
export function parseNameAddrList(s: string, f?: ParseFailure): NameAddr[] | null {
  return list(s, true, f)
}

/** Like parseNameAddr, but the URI is only delimited here and parsed on first use of `uri`. */
export function scanNameAddr(s: string, f?: ParseFailure): NameAddr | null {
  return single(s, false, f)
}

/** Like parseNameAddrList, with URIs parsed on first use. */
export function scanNameAddrList(s: string, f?: ParseFailure): NameAddr[] | null {
  return list(s, false, f)
}
