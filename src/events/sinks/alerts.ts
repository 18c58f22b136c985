// One alert sink per destination in the policy's `alerting` section (webhooks, email,
// syslog), each with its own de-duplication, rate limit and queue (see throttle.ts).
// Used by `sipwarden gateway` and `sipwarden watch`. Delivery failures are logged by sink
// name (`webhook:ops`, `email`, `syslog:udp`), at most once a minute per sink, never with
// the URL, headers or password.

import type { Logger } from 'pino'
import type { Policy } from '../../config/schema.js'
import { createEmailSink } from './email.js'
import { createSyslogSink } from './syslog.js'
import type { AlertDispatcherOptions, AlertSink } from './throttle.js'
import { createWebhookSink } from './webhook.js'

export interface AlertSinkTuning {
  /** Overrides for tests: digest delay, batch delay, retry base. */
  readonly digestDelayMs?: number
  readonly batchDelayMs?: number
  readonly retryBaseMs?: number
}

export function createAlertSinks(
  policy: Pick<Policy, 'alerting' | 'site'>,
  logger?: Pick<Logger, 'warn'>,
  tuning: AlertSinkTuning = {},
): AlertSink[] {
  const a = policy.alerting
  const site = policy.site.name
  const common: Partial<AlertDispatcherOptions> = {
    dedupWindowMs: a.dedupWindowMs,
    maxAlertsPerWindow: a.rateLimit.maxAlertsPerWindow,
    windowMs: a.rateLimit.windowMs,
    ...tuning,
    onError: rateLimitedWarning(logger),
  }
  const sinks: AlertSink[] = []
  a.webhooks.forEach((w, i) => {
    sinks.push(
      createWebhookSink({
        ...common,
        url: w.url,
        name: w.name ?? String(i + 1),
        format: w.format,
        headers: w.headers,
        minSeverity: w.minSeverity,
        timeoutMs: w.timeoutMs,
        site,
      }),
    )
  })
  if (a.email !== undefined) {
    const e = a.email
    sinks.push(
      createEmailSink({
        ...common,
        smtp: {
          host: e.smtp.host,
          port: e.smtp.port,
          security: e.smtp.security,
          ...(e.smtp.username !== undefined ? { username: e.smtp.username } : {}),
          ...(e.smtp.password !== undefined ? { password: e.smtp.password } : {}),
        },
        from: e.from,
        to: e.to,
        minSeverity: e.minSeverity,
        site,
      }),
    )
  }
  if (a.syslog !== undefined) {
    const s = a.syslog
    sinks.push(
      createSyslogSink({
        ...common,
        transport: s.transport,
        path: s.path,
        host: s.host,
        port: s.port,
        facility: s.facility,
        appName: s.appName,
        minSeverity: s.minSeverity,
      }),
    )
  }
  return sinks
}

function rateLimitedWarning(logger?: Pick<Logger, 'warn'>): (error: unknown, name: string) => void {
  const last = new Map<string, number>()
  let suppressed = 0
  return (error, name) => {
    const now = Date.now()
    const t = last.get(name)
    if (t !== undefined && now - t < 60_000) {
      suppressed++
      return
    }
    last.set(name, now)
    const reason = error instanceof Error ? error.message : String(error)
    const n = suppressed
    suppressed = 0
    if (logger !== undefined)
      logger.warn({ sink: name, suppressedWarnings: n }, `alert delivery failed: ${reason}`)
    else process.emitWarning(`alert delivery failed: ${reason}`, { code: 'SGW_WARN_ALERT_SINK' })
  }
}
