// The kernel sinks (nftables, ipset) collect ban/unban operations for a short while and
// apply them in one process run: one `nft -f -` for 10,000 bans instead of 10,000 processes.
// Runs are serialised, so a later batch never overtakes an earlier one.

export class BatchQueue<T> {
  readonly #delayMs: number
  readonly #apply: (batch: T[]) => Promise<void>
  #queue: T[] = []
  #timer: NodeJS.Timeout | null = null
  #flushing: Promise<void> = Promise.resolve()

  constructor(delayMs: number, apply: (batch: T[]) => Promise<void>) {
    this.#delayMs = delayMs
    this.#apply = apply
  }

  push(op: T): void {
    this.#queue.push(op)
    if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null
        void this.flush()
      }, this.#delayMs)
    }
  }

  /** Applies what is queued now; resolves when it (and every earlier batch) has been applied. */
  flush(): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer)
      this.#timer = null
    }
    const batch = this.#queue
    this.#queue = []
    if (batch.length === 0) return this.#flushing
    this.#flushing = this.#flushing.then(() => this.#apply(batch))
    return this.#flushing
  }
}
