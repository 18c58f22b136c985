// Wall-clock times of CDR files ("YYYY-MM-DD HH:MM:SS", local time without a zone) to epoch
// ms, and epoch ms to the hour of the week in a time zone. Intl is slow (~2 µs a call), so the
// UTC offset is cached per hour: a million rows need a few thousand Intl calls.

import { ErrorCodes, SgwError } from '../errors.js'

const HOUR = 3_600_000
/** cached offsets per zone before the cache is cleared (a zone over ~10 years of hours) */
const MAX_CACHED_HOURS = 100_000

export interface ZoneClock {
  readonly timeZone: string
  /** UTC offset (ms, local − UTC) at this instant */
  offsetAt(utcMs: number): number
  /** epoch ms of a local wall-clock time given as if it were UTC (Date.UTC of its fields) */
  fromLocal(localAsUtcMs: number): number
  /** 0 = Monday 00:00–01:00 … 167 = Sunday 23:00–24:00, local time */
  hourOfWeek(utcMs: number): number
}

const zones = new Map<string, ZoneClock>()

export function zoneClock(timeZone: string): ZoneClock {
  let z = zones.get(timeZone)
  if (z === undefined) {
    z = makeZoneClock(timeZone)
    zones.set(timeZone, z)
  }
  return z
}

function makeZoneClock(timeZone: string): ZoneClock {
  let fmt: Intl.DateTimeFormat
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
  } catch {
    throw new SgwError(
      ErrorCodes.CDR_INPUT,
      `unknown time zone '${timeZone}' (use an IANA name, e.g. Europe/Berlin)`,
    )
  }
  const utc = fmt.resolvedOptions().timeZone === 'UTC'
  const cache = new Map<number, number>()
  const offsetAt = (utcMs: number): number => {
    if (utc) return 0
    const h = Math.floor(utcMs / HOUR)
    let off = cache.get(h)
    if (off === undefined) {
      // offsets change on whole quarter hours at the latest; the hour's start is representative
      // except within a transition hour, which costs at most one hour of misplaced CDRs per year
      const at = h * HOUR
      const p: Record<string, number> = {}
      for (const part of fmt.formatToParts(new Date(at))) {
        if (part.type !== 'literal') p[part.type] = Number(part.value)
      }
      const local = Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!, p['second']!)
      off = local - at
      if (cache.size >= MAX_CACHED_HOURS) cache.clear()
      cache.set(h, off)
    }
    return off
  }
  return {
    timeZone,
    offsetAt,
    fromLocal(localAsUtcMs: number): number {
      const guess = localAsUtcMs - offsetAt(localAsUtcMs)
      const off = offsetAt(guess)
      return localAsUtcMs - off
    },
    hourOfWeek(utcMs: number): number {
      // 1970-01-01 was a Thursday: day 3 counting from Monday
      const hours = Math.floor((utcMs + offsetAt(utcMs)) / HOUR) + 72
      return ((hours % 168) + 168) % 168
    },
  }
}

/**
 * Parses "YYYY-MM-DD HH:MM:SS" (also with a T, and with fractional seconds, as FreeSWITCH may
 * write) as local wall-clock time, returned as Date.UTC of its fields; NaN when malformed.
 */
export function parseWallClock(s: string): number {
  if (s.length < 19) return NaN
  const d = (i: number) => s.charCodeAt(i) - 48
  const two = (i: number) => {
    const a = d(i)
    const b = d(i + 1)
    return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN
  }
  const sep = s.charCodeAt(10)
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || (sep !== 32 && sep !== 84)) return NaN
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN
  const year = two(0) * 100 + two(2)
  const month = two(5)
  const day = two(8)
  const hour = two(11)
  const minute = two(14)
  const second = two(17)
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60))
    return NaN
  let ms = 0
  if (s.length > 19) {
    if (s.charCodeAt(19) !== 46) return NaN
    const frac = s.slice(20, 23)
    if (!/^\d{1,3}$/.test(frac)) return NaN
    ms = Number(frac.padEnd(3, '0'))
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms)
}
