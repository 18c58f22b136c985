// Bounded token buckets keyed by a string (source address, address + method). Counting in place,
// no timestamp arrays; the table is bounded (oldest entries evicted first, Map insertion order).

export interface BucketSpec {
  /** bucket size */
  readonly burst: number
  /** tokens refilled per windowMs */
  readonly perWindow: number
  readonly windowMs: number
}

interface Bucket {
  tokens: number
  at: number
}

export class TokenBuckets {
  readonly #max: number
  readonly #buckets = new Map<string, Bucket>()

  constructor(maxEntries: number) {
    this.#max = maxEntries
  }

  get size(): number {
    return this.#buckets.size
  }

  /** Takes one token; false when the bucket is empty. */
  take(key: string, spec: BucketSpec, now: number): boolean {
    let b = this.#buckets.get(key)
    if (b === undefined) {
      if (this.#buckets.size >= this.#max) {
        const oldest = this.#buckets.keys().next().value
        if (oldest !== undefined) this.#buckets.delete(oldest)
      }
      b = { tokens: spec.burst, at: now }
      this.#buckets.set(key, b)
    } else {
      const refill = ((now - b.at) * spec.perWindow) / spec.windowMs
      if (refill > 0) {
        b.tokens = Math.min(spec.burst, b.tokens + refill)
        b.at = now
      }
    }
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }
}
