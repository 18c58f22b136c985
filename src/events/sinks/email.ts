// Email alert sink over SMTP (nodemailer). Alerts that arrive close together go out as one
// mail (batchDelayMs, at most maxBatch per mail); digests ride along. `createMailer` is also
// what `sipwarden report daily --email` sends the report with. The SMTP password is never
// logged: errors carry only nodemailer's error code and SMTP response code.

import nodemailer from 'nodemailer'
import type { EventSeverity } from '../event.js'
import {
  type AlertDispatcherOptions,
  type AlertMessage,
  type AlertSink,
  alertLine,
  clean,
  createAlertDispatcher,
  detailText,
  iso,
  PermanentDeliveryError,
} from './throttle.js'

export interface SmtpOptions {
  readonly host: string
  readonly port: number
  /** starttls (required), tls (implicit, port 465) or none (plain; local relays only) */
  readonly security: 'starttls' | 'tls' | 'none'
  readonly username?: string
  readonly password?: string
  /** connection, greeting and socket timeouts; default 10 s */
  readonly timeoutMs?: number
}

export interface MailContent {
  readonly subject: string
  readonly text: string
  readonly html?: string
}

export interface Mailer {
  send(mail: MailContent): Promise<void>
  close(): void
}

export function createMailer(smtp: SmtpOptions, from: string, to: readonly string[]): Mailer {
  const timeout = smtp.timeoutMs ?? 10_000
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.security === 'tls',
    requireTLS: smtp.security === 'starttls',
    ignoreTLS: smtp.security === 'none',
    ...(smtp.username !== undefined ? { auth: { user: smtp.username, pass: smtp.password ?? '' } } : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    disableFileAccess: true,
    disableUrlAccess: true,
  })
  return {
    async send(mail: MailContent): Promise<void> {
      try {
        await transport.sendMail({
          from,
          to: [...to],
          subject: clean(mail.subject, 160),
          text: mail.text,
          ...(mail.html !== undefined ? { html: mail.html } : {}),
        })
      } catch (err) {
        throw smtpError(err)
      }
    },
    close(): void {
      transport.close()
    },
  }
}

/** A one-line error without the credentials; 5xx replies are not retried. */
function smtpError(err: unknown): Error {
  const e = err as { code?: unknown; responseCode?: unknown; message?: unknown }
  const code = typeof e.code === 'string' ? e.code : 'ESMTP'
  const status = typeof e.responseCode === 'number' ? e.responseCode : undefined
  const msg = `email: SMTP ${code}${status !== undefined ? ` ${status}` : ''}`
  if (status !== undefined && status >= 500 && code !== 'EAUTH') return new PermanentDeliveryError(msg)
  if (code === 'EAUTH' || code === 'EENVELOPE') return new PermanentDeliveryError(msg)
  return new Error(msg)
}

export interface EmailSinkOptions extends Omit<AlertDispatcherOptions, 'deliver' | 'name' | 'minSeverity'> {
  readonly smtp: SmtpOptions
  readonly from: string
  readonly to: readonly string[]
  readonly minSeverity?: EventSeverity
  readonly site?: string
}

export function createEmailSink(opts: EmailSinkOptions): AlertSink {
  const site = opts.site ?? 'sipwarden'
  const mailer = createMailer(opts.smtp, opts.from, opts.to)
  const sink = createAlertDispatcher({
    maxBatch: 50,
    batchDelayMs: 5000,
    ...opts,
    name: 'email',
    minSeverity: opts.minSeverity ?? 'critical',
    deliver: (batch) => mailer.send(alertMail(batch, site)),
  })
  const close = sink.close.bind(sink)
  return Object.assign(sink, {
    close: async () => {
      await close()
      mailer.close()
    },
  })
}

export function alertMail(batch: readonly AlertMessage[], site: string): MailContent {
  const alerts = batch.filter((m) => m.kind === 'alert').length
  const worst = batch.some((m) => m.severity === 'critical')
    ? 'critical'
    : batch.some((m) => m.severity === 'warning')
      ? 'warning'
      : 'info'
  const subject =
    batch.length === 1
      ? `[${site}] ${alertLine(batch[0]!)}`
      : `[${site}] ${alerts} alert${alerts === 1 ? '' : 's'}${alerts < batch.length ? ' and a digest' : ''} (${worst})`
  const blocks = batch.map((m) => {
    const lines = [alertLine(m)]
    if (m.kind === 'alert') {
      lines.push(`  time: ${iso(m.event.time)}`)
      const d = detailText(m.event, 1000)
      if (d !== '') lines.push(`  detail: ${d}`)
    }
    return lines.join('\n')
  })
  const text = `sipwarden at ${site}\n\n${blocks.join('\n\n')}\n`
  return { subject, text }
}
