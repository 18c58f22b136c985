// CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16). The number must fit in 32 bits unsigned
// (RFC 4475 §3.1.2.4: larger values are rejected); leading zeros are allowed.

import { fail, type ParseFailure, skipLws, tokenEnd } from './scan.js'

export interface CSeq {
  readonly seq: number
  readonly method: string
}

const MAX_SEQ = 0xffffffff

export function parseCSeq(s: string, f?: ParseFailure): CSeq | null {
  const end = s.length
  let i = skipLws(s, 0, end)
  const ds = i
  let seq = 0
  while (i < end) {
    const d = s.charCodeAt(i) - 0x30
    if (d < 0 || d > 9) break
    seq = seq * 10 + d
    if (seq > MAX_SEQ) return fail(f, ds, 'sequence number above 2^32-1')
    i++
  }
  if (i === ds) return fail(f, ds, 'missing sequence number')
  const ms = skipLws(s, i, end)
  if (ms === i) return fail(f, i, 'expected white space after the sequence number')
  const me = tokenEnd(s, ms, end)
  if (me === ms) return fail(f, ms, 'missing method')
  if (skipLws(s, me, end) !== end) return fail(f, me, 'unexpected text after method')
  return { seq, method: s.slice(ms, me) }
}
