// Responses the gateway generates itself (100 Trying, stage replies, 503 on upstream silence):
// built from the request's Via, From, To, Call-ID and CSeq lines (RFC 3261 §8.2.6).
import type { SipMessage } from '../sip/message.js'

const COPY = new Set(['via', 'v', 'from', 'f', 'call-id', 'i', 'cseq'])
const TO = new Set(['to', 't'])

/** A To tag of the gateway for its own final responses: stable per request (retransmissions). */
function toTagFor(callId: string, branch: string): string {
  let h = 0x811c9dc5
  const s = `${callId}|${branch}`
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0
  return `sw${h.toString(16)}`
}

export function buildResponse(
  req: SipMessage,
  status: number,
  reason: string,
  extra?: readonly string[],
): Buffer {
  const lines: string[] = [`SIP/2.0 ${status} ${reason}`]
  let to: string | null = null
  for (const hl of req.headerLines()) {
    const name = req.lineName(hl.index).toLowerCase()
    if (COPY.has(name)) lines.push(`${req.lineName(hl.index)}: ${req.lineValue(hl.index)}`)
    else if (TO.has(name) && to === null) {
      to = req.lineValue(hl.index)
      if (status > 100 && req.to()?.tag == null)
        to += `;tag=${toTagFor(req.callId() ?? '', req.topVia()?.branch ?? '')}`
      lines.push(`To: ${to}`)
    }
  }
  if (extra !== undefined) for (const e of extra) lines.push(e)
  lines.push('Server: sipwarden', 'Content-Length: 0', '', '')
  return Buffer.from(lines.join('\r\n'))
}

const RAW_HEADER = /^(via|v|from|f|to|t|call-id|i|cseq)[ \t]*:(.*)$/i

/**
 * Best effort for a request the parser rejected: copies the lines it can find. Returns null
 * when the mandatory ones are not there (then the request is dropped).
 */
export function buildResponseFromRaw(buf: Buffer, status: number, reason: string): Buffer | null {
  const text = buf.subarray(0, Math.min(buf.length, 16384)).toString('latin1')
  const end = text.indexOf('\r\n\r\n')
  const head = (end >= 0 ? text.slice(0, end) : text).split(/\r?\n/)
  if (head.length < 2 || head[0]!.startsWith('SIP/')) return null
  const out: string[] = [`SIP/2.0 ${status} ${reason}`]
  const seen = new Set<string>()
  for (let i = 1; i < head.length; i++) {
    const m = RAW_HEADER.exec(head[i]!)
    if (m === null) continue
    const n = m[1]!.toLowerCase()
    const key = n.length === 1 ? { v: 'via', f: 'from', t: 'to', i: 'call-id' }[n]! : n
    if (key !== 'via' && seen.has(key)) continue
    seen.add(key)
    if (/[\0]/.test(m[2]!)) return null
    out.push(`${head[i]!.slice(0, head[i]!.indexOf(':'))}:${m[2]}`)
  }
  for (const k of ['via', 'from', 'to', 'call-id', 'cseq']) if (!seen.has(k)) return null
  out.push('Server: sipwarden', 'Content-Length: 0', '', '')
  return Buffer.from(out.join('\r\n'), 'latin1')
}
