// Webhook alert sink: one HTTP(S) POST per alert or digest, JSON body. Two shapes:
//   json  — {"type":"alert","site":…,"severity":…,"text":…,"event":{…}} or
//           {"type":"digest","site":…,"severity":…,"text":…,"digest":{…}}
//   slack — {"text":…,"blocks":[{"type":"section","text":{"type":"mrkdwn","text":…}}]}
//           (what Slack, Mattermost and Rocket.Chat incoming webhooks accept)
// A 2xx is success; 408, 429 and 5xx, timeouts and network errors are retried with backoff;
// other statuses are not. The URL (it usually embeds a token) is never logged: the sink is
// named `webhook:<name>` and errors name only the status or the network error code.

import type { EventSeverity } from '../event.js'
import {
  type AlertDispatcherOptions,
  type AlertMessage,
  type AlertSink,
  alertLine,
  createAlertDispatcher,
  detailText,
  PermanentDeliveryError,
} from './throttle.js'

export interface WebhookSinkOptions extends Omit<
  AlertDispatcherOptions,
  'deliver' | 'name' | 'minSeverity' | 'maxBatch'
> {
  /** http: or https: */
  readonly url: string
  /** shown in errors instead of the URL; default `webhook` */
  readonly name?: string
  readonly format?: 'json' | 'slack'
  readonly headers?: Readonly<Record<string, string>>
  readonly minSeverity?: EventSeverity
  /** per request; default 5 s */
  readonly timeoutMs?: number
  /** site name put in every message */
  readonly site?: string
}

export function createWebhookSink(opts: WebhookSinkOptions): AlertSink {
  const url = new URL(opts.url)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError('a webhook URL must be http: or https:')
  }
  const site = opts.site ?? 'sipwarden'
  const format = opts.format ?? 'json'
  const timeoutMs = opts.timeoutMs ?? 5000
  const headers: Record<string, string> = {
    ...opts.headers,
    'content-type': 'application/json',
    'user-agent': 'sipwarden-alerts',
  }
  const name = opts.name !== undefined ? `webhook:${opts.name}` : 'webhook'
  return createAlertDispatcher({
    ...opts,
    name,
    minSeverity: opts.minSeverity ?? 'warning',
    maxBatch: 1,
    deliver: async (batch) => {
      for (const m of batch) {
        const body = JSON.stringify(format === 'slack' ? slackBody(m, site) : jsonBody(m, site))
        let res: Response
        try {
          res = await fetch(url, {
            method: 'POST',
            headers,
            body,
            redirect: 'error',
            signal: AbortSignal.timeout(timeoutMs),
          })
        } catch (err) {
          throw new Error(`${name}: ${networkReason(err)}`)
        }
        // the body is not needed; release the connection
        await res.body?.cancel().catch(() => {})
        if (res.ok) continue
        const msg = `${name}: HTTP ${res.status}`
        if (res.status === 408 || res.status === 429 || res.status >= 500) throw new Error(msg)
        throw new PermanentDeliveryError(msg)
      }
    },
  })
}

export function jsonBody(m: AlertMessage, site: string): Record<string, unknown> {
  if (m.kind === 'digest') {
    const { kind: _kind, ...digest } = m
    return { type: 'digest', site, severity: m.severity, text: alertLine(m), digest }
  }
  return { type: 'alert', site, severity: m.severity, text: alertLine(m), event: m.event }
}

/** Slack mrkdwn: &, < and > are the characters Slack asks to escape. */
function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export function slackBody(m: AlertMessage, site: string): Record<string, unknown> {
  const icon = m.severity === 'critical' ? ':rotating_light:' : m.severity === 'warning' ? ':warning:' : ''
  const head = `${icon} *${slackEscape(site)}* ${slackEscape(alertLine(m))}`.trim()
  const lines = [head]
  if (m.kind === 'alert') {
    const d = detailText(m.event)
    if (d !== '') lines.push(`\`${slackEscape(d.replace(/`/g, "'"))}\``)
    lines.push(`at ${new Date(m.event.time).toISOString()}`)
  }
  const text = lines.join('\n')
  return {
    text: slackEscape(`${site}: ${alertLine(m)}`),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  }
}

function networkReason(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out'
    const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause
    if (cause !== undefined && typeof cause.code === 'string') return cause.code
    if (cause !== undefined && typeof cause.message === 'string') return oneLine(cause.message)
    return oneLine(err.message)
  }
  return 'request failed'
}

function oneLine(s: string): string {
  // never echo a URL: it may carry the token
  return s
    .replace(/https?:\/\/\S+/g, '<url>')
    .replace(/\s+/g, ' ')
    .slice(0, 200)
}
