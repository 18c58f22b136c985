// A parsed SIP message: the original bytes plus an index of the start line and header lines.
// Values are decoded to strings only when asked for, and typed values (Via, From, CSeq …) are
// parsed on first use and cached (style-by-example habits 8 and 10). Every field is declared
// in the constructor so all messages share one object shape.

import { type Challenge, type Credentials, parseChallenge, parseCredentials } from './auth.js'
import { latin1, utf8 } from './bytes.js'
import {
  BACKSLASH as BACKSLASH_,
  COMMA as COMMA_,
  CR as CR_,
  DQUOTE as DQUOTE_,
  HT as HT_,
  LAQUOT as LAQUOT_,
  LF as LF_,
  LOWER as LOWER_,
  RAQUOT as RAQUOT_,
  SEMI as SEMI_,
  SP as SP_,
  TOKEN_BYTE as TOKEN_BYTE_,
} from './chars.js'
import { type CSeq, parseCSeq } from './cseq.js'
import { H as H_, headerId, isListHeader } from './header-names.js'
import { messageToJson, type SipMessageJson } from './json.js'
import { methodName } from './methods.js'
import { type NameAddr, scanNameAddr, scanNameAddrList } from './name-addr.js'
import { splitList } from './scan.js'
import { parseSdp, type Sdp } from './sdp.js'
import { parseUri, type Uri } from './uri.js'
import { parseFirstVia, parseViaList, type Via } from './via.js'

// Module-local copies: V8 reads an imported binding through its module cell on every use
// (measured ~30% slower in the byte loops); a local const is folded.
const BACKSLASH = BACKSLASH_
const COMMA = COMMA_
const CR = CR_
const DQUOTE = DQUOTE_
const HT = HT_
const LAQUOT = LAQUOT_
const LF = LF_
const LOWER = LOWER_
const RAQUOT = RAQUOT_
const SEMI = SEMI_
const SP = SP_
const TOKEN_BYTE = TOKEN_BYTE_
const H = H_

/** One header field as it sits in the buffer. Offsets are absolute byte offsets into `buf`. */
export class HeaderLine {
  /** position among the message's header lines, 0-based */
  readonly index: number
  /** first byte of the name */
  readonly start: number
  /** end of the name (exclusive) */
  readonly nameEnd: number
  /** first byte of the value (after ':' and white space) */
  readonly valueStart: number
  /** end of the value (exclusive), trailing white space excluded */
  readonly valueEnd: number
  /** first byte after the terminating CRLF (after the last continuation line) */
  readonly end: number
  /** interned header id (H.*), 0 for unknown names */
  readonly id: number
  /** true when the value continues on folded lines (CRLF followed by white space) */
  readonly folded: boolean

  constructor(
    index: number,
    start: number,
    nameEnd: number,
    valueStart: number,
    valueEnd: number,
    end: number,
    id: number,
    folded: boolean,
  ) {
    this.index = index
    this.start = start
    this.nameEnd = nameEnd
    this.valueStart = valueStart
    this.valueEnd = valueEnd
    this.end = end
    this.id = id
    this.folded = folded
  }
}

/** Unfolds a header value: each CRLF of a continuation line is dropped, its white space kept. */
function unfold(v: string): string {
  return v.indexOf('\r') < 0 ? v : v.replace(/\r\n/g, '')
}

function sameName(buf: Buffer, line: HeaderLine, lower: string): boolean {
  const len = line.nameEnd - line.start
  if (len !== lower.length) return false
  for (let i = 0; i < len; i++) if (LOWER[buf[line.start + i]!] !== lower.charCodeAt(i)) return false
  return true
}

// ---- routing accessors: byte scans for one parameter -------------------------------------

/** Value range of the parameter findParam() found (module-level: the scan allocates nothing). */
let paramStart = 0
let paramEnd = 0

/**
 * Mirrors nextParam() (scan.ts) on bytes: from i (at ';' or LWS before it), finds the first
 * parameter called `name` (lower case) that has a value, and sets paramStart/paramEnd to that
 * value. 1: found (an unquoted token value, so ASCII); 0: not there, or the parameters are
 * malformed (the typed parser returns null then); -1: the value is quoted (ask the typed
 * parser, which unquotes).
 */
function findParam(buf: Buffer, i: number, end: number, name: string): number {
  const n = name.length
  for (;;) {
    while (i < end && (buf[i] === SP || buf[i] === HT)) i++
    if (i >= end || buf[i] !== SEMI) return 0
    i++
    while (i < end && (buf[i] === SP || buf[i] === HT)) i++
    const ns = i
    while (i < end && TOKEN_BYTE[buf[i]!] === 1) i++
    if (i === ns) return 0
    const ne = i
    let j = i
    while (j < end && (buf[j] === SP || buf[j] === HT)) j++
    if (j < end && buf[j] === 0x3d) {
      i = j + 1
      while (i < end && (buf[i] === SP || buf[i] === HT)) i++
      const vs = i
      if (i < end && buf[i] === DQUOTE) {
        if (ne - ns === n && sameParamName(buf, ns, name)) return -1
        // skip the quoted value as quotedEnd() does
        i++
        for (;;) {
          if (i >= end) return 0
          const c = buf[i]!
          if (c === DQUOTE) break
          if (c === BACKSLASH) {
            if (i + 1 >= end) return 0
            const d = buf[i + 1]!
            if (d === CR || d === LF || d > 0x7f) return 0
            i += 2
            continue
          }
          if ((c < 0x20 && c !== HT) || c === 0x7f) return 0
          i++
        }
        i++
        continue
      }
      // gen-value: token, or host chars ':' '[' ']'
      while (i < end) {
        const c = buf[i]!
        if (TOKEN_BYTE[c] !== 1 && c !== 0x3a && c !== 0x5b && c !== 0x5d) break
        i++
      }
      if (i === vs) return 0
      if (ne - ns === n && sameParamName(buf, ns, name)) {
        paramStart = vs
        paramEnd = i
        return 1
      }
    } else i = ne
  }
}

/** Case-insensitive name match as paramName() does it (token bytes only). */
function sameParamName(buf: Buffer, start: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) if ((buf[start + k]! | 0x20) !== lower.charCodeAt(k)) return false
  return true
}

/**
 * Mirrors parseNameAddrAt() (name-addr.ts) on bytes up to the end of the address: returns the
 * offset where its header parameters start, or -1 when the address is malformed (the typed
 * parser returns null then).
 */
function addressParamsAt(buf: Buffer, i: number, end: number): number {
  while (i < end && (buf[i] === SP || buf[i] === HT)) i++
  if (i >= end) return -1
  const c0 = buf[i]!
  if (c0 === DQUOTE) {
    i++
    for (;;) {
      if (i >= end) return -1
      const c = buf[i]!
      if (c === DQUOTE) break
      if (c === BACKSLASH) {
        if (i + 1 >= end) return -1
        const d = buf[i + 1]!
        if (d === CR || d === LF || d > 0x7f) return -1
        i += 2
        continue
      }
      if ((c < 0x20 && c !== HT) || c === 0x7f) return -1
      i++
    }
    i++
    while (i < end && (buf[i] === SP || buf[i] === HT)) i++
    if (i >= end || buf[i] !== LAQUOT) return -1
  } else if (c0 !== LAQUOT) {
    let t = i
    while (t < end && TOKEN_BYTE[buf[t]!] === 1) t++
    if (t < end && buf[t] === 0x3a && t > i) {
      // addr-spec: the URI ends at the first ';' ',' or LWS
      while (t < end) {
        const c = buf[t]!
        if (c === SEMI || c === COMMA || c === SP || c === HT) break
        t++
      }
      return t
    }
    // token display name: tokens separated by LWS, then '<'
    let j = i
    let last = i
    for (;;) {
      t = j
      while (t < end && TOKEN_BYTE[buf[t]!] === 1) t++
      if (t === j) break
      last = t
      j = t
      while (j < end && (buf[j] === SP || buf[j] === HT)) j++
    }
    if (last === i || j >= end || buf[j] !== LAQUOT) return -1
    i = j
  }
  // buf[i] === '<'
  for (let k = i + 1; k < end; k++) if (buf[k] === RAQUOT) return k + 1
  return -1
}

/** Cache of the typed values of one message; undefined = not parsed yet. */
class Typed {
  uri: Uri | null | undefined = undefined
  vias: Via[] | null | undefined = undefined
  topVia: Via | null | undefined = undefined
  from: NameAddr | null | undefined = undefined
  to: NameAddr | null | undefined = undefined
  cseq: CSeq | null | undefined = undefined
  contacts: NameAddr[] | null | undefined = undefined
  routes: NameAddr[] | null | undefined = undefined
  recordRoutes: NameAddr[] | null | undefined = undefined
  credentials: (Credentials | null)[] | undefined = undefined
  proxyCredentials: (Credentials | null)[] | undefined = undefined
  challenges: (Challenge | null)[] | undefined = undefined
  proxyChallenges: (Challenge | null)[] | undefined = undefined
  sdp: Sdp | null | undefined = undefined
}

/** Parsed message. Built by parseMessage(); not meant to be constructed directly. */
export class SipMessage {
  /** the buffer that was parsed (may hold bytes before `start` and after `end`) */
  readonly buf: Buffer
  /** offset of the start line (after any leading CRLF keep-alive bytes) */
  readonly start: number
  /** end of the message: body end as framed by Content-Length (datagram trailing bytes excluded) */
  readonly end: number
  /** offset of the first body byte (just after the empty line) */
  readonly bodyStart: number
  /** offset of the empty line that ends the header section */
  readonly headerEnd: number
  readonly isRequest: boolean
  /** request method (case-sensitive), null for responses */
  readonly method: string | null
  /** response status code, null for requests */
  readonly status: number | null
  /** always `SIP/2.0` (anything else is rejected with 505) */
  readonly version: string
  /** index of the first Via, From, To, Call-ID, CSeq, Max-Forwards, Contact line, or -1 */
  readonly iVia: number
  readonly iFrom: number
  readonly iTo: number
  readonly iCallId: number
  readonly iCSeq: number
  readonly iMaxForwards: number
  readonly iContact: number

  #lines: HeaderLine[]
  #startLineEnd: number
  #partStart: number
  #partEnd: number
  #contentLength: number
  #values: (string | undefined)[] | null = null
  #part: string | undefined = undefined
  #body: Buffer | undefined = undefined
  /** typed values, allocated on the first typed access (a lazy-only message never pays for it) */
  #t: Typed | null = null
  // routing accessors: undefined = not read yet
  #branch: string | null | undefined = undefined
  #fromTag: string | null | undefined = undefined
  #toTag: string | null | undefined = undefined
  /** CSeq number; -2 = not read yet, -1 = absent or malformed */
  #cseqSeq = -2
  #cseqMethod: string | null = null

  /** @internal use parseMessage() */
  constructor(
    buf: Buffer,
    start: number,
    startLineEnd: number,
    isRequest: boolean,
    method: string | null,
    status: number | null,
    partStart: number,
    partEnd: number,
    lines: HeaderLine[],
    headerEnd: number,
    bodyStart: number,
    end: number,
    contentLength: number,
    iVia: number,
    iFrom: number,
    iTo: number,
    iCallId: number,
    iCSeq: number,
    iMaxForwards: number,
    iContact: number,
  ) {
    this.buf = buf
    this.start = start
    this.end = end
    this.bodyStart = bodyStart
    this.headerEnd = headerEnd
    this.isRequest = isRequest
    this.method = method
    this.status = status
    this.version = 'SIP/2.0'
    this.iVia = iVia
    this.iFrom = iFrom
    this.iTo = iTo
    this.iCallId = iCallId
    this.iCSeq = iCSeq
    this.iMaxForwards = iMaxForwards
    this.iContact = iContact
    this.#lines = lines
    this.#startLineEnd = startLineEnd
    this.#partStart = partStart
    this.#partEnd = partEnd
    this.#contentLength = contentLength
  }

  #typed(): Typed {
    let t = this.#t
    if (t === null) {
      t = new Typed()
      this.#t = t
    }
    return t
  }

  /** Request-URI as written, null for responses. */
  get requestUri(): string | null {
    if (!this.isRequest) return null
    this.#part ??= utf8(this.buf, this.#partStart, this.#partEnd)
    return this.#part
  }

  /** Reason phrase (UTF-8, may be empty), null for requests. */
  get reason(): string | null {
    if (this.isRequest) return null
    this.#part ??= utf8(this.buf, this.#partStart, this.#partEnd)
    return this.#part
  }

  /** Byte range [start, end) of the Request-URI (requests) or reason phrase (responses). */
  get startLinePart(): { readonly start: number; readonly end: number } {
    return { start: this.#partStart, end: this.#partEnd }
  }

  /** The start line without its CRLF. */
  get startLine(): string {
    return utf8(this.buf, this.start, this.#startLineEnd)
  }

  /** End of the start line (offset of its CR). */
  get startLineEnd(): number {
    return this.#startLineEnd
  }

  /** Content-Length value, or null when the message has none. */
  get contentLength(): number | null {
    return this.#contentLength < 0 ? null : this.#contentLength
  }

  /** Body bytes (a view into `buf`, framed by Content-Length or the end of the datagram). */
  get body(): Buffer {
    this.#body ??= this.buf.subarray(this.bodyStart, this.end)
    return this.#body
  }

  /** The message's own bytes [start, end) (a view; excludes datagram noise around it). */
  get bytes(): Buffer {
    return this.start === 0 && this.end === this.buf.length
      ? this.buf
      : this.buf.subarray(this.start, this.end)
  }

  // ---- raw header access ---------------------------------------------------------------

  /** Every header line in order, with byte offsets. */
  headerLines(): readonly HeaderLine[] {
    return this.#lines
  }

  get headerCount(): number {
    return this.#lines.length
  }

  /** Header name of line i as written (e.g. `v`, `MaX-fOrWaRdS`). */
  lineName(i: number): string {
    const l = this.#lines[i]
    return l === undefined ? '' : latin1(this.buf, l.start, l.nameEnd)
  }

  /** Unfolded value of line i (UTF-8 decoded), or '' for an out-of-range index. */
  lineValue(i: number): string {
    const l = this.#lines[i]
    if (l === undefined) return ''
    let cache = this.#values
    if (cache === null) {
      cache = new Array<string | undefined>(this.#lines.length)
      this.#values = cache
    }
    let v = cache[i]
    if (v === undefined) {
      v = utf8(this.buf, l.valueStart, l.valueEnd)
      if (l.folded) v = unfold(v)
      cache[i] = v
    }
    return v
  }

  #indexOf(name: string, from: number): number {
    const lines = this.#lines
    const id = headerId(name)
    if (id !== H.OTHER) {
      for (let i = from; i < lines.length; i++) if (lines[i]!.id === id) return i
      return -1
    }
    const lower = name.toLowerCase()
    for (let i = from; i < lines.length; i++) {
      const l = lines[i]!
      if (l.id === H.OTHER && sameName(this.buf, l, lower)) return i
    }
    return -1
  }

  /** Indexes of every line of header `name` (case-insensitive, compact forms included). */
  lineIndexes(name: string): number[] {
    const out: number[] = []
    for (let i = this.#indexOf(name, 0); i >= 0; i = this.#indexOf(name, i + 1)) out.push(i)
    return out
  }

  hasHeader(name: string): boolean {
    return this.#indexOf(name, 0) >= 0
  }

  /**
   * First value of header `name`, or null. For list headers (Via, Contact, Route, Allow …) this
   * is the first comma-separated element; for other headers the whole first line's value.
   */
  header(name: string): string | null {
    const i = this.#indexOf(name, 0)
    if (i < 0) return null
    const v = this.lineValue(i)
    if (!isListHeader(this.#lines[i]!.id) || v.indexOf(',') < 0) return v
    return splitList(v)[0] ?? ''
  }

  /**
   * Every value of header `name`: one per line, and for list headers split at top-level commas
   * (never inside quoted strings or <...>). Headers that are not lists (WWW-Authenticate,
   * Authorization, Date, unknown names …) are never split.
   */
  headers(name: string): string[] {
    const out: string[] = []
    for (let i = this.#indexOf(name, 0); i >= 0; i = this.#indexOf(name, i + 1)) {
      const v = this.lineValue(i)
      if (isListHeader(this.#lines[i]!.id) && v.indexOf(',') >= 0) {
        for (const part of splitList(v)) out.push(part)
      } else out.push(v)
    }
    return out
  }

  // ---- typed accessors: null when absent or malformed; never throw ----------------------

  /** Parsed Request-URI (requests only). */
  uri(): Uri | null {
    const t = this.#typed()
    let v = t.uri
    if (v === undefined) {
      const raw = this.requestUri
      v = raw === null ? null : parseUri(raw)
      t.uri = v
    }
    return v
  }

  /** Every Via value, top first; null if any Via value is malformed; [] when there is none. */
  vias(): Via[] | null {
    const t = this.#typed()
    let v = t.vias
    if (v === undefined) {
      v = []
      const lines = this.#lines
      for (let i = this.iVia; i >= 0 && i < lines.length; i++) {
        if (lines[i]!.id !== H.VIA) continue
        const list = parseViaList(this.lineValue(i))
        if (list === null) {
          v = null
          break
        }
        for (const x of list) v.push(x)
      }
      t.vias = v
    }
    return v
  }

  /**
   * Top Via, or null when absent or malformed. Parses only the first Via value (unless vias()
   * ran already), so it can be non-null for a lazily parsed message whose later Vias are bad.
   */
  topVia(): Via | null {
    const t = this.#typed()
    let v = t.topVia
    if (v === undefined) {
      const all = t.vias
      if (all !== undefined) v = all === null ? null : (all[0] ?? null)
      else v = this.iVia < 0 ? null : parseFirstVia(this.lineValue(this.iVia))
      t.topVia = v
    }
    return v
  }

  /** From address (its URI is parsed on first use of `.uri`), or null when absent or malformed. */
  from(): NameAddr | null {
    const t = this.#typed()
    let v = t.from
    if (v === undefined) {
      v = this.iFrom < 0 ? null : scanNameAddr(this.lineValue(this.iFrom))
      t.from = v
    }
    return v
  }

  /** To address, like from(). */
  to(): NameAddr | null {
    const t = this.#typed()
    let v = t.to
    if (v === undefined) {
      v = this.iTo < 0 ? null : scanNameAddr(this.lineValue(this.iTo))
      t.to = v
    }
    return v
  }

  /** Call-ID value (trimmed), or null. */
  callId(): string | null {
    return this.iCallId < 0 ? null : this.lineValue(this.iCallId)
  }

  /** CSeq number and method, or null when absent or malformed. */
  cseq(): CSeq | null {
    const t = this.#typed()
    let v = t.cseq
    if (v === undefined) {
      if (this.#cseqSeq === -2) this.#readCSeq()
      v = this.#cseqSeq < 0 ? null : { seq: this.#cseqSeq, method: this.#cseqMethod! }
      t.cseq = v
    }
    return v
  }

  /** Reads the CSeq from the bytes into #cseqSeq / #cseqMethod (the method string is the request's or interned). */
  #readCSeq(): void {
    this.#cseqSeq = -1
    this.#cseqMethod = null
    if (this.iCSeq < 0) return
    const l = this.#lines[this.iCSeq]!
    if (l.folded) {
      const c = parseCSeq(this.lineValue(l.index))
      if (c !== null) {
        this.#cseqSeq = c.seq
        this.#cseqMethod = c.method
      }
      return
    }
    const buf = this.buf
    const end = l.valueEnd
    let i = l.valueStart
    let seq = 0
    const ds = i
    while (i < end) {
      const d = buf[i]! - 0x30
      if (d < 0 || d > 9) break
      seq = seq * 10 + d
      if (seq > 0xffffffff) return
      i++
    }
    if (i === ds || i === end || (buf[i] !== SP && buf[i] !== HT)) return
    while (i < end && (buf[i] === SP || buf[i] === HT)) i++
    const ms = i
    while (i < end && TOKEN_BYTE[buf[i]!] === 1) i++
    if (i === ms || i !== end) return
    // the common case: the same method as the request line, so reuse that string
    const m = this.method
    let method: string | null = null
    if (m !== null && m.length === end - ms) {
      let k = 0
      while (k < m.length && m.charCodeAt(k) === buf[ms + k]) k++
      if (k === m.length) method = m
    }
    this.#cseqSeq = seq
    this.#cseqMethod = method ?? methodName(buf, ms, end)
  }

  // ---- routing accessors: what a gateway routes on, read from the bytes -------------------
  // No typed object is built. For every message whose typed accessor returns a value, these
  // return exactly that value; when the typed accessor returns null because the header is
  // malformed beyond the part they read, they may still return a value (full mode rejects
  // such messages). They never throw.

  /** `branch` of the top Via (= topVia()?.branch), or null. */
  topViaBranch(): string | null {
    let v = this.#branch
    if (v === undefined) {
      v = this.iVia < 0 ? null : this.#viaBranchAt(this.#lines[this.iVia]!)
      this.#branch = v
    }
    return v
  }

  #viaBranchAt(l: HeaderLine): string | null {
    if (l.folded) return this.topVia()?.branch ?? null
    const buf = this.buf
    const end = l.valueEnd
    // sent-protocol, host and port hold no ';' nor ','; the first of them ends the sent-by
    let i = l.valueStart
    while (i < end) {
      const c = buf[i]!
      if (c === SEMI) break
      if (c === COMMA) return null
      i++
    }
    const r = findParam(buf, i, end, 'branch')
    if (r === 0) return null
    if (r < 0) return this.topVia()?.branch ?? null
    return latin1(buf, paramStart, paramEnd)
  }

  /** `tag` of From (= from()?.tag), or null. */
  fromTag(): string | null {
    let v = this.#fromTag
    if (v === undefined) {
      v = this.iFrom < 0 ? null : this.#tagAt(this.#lines[this.iFrom]!, false)
      this.#fromTag = v
    }
    return v
  }

  /** `tag` of To (= to()?.tag), or null. */
  toTag(): string | null {
    let v = this.#toTag
    if (v === undefined) {
      v = this.iTo < 0 ? null : this.#tagAt(this.#lines[this.iTo]!, true)
      this.#toTag = v
    }
    return v
  }

  #tagAt(l: HeaderLine, to: boolean): string | null {
    let r = -1
    if (!l.folded) {
      const p = addressParamsAt(this.buf, l.valueStart, l.valueEnd)
      if (p < 0) return null
      r = findParam(this.buf, p, l.valueEnd, 'tag')
      if (r === 0) return null
      if (r > 0) return latin1(this.buf, paramStart, paramEnd)
    }
    return (to ? this.to() : this.from())?.tag ?? null
  }

  /** CSeq number (= cseq()?.seq), or null. */
  cseqNumber(): number | null {
    if (this.#cseqSeq === -2) this.#readCSeq()
    return this.#cseqSeq < 0 ? null : this.#cseqSeq
  }

  /** CSeq method (= cseq()?.method), or null. */
  cseqMethod(): string | null {
    if (this.#cseqSeq === -2) this.#readCSeq()
    return this.#cseqMethod
  }

  /** Max-Forwards 0..255, or null when absent or malformed. */
  maxForwards(): number | null {
    if (this.iMaxForwards < 0) return null
    const l = this.#lines[this.iMaxForwards]!
    const buf = this.buf
    let v = 0
    if (l.valueEnd === l.valueStart) return null
    // 1*DIGIT: leading zeros are legal (RFC 4475 §3.1.1.1 "0068")
    for (let i = l.valueStart; i < l.valueEnd; i++) {
      const d = buf[i]! - 0x30
      if (d < 0 || d > 9) return null
      v = v * 10 + d
      if (v > 255) return null
    }
    return v
  }

  /** True for `Contact: *` (REGISTER remove-all). */
  isContactWildcard(): boolean {
    return this.iContact >= 0 && this.lineValue(this.iContact) === '*'
  }

  /** Every Contact address in order; [] when absent or `*`; null when any is malformed. */
  contacts(): NameAddr[] | null {
    const t = this.#typed()
    let v = t.contacts
    if (v === undefined) {
      v = []
      const lines = this.#lines
      for (let i = this.iContact; i >= 0 && i < lines.length; i++) {
        if (lines[i]!.id !== H.CONTACT) continue
        const text = this.lineValue(i)
        if (text === '*') continue
        const list = scanNameAddrList(text)
        if (list === null) {
          v = null
          break
        }
        for (const a of list) v.push(a)
      }
      t.contacts = v
    }
    return v
  }

  /** Route addresses in order ([] when absent, null when malformed). */
  routes(): NameAddr[] | null {
    const t = this.#typed()
    if (t.routes === undefined) t.routes = this.#addressList(H.ROUTE)
    return t.routes
  }

  /** Record-Route addresses in order ([] when absent, null when malformed). */
  recordRoutes(): NameAddr[] | null {
    const t = this.#typed()
    if (t.recordRoutes === undefined) t.recordRoutes = this.#addressList(H.RECORD_ROUTE)
    return t.recordRoutes
  }

  #addressList(id: number): NameAddr[] | null {
    const out: NameAddr[] = []
    const lines = this.#lines
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.id !== id) continue
      const list = scanNameAddrList(this.lineValue(i))
      if (list === null) return null
      for (const a of list) out.push(a)
    }
    return out
  }

  #parseAll<T>(id: number, parse: (s: string) => T | null): (T | null)[] {
    const out: (T | null)[] = []
    const lines = this.#lines
    for (let i = 0; i < lines.length; i++) if (lines[i]!.id === id) out.push(parse(this.lineValue(i)))
    return out
  }

  /** @internal every parsed value of an auth header id (null entries for malformed ones) */
  authValues(id: number): readonly (Credentials | Challenge | null)[] {
    const t = this.#typed()
    switch (id) {
      case H.AUTHORIZATION:
        t.credentials ??= this.#parseAll(H.AUTHORIZATION, parseCredentials)
        return t.credentials
      case H.PROXY_AUTHORIZATION:
        t.proxyCredentials ??= this.#parseAll(H.PROXY_AUTHORIZATION, parseCredentials)
        return t.proxyCredentials
      case H.WWW_AUTHENTICATE:
        t.challenges ??= this.#parseAll(H.WWW_AUTHENTICATE, parseChallenge)
        return t.challenges
      case H.PROXY_AUTHENTICATE:
        t.proxyChallenges ??= this.#parseAll(H.PROXY_AUTHENTICATE, parseChallenge)
        return t.proxyChallenges
      default:
        return []
    }
  }

  /**
   * Authorization credentials: the first one, or the first whose realm equals `realm`.
   * null when absent, when no realm matches, or when the selected value is malformed.
   */
  authorization(realm?: string): Credentials | null {
    return pick(this.authValues(H.AUTHORIZATION) as readonly (Credentials | null)[], realm)
  }

  /** Proxy-Authorization credentials, selected like authorization(). */
  proxyAuthorization(realm?: string): Credentials | null {
    return pick(this.authValues(H.PROXY_AUTHORIZATION) as readonly (Credentials | null)[], realm)
  }

  /** WWW-Authenticate challenge: the first one, or the first for `realm`. */
  wwwAuthenticate(realm?: string): Challenge | null {
    return pick(this.authValues(H.WWW_AUTHENTICATE) as readonly (Challenge | null)[], realm)
  }

  /** Proxy-Authenticate challenge, selected like wwwAuthenticate(). */
  proxyAuthenticate(realm?: string): Challenge | null {
    return pick(this.authValues(H.PROXY_AUTHENTICATE) as readonly (Challenge | null)[], realm)
  }

  /** Media type of the body, lower-cased without parameters (e.g. `application/sdp`), or null. */
  contentType(): string | null {
    const v = this.header('Content-Type')
    if (v === null) return null
    const semi = v.indexOf(';')
    return (semi < 0 ? v : v.slice(0, semi)).trim().toLowerCase()
  }

  /**
   * JSON view (messageToJson): start line, headers, typed values. Parses every typed header,
   * so keep it off the packet path (logging a message object calls this).
   */
  toJSON(): SipMessageJson {
    return messageToJson(this)
  }

  /** Parsed SDP body when Content-Type is application/sdp; null otherwise or when malformed. */
  sdp(): Sdp | null {
    const t = this.#typed()
    let v = t.sdp
    if (v === undefined) {
      v = this.contentType() === 'application/sdp' && this.end > this.bodyStart ? parseSdp(this.body) : null
      t.sdp = v
    }
    return v
  }
}

function pick<T extends { realm: string | null }>(
  list: readonly (T | null)[],
  realm: string | undefined,
): T | null {
  if (realm === undefined) return list[0] ?? null
  for (const v of list) if (v !== null && v.realm === realm) return v
  return null
}
