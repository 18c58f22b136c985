// What a format's row parser gets besides the fields.
import { parseWallClock, type ZoneClock } from './time.js'

export interface RowContext {
  /** 1-based line number */
  readonly line: number
  /** zone of the file's wall-clock times */
  readonly zone: ZoneClock
}

export function toUtc(text: string, ctx: RowContext): number {
  const local = parseWallClock(text)
  return Number.isNaN(local) ? NaN : ctx.zone.fromLocal(local)
}
