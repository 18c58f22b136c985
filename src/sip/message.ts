// A parsed SIP message: the original bytes plus an index of the start line and header lines.
// Values are decoded to strings only when asked for, and typed values (Via, From, CSeq …) are
// parsed on first use and cached (style-by-example habits 8 and 10). Every field is declared
// in the constructor so all messages share one object shape.

import { type Challenge, type Credentials, parseChallenge, parseCredentials } from './auth.js'
import { latin1, utf8 } from './bytes.js'
import { HT as HT_, LOWER as LOWER_, SP as SP_, TOKEN_BYTE as TOKEN_BYTE_ } from './chars.js'
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
const HT = HT_
const LOWER = LOWER_
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
      v = this.iCSeq < 0 ? null : this.#cseqAt(this.#lines[this.iCSeq]!)
      t.cseq = v
    }
    return v
  }

  /** CSeq read from the bytes (no value string; the method string is the request's or interned). */
  #cseqAt(l: HeaderLine): CSeq | null {
    if (l.folded) return parseCSeq(this.lineValue(l.index))
    const buf = this.buf
    const end = l.valueEnd
    let i = l.valueStart
    let seq = 0
    const ds = i
    while (i < end) {
      const d = buf[i]! - 0x30
      if (d < 0 || d > 9) break
      seq = seq * 10 + d
      if (seq > 0xffffffff) return null
      i++
    }
    if (i === ds || i === end || (buf[i] !== SP && buf[i] !== HT)) return null
    while (i < end && (buf[i] === SP || buf[i] === HT)) i++
    const ms = i
    while (i < end && TOKEN_BYTE[buf[i]!] === 1) i++
    if (i === ms || i !== end) return null
    // the common case: the same method as the request line, so reuse that string
    const m = this.method
    let method: string | null = null
    if (m !== null && m.length === end - ms) {
      let k = 0
      while (k < m.length && m.charCodeAt(k) === buf[ms + k]) k++
      if (k === m.length) method = m
    }
    return { seq, method: method ?? methodName(buf, ms, end) }
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
