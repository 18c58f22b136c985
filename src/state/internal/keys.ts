// Keys with an optional TTL: gauges (concurrent calls), spend, small flags.
// Expiry is lazy on access plus the coarse sweep; eviction is least recently used.

import { LruList, type LruNode } from './lru.js'
import { argError } from './util.js'

/** Where the SQLite adapter writes changed keys (write-behind). */
export interface KeySink {
  put(key: string, value: string, expiresAt: number): void
  remove(key: string): void
}

class KeyNode implements LruNode {
  lruPrev: KeyNode | null = null
  lruNext: KeyNode | null = null
  constructor(
    readonly key: string,
    public value: string,
    /** Infinity: no expiry */
    public expiresAt: number,
  ) {}
}

const FULL_SWEEP_GAP_MS = 1000

export class KeyTable {
  readonly #map = new Map<string, KeyNode>()
  readonly #lru = new LruList<KeyNode>()
  readonly #max: number
  /** keys changed since the last flush; null when nothing is persisted (memory adapter) */
  readonly #dirty: Set<string> | null
  #nextFullSweep = Number.NEGATIVE_INFINITY

  constructor(max: number, persisted: boolean) {
    this.#max = max
    this.#dirty = persisted ? new Set() : null
  }

  get size(): number {
    return this.#map.size
  }

  get dirtyCount(): number {
    return this.#dirty?.size ?? 0
  }

  /** Writes every key changed since the last flush (present: put; gone: remove). */
  flushTo(sink: KeySink, now: number): void {
    const dirty = this.#dirty
    if (dirty === null) return
    for (const key of dirty) {
      const e = this.#map.get(key)
      if (e !== undefined && e.expiresAt > now) sink.put(key, e.value, e.expiresAt)
      else sink.remove(key)
    }
    dirty.clear()
  }

  get(key: string, now: number): string | undefined {
    const e = this.#live(key, now)
    if (e === undefined) return undefined
    this.#lru.touch(e)
    return e.value
  }

  set(key: string, value: string, expiresAt: number, now: number): void {
    this.#put(key, value, expiresAt, now)
  }

  del(key: string, now: number): boolean {
    const e = this.#map.get(key)
    if (e === undefined) return false
    this.#delete(e)
    this.#dirty?.add(key)
    return e.expiresAt > now
  }

  incrBy(key: string, delta: number, ttlMs: number | undefined, now: number): number {
    const e = this.#live(key, now)
    let current = 0
    if (e !== undefined) {
      current = Number(e.value)
      if (e.value.trim() === '' || !Number.isFinite(current)) {
        throw argError(`incrBy: the value at key ${JSON.stringify(key.slice(0, 64))} is not a number`)
      }
    }
    let next = current + delta
    if (next < 0) next = 0
    const expiresAt =
      ttlMs !== undefined ? now + ttlMs : e !== undefined ? e.expiresAt : Number.POSITIVE_INFINITY
    this.#put(key, String(next), expiresAt, now)
    return next
  }

  /** SQLite restore: rows arrive least recently written first. */
  restore(key: string, value: string, expiresAt: number, now: number): void {
    if (expiresAt <= now) return
    const old = this.#map.get(key)
    if (old !== undefined) this.#delete(old)
    else if (this.#map.size >= this.#max) this.#makeRoom(now)
    const n = new KeyNode(key, value, expiresAt)
    this.#map.set(key, n)
    this.#lru.push(n)
  }

  sweep(now: number): number {
    let removed = 0
    let n = this.#lru.head
    while (n !== null) {
      const next = n.lruNext
      // expired rows in SQLite are deleted by the adapter's own sweep statement
      if (n.expiresAt <= now) {
        this.#delete(n)
        removed++
      }
      n = next
    }
    this.#nextFullSweep = now + FULL_SWEEP_GAP_MS
    return removed
  }

  #live(key: string, now: number): KeyNode | undefined {
    const e = this.#map.get(key)
    if (e === undefined) return undefined
    if (e.expiresAt > now) return e
    this.#delete(e)
    return undefined
  }

  #delete(e: KeyNode): void {
    this.#map.delete(e.key)
    this.#lru.remove(e)
  }

  #put(key: string, value: string, expiresAt: number, now: number): void {
    let e = this.#map.get(key)
    if (e === undefined) {
      if (this.#map.size >= this.#max) this.#makeRoom(now)
      e = new KeyNode(key, value, expiresAt)
      this.#map.set(key, e)
      this.#lru.push(e)
    } else {
      this.#lru.touch(e)
      e.value = value
      e.expiresAt = expiresAt
    }
    this.#dirty?.add(key)
  }

  /** Expired keys first (one scan at most every FULL_SWEEP_GAP_MS), then the least recently used. */
  #makeRoom(now: number): void {
    if (now >= this.#nextFullSweep) this.sweep(now)
    while (this.#map.size >= this.#max && this.#lru.head !== null) {
      const oldest = this.#lru.head
      this.#delete(oldest)
      this.#dirty?.add(oldest.key)
    }
  }
}
