// Message framing for stream transports (TCP, TLS): RFC 3261 §18.3 — Content-Length is
// mandatory and frames the body; CRLFs between messages are ignored (RFC 3261 §7.5), and an
// RFC 5626 §3.5.1 double-CRLF "ping" is reported so the transport can answer with a CRLF
// "pong". Buffered header bytes and the declared body size are capped, so a peer cannot
// make the framer grow memory beyond maxHeaderBytes + maxBodyBytes per connection.
//
// Framing errors are unrecoverable on a stream (RFC 4475 §3.1.2.3, §3.3.9): after one, the
// framer stays failed and the transport should answer (if error.status is not null) and
// close the connection.

import {
  C_TOKEN as C_TOKEN_,
  CHAR as CHAR_,
  CR as CR_,
  HT as HT_,
  LF as LF_,
  LOWER as LOWER_,
  SP as SP_,
} from './chars.js'
import { type SipErrorKind, type SipParseError, sipError } from './errors.js'
import { H as H_, headerIdFromBytes } from './header-names.js'
import { DEFAULT_LIMITS, type SipLimits } from './parse.js'

// Module-local copies: V8 reads an imported binding through its module cell on every use
// (measured ~30% slower in the byte loops); a local const is folded.
const C_TOKEN = C_TOKEN_
const CHAR = CHAR_
const CR = CR_
const HT = HT_
const LF = LF_
const LOWER = LOWER_
const SP = SP_
const H = H_

export interface FrameResult {
  /**
   * Complete messages, in order, each exactly one message (start line to end of body). When
   * the framer held no partial data, these are views into the pushed chunk (no copy).
   */
  readonly messages: Buffer[]
  /** double-CRLF keep-alive pings seen between messages; answer each with one CRLF */
  readonly pings: number
  /** single-CRLF pongs seen between messages */
  readonly pongs: number
  /** set when framing became impossible; the connection should be closed */
  readonly error: SipParseError | null
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1')
const NONE: readonly Buffer[] = Object.freeze([])

export type FramerLimits = Pick<
  SipLimits,
  'maxMessageBytes' | 'maxStartLineBytes' | 'maxHeaderBytes' | 'maxBodyBytes'
>

export class SipStreamFramer {
  readonly #limits: FramerLimits
  /** pending bytes live in #buf[0, #len) */
  #buf: Buffer
  #len: number
  /** bytes of the current message already searched for the header end */
  #scanned: number
  /** header section length (incl. the empty line) of the current message, -1 if unknown */
  #headLen: number
  #bodyLen: number
  /** CRLF seen at a message boundary: 0 none, 1 pending, 2 pending and reported as a pong */
  #crlf: number
  #error: SipParseError | null

  constructor(limits?: Partial<FramerLimits>) {
    this.#limits = {
      maxMessageBytes: limits?.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes,
      maxStartLineBytes: limits?.maxStartLineBytes ?? DEFAULT_LIMITS.maxStartLineBytes,
      maxHeaderBytes: limits?.maxHeaderBytes ?? DEFAULT_LIMITS.maxHeaderBytes,
      maxBodyBytes: limits?.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes,
    }
    this.#buf = Buffer.alloc(0)
    this.#len = 0
    this.#scanned = 0
    this.#headLen = -1
    this.#bodyLen = -1
    this.#crlf = 0
    this.#error = null
  }

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.#len
  }

  /** The error that stopped framing, if any. */
  get error(): SipParseError | null {
    return this.#error
  }

  /** Feeds received bytes; returns the messages they complete. */
  push(chunk: Buffer): FrameResult {
    if (this.#error !== null) return { messages: [], pings: 0, pongs: 0, error: this.#error }
    let data: Buffer
    let end: number
    const direct = this.#len === 0
    if (direct) {
      data = chunk
      end = chunk.length
    } else {
      this.#append(chunk)
      data = this.#buf
      end = this.#len
    }
    let messages: Buffer[] | null = null
    let pings = 0
    let pongs = 0
    let s = 0
    let error: SipParseError | null = null
    for (;;) {
      if (this.#headLen < 0 && this.#scanned === 0) {
        // message boundary: skip CRLF keep-alives
        while (s + 1 < end && data[s] === CR && data[s + 1] === LF) {
          s += 2
          if (this.#crlf !== 0) {
            pings++
            this.#crlf = 0
          } else this.#crlf = 1
        }
        if (s >= end) {
          // a lone CRLF with nothing after it (yet): report the pong now; a CRLF at the
          // start of the next chunk still completes a ping
          if (this.#crlf === 1) {
            pongs++
            this.#crlf = 2
          }
          break
        }
        if (s + 1 === end && data[s] === CR) break
        if (this.#crlf === 1) pongs++
        this.#crlf = 0
      }
      if (this.#headLen < 0) {
        const from = s + Math.max(0, this.#scanned - 3)
        const idx = data.indexOf(CRLFCRLF, from)
        if (idx < 0 || idx + 4 > end) {
          const have = end - s
          const startErr = this.#checkStartLine(data, s, end)
          if (startErr !== null) {
            error = startErr
            break
          }
          if (have > this.#limits.maxHeaderBytes) {
            error = this.#fail('HEADERS_TOO_LARGE', data, s, end, s + this.#limits.maxHeaderBytes)
            break
          }
          this.#scanned = have
          break
        }
        const startErr = this.#checkStartLine(data, s, end)
        if (startErr !== null) {
          error = startErr
          break
        }
        const headLen = idx + 4 - s
        if (headLen > this.#limits.maxHeaderBytes) {
          error = this.#fail('HEADERS_TOO_LARGE', data, s, end, s + this.#limits.maxHeaderBytes)
          break
        }
        const cl = contentLength(data, s, idx + 2)
        if (cl === -1) {
          error = this.#fail('CONTENT_LENGTH', data, s, end, idx, 'missing on a stream transport')
          break
        }
        if (cl < -1) {
          error = this.#fail('CONTENT_LENGTH', data, s, end, -cl - 2, 'invalid or conflicting values')
          break
        }
        if (cl > this.#limits.maxBodyBytes) {
          error = this.#fail(
            'BODY_TOO_LARGE',
            data,
            s,
            end,
            idx,
            `${cl} > ${this.#limits.maxBodyBytes} bytes`,
          )
          break
        }
        if (headLen + cl > this.#limits.maxMessageBytes) {
          error = this.#fail(
            'TOO_LARGE',
            data,
            s,
            end,
            idx,
            `${headLen + cl} > ${this.#limits.maxMessageBytes} bytes`,
          )
          break
        }
        this.#headLen = headLen
        this.#bodyLen = cl
      }
      const total = this.#headLen + this.#bodyLen
      if (end - s < total) break
      const msg = direct ? data.subarray(s, s + total) : Buffer.from(data.subarray(s, s + total))
      if (messages === null) messages = [msg]
      else messages.push(msg)
      s += total
      this.#headLen = -1
      this.#bodyLen = -1
      this.#scanned = 0
    }
    if (error !== null) {
      this.#error = error
      this.#len = 0
      this.#buf = Buffer.alloc(0)
    } else {
      this.#keep(data, s, end, direct)
    }
    return { messages: messages ?? (NONE as Buffer[]), pings, pongs, error }
  }

  /** Cheap early check so garbage (HTTP, TLS on the wrong port …) fails fast. */
  #checkStartLine(data: Buffer, s: number, end: number): SipParseError | null {
    const lf = data.indexOf(LF, s)
    if (lf < 0 || lf >= end) {
      if (end - s > this.#limits.maxStartLineBytes) return this.#fail('START_LINE_TOO_LONG', data, s, end, s)
      return null
    }
    if (lf === s || data[lf - 1] !== CR) return this.#fail('BAD_LINE_END', data, s, end, lf)
    // response: starts with SIP/ ; request: ends with SIP/x.y
    if (isSip(data, s, end)) return null
    const sp = data.lastIndexOf(SP, lf - 2)
    if (sp > s && isSip(data, sp + 1, lf)) return null
    return this.#fail('BAD_START_LINE', data, s, end, s, 'not a SIP start line')
  }

  #fail(
    kind: SipErrorKind,
    data: Buffer,
    s: number,
    end: number,
    at: number,
    detail?: string,
  ): SipParseError {
    return sipError(kind, at - s, isSip(data, s, end), detail)
  }

  #append(chunk: Buffer): void {
    const need = this.#len + chunk.length
    if (need > this.#buf.length) {
      const cap = Math.max(need, this.#buf.length * 2, 4096)
      const next = Buffer.allocUnsafe(cap)
      this.#buf.copy(next, 0, 0, this.#len)
      this.#buf = next
    }
    chunk.copy(this.#buf, this.#len)
    this.#len = need
  }

  #keep(data: Buffer, s: number, end: number, direct: boolean): void {
    const rest = end - s
    if (rest === 0) {
      this.#len = 0
      // drop a large buffer once idle so a burst does not pin memory per connection
      if (this.#buf.length > 65536) this.#buf = Buffer.alloc(0)
      return
    }
    if (direct) {
      if (this.#buf.length < rest) this.#buf = Buffer.allocUnsafe(Math.max(rest, 4096))
      data.copy(this.#buf, 0, s, end)
    } else if (s > 0) {
      this.#buf.copyWithin(0, s, end)
    }
    this.#len = rest
  }
}

/** `SIP/` (any case) at data[i], within data[0, end). */
function isSip(data: Buffer, i: number, end: number): boolean {
  return (
    i + 4 <= end &&
    LOWER[data[i]!] === 0x73 &&
    LOWER[data[i + 1]!] === 0x69 &&
    LOWER[data[i + 2]!] === 0x70 &&
    data[i + 3] === 0x2f
  )
}

/**
 * Content-Length of the header section data[s, end) (end = offset of the final CRLF):
 * the value, -1 when absent, or -(offset + 2) when invalid or conflicting.
 */
function contentLength(data: Buffer, s: number, end: number): number {
  let p = data.indexOf(LF, s) + 1
  let value = -1
  while (p > 0 && p < end) {
    let q = p
    while (q < end && data[q]! < 128 && (CHAR[data[q]!]! & C_TOKEN) !== 0) q++
    const nameEnd = q
    let lineEnd = data.indexOf(LF, p)
    // continuation lines belong to this header
    while (lineEnd >= 0 && lineEnd + 1 < end && (data[lineEnd + 1] === SP || data[lineEnd + 1] === HT))
      lineEnd = data.indexOf(LF, lineEnd + 1)
    if (lineEnd < 0) lineEnd = end
    if (nameEnd > p && headerIdFromBytes(data, p, nameEnd) === H.CONTENT_LENGTH) {
      while (q < lineEnd && (data[q] === SP || data[q] === HT)) q++
      if (data[q] !== 0x3a) return -(q + 2)
      q++
      let v = 0
      let digits = 0
      for (; q < lineEnd; q++) {
        const b = data[q]!
        if (b >= 0x30 && b <= 0x39) {
          if (++digits > 10) return -(q + 2)
          v = v * 10 + b - 0x30
        } else if (b === SP || b === HT || b === CR || b === LF) {
          if (digits > 0) {
            // only trailing white space may follow the digits
            let r = q
            while (r < lineEnd && (data[r] === SP || data[r] === HT || data[r] === CR || data[r] === LF)) r++
            if (r < lineEnd) return -(r + 2)
            break
          }
        } else return -(q + 2)
      }
      if (digits === 0) return -(p + 2)
      if (value >= 0 && v !== value) return -(p + 2)
      value = v
    }
    p = lineEnd + 1
  }
  return value
}
