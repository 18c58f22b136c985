// The common core of the alert sinks (webhook, email, syslog): which events are alerts,
// de-duplication, a token bucket per destination with a digest of what was held back,
// a bounded delivery queue and retries with backoff. A destination only supplies
// `deliver(batch)`; everything that keeps an attack from becoming a mail storm lives here.
//
// What counts as an alert: an event whose action is `alert`, `ban` or `lock`, or any event
// whose severity is `critical`. Its severity is the event's own, else `critical` for `lock`
// and `warning` for `alert` and `ban`. A destination receives the alerts at or above its
// `minSeverity`.
//
// De-duplication: the same code + address + account within `dedupWindowMs` is sent once;
// the repeats are counted and reported in the next digest.
// Rate limit: a token bucket of `maxAlertsPerWindow` tokens refilled over `windowMs`. An
// alert that finds the bucket empty is held back (counted, not queued); one digest message
// summarising everything held back follows `digestDelayMs` later, and one more per delay
// while suppression goes on. Digests do not use tokens.

import type { EventSeverity, SecurityEvent } from '../event.js'
import { type EventSink, warnOnce } from '../sink.js'

export const ALERT_ACTIONS: ReadonlySet<string> = new Set(['alert', 'ban', 'lock'])
const SEVERITY_RANK: Readonly<Record<EventSeverity, number>> = { info: 0, warning: 1, critical: 2 }

/** The severity an event is alerted with, or null when the event is not an alert. */
export function alertSeverity(event: SecurityEvent): EventSeverity | null {
  if (event.severity === 'critical') return 'critical'
  if (!ALERT_ACTIONS.has(event.action)) return null
  if (event.severity !== undefined) return event.severity
  return event.action === 'lock' ? 'critical' : 'warning'
}

export function severityAtLeast(s: EventSeverity, min: EventSeverity): boolean {
  return SEVERITY_RANK[s] >= SEVERITY_RANK[min]
}

export interface AlertItem {
  readonly kind: 'alert'
  readonly severity: EventSeverity
  readonly event: SecurityEvent
}

export interface DigestItem {
  readonly kind: 'digest'
  /** start and end of the period summarised, ms epoch */
  readonly since: number
  readonly until: number
  /** repeats of an alert already sent within the de-duplication window */
  readonly duplicates: number
  /** alerts held back by the rate limit */
  readonly rateLimited: number
  /** alerts lost because the delivery queue was full or delivery failed for good */
  readonly dropped: number
  /** held back alerts by code, most frequent first (at most 10) */
  readonly codes: readonly { readonly code: string; readonly count: number }[]
  /** held back alerts by source address, most frequent first (at most 10) */
  readonly addresses: readonly { readonly address: string; readonly count: number }[]
  /** the highest severity held back */
  readonly severity: EventSeverity
}

export type AlertMessage = AlertItem | DigestItem

export interface AlertDispatcherOptions {
  /** destination name for messages (`webhook:ops`, `email`, `syslog`); never a secret */
  readonly name: string
  readonly minSeverity: EventSeverity
  /** Sends one batch; throws (or rejects) to have it retried. */
  readonly deliver: (batch: readonly AlertMessage[]) => Promise<void>
  /** default 10 min */
  readonly dedupWindowMs?: number
  /** default 30 */
  readonly maxAlertsPerWindow?: number
  /** default 1 h */
  readonly windowMs?: number
  /** Delay from the first held-back alert to its digest. Default windowMs / maxAlertsPerWindow, at least 1 s. */
  readonly digestDelayMs?: number
  /** Messages per deliver() call. Default 1. */
  readonly maxBatch?: number
  /** Wait this long after the first queued message so that a batch can fill. Default 0. */
  readonly batchDelayMs?: number
  /** Messages waiting for delivery; beyond, alerts are dropped (and counted). Default 100. */
  readonly maxQueue?: number
  /** Retries after a failed delivery. Default 3. */
  readonly retries?: number
  /** First retry delay; doubles each time, capped at 30 s. Default 1 s. */
  readonly retryBaseMs?: number
  /** Distinct keys remembered for de-duplication; the oldest are forgotten first. Default 10000. */
  readonly maxDedupKeys?: number
  /** A delivery that failed (after its retries, or not retryable). Default: one process warning. */
  readonly onError?: (error: unknown, name: string) => void
  readonly now?: () => number
}

/** Thrown by deliver() when retrying cannot help (HTTP 4xx, a rejected recipient). */
export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError'
}

export interface AlertSinkStats {
  /** alert and digest messages delivered */
  readonly sent: number
  readonly digests: number
  readonly duplicates: number
  readonly rateLimited: number
  readonly dropped: number
  readonly failed: number
  readonly retries: number
}

export interface AlertSink extends EventSink {
  readonly name: string
  stats(): AlertSinkStats
}

interface DedupEntry {
  until: number
}

export function createAlertDispatcher(opts: AlertDispatcherOptions): AlertSink {
  return new AlertDispatcher(opts)
}

class AlertDispatcher implements AlertSink {
  readonly name: string
  readonly #min: EventSeverity
  readonly #deliver: (batch: readonly AlertMessage[]) => Promise<void>
  readonly #dedupMs: number
  readonly #capacity: number
  readonly #refillPerMs: number
  readonly #digestDelayMs: number
  readonly #maxBatch: number
  readonly #batchDelayMs: number
  readonly #maxQueue: number
  readonly #retries: number
  readonly #retryBaseMs: number
  readonly #maxKeys: number
  readonly #onError: (error: unknown, name: string) => void
  readonly #now: () => number

  #tokens: number
  #refilledAt: number
  readonly #dedup = new Map<string, DedupEntry>()
  #queue: AlertMessage[] = []
  #draining: Promise<void> | null = null
  #closed = false
  #closing: Promise<void> | null = null
  /** pending timers (digest, batch wait, retry backoff) so close() can cut them short */
  #digestTimer: NodeJS.Timeout | null = null
  #wake: (() => void) | null = null

  // what the next digest reports
  #pSince = 0
  #pDuplicates = 0
  #pRateLimited = 0
  #pDropped = 0
  #pSeverity: EventSeverity = 'info'
  #pCodes = new Map<string, number>()
  #pAddresses = new Map<string, number>()

  #sent = 0
  #digests = 0
  #duplicates = 0
  #rateLimited = 0
  #dropped = 0
  #failed = 0
  #retried = 0

  constructor(o: AlertDispatcherOptions) {
    this.name = o.name
    this.#min = o.minSeverity
    this.#deliver = o.deliver
    this.#dedupMs = o.dedupWindowMs ?? 10 * 60_000
    this.#capacity = o.maxAlertsPerWindow ?? 30
    const windowMs = o.windowMs ?? 3_600_000
    this.#refillPerMs = this.#capacity / windowMs
    this.#digestDelayMs = o.digestDelayMs ?? Math.max(1000, Math.round(windowMs / this.#capacity))
    this.#maxBatch = o.maxBatch ?? 1
    this.#batchDelayMs = o.batchDelayMs ?? 0
    this.#maxQueue = o.maxQueue ?? 100
    this.#retries = o.retries ?? 3
    this.#retryBaseMs = o.retryBaseMs ?? 1000
    this.#maxKeys = o.maxDedupKeys ?? 10_000
    this.#onError = o.onError ?? warnOnce(o.name)
    this.#now = o.now ?? Date.now
    this.#tokens = this.#capacity
    this.#refilledAt = this.#now()
  }

  readonly write = (event: SecurityEvent): void => {
    if (this.#closed) return
    const severity = alertSeverity(event)
    if (severity === null || !severityAtLeast(severity, this.#min)) return
    const now = this.#now()
    const key = `${event.code}\u0000${event.address}\u0000${event.account ?? ''}`
    const seen = this.#dedup.get(key)
    if (seen !== undefined && seen.until > now) {
      this.#duplicates++
      this.#pDuplicates++
      this.#hold(event, severity, now)
      return
    }
    // re-insert so that the Map's order stays oldest-first for eviction
    if (seen !== undefined) this.#dedup.delete(key)
    else if (this.#dedup.size >= this.#maxKeys) this.#evict(now)
    this.#dedup.set(key, { until: now + this.#dedupMs })
    if (!this.#take(now)) {
      this.#rateLimited++
      this.#pRateLimited++
      this.#hold(event, severity, now)
      return
    }
    this.#enqueue({ kind: 'alert', severity, event })
  }

  async flush(): Promise<void> {
    while (this.#draining !== null) await this.#draining
  }

  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  stats(): AlertSinkStats {
    return {
      sent: this.#sent,
      digests: this.#digests,
      duplicates: this.#duplicates,
      rateLimited: this.#rateLimited,
      dropped: this.#dropped,
      failed: this.#failed,
      retries: this.#retried,
    }
  }

  async #close(): Promise<void> {
    this.#closed = true
    // what is held back is summarised now rather than lost
    if (this.#digestTimer !== null) {
      clearTimeout(this.#digestTimer)
      this.#digestTimer = null
      this.#emitDigest()
    }
    this.#wake?.()
    await this.flush()
  }

  #take(now: number): boolean {
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#refilledAt) * this.#refillPerMs)
    this.#refilledAt = now
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }

  /** Forgets expired keys; if none expired, the oldest tenth. */
  #evict(now: number): void {
    for (const [k, v] of this.#dedup) if (v.until <= now) this.#dedup.delete(k)
    if (this.#dedup.size < this.#maxKeys) return
    let n = Math.max(1, Math.floor(this.#maxKeys / 10))
    for (const k of this.#dedup.keys()) {
      if (n-- <= 0) break
      this.#dedup.delete(k)
    }
  }

  #hold(event: SecurityEvent, severity: EventSeverity, now: number): void {
    if (this.#pSince === 0) this.#pSince = now
    if (severityAtLeast(severity, this.#pSeverity)) this.#pSeverity = severity
    bump(this.#pCodes, event.code)
    bump(this.#pAddresses, event.address)
    this.#scheduleDigest()
  }

  #scheduleDigest(): void {
    if (this.#digestTimer !== null || this.#closed) return
    this.#digestTimer = setTimeout(() => {
      this.#digestTimer = null
      this.#emitDigest()
    }, this.#digestDelayMs)
    this.#digestTimer.unref()
  }

  #emitDigest(): void {
    if (this.#pDuplicates + this.#pRateLimited + this.#pDropped === 0) return
    const digest: DigestItem = {
      kind: 'digest',
      since: this.#pSince === 0 ? this.#now() : this.#pSince,
      until: this.#now(),
      duplicates: this.#pDuplicates,
      rateLimited: this.#pRateLimited,
      dropped: this.#pDropped,
      codes: top(this.#pCodes).map(([code, count]) => ({ code, count })),
      addresses: top(this.#pAddresses).map(([address, count]) => ({ address, count })),
      severity: this.#pSeverity,
    }
    this.#pSince = 0
    this.#pDuplicates = 0
    this.#pRateLimited = 0
    this.#pDropped = 0
    this.#pSeverity = 'info'
    this.#pCodes = new Map()
    this.#pAddresses = new Map()
    // a digest always finds room: it replaces the oldest alert rather than being lost
    if (this.#queue.length >= this.#maxQueue) {
      this.#queue.shift()
      this.#dropped++
    }
    this.#queue.push(digest)
    this.#startDrain()
  }

  #enqueue(m: AlertItem): void {
    if (this.#queue.length >= this.#maxQueue) {
      this.#drop(m.event, m.severity)
      return
    }
    this.#queue.push(m)
    this.#startDrain()
  }

  #drop(event: SecurityEvent, severity: EventSeverity): void {
    this.#dropped++
    this.#pDropped++
    this.#hold(event, severity, this.#now())
  }

  #startDrain(): void {
    if (this.#draining !== null) return
    this.#draining = this.#drain().finally(() => {
      this.#draining = null
      // a digest may have been queued while the last batch was in flight
      if (this.#queue.length > 0) this.#startDrain()
    })
  }

  async #drain(): Promise<void> {
    if (this.#batchDelayMs > 0 && !this.#closed) await this.#sleep(this.#batchDelayMs)
    else await new Promise<void>((r) => setImmediate(r))
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch)
      let attempt = 0
      for (;;) {
        try {
          await this.#deliver(batch)
          this.#sent += batch.length
          for (const m of batch) if (m.kind === 'digest') this.#digests++
          break
        } catch (err) {
          const permanent = err instanceof PermanentDeliveryError
          if (permanent || attempt >= this.#retries || this.#closed) {
            this.#failed += batch.length
            this.#onError(err, this.name)
            break
          }
          attempt++
          this.#retried++
          await this.#sleep(Math.min(30_000, this.#retryBaseMs * 2 ** (attempt - 1)))
        }
      }
    }
  }

  /** A wait that close() cuts short (kept ref()ed: flush() must not be left hanging). */
  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(t)
        if (this.#wake === done) this.#wake = null
        resolve()
      }
      const t = setTimeout(done, ms)
      this.#wake = done
    })
  }
}

function bump(m: Map<string, number>, key: string): void {
  const n = m.get(key)
  if (n !== undefined) m.set(key, n + 1)
  // bounded: beyond 1000 distinct values only the ones already seen are counted
  else if (m.size < 1000) m.set(key, 1)
}

function top(m: Map<string, number>): [string, number][] {
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10)
}

// ---------------------------------------------------------------------------------------
// Text forms shared by the destinations

/** Removes control characters (the account and detail text come from the attacker). */
export function clean(text: string, max = 200): string {
  const s = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}

/** One line: `critical: flood.register ban 192.0.2.1 account 1001 (stage scanner)`. */
export function alertLine(m: AlertMessage): string {
  if (m.kind === 'digest') {
    const parts: string[] = []
    if (m.rateLimited > 0) parts.push(`${m.rateLimited} held back by the rate limit`)
    if (m.duplicates > 0) parts.push(`${m.duplicates} repeats`)
    if (m.dropped > 0) parts.push(`${m.dropped} dropped`)
    const codes = m.codes.map((c) => `${c.code} ×${c.count}`).join(', ')
    const addrs = m.addresses.map((a) => `${a.address} ×${a.count}`).join(', ')
    return `digest: ${parts.join(', ')} between ${iso(m.since)} and ${iso(m.until)}; codes: ${codes}; sources: ${addrs}`
  }
  const e = m.event
  let s = `${m.severity}: ${e.code} ${e.action} ${e.address}`
  if (e.port !== undefined) s += ` port ${e.port}`
  if (e.account !== undefined) s += ` account ${clean(e.account, 64)}`
  if (e.stage !== undefined) s += ` (${clean(e.stage, 64)})`
  return s
}

/** `key=value` pairs of the detail, one line, bounded. */
export function detailText(e: SecurityEvent, max = 400): string {
  if (e.detail === undefined) return ''
  const parts: string[] = []
  for (const [k, v] of Object.entries(e.detail)) {
    const value = typeof v === 'string' ? v : JSON.stringify(v)
    parts.push(`${k}=${value}`)
  }
  return clean(parts.join(' '), max)
}

export function iso(ms: number): string {
  return new Date(ms).toISOString()
}
