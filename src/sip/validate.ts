// Full-mode validation: the checks that decide accept/reject (RFC 3261 grammar and §8.1.1 /
// §8.2 / §16.3 / §18.3 rules, RFC 4475 / RFC 5118 torture cases). Runs after the lazy pass,
// through the message's typed accessors so the parsed values stay cached for later use.
// Liberal where the torture RFCs ask for it, strict where a security gateway must not let
// two peers read one message differently (duplicate single headers, repeated digest params,
// NUL bytes outside quoted strings, headers smuggled in a Request-URI).

import { parseChallenge, parseCredentials } from './auth.js'
import {
  BACKSLASH as BACKSLASH_,
  C_TOKEN as C_TOKEN_,
  C_WORD as C_WORD_,
  CHAR as CHAR_,
  CR as CR_,
  DQUOTE as DQUOTE_,
  HT as HT_,
  LF as LF_,
} from './chars.js'
import { parseCSeq } from './cseq.js'
import { type SipErrorKind, SipParseError, sipError } from './errors.js'
import { canonicalName, H as H_, isSingleHeader } from './header-names.js'
import type { SipMessage } from './message.js'
import { type NameAddr, parseNameAddr, parseNameAddrList } from './name-addr.js'
import { newFailure, type ParseFailure } from './scan.js'
import { KNOWN_METHODS } from './status.js'
import { parseUri } from './uri.js'
import { parseViaList } from './via.js'

// Module-local copies: V8 reads an imported binding through its module cell on every use
// (measured ~30% slower in the byte loops); a local const is folded.
const BACKSLASH = BACKSLASH_
const C_TOKEN = C_TOKEN_
const C_WORD = C_WORD_
const CHAR = CHAR_
const CR = CR_
const DQUOTE = DQUOTE_
const HT = HT_
const LF = LF_
const H = H_

function lineError(
  msg: SipMessage,
  kind: SipErrorKind,
  index: number,
  f: ParseFailure | null,
  what: string,
): SipParseError {
  const line = msg.headerLines()[index]!
  const at = f === null ? line.valueStart : Math.min(line.valueStart + f.at, line.valueEnd)
  const reason = f === null ? '' : f.reason
  const detail = reason === '' ? what : what === '' ? reason : `${what}: ${reason}`
  return sipError(kind, at, !msg.isRequest, detail)
}

/** First line of `id` whose value `parse` rejects, with the failure filled in. */
function findBad(
  msg: SipMessage,
  id: number,
  parse: (s: string, f: ParseFailure) => unknown,
  f: ParseFailure,
): number {
  const lines = msg.headerLines()
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.id !== id) continue
    const v = msg.lineValue(i)
    if (id === H.CONTACT && v === '*') continue
    if (parse(v, f) === null) return i
  }
  return -1
}

function isCallId(v: string): boolean {
  if (v.length === 0) return false
  let at = -1
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i)
    if (c === 0x40) {
      if (at >= 0 || i === 0 || i === v.length - 1) return false
      at = i
      continue
    }
    if (c >= 128 || (CHAR[c]! & C_WORD) === 0) return false
  }
  return true
}

/** media-type = m-type SLASH m-subtype *(SEMI m-parameter), tokens; parameters loosely. */
function isMediaType(v: string): boolean {
  const slash = v.indexOf('/')
  if (slash <= 0) return false
  const semi = v.indexOf(';')
  const end = semi < 0 ? v.length : semi
  const type = v.slice(0, slash).trim()
  const sub = v.slice(slash + 1, end).trim()
  return isTokenString(type) && isTokenString(sub)
}

function isTokenString(s: string): boolean {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 128 || (CHAR[c]! & C_TOKEN) === 0) return false
  }
  return true
}

// Byte classes for the value scan: 0 plain, 1 forbidden control character, 2 CR, 3 DQUOTE,
// 4 backslash. LF is plain here: the parser only lets it through right after a CR.
const VALUE_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(256)
  for (let b = 0; b < 0x20; b++) t[b] = 1
  t[HT] = 0
  t[LF] = 0
  t[0x7f] = 1
  t[CR] = 2
  t[DQUOTE] = 3
  t[BACKSLASH] = 4
  return t
})()

/**
 * Headers whose every value the typed parsers below parse in full: their grammars admit no
 * control character (CR and LF included) outside quoted-pairs, so the byte scan skips them.
 */
const TYPED_IDS =
  (1 << H.VIA) |
  (1 << H.FROM) |
  (1 << H.TO) |
  (1 << H.CALL_ID) |
  (1 << H.CSEQ) |
  (1 << H.MAX_FORWARDS) |
  (1 << H.CONTENT_LENGTH) |
  (1 << H.CONTACT) |
  (1 << H.ROUTE) |
  (1 << H.RECORD_ROUTE) |
  (1 << H.AUTHORIZATION) |
  (1 << H.PROXY_AUTHORIZATION) |
  (1 << H.WWW_AUTHENTICATE) |
  (1 << H.PROXY_AUTHENTICATE)

/** set by valueProblem: the problem found is a CR without LF */
let bareCr = false

/**
 * Offset of the first byte that may not appear in a header value, or -1: a CR that does not
 * start a CRLF (continuation), or a control character outside a quoted-pair (RFC 3261 §25.1:
 * NUL and friends only as `\x00` inside a quoted string, RFC 4475 §3.1.1.2).
 */
function valueProblem(buf: Buffer, start: number, end: number): number {
  let quoted = false
  for (let i = start; i < end; i++) {
    const t = VALUE_CLASS[buf[i]!]!
    if (t === 0) continue
    if (t === 3) quoted = !quoted
    else if (t === 4) {
      const n = buf[i + 1]
      if (quoted && n !== CR && n !== LF) i++
    } else if (t === 2) {
      if (buf[i + 1] !== LF) {
        bareCr = true
        return i
      }
    } else {
      bareCr = false
      return i
    }
  }
  return -1
}

const AUTH_CHECKS: readonly (readonly [number, (s: string, f: ParseFailure) => unknown])[] = [
  [H.AUTHORIZATION, parseCredentials],
  [H.PROXY_AUTHORIZATION, parseCredentials],
  [H.WWW_AUTHENTICATE, parseChallenge],
  [H.PROXY_AUTHENTICATE, parseChallenge],
]

const ROUTE_CHECKS = [
  [H.ROUTE, 'Route'],
  [H.RECORD_ROUTE, 'Record-Route'],
] as const

export function validateMessage(msg: SipMessage, maxVias: number): SipParseError | null {
  const resp = !msg.isRequest
  const buf = msg.buf
  const lines = msg.headerLines()
  const f = newFailure()

  // start line
  const part = msg.startLinePart
  if (resp) {
    for (let i = part.start; i < part.end; i++) {
      const b = buf[i]!
      if ((b < 0x20 && b !== HT) || b === 0x7f)
        return sipError('BAD_START_LINE', i, true, 'control character in the reason phrase')
    }
  } else {
    const uri = msg.uri()
    if (uri === null) {
      parseUri(msg.requestUri ?? '', f)
      return sipError('BAD_REQUEST_URI', part.start + f.at, false, f.reason)
    }
    // RFC 3261 §19.1.1: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11)
    if (uri.headers.length > 0)
      return sipError(
        'BAD_REQUEST_URI',
        part.start + uri.raw.indexOf('?'),
        false,
        'headers are not allowed in a Request-URI',
      )
  }

  // duplicates of single-valued headers, CTL bytes in values
  let seen = 0
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const id = line.id
    if (id > 0 && id < 31 && isSingleHeader(id)) {
      const bit = 1 << id
      if ((seen & bit) !== 0) return sipError('DUPLICATE_HEADER', line.start, resp, canonicalName(id))
      seen |= bit
    }
    // values the typed parsers below check in full are not scanned twice
    if (id < 31 && (TYPED_IDS & (1 << id)) !== 0) continue
    const bad = valueProblem(buf, line.valueStart, line.valueEnd)
    if (bad >= 0) {
      if (bareCr) return sipError('BAD_LINE_END', bad, resp, 'CR without LF')
      return sipError('BAD_HEADER_VALUE', bad, resp, `control character in ${msg.lineName(i)}`)
    }
  }

  // mandatory headers (RFC 3261 §8.1.1; Max-Forwards tolerated missing for RFC 2543 peers)
  const missing =
    msg.iVia < 0
      ? H.VIA
      : msg.iFrom < 0
        ? H.FROM
        : msg.iTo < 0
          ? H.TO
          : msg.iCallId < 0
            ? H.CALL_ID
            : msg.iCSeq < 0
              ? H.CSEQ
              : 0
  if (missing !== 0) return sipError('MISSING_HEADER', msg.headerEnd, resp, canonicalName(missing))

  // typed values
  const vias = msg.vias()
  if (vias === null) return lineError(msg, 'BAD_VIA', findBad(msg, H.VIA, parseViaList, f), f, '')
  if (vias.length > maxVias)
    return sipError('TOO_MANY_VIAS', lines[msg.iVia]!.start, resp, `${vias.length} > ${maxVias} Via values`)
  const from = msg.from()
  if (from === null || from.uri === null) {
    parseNameAddr(msg.lineValue(msg.iFrom), f)
    return lineError(msg, 'BAD_ADDRESS', msg.iFrom, f, 'From')
  }
  const to = msg.to()
  if (to === null || to.uri === null) {
    parseNameAddr(msg.lineValue(msg.iTo), f)
    return lineError(msg, 'BAD_ADDRESS', msg.iTo, f, 'To')
  }
  if (!isCallId(msg.callId() ?? ''))
    return lineError(msg, 'BAD_CALL_ID', msg.iCallId, null, 'not word [@ word]')
  const cseq = msg.cseq()
  if (cseq === null) {
    parseCSeq(msg.lineValue(msg.iCSeq), f)
    return lineError(msg, 'BAD_CSEQ', msg.iCSeq, f, '')
  }
  if (msg.iMaxForwards >= 0 && msg.maxForwards() === null)
    return lineError(msg, 'BAD_MAX_FORWARDS', msg.iMaxForwards, null, 'not a number 0..255')
  if (!allUris(msg.contacts()))
    return lineError(msg, 'BAD_ADDRESS', findBad(msg, H.CONTACT, parseNameAddrList, f), f, 'Contact')
  for (const [id, name] of ROUTE_CHECKS) {
    const list = id === H.ROUTE ? msg.routes() : msg.recordRoutes()
    if (list === null || !allUris(list))
      return lineError(msg, 'BAD_ADDRESS', findBad(msg, id, parseNameAddrList, f), f, name)
    // route-param = name-addr: the URI must be in <> (its params would be ambiguous otherwise)
    for (const r of list) {
      if (!r.bracketed)
        return lineError(msg, 'BAD_ADDRESS', firstLine(msg, id), null, `${name} URI must be enclosed in <>`)
    }
  }
  for (const [id, parse] of AUTH_CHECKS) {
    if (msg.authValues(id).includes(null))
      return lineError(msg, 'BAD_AUTH', findBad(msg, id, parse, f), f, canonicalName(id))
  }
  const ct = firstLine(msg, H.CONTENT_TYPE)
  if (ct >= 0 && !isMediaType(msg.lineValue(ct)))
    return lineError(msg, 'BAD_CONTENT_TYPE', ct, null, 'not type/subtype')

  // RFC 3261 §8.2.x / RFC 4475 §3.1.2.17-18: CSeq method must match the request method.
  // For an unknown method 501 is the better answer (RFC 4475 §3.1.2.18).
  if (!resp && cseq.method !== msg.method) {
    const status = KNOWN_METHODS.has(msg.method ?? '') ? 400 : 501
    const at = msg.headerLines()[msg.iCSeq]!.valueStart
    return new SipParseError('CSEQ_MISMATCH', at, `CSeq ${cseq.method} vs ${msg.method}`, status)
  }
  return null
}

/** Every address of the list has a well-formed URI (forces the lazily parsed URIs). */
function allUris(list: readonly NameAddr[] | null): boolean {
  if (list === null) return false
  for (let i = 0; i < list.length; i++) if (list[i]!.uri === null) return false
  return true
}

function firstLine(msg: SipMessage, id: number): number {
  const lines = msg.headerLines()
  for (let i = 0; i < lines.length; i++) if (lines[i]!.id === id) return i
  return -1
}
