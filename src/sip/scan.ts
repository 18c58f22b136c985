// Small scanning helpers shared by the typed header parsers. They work on JS strings (header
// values already unfolded) by char code and index, without regular expressions.

import {
  BACKSLASH as BACKSLASH_,
  C_HEX as C_HEX_,
  C_TOKEN as C_TOKEN_,
  CHAR as CHAR_,
  COMMA as COMMA_,
  CR as CR_,
  DQUOTE as DQUOTE_,
  HT as HT_,
  LAQUOT as LAQUOT_,
  LF as LF_,
  RAQUOT as RAQUOT_,
  SEMI as SEMI_,
  SP as SP_,
} from './chars.js'

// Module-local copies: V8 reads an imported binding through its module cell on every use
// (measured ~30% slower in the byte loops); a local const is folded.
const BACKSLASH = BACKSLASH_
const C_HEX = C_HEX_
const C_TOKEN = C_TOKEN_
const CHAR = CHAR_
const COMMA = COMMA_
const CR = CR_
const DQUOTE = DQUOTE_
const HT = HT_
const LAQUOT = LAQUOT_
const LF = LF_
const RAQUOT = RAQUOT_
const SEMI = SEMI_
const SP = SP_

/** Where and why a typed parser gave up. Pass one in to learn the reason; parsers never throw. */
export interface ParseFailure {
  /** index in the parsed string */
  at: number
  reason: string
}

export function newFailure(): ParseFailure {
  return { at: 0, reason: '' }
}

export function fail(f: ParseFailure | undefined, at: number, reason: string): null {
  if (f !== undefined) {
    f.at = at
    f.reason = reason
  }
  return null
}

/** A `name[=value]` parameter. Names are lower-cased; values are unquoted and unescaped. */
export interface Param {
  readonly name: string
  readonly value: string | null
}

/** First value of the parameter `name` (lower case), or undefined when absent. */
export function getParam(params: readonly Param[], name: string): string | null | undefined {
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!
    if (p.name === name) return p.value
  }
  return undefined
}

/**
 * Skips white space (SP, HT). Values reach the typed parsers unfolded, so a CR or LF left in
 * one is a bare CR/LF, which is never white space: treating it as such would let a peer that
 * reads it as a line break see a different message (header smuggling).
 */
export function skipLws(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i)
    if (c !== SP && c !== HT) break
    i++
  }
  return i
}

export function tokenEnd(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i)
    if (c >= 128 || (CHAR[c]! & C_TOKEN) === 0) break
    i++
  }
  return i
}

/**
 * s[i] is a DQUOTE: returns the index after the closing quote, or -1 when the string is not
 * terminated or holds a raw control character, CR and LF included (RFC 3261 qdtext /
 * quoted-pair; the value is unfolded already).
 */
export function quotedEnd(s: string, i: number, end: number): number {
  i++
  while (i < end) {
    const c = s.charCodeAt(i)
    if (c === DQUOTE) return i + 1
    if (c === BACKSLASH) {
      if (i + 1 >= end) return -1
      const n = s.charCodeAt(i + 1)
      if (n === CR || n === LF || n > 0x7f) return -1
      i += 2
      continue
    }
    if ((c < 0x20 && c !== HT) || c === 0x7f) return -1
    i++
  }
  return -1
}

/** Content of the quoted string s[start, end) (quotes included) with quoted-pairs decoded. */
export function unquote(s: string, start: number, end: number): string {
  const inner = s.slice(start + 1, end - 1)
  if (inner.indexOf('\\') < 0) return inner
  let out = ''
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!
    if (ch === '\\' && i + 1 < inner.length) {
      out += inner[i + 1]
      i++
    } else out += ch
  }
  return out
}

/**
 * Splits a list value at top-level commas (not inside a quoted string nor inside <...>), and
 * trims each element. Empty elements are kept as '' so a validator can reject them.
 */
export function splitList(s: string): string[] {
  const out: string[] = []
  const end = s.length
  let start = 0
  let i = 0
  let angle = false
  while (i < end) {
    const c = s.charCodeAt(i)
    if (c === DQUOTE && !angle) {
      const q = quotedEnd(s, i, end)
      if (q < 0) break
      i = q
      continue
    }
    if (c === LAQUOT) angle = true
    else if (c === RAQUOT) angle = false
    else if (c === COMMA && !angle) {
      out.push(s.slice(start, i).trim())
      start = i + 1
    }
    i++
  }
  out.push(s.slice(start).trim())
  return out
}

/** Value chars of a generic parameter: token plus the host chars ':' '[' ']' (IPv6). */
function genValueEnd(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i)
    if (c >= 128) break
    if ((CHAR[c]! & C_TOKEN) === 0 && c !== 0x3a && c !== 0x5b && c !== 0x5d) break
    i++
  }
  return i
}

// Parameter names seen on nearly every message, interned so parsing them allocates nothing.
const COMMON_PARAMS = [
  'tag',
  'branch',
  'rport',
  'received',
  'lr',
  'transport',
  'user',
  'maddr',
  'ttl',
  'expires',
  'q',
]

/** Lower-cased parameter name s[start, end); the common ones are interned strings. */
export function paramName(s: string, start: number, end: number): string {
  const n = end - start
  for (let k = 0; k < COMMON_PARAMS.length; k++) {
    const w = COMMON_PARAMS[k]!
    if (w.length !== n) continue
    let i = 0
    while (i < n && (s.charCodeAt(start + i) | 0x20) === w.charCodeAt(i)) i++
    if (i === n) return w
  }
  return lowerSlice(s, start, end)
}

/** s.slice(start, end) lower-cased, without a second allocation when it has no upper case. */
export function lowerSlice(s: string, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x41 && c <= 0x5a) return s.slice(start, end).toLowerCase()
  }
  return s.slice(start, end)
}

/** Where nextParam() found the parameter (module-level, so the scan allocates nothing). */
export const P = {
  nameStart: 0,
  nameEnd: 0,
  /** value range, -1 when the parameter has no value; a quoted value includes its quotes */
  valueStart: -1,
  valueEnd: -1,
  /** where to continue: after the parameter, or (when none was found) at the non-';' char */
  next: 0,
}

/**
 * Scans one `SEMI generic-param` at i (RFC 3261: generic-param = token [ EQUAL gen-value ],
 * gen-value = token / host / quoted-string, LWS allowed around ';' and '='). Returns 1 and
 * fills P when it found one, 0 when the next non-LWS char is not ';' (P.next is there), and
 * -1 for a malformed parameter.
 */
export function nextParam(s: string, i: number, end: number, f?: ParseFailure): number {
  i = skipLws(s, i, end)
  if (i >= end || s.charCodeAt(i) !== SEMI) {
    P.next = i
    return 0
  }
  i = skipLws(s, i + 1, end)
  const nameStart = i
  i = tokenEnd(s, i, end)
  if (i === nameStart) {
    fail(f, i, 'empty parameter')
    return -1
  }
  P.nameStart = nameStart
  P.nameEnd = i
  const j = skipLws(s, i, end)
  if (j < end && s.charCodeAt(j) === 0x3d) {
    i = skipLws(s, j + 1, end)
    const vs = i
    if (i < end && s.charCodeAt(i) === DQUOTE) {
      i = quotedEnd(s, i, end)
      if (i < 0) {
        fail(f, vs, 'unterminated quoted parameter value')
        return -1
      }
    } else {
      i = genValueEnd(s, i, end)
      if (i === vs) {
        fail(f, i, `parameter ${s.slice(nameStart, P.nameEnd)} has '=' but no value`)
        return -1
      }
    }
    P.valueStart = vs
    P.valueEnd = i
  } else {
    P.valueStart = -1
    P.valueEnd = -1
  }
  P.next = i
  return 1
}

/** Value of the parameter nextParam() just found: unquoted, or null when it has none. */
export function paramValue(s: string): string | null {
  const vs = P.valueStart
  if (vs < 0) return null
  return s.charCodeAt(vs) === DQUOTE ? unquote(s, vs, P.valueEnd) : s.slice(vs, P.valueEnd)
}

/**
 * Parses `*( SEMI generic-param )` from i into out. Returns the index of the first char
 * that does not continue the parameters (after LWS), or -1 on a malformed parameter.
 */
export function parseParams(s: string, i: number, end: number, out: Param[], f?: ParseFailure): number {
  for (;;) {
    const r = nextParam(s, i, end, f)
    if (r < 0) return -1
    if (r === 0) return P.next
    out.push({ name: paramName(s, P.nameStart, P.nameEnd), value: paramValue(s) })
    i = P.next
  }
}

/** A list of parameters kept as text and parsed into Param objects only when read. */
export function lazyParams(s: string, start: number, end: number): Param[] {
  const out: Param[] = []
  parseParams(s, start, end, out)
  return out
}

/** Parses 1*DIGIT in s[start, end) as a number; -1 if empty, not digits, or above max. */
export function parseUint(s: string, start: number, end: number, max: number): number {
  if (start >= end) return -1
  let v = 0
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i) - 0x30
    if (c < 0 || c > 9) return -1
    v = v * 10 + c
    if (v > max) return -1
  }
  return v
}

/** %HH escapes decoded once (never recursively). UTF-8 when the bytes are valid UTF-8. */
export function unescapePct(s: string): string {
  const first = s.indexOf('%')
  if (first < 0) return s
  const bytes: number[] = []
  let ascii = true
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x25 && i + 2 < s.length && isHexAt(s, i + 1) && isHexAt(s, i + 2)) {
      const b = Number.parseInt(s.slice(i + 1, i + 3), 16)
      if (b >= 0x80) ascii = false
      bytes.push(b)
      i += 2
    } else if (c < 0x80) {
      bytes.push(c)
    } else {
      ascii = false
      const cp = s.codePointAt(i)!
      if (cp > 0xffff) i++
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b)
    }
  }
  const buf = Buffer.from(bytes)
  if (ascii) return buf.toString('latin1')
  try {
    return UTF8.decode(buf)
  } catch {
    return buf.toString('latin1')
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

function isHexAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i)
  return c < 128 && (CHAR[c]! & C_HEX) !== 0
}

/** True when every '%' in s[start, end) starts a valid %HH escape. */
export function escapesValid(s: string, start: number, end: number): boolean {
  for (let i = s.indexOf('%', start); i >= 0 && i < end; i = s.indexOf('%', i + 1)) {
    if (i + 2 >= end || !isHexAt(s, i + 1) || !isHexAt(s, i + 2)) return false
  }
  return true
}
