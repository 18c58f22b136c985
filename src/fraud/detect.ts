// Dialling patterns of fraud tests, per account, over a small ring of recent attempts (all
// attempts, refused ones included: probing is mostly refused calls):
//
// - sequential: the same number called again and again (pumping one IRSF number);
// - prefix probing: the same subscriber digits tried behind several prefixes (00 44…, 011 44…,
//   9 00 44…, *31# 00 44…) to find which one the PBX lets out (CESNET "prefix examination");
// - number walking: consecutive numbers (…01, …02, …03), e.g. testing a block of IPRNs.
//
// Memory per account is the ring (capacity from the thresholds, at most MAX_HISTORY entries).

import type { NumberInfo } from './classify.js'

export interface DetectionSettings {
  readonly sequentialSameNumber: number
  readonly prefixProbing: number
  readonly numberWalking: number
  readonly windowMs: number
}

interface Attempt {
  readonly time: number
  /** E.164 when known, else the cleaned dialled string */
  readonly key: string
  /** digits-only form used for walking */
  readonly digits: string
  /** the last TAIL_DIGITS digits of what was dialled, null when shorter */
  readonly tail: string | null
  /** what was dialled in front of the tail */
  readonly variant: string
}

export interface Detection {
  readonly kind: 'sequential' | 'prefix' | 'walking'
  readonly count: number
  readonly threshold: number
  readonly detail: Readonly<Record<string, unknown>>
}

/** Thresholds above this cannot be seen (the ring holds this many attempts at most). */
export const MAX_HISTORY = 256
/** Subscriber digits compared for prefix probing: enough to hold a national number, so
 * that two national numbers that differ only in the area code are not one number. */
const TAIL_DIGITS = 10
const WALK_DIGITS = 4
const SEPARATOR = /[\s().-]/
const SEPARATORS = /[\s().-]/g

export function historyCapacity(s: DetectionSettings): number {
  return Math.min(MAX_HISTORY, Math.max(16, s.sequentialSameNumber, s.prefixProbing, s.numberWalking) + 1)
}

export class DialHistory {
  readonly #ring: (Attempt | undefined)[]
  #next = 0

  constructor(capacity: number) {
    this.#ring = new Array<Attempt | undefined>(capacity)
  }

  /** Records the attempt and returns the patterns it completes. */
  record(number: NumberInfo, time: number, s: DetectionSettings): Detection[] {
    const d = number.dialled
    const cleaned = (SEPARATOR.test(d) ? d.replace(SEPARATORS, '') : d).slice(0, 64)
    const dialledDigits = asciiDigits(cleaned)
    const key = number.e164 ?? cleaned
    const digits = number.e164 !== null ? number.e164.slice(1) : dialledDigits
    const tail = dialledDigits.length >= TAIL_DIGITS ? dialledDigits.slice(-TAIL_DIGITS) : null
    const variant = tail === null ? cleaned : cleaned.slice(0, cleaned.length - tailSpan(cleaned))
    const now: Attempt = { time, key, digits, tail, variant }
    const since = time - s.windowMs
    const out: Detection[] = []
    // the attempts within the window, newest first: ring[(next - i) mod n] for i = 1 … recent
    const ring = this.#ring
    const n = ring.length
    let recent = 0
    while (recent < n) {
      const a = ring[(this.#next - recent - 1 + n) % n]
      if (a === undefined || a.time < since) break
      recent++
    }
    const at = (i: number): Attempt => ring[(this.#next - i - 1 + n) % n]!

    // sequential: the run of attempts to this number, newest first
    let run = 1
    for (let i = 0; i < recent; i++) {
      if (at(i).key !== key) break
      run++
    }
    if (run >= s.sequentialSameNumber)
      out.push({ kind: 'sequential', count: run, threshold: s.sequentialSameNumber, detail: { number: key } })

    // prefix probing: distinct prefixes in front of the same subscriber digits
    if (tail !== null) {
      let variants: Set<string> | null = null
      for (let i = 0; i < recent; i++) {
        const a = at(i)
        if (a.tail === tail && a.variant !== variant) (variants ??= new Set([variant])).add(a.variant)
      }
      const count = variants?.size ?? 1
      if (count >= s.prefixProbing)
        out.push({
          kind: 'prefix',
          count,
          threshold: s.prefixProbing,
          detail: { digits: tail, prefixes: variants !== null ? [...variants] : [variant] },
        })
    }

    // number walking: consecutive numbers that share everything but the last digits
    if (digits.length >= 8) {
      const stem = digits.slice(0, -WALK_DIGITS)
      const last = Number(digits.slice(-WALK_DIGITS))
      let seen: Set<number> | null = null
      for (let i = 0; i < recent; i++) {
        const a = at(i)
        if (a.digits.length === digits.length && a.digits.startsWith(stem))
          (seen ??= new Set([last])).add(Number(a.digits.slice(-WALK_DIGITS)))
      }
      let lo = last
      let hi = last
      if (seen !== null) {
        while (seen.has(lo - 1)) lo--
        while (seen.has(hi + 1)) hi++
      }
      const count = hi - lo + 1
      if (count >= s.numberWalking)
        out.push({
          kind: 'walking',
          count,
          threshold: s.numberWalking,
          detail: { from: stem + pad(lo), to: stem + pad(hi) },
        })
    }

    this.#ring[this.#next] = now
    this.#next = (this.#next + 1) % this.#ring.length
    return out
  }
}

function pad(n: number): string {
  return String(n).padStart(WALK_DIGITS, '0')
}

/** The ASCII digits of `text` (what `/\D/g` removal leaves). */
function asciiDigits(text: string): string {
  let i = 0
  while (i < text.length && isDigit(text.charCodeAt(i))) i++
  if (i === text.length) return text
  let out = text.slice(0, i)
  for (; i < text.length; i++) if (isDigit(text.charCodeAt(i))) out += text[i]
  return out
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

/** Characters of `cleaned` (from the end) that hold its last TAIL_DIGITS digits. */
function tailSpan(cleaned: string): number {
  let digits = 0
  for (let i = cleaned.length - 1; i >= 0; i--) {
    if (isDigit(cleaned.charCodeAt(i))) digits++
    if (digits === TAIL_DIGITS) return cleaned.length - i
  }
  return cleaned.length
}
