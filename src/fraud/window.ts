// A sliding count over a fixed number of buckets (style habit 12: rotating buckets, not
// timestamp arrays): memory is constant whatever the call rate. The count covers the current
// bucket plus the previous n-1, i.e. between (n-1)/n and all of the window.

export class BucketWindow {
  readonly #counts: Uint32Array
  readonly #bucketMs: number
  /** absolute index (time / bucketMs) of the newest bucket, -1 before the first use */
  #head = -1
  /** the sum of the buckets, kept up to date so that count() is not a loop */
  #total = 0

  constructor(windowMs: number, buckets: number) {
    this.#counts = new Uint32Array(buckets)
    this.#bucketMs = Math.max(1, Math.floor(windowMs / buckets))
  }

  #advance(now: number): void {
    const idx = Math.floor(now / this.#bucketMs)
    if (this.#head < 0) {
      this.#head = idx
      return
    }
    if (idx <= this.#head) return // same bucket, or the clock stepped back: count into the newest
    const n = this.#counts.length
    const steps = Math.min(n, idx - this.#head)
    for (let i = 1; i <= steps; i++) {
      const b = (this.#head + i) % n
      this.#total -= this.#counts[b]!
      this.#counts[b] = 0
    }
    this.#head = idx
  }

  count(now: number): number {
    this.#advance(now)
    return this.#total
  }

  add(now: number): void {
    this.#advance(now)
    const i = this.#head % this.#counts.length
    this.#counts[i] = this.#counts[i]! + 1
    this.#total++
  }
}
