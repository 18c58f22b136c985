// Byte-level message editing for forwarding (style-by-example habit 9, after Kamailio's
// "lumps"): the relay records edits against the parsed message's line index, and
// applyEdits() writes the new message in one pass. Every byte that no edit touches is
// copied unchanged, so header order, case, compact forms and folding reach the next hop as
// the sender wrote them. Only the message's own bytes [start, end) are written: leading
// CRLF keep-alives and datagram bytes after the Content-Length body are not forwarded
// (RFC 3261 §18.3, RFC 4475 §3.1.1.8).

import { SgwError } from '../errors.js'
import { SipErrors } from './errors.js'
import { H } from './header-names.js'
import type { SipMessage } from './message.js'

export type SipEdit =
  /** insert a header line (`Name: value`, no CRLF) before header line `line` */
  | { readonly op: 'insertBefore'; readonly line: number; readonly text: string }
  /** insert a header line after header line `line` */
  | { readonly op: 'insertAfter'; readonly line: number; readonly text: string }
  /** add a header line at the end of the header section */
  | { readonly op: 'append'; readonly text: string }
  /** remove header line `line` (with its continuation lines) */
  | { readonly op: 'remove'; readonly line: number }
  /** replace header line `line` by `text` (`Name: value`, no CRLF) */
  | { readonly op: 'replaceLine'; readonly line: number; readonly text: string }
  /** replace the value of header line `line`, keeping its name and separator as written */
  | { readonly op: 'replaceValue'; readonly line: number; readonly value: string }
  /** replace the start line (no CRLF) */
  | { readonly op: 'replaceStartLine'; readonly text: string }
  /** replace the body; Content-Length is rewritten (or added) to match */
  | { readonly op: 'replaceBody'; readonly body: Buffer | string }

function editError(message: string): SgwError {
  return new SgwError(SipErrors.EDIT.code, `${SipErrors.EDIT.title}: ${message}`)
}

function checkText(text: string, what: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    // CR or LF would let the text inject header lines; NUL truncates in C parsers
    if (c === 0x0d || c === 0x0a || c === 0) throw editError(`${what} contains CR, LF or NUL`)
  }
}

function addTo(lists: (string[] | undefined)[], i: number, text: string): void {
  const list = lists[i]
  if (list === undefined) lists[i] = [text]
  else list.push(text)
}

const CRLF = '\r\n'
const REMOVED = 0
const REPLACED = 1
const VALUE = 2

/**
 * Applies `edits` to the message's bytes and returns the new message. Throws an SgwError
 * (code SGW_ERR_SIP_EDIT) for an invalid edit list: a line index out of range, two
 * conflicting edits of one line, or text containing CR/LF/NUL. Those are caller bugs.
 */
export function applyEdits(msg: SipMessage, edits: readonly SipEdit[]): Buffer {
  const lines = msg.headerLines()
  const n = lines.length
  const before: (string[] | undefined)[] = []
  const after: (string[] | undefined)[] = []
  const kind: (number | undefined)[] = []
  const repl: (string | undefined)[] = []
  const appended: string[] = []
  let startLine: string | undefined
  let body: Buffer | undefined

  const lineIndex = (line: number): number => {
    if (!Number.isInteger(line) || line < 0 || line >= n) throw editError(`no header line ${line}`)
    return line
  }
  const setKind = (line: number, k: number, text: string): void => {
    if (kind[line] !== undefined) throw editError(`conflicting edits of header line ${line}`)
    kind[line] = k
    repl[line] = text
  }

  for (const e of edits) {
    switch (e.op) {
      case 'insertBefore':
        checkText(e.text, 'header line')
        addTo(before, lineIndex(e.line), e.text)
        break
      case 'insertAfter':
        checkText(e.text, 'header line')
        addTo(after, lineIndex(e.line), e.text)
        break
      case 'append':
        checkText(e.text, 'header line')
        appended.push(e.text)
        break
      case 'remove':
        setKind(lineIndex(e.line), REMOVED, '')
        break
      case 'replaceLine':
        checkText(e.text, 'header line')
        setKind(lineIndex(e.line), REPLACED, e.text)
        break
      case 'replaceValue':
        checkText(e.value, 'header value')
        setKind(lineIndex(e.line), VALUE, e.value)
        break
      case 'replaceStartLine':
        checkText(e.text, 'start line')
        if (startLine !== undefined) throw editError('two start line replacements')
        startLine = e.text
        break
      case 'replaceBody':
        if (body !== undefined) throw editError('two body replacements')
        body = typeof e.body === 'string' ? Buffer.from(e.body, 'utf8') : e.body
        break
      default:
        throw editError(`unknown op ${(e as { op: unknown }).op}`)
    }
  }

  if (body !== undefined) {
    // Content-Length must describe the new body: rewrite every Content-Length line, or add one
    const len = String(body.length)
    let found = false
    for (let i = 0; i < n; i++) {
      if (lines[i]!.id !== H.CONTENT_LENGTH) continue
      if (kind[i] === REMOVED) continue
      if (kind[i] !== undefined) throw editError('replaceBody conflicts with an edit of Content-Length')
      kind[i] = VALUE
      repl[i] = len
      found = true
    }
    if (!found) appended.push(`Content-Length: ${len}`)
  }

  // pieces: strings (written as UTF-8) and [start, end) byte ranges of the original
  const src = msg.buf
  const pieces: (string | number)[] = []
  let total = 0
  const text = (s: string): void => {
    pieces.push(s)
    total += Buffer.byteLength(s, 'utf8')
  }
  const range = (a: number, b: number): void => {
    if (b <= a) return
    // merge with a directly preceding range so untouched runs copy in one go
    const last = pieces.length
    if (last >= 2 && typeof pieces[last - 1] === 'number' && pieces[last - 1] === a) pieces[last - 1] = b
    else pieces.push(a, b)
    total += b - a
  }

  const firstHeader = n > 0 ? lines[0]!.start : msg.headerEnd
  if (startLine !== undefined) text(startLine + CRLF)
  else range(msg.start, firstHeader)
  for (let i = 0; i < n; i++) {
    const l = lines[i]!
    const b = before[i]
    if (b !== undefined) for (const t of b) text(t + CRLF)
    switch (kind[i]) {
      case undefined:
        range(l.start, l.end)
        break
      case REMOVED:
        break
      case REPLACED:
        text(repl[i]! + CRLF)
        break
      case VALUE:
        range(l.start, l.valueStart)
        text(repl[i]!)
        range(l.valueEnd, l.end)
        break
    }
    const a = after[i]
    if (a !== undefined) for (const t of a) text(t + CRLF)
  }
  for (const t of appended) text(t + CRLF)
  range(msg.headerEnd, msg.bodyStart)
  if (body === undefined) range(msg.bodyStart, msg.end)

  const out = Buffer.allocUnsafe(total + (body?.length ?? 0))
  let o = 0
  for (let k = 0; k < pieces.length; k++) {
    const p = pieces[k]!
    if (typeof p === 'string') o += out.write(p, o, 'utf8')
    else {
      const e = pieces[++k] as number
      o += src.copy(out, o, p, e)
    }
  }
  if (body !== undefined) o += body.copy(out, o)
  return out
}
