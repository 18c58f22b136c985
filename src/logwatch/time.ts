// Log dates → epoch ms, without Date parsing per line. Dates are read as the PBX host's local
// time (the process time zone); the epoch of each calendar day is computed once and cached.
// Years missing from the log (`%b %e %T`, FreeSWITCH `MM-DD`) are inferred: the reference year,
// advanced when the month jumps backwards across New Year.

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec'

/** Month index 0–11 for the three letters at `s[i]`, or -1. */
export function monthAt(s: string, i: number): number {
  if (i + 3 > s.length) return -1
  const m = MONTHS.indexOf(s.slice(i, i + 3))
  return m >= 0 && m % 3 === 0 ? m / 3 : -1
}

/** Value of the `n` decimal digits at `s[i]`, or -1. */
export function digitsAt(s: string, i: number, n: number): number {
  let v = 0
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(i + k) - 48
    if (c < 0 || c > 9) return -1
    v = v * 10 + c
  }
  return v
}

export class LogClock {
  #year: number
  #lastMonth = -1
  #dayKey = -1
  #dayBase = 0

  constructor(referenceYear: number = new Date().getFullYear()) {
    this.#year = referenceYear
  }

  /**
   * Epoch ms for a local date. `year` < 0 means "not in the log": inferred. `month` is 0–11.
   * Returns NaN for impossible values.
   */
  at(year: number, month: number, day: number, h: number, mi: number, sec: number, ms: number): number {
    if (month < 0 || month > 11 || day < 1 || day > 31 || h > 23 || mi > 59 || sec > 60 || h < 0) return NaN
    if (year < 0) {
      // a backwards jump of more than half a year is a New Year roll-over
      if (this.#lastMonth >= 0 && month + 6 < this.#lastMonth) this.#year++
      this.#lastMonth = month
      year = this.#year
    }
    const key = (year * 12 + month) * 32 + day
    if (key !== this.#dayKey) {
      this.#dayKey = key
      this.#dayBase = new Date(year, month, day).getTime()
    }
    return this.#dayBase + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms
  }

  /** `HH:MM:SS` at `s[i]` on the given day; optional `.fraction` read as ms. */
  hms(s: string, i: number, year: number, month: number, day: number): number {
    const h = digitsAt(s, i, 2)
    const mi = digitsAt(s, i + 3, 2)
    const sec = digitsAt(s, i + 6, 2)
    if (h < 0 || mi < 0 || sec < 0 || s.charCodeAt(i + 2) !== 58 || s.charCodeAt(i + 5) !== 58) return NaN
    let ms = 0
    if (s.charCodeAt(i + 8) === 46) {
      const f = digitsAt(s, i + 9, 3)
      if (f >= 0) ms = f
    }
    return this.at(year, month, day, h, mi, sec, ms)
  }

  /**
   * Parse one of the date forms PBXs print, starting at `s[i]`:
   * `YYYY-MM-DD HH:MM:SS[.fff]` (also with `T`), `Mmm dd HH:MM:SS` / `Mmm  d HH:MM:SS`,
   * `MM-DD HH:MM:SS[.ffffff]` (FreeSWITCH without year). NaN when none matches.
   */
  parseAt(s: string, i: number): number {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      if (s.charCodeAt(i + 4) === 45) {
        const y = digitsAt(s, i, 4)
        const mo = digitsAt(s, i + 5, 2)
        const d = digitsAt(s, i + 8, 2)
        const sep = s.charCodeAt(i + 10)
        if (y < 0 || mo < 0 || d < 0 || s.charCodeAt(i + 7) !== 45 || (sep !== 32 && sep !== 84)) return NaN
        return this.hms(s, i + 11, y, mo - 1, d)
      }
      if (s.charCodeAt(i + 2) === 45) {
        const mo = digitsAt(s, i, 2)
        const d = digitsAt(s, i + 3, 2)
        if (mo < 0 || d < 0 || s.charCodeAt(i + 5) !== 32) return NaN
        return this.hms(s, i + 6, -1, mo - 1, d)
      }
      return NaN
    }
    const mo = monthAt(s, i)
    if (mo < 0 || s.charCodeAt(i + 3) !== 32) return NaN
    let j = i + 4
    if (s.charCodeAt(j) === 32) j++
    let d = digitsAt(s, j, 2)
    if (d >= 0) j += 2
    else {
      d = digitsAt(s, j, 1)
      if (d < 0) return NaN
      j += 1
    }
    if (s.charCodeAt(j) !== 32) return NaN
    return this.hms(s, j + 1, -1, mo, d)
  }
}

/**
 * Skip a syslog header (`Mmm dd HH:MM:SS host prog[pid]: ` or `YYYY-MM-DDTHH:MM:SS… host prog[pid]: `).
 * Returns the index after it, or -1 when the line does not start with one. The header's date
 * start is always 0.
 */
export function syslogHeaderEnd(s: string): number {
  const c = s.charCodeAt(0)
  let i: number
  if (c >= 65 && c <= 90) {
    if (s.charCodeAt(3) !== 32 || monthAt(s, 0) < 0) return -1
    i = 4
    if (s.charCodeAt(i) === 32) i++
    while (i < 7 && s.charCodeAt(i) !== 32) i++
    // time
    if (s.charCodeAt(i) !== 32 || s.charCodeAt(i + 3) !== 58 || s.charCodeAt(i + 6) !== 58) return -1
    i += 9
  } else if (c >= 48 && c <= 57 && s.charCodeAt(4) === 45 && s.charCodeAt(10) === 84) {
    i = s.indexOf(' ', 10)
    if (i === -1) return -1
  } else return -1
  if (s.charCodeAt(i) !== 32) return -1
  // host
  const hostEnd = s.indexOf(' ', i + 1)
  if (hostEnd === -1 || hostEnd === i + 1) return -1
  // program, up to ': ' (no spaces in it)
  const progEnd = s.indexOf(': ', hostEnd + 1)
  if (progEnd === -1) return -1
  for (let k = hostEnd + 1; k < progEnd; k++) if (s.charCodeAt(k) === 32) return -1
  return progEnd + 2
}
