// Windowed counters with two rotating buckets (kamailio pike's hits[PREV_POS]/hits[CURR_POS],
// the "sliding window counter" of rate limiters): no timestamp arrays, O(1) memory per key.
//
// Buckets are aligned to multiples of windowMs since the epoch, so every adapter (and every
// node sharing a Redis) puts a hit in the same bucket. The count at time t is
//
//   curr + floor(prev × (windowMs − (t − bucketStart)) / windowMs)
//
// i.e. the previous bucket weighted by how much of it still lies inside the window that ends
// at t, assuming its hits were spread evenly (as pike and common rate limiters do). The
// current bucket is exact; with integer amounts the result is an integer.

import { LruList, type LruNode } from './lru.js'

export interface CounterEntry {
  windowMs: number
  /** start of the current bucket, a multiple of windowMs */
  start: number
  prev: number
  curr: number
}

/** Where the SQLite adapter writes changed counters (write-behind). */
export interface CounterSink {
  put(key: string, e: CounterEntry): void
  remove(key: string): void
}

/** Gap between two expiry scans triggered by a full table (ms of store time). */
const FULL_SWEEP_GAP_MS = 1000

export function counterExpiresAt(e: CounterEntry): number {
  return e.start + 2 * e.windowMs
}

function estimate(e: CounterEntry, now: number): number {
  const w = e.windowMs
  const start = now - (now % w)
  if (start <= e.start) {
    const elapsed = now > e.start ? now - e.start : 0
    return e.curr + Math.floor((e.prev * (w - elapsed)) / w)
  }
  if (start - e.start === w) return Math.floor((e.curr * (w - (now - start))) / w)
  return 0
}

function rotate(e: CounterEntry, now: number): void {
  const start = now - (now % e.windowMs)
  if (start <= e.start) return
  e.prev = start - e.start === e.windowMs ? e.curr : 0
  e.curr = 0
  e.start = start
}

/** A counter in the table: its buckets plus its place in the LRU list (stable shape). */
class CounterNode implements CounterEntry, LruNode {
  lruPrev: CounterNode | null = null
  lruNext: CounterNode | null = null
  constructor(
    readonly key: string,
    public windowMs: number,
    public start: number,
    public prev: number,
    public curr: number,
  ) {}
}

export class CounterTable {
  readonly #map = new Map<string, CounterNode>()
  readonly #lru = new LruList<CounterNode>()
  readonly #max: number
  /** keys changed since the last drain; null when nobody persists (memory adapter) */
  readonly #dirty: Set<string> | null
  /** counters with a shorter window are not worth persisting (see docs/state.md) */
  readonly #persistMinWindowMs: number
  #nextFullSweep = Number.NEGATIVE_INFINITY

  constructor(max: number, persistMinWindowMs: number | null) {
    this.#max = max
    this.#dirty = persistMinWindowMs === null ? null : new Set()
    this.#persistMinWindowMs = persistMinWindowMs ?? Number.POSITIVE_INFINITY
  }

  get size(): number {
    return this.#map.size
  }

  hit(key: string, windowMs: number, amount: number, now: number): number {
    let e = this.#map.get(key)
    if (e === undefined) {
      if (this.#map.size >= this.#max) this.#makeRoom(now)
      e = new CounterNode(key, windowMs, now - (now % windowMs), 0, 0)
      this.#map.set(key, e)
      this.#lru.push(e)
    } else {
      this.#lru.touch(e)
      if (e.windowMs !== windowMs) {
        // a key is bound to one window; a caller changing it starts afresh
        e.windowMs = windowMs
        e.start = now - (now % windowMs)
        e.prev = 0
        e.curr = 0
      } else {
        rotate(e, now)
      }
    }
    e.curr += amount
    if (this.#dirty !== null && windowMs >= this.#persistMinWindowMs) this.#dirty.add(key)
    return estimate(e, now)
  }

  count(key: string, windowMs: number, now: number): number {
    const e = this.#map.get(key)
    if (e === undefined || e.windowMs !== windowMs) return 0
    return estimate(e, now)
  }

  reset(key: string): void {
    const e = this.#map.get(key)
    if (e !== undefined) this.#delete(e)
  }

  /** Puts back a persisted counter (SQLite restore); entries arrive least recently used first. */
  restore(key: string, e: CounterEntry, now: number): void {
    if (counterExpiresAt(e) <= now) return
    const old = this.#map.get(key)
    if (old !== undefined) this.#delete(old)
    else if (this.#map.size >= this.#max) this.#makeRoom(now)
    const n = new CounterNode(key, e.windowMs, e.start, e.prev, e.curr)
    this.#map.set(key, n)
    this.#lru.push(n)
  }

  sweep(now: number): number {
    let removed = 0
    let n = this.#lru.head
    while (n !== null) {
      const next = n.lruNext
      if (counterExpiresAt(n) <= now) {
        // no dirty mark: the persisted row carries the same expiry and is deleted by SQL
        this.#map.delete(n.key)
        this.#lru.remove(n)
        removed++
      }
      n = next
    }
    this.#nextFullSweep = now + FULL_SWEEP_GAP_MS
    return removed
  }

  /** Writes every persisted counter changed since the last flush (present: put; gone: remove). */
  flushTo(sink: CounterSink, now: number): void {
    const dirty = this.#dirty
    if (dirty === null) return
    for (const key of dirty) {
      const e = this.#map.get(key)
      if (e !== undefined && counterExpiresAt(e) > now) sink.put(key, e)
      else sink.remove(key)
    }
    dirty.clear()
  }

  get dirtyCount(): number {
    return this.#dirty?.size ?? 0
  }

  #delete(e: CounterNode): void {
    this.#map.delete(e.key)
    this.#lru.remove(e)
    if (this.#dirty !== null && e.windowMs >= this.#persistMinWindowMs) this.#dirty.add(e.key)
  }

  /** Expired entries first (one scan at most every FULL_SWEEP_GAP_MS), then the least recently used. */
  #makeRoom(now: number): void {
    if (now >= this.#nextFullSweep) this.sweep(now)
    while (this.#map.size >= this.#max && this.#lru.head !== null) this.#delete(this.#lru.head)
  }
}
