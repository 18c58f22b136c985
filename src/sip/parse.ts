// SIP message parser (RFC 3261 §7, §25). Works on bytes: buf.indexOf for line ends, a byte
// table for token chars, an interned-name table for header names, no regular expressions
// and no string building on the lazy path except the method name of rare methods.
//
// lazy (default): framing, start line, an index of every header line, and the routing
//   headers (Via, From, To, Call-ID, CSeq, Max-Forwards, Content-Length, Contact) located.
// full: additionally parses every header the validator knows into typed values and applies
//   the checks that decide accept/reject for the RFC 4475 / RFC 5118 torture corpus.
//
// A rejection is a value (ParseResult.ok === false), never an exception.

import {
  C_ALPHA as C_ALPHA_,
  C_SCHEME as C_SCHEME_,
  CHAR as CHAR_,
  CR as CR_,
  HT as HT_,
  LF as LF_,
  LOWER as LOWER_,
  SP as SP_,
  TOKEN_BYTE as TOKEN_BYTE_,
} from './chars.js'
import { type SipErrorKind, type SipParseError, sipError } from './errors.js'
import { H as H_, headerIdFromBytes } from './header-names.js'
import { HeaderLine, SipMessage } from './message.js'
import { methodName } from './methods.js'
import { validateMessage } from './validate.js'

// Module-local copies: V8 reads an imported binding through its module cell on every use
// (measured ~30% slower in the byte loops); a local const is folded.
const C_ALPHA = C_ALPHA_
const C_SCHEME = C_SCHEME_
const CHAR = CHAR_
const CR = CR_
const HT = HT_
const LF = LF_
const LOWER = LOWER_
const SP = SP_
const TOKEN_BYTE = TOKEN_BYTE_
const H = H_

export interface SipLimits {
  /** whole message (datagram or framed stream message), bytes */
  readonly maxMessageBytes: number
  /** start line without CRLF, bytes (mostly the Request-URI) */
  readonly maxStartLineBytes: number
  /** start line + header section + empty line, bytes */
  readonly maxHeaderBytes: number
  /** header fields (lines, continuation lines not counted) */
  readonly maxHeaders: number
  /** one header field including its continuation lines and CRLFs, bytes */
  readonly maxHeaderLineBytes: number
  /** Via values (lazy mode counts Via lines, full mode counts comma-separated values) */
  readonly maxVias: number
  /** Content-Length value, bytes */
  readonly maxBodyBytes: number
}

/** Defaults: a whole UDP datagram fits; real-world messages sit far below every cap. */
export const DEFAULT_LIMITS: Readonly<SipLimits> = Object.freeze({
  maxMessageBytes: 65535,
  maxStartLineBytes: 4096,
  maxHeaderBytes: 32768,
  maxHeaders: 256,
  maxHeaderLineBytes: 8192,
  maxVias: 70,
  maxBodyBytes: 65535,
})

export type ParseMode = 'lazy' | 'full'
export type Framing = 'datagram' | 'stream'

export interface ParseOptions extends Partial<SipLimits> {
  /** 'lazy' (default) or 'full' (typed parse + validation) */
  readonly mode?: ParseMode
  /**
   * 'datagram' (default): a Content-Length beyond the datagram is an error, bytes after the
   * body are ignored, no Content-Length means the body is the rest of the datagram.
   * 'stream': Content-Length is mandatory; `buf` should be one framed message.
   */
  readonly framing?: Framing
}

export type ParseResult =
  { readonly ok: true; readonly message: SipMessage } | { readonly ok: false; readonly error: SipParseError }

function err(kind: SipErrorKind, offset: number, isResponse: boolean, detail?: string): ParseResult {
  return { ok: false, error: sipError(kind, offset, isResponse, detail) }
}

/** `SIP/` at i, case-insensitive ("SIP" is a case-insensitive literal in the ABNF). */
function isSipSlash(buf: Buffer, i: number, end: number): boolean {
  return (
    end - i >= 4 &&
    LOWER[buf[i]!] === 0x73 &&
    LOWER[buf[i + 1]!] === 0x69 &&
    LOWER[buf[i + 2]!] === 0x70 &&
    buf[i + 3] === 0x2f
  )
}

/** Returns 1 for SIP/2.0, 0 for another SIP/x.y, -1 when not a SIP-Version at all. */
function versionAt(buf: Buffer, i: number, end: number): number {
  if (!isSipSlash(buf, i, end)) return -1
  let k = i + 4
  const ms = k
  while (k < end && buf[k]! >= 0x30 && buf[k]! <= 0x39) k++
  if (k === ms || k >= end || buf[k] !== 0x2e) return -1
  k++
  const ns = k
  while (k < end && buf[k]! >= 0x30 && buf[k]! <= 0x39) k++
  if (k === ns) return -1
  if (k - i === 7 && buf[i + 4] === 0x32 && buf[i + 6] === 0x30) return k
  return 0 - k
}

/**
 * Parses one SIP message from `buf`. Never throws on any input: a malformed message gives
 * `{ ok: false, error }` with a stable code, the byte offset and the status to answer.
 */
export function parseMessage(buf: Buffer, opts?: ParseOptions): ParseResult {
  const len = buf.length
  let maxMessageBytes = DEFAULT_LIMITS.maxMessageBytes
  let maxStartLineBytes = DEFAULT_LIMITS.maxStartLineBytes
  let maxHeaderBytes = DEFAULT_LIMITS.maxHeaderBytes
  let maxHeaders = DEFAULT_LIMITS.maxHeaders
  let maxHeaderLineBytes = DEFAULT_LIMITS.maxHeaderLineBytes
  let maxVias = DEFAULT_LIMITS.maxVias
  let maxBodyBytes = DEFAULT_LIMITS.maxBodyBytes
  let full = false
  let stream = false
  if (opts !== undefined) {
    maxMessageBytes = opts.maxMessageBytes ?? maxMessageBytes
    maxStartLineBytes = opts.maxStartLineBytes ?? maxStartLineBytes
    maxHeaderBytes = opts.maxHeaderBytes ?? maxHeaderBytes
    maxHeaders = opts.maxHeaders ?? maxHeaders
    maxHeaderLineBytes = opts.maxHeaderLineBytes ?? maxHeaderLineBytes
    maxVias = opts.maxVias ?? maxVias
    maxBodyBytes = opts.maxBodyBytes ?? maxBodyBytes
    full = opts.mode === 'full'
    stream = opts.framing === 'stream'
  }

  // RFC 3261 §7.5: CRLFs before the start line are ignored (keep-alives, padding).
  let pos = 0
  while (pos + 1 < len && buf[pos] === CR && buf[pos + 1] === LF) pos += 2
  if (pos >= len) return err('EMPTY', pos, true)
  const isResponse = isSipSlash(buf, pos, len)
  if (len > maxMessageBytes)
    return err('TOO_LARGE', maxMessageBytes, isResponse, `${len} > ${maxMessageBytes} bytes`)

  // ---- start line ------------------------------------------------------------------------
  const lf = buf.indexOf(LF, pos)
  if (lf < 0 || lf - pos > maxStartLineBytes + 1) {
    if (len - pos > maxStartLineBytes) return err('START_LINE_TOO_LONG', pos + maxStartLineBytes, isResponse)
    return err('INCOMPLETE', len, isResponse, 'no CRLF after the start line')
  }
  if (lf === pos || buf[lf - 1] !== CR) return err('BAD_LINE_END', lf, isResponse, 'bare LF')
  const sle = lf - 1
  let method: string | null = null
  let status: number | null = null
  let partStart: number
  let partEnd: number
  if (isResponse) {
    const v = versionAt(buf, pos, sle)
    if (v === -1) return err('BAD_START_LINE', pos, true, 'bad SIP-Version')
    if (v <= 0) return err('BAD_VERSION', pos, true, buf.toString('latin1', pos, -v))
    let i = v
    if (i >= sle || buf[i] !== SP) return err('BAD_START_LINE', i, true, 'expected SP after SIP-Version')
    i++
    const cs = i
    let code = 0
    while (i < sle && buf[i]! >= 0x30 && buf[i]! <= 0x39) {
      if (i - cs < 9) code = code * 10 + buf[i]! - 0x30
      i++
    }
    if (i === cs) return err('BAD_START_LINE', cs, true, 'missing status code')
    if (i - cs !== 3 || code < 100 || code > 699)
      return err('BAD_STATUS_CODE', cs, true, buf.toString('latin1', cs, Math.min(i, cs + 20)))
    // the SP before the reason phrase is required, but a bare "SIP/2.0 200" is tolerated
    if (i < sle) {
      if (buf[i] !== SP) return err('BAD_START_LINE', i, true, 'expected SP after status code')
      i++
    }
    status = code
    partStart = i
    partEnd = sle
  } else {
    let i = pos
    while (i < sle && TOKEN_BYTE[buf[i]!] === 1) i++
    if (i === pos || i >= sle || buf[i] !== SP)
      return err('BAD_START_LINE', i, false, 'expected Method SP Request-URI SP SIP-Version')
    const methodEnd = i
    const uriStart = i + 1
    const lastSp = buf.lastIndexOf(SP, sle - 1)
    if (lastSp < uriStart) return err('BAD_START_LINE', sle, false, 'missing SIP-Version')
    const vs = lastSp + 1
    const v = versionAt(buf, vs, sle)
    if (v !== sle) {
      if (v <= 0 && v !== -1 && -v === sle)
        return err('BAD_VERSION', vs, false, buf.toString('latin1', vs, sle))
      return err(
        'BAD_START_LINE',
        vs,
        false,
        vs === sle ? 'white space after SIP-Version' : 'bad SIP-Version',
      )
    }
    const uriEnd = lastSp
    if (uriEnd === uriStart || buf[uriStart] === SP || buf[uriEnd - 1] === SP)
      return err('BAD_START_LINE', uriStart, false, 'extra white space in the Request-Line')
    const sp = buf.indexOf(SP, uriStart)
    if (sp >= 0 && sp < uriEnd) return err('BAD_REQUEST_URI', sp, false, 'white space inside the Request-URI')
    // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
    let k = uriStart
    const c0 = buf[k]!
    if (c0 >= 128 || (CHAR[c0]! & C_ALPHA) === 0)
      return err('BAD_REQUEST_URI', k, false, 'Request-URI must start with a scheme')
    k++
    while (k < uriEnd && buf[k]! < 128 && (CHAR[buf[k]!]! & C_SCHEME) !== 0) k++
    if (k >= uriEnd || buf[k] !== 0x3a)
      return err('BAD_REQUEST_URI', k, false, 'Request-URI scheme not followed by ":"')
    method = methodName(buf, pos, methodEnd)
    partStart = uriStart
    partEnd = uriEnd
  }

  // ---- header lines ----------------------------------------------------------------------
  const lines: HeaderLine[] = []
  let iVia = -1
  let iFrom = -1
  let iTo = -1
  let iCallId = -1
  let iCSeq = -1
  let iMaxForwards = -1
  let iContact = -1
  let viaLines = 0
  let contentLength = -1
  let p = lf + 1
  let headerEnd: number
  for (;;) {
    if (p >= len) return err('INCOMPLETE', len, isResponse, 'no empty line after the header section')
    const c = buf[p]!
    if (c === CR) {
      if (p + 1 < len && buf[p + 1] === LF) {
        headerEnd = p
        p += 2
        break
      }
      return err(p + 1 >= len ? 'INCOMPLETE' : 'BAD_LINE_END', p, isResponse, 'CR without LF')
    }
    if (lines.length >= maxHeaders) return err('TOO_MANY_HEADERS', p, isResponse, `more than ${maxHeaders}`)
    const lineStart = p
    let q = p
    while (q < len && TOKEN_BYTE[buf[q]!] === 1) q++
    const nameEnd = q
    if (nameEnd === lineStart) {
      if (c === SP || c === HT)
        return err('BAD_HEADER_LINE', p, isResponse, 'continuation line without a header')
      if (c === LF) return err('BAD_LINE_END', p, isResponse, 'bare LF')
      return err('BAD_HEADER_LINE', p, isResponse, 'header name is not a token')
    }
    while (q < len && (buf[q] === SP || buf[q] === HT)) q++
    if (q >= len || buf[q] !== 0x3a)
      return err('BAD_HEADER_LINE', q, isResponse, 'expected ":" after the header name')
    q++
    // line end, following continuation lines (CRLF followed by SP/HT)
    let folded = false
    let e = buf.indexOf(LF, q)
    for (;;) {
      if (e < 0) return err('INCOMPLETE', len, isResponse, 'no CRLF after a header line')
      if (buf[e - 1] !== CR) return err('BAD_LINE_END', e, isResponse, 'bare LF')
      const n = e + 1
      if (n < len && (buf[n] === SP || buf[n] === HT)) {
        folded = true
        e = buf.indexOf(LF, n)
        continue
      }
      break
    }
    const lineEnd = e + 1
    if (lineEnd - lineStart > maxHeaderLineBytes)
      return err(
        'HEADER_TOO_LONG',
        lineStart + maxHeaderLineBytes,
        isResponse,
        `more than ${maxHeaderLineBytes} bytes`,
      )
    const contentEnd = e - 1
    let vs = q
    while (vs < contentEnd) {
      const b = buf[vs]
      if (b === SP || b === HT) vs++
      else if (b === CR && buf[vs + 1] === LF) vs += 2
      else break
    }
    let ve = contentEnd
    while (ve > vs) {
      const b = buf[ve - 1]
      if (b === SP || b === HT) ve--
      else if (b === LF && folded) ve -= 2
      else break
    }
    const id = headerIdFromBytes(buf, lineStart, nameEnd)
    const index = lines.length
    switch (id) {
      case H.VIA:
        if (iVia < 0) iVia = index
        if (++viaLines > maxVias)
          return err('TOO_MANY_VIAS', lineStart, isResponse, `more than ${maxVias} Via lines`)
        break
      case H.FROM:
        if (iFrom < 0) iFrom = index
        break
      case H.TO:
        if (iTo < 0) iTo = index
        break
      case H.CALL_ID:
        if (iCallId < 0) iCallId = index
        break
      case H.CSEQ:
        if (iCSeq < 0) iCSeq = index
        break
      case H.MAX_FORWARDS:
        if (iMaxForwards < 0) iMaxForwards = index
        break
      case H.CONTACT:
        if (iContact < 0) iContact = index
        break
      case H.CONTENT_LENGTH: {
        // framing: every Content-Length must be a plain number, and all must agree (RFC 4475 §3.3.9)
        if (ve === vs || ve - vs > 10) return err('CONTENT_LENGTH', vs, isResponse, 'not a number')
        let v = 0
        for (let k = vs; k < ve; k++) {
          const d = buf[k]! - 0x30
          if (d < 0 || d > 9) return err('CONTENT_LENGTH', k, isResponse, 'not a number')
          v = v * 10 + d
        }
        if (contentLength >= 0 && v !== contentLength)
          return err('CONTENT_LENGTH', vs, isResponse, `conflicting values ${contentLength} and ${v}`)
        contentLength = v
        break
      }
    }
    lines.push(new HeaderLine(index, lineStart, nameEnd, vs, ve, lineEnd, id, folded))
    p = lineEnd
  }
  if (p - pos > maxHeaderBytes)
    return err('HEADERS_TOO_LARGE', pos + maxHeaderBytes, isResponse, `more than ${maxHeaderBytes} bytes`)

  // ---- body framing ----------------------------------------------------------------------
  let end: number
  if (contentLength < 0) {
    if (stream) return err('CONTENT_LENGTH', headerEnd, isResponse, 'missing on a stream transport')
    end = len
  } else {
    if (contentLength > maxBodyBytes)
      return err('BODY_TOO_LARGE', headerEnd, isResponse, `${contentLength} > ${maxBodyBytes} bytes`)
    if (contentLength > len - p) {
      if (stream)
        return err('INCOMPLETE', len, isResponse, `body shorter than Content-Length ${contentLength}`)
      return err(
        'CONTENT_LENGTH',
        len,
        isResponse,
        `declares ${contentLength} bytes, datagram holds ${len - p}`,
      )
    }
    end = p + contentLength
  }

  const message = new SipMessage(
    buf,
    pos,
    sle,
    !isResponse,
    method,
    status,
    partStart,
    partEnd,
    lines,
    headerEnd,
    p,
    end,
    contentLength,
    iVia,
    iFrom,
    iTo,
    iCallId,
    iCSeq,
    iMaxForwards,
    iContact,
  )
  if (full) {
    const error = validateMessage(message, maxVias)
    if (error !== null) return { ok: false, error }
  }
  return { ok: true, message }
}
