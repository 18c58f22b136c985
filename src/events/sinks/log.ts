// Log sink: one structured pino line per event. The level follows the severity
// (info → info, warning → warn, critical → error); the event sits under `event` so that
// pino's own `time` (when it was logged) and the event's time (when it happened) stay apart.
//
//   {"level":40,"time":…,"msg":"flood.register ban 192.0.2.1","event":{"time":…,"code":…}}

import type { Level, Logger } from 'pino'
import type { EventSeverity, SecurityEvent } from '../event.js'
import { type EventSink, warnOnce } from '../sink.js'

export const DEFAULT_SEVERITY_LEVELS: Readonly<Record<EventSeverity, Level>> = Object.freeze({
  info: 'info',
  warning: 'warn',
  critical: 'error',
})

export interface LogSinkOptions {
  readonly logger: Logger
  /** Override the level per severity (events without a severity count as `info`). */
  readonly levels?: Partial<Record<EventSeverity, Level>>
  /** A logger that throws (a broken destination). Default: one process warning. */
  readonly onError?: (error: unknown) => void
}

export function createLogSink(opts: LogSinkOptions): EventSink {
  const logger = opts.logger
  const levels = { ...DEFAULT_SEVERITY_LEVELS, ...opts.levels }
  const onError = opts.onError ?? warnOnce('log')
  let closed = false
  return {
    write(event: SecurityEvent): void {
      if (closed) return
      const level = levels[event.severity ?? 'info']
      // skip building the line when the level is off (pino's own trick, lib/levels.js)
      if (!logger.isLevelEnabled(level)) return
      try {
        logger[level]({ event }, `${event.code} ${event.action} ${event.address}`)
      } catch (err) {
        onError(err)
      }
    },
    flush(): Promise<void> {
      return new Promise((resolve) => {
        try {
          logger.flush(() => resolve())
        } catch (err) {
          onError(err)
          resolve()
        }
      })
    },
    async close(): Promise<void> {
      if (closed) return
      await this.flush()
      closed = true
    },
  }
}
