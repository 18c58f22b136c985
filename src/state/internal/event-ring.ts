// The memory adapter's event log: a fixed-capacity ring; the earliest appended event is
// overwritten when it is full.

import { assertEvent, normalizeIp, type SecurityEvent } from '../../events/event.js'
import { DEFAULT_EVENT_QUERY_LIMIT, MAX_EVENT_QUERY_LIMIT } from '../limits.js'
import type { EventQuery, StoredEvent } from '../store.js'
import { argError } from './util.js'

export interface ResolvedQuery {
  readonly since: number
  readonly until: number
  readonly code: string | undefined
  readonly address: string | undefined
  readonly account: string | undefined
  readonly action: string | undefined
  readonly limit: number
}

export function resolveQuery(q: EventQuery | undefined): ResolvedQuery {
  const query = q ?? {}
  const limit = query.limit ?? DEFAULT_EVENT_QUERY_LIMIT
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_EVENT_QUERY_LIMIT) {
    throw argError(
      `queryEvents: limit must be an integer from 1 to ${MAX_EVENT_QUERY_LIMIT}, got ${String(limit)}`,
    )
  }
  for (const k of ['since', 'until'] as const) {
    const v = query[k]
    if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) {
      throw argError(`queryEvents: ${k} must be a number (ms epoch), got ${String(v)}`)
    }
  }
  return {
    since: query.since ?? Number.NEGATIVE_INFINITY,
    until: query.until ?? Number.POSITIVE_INFINITY,
    code: query.code,
    address: query.address === undefined ? undefined : normalizeIp(query.address),
    account: query.account,
    action: query.action,
    limit,
  }
}

/** Validates and copies an event for storage (frozen, undefined fields dropped). */
export function storedEvent(event: SecurityEvent, id: number): StoredEvent {
  assertEvent(event)
  const out: Record<string, unknown> = { id }
  for (const k of Object.keys(event) as (keyof SecurityEvent)[]) {
    const v = event[k]
    if (v !== undefined) out[k] = k === 'detail' ? Object.freeze({ ...(v as object) }) : v
  }
  out['address'] = normalizeIp(event.address)
  return Object.freeze(out) as unknown as StoredEvent
}

export class EventRing {
  #buf: (StoredEvent | undefined)[]
  readonly #capacity: number
  /** index of the earliest appended event */
  #head = 0
  #size = 0
  #nextId = 1

  constructor(capacity: number) {
    this.#capacity = capacity
    this.#buf = []
  }

  get size(): number {
    return this.#size
  }

  append(event: SecurityEvent): void {
    const stored = storedEvent(event, this.#nextId++)
    if (this.#size < this.#capacity) {
      this.#buf[(this.#head + this.#size) % this.#capacity] = stored
      this.#size++
    } else {
      this.#buf[this.#head] = stored
      this.#head = (this.#head + 1) % this.#capacity
    }
  }

  query(q: ResolvedQuery): StoredEvent[] {
    const out: StoredEvent[] = []
    for (let i = 0; i < this.#size; i++) {
      const e = this.#buf[(this.#head + i) % this.#capacity]!
      if (e.time < q.since || e.time >= q.until) continue
      if (q.code !== undefined && e.code !== q.code) continue
      if (q.address !== undefined && e.address !== q.address) continue
      if (q.account !== undefined && e.account !== q.account) continue
      if (q.action !== undefined && e.action !== q.action) continue
      out.push(e)
    }
    out.sort(newestFirst)
    if (out.length > q.limit) out.length = q.limit
    return out
  }

  /** Removes events with time < cutoff; returns how many. */
  purgeBefore(cutoff: number): number {
    let old = 0
    for (let i = 0; i < this.#size; i++) {
      if (this.#buf[(this.#head + i) % this.#capacity]!.time < cutoff) old++
    }
    if (old === 0) return 0
    const kept: StoredEvent[] = []
    for (let i = 0; i < this.#size; i++) {
      const e = this.#buf[(this.#head + i) % this.#capacity]!
      if (e.time >= cutoff) kept.push(e)
    }
    const removed = this.#size - kept.length
    if (removed > 0) {
      this.#buf = kept
      this.#head = 0
      this.#size = kept.length
    }
    return removed
  }
}

function newestFirst(a: StoredEvent, b: StoredEvent): number {
  return b.time - a.time || b.id - a.id
}
