// Local calendar time in an IANA time zone (schedules, spend per calendar day and month), with
// Intl formatters cached per zone: creating one costs far more than using it.

import { WEEKDAYS, type Schedule, type Weekday } from '../config/schema.js'

interface LocalTime {
  /** YYYY-MM-DD */
  readonly day: string
  /** YYYY-MM */
  readonly month: string
  readonly weekday: Weekday
  /** minutes since local midnight */
  readonly minute: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
    if (formatters.size > 1000) formatters.clear()
    formatters.set(timeZone, f)
  }
  return f
}

export function localTime(ms: number, timeZone: string): LocalTime {
  let y = ''
  let mo = ''
  let d = ''
  let wd = ''
  let h = 0
  let mi = 0
  for (const p of formatter(timeZone).formatToParts(ms)) {
    switch (p.type) {
      case 'year':
        y = p.value
        break
      case 'month':
        mo = p.value
        break
      case 'day':
        d = p.value
        break
      case 'weekday':
        wd = p.value.toLowerCase()
        break
      case 'hour':
        h = Number(p.value) % 24
        break
      case 'minute':
        mi = Number(p.value)
        break
    }
  }
  return {
    day: `${y}-${mo}-${d}`,
    month: `${y}-${mo}`,
    weekday: wd.slice(0, 3) as Weekday,
    minute: h * 60 + mi,
  }
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':')
  return Number(h) * 60 + Number(m)
}

/** True when `ms` falls inside one of the schedule's windows. A window whose `to` is earlier
 * than its `from` spans midnight and belongs to the day it starts on (fri 22:00-06:00 covers
 * Friday night until Saturday 06:00). */
export function inSchedule(schedule: Schedule, ms: number, timeZone: string): boolean {
  const t = localTime(ms, timeZone)
  const day = WEEKDAYS.indexOf(t.weekday)
  const prev = WEEKDAYS[(day + 6) % 7]!
  for (const w of schedule.windows) {
    const from = minutesOf(w.from)
    const to = minutesOf(w.to)
    if (from < to) {
      if (w.days.includes(t.weekday) && t.minute >= from && t.minute < to) return true
    } else {
      if (w.days.includes(t.weekday) && t.minute >= from) return true
      if (w.days.includes(prev) && t.minute < to) return true
    }
  }
  return false
}
