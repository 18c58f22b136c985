// A coarse timer wheel for transaction timers: one unref()ed interval for the whole table, no
// timer or closure per message. Entries carry their own deadline and slot; the owner gets one
// callback (a module-level function) per expired entry.

export interface WheelEntry {
  /** ms epoch; 0 = not scheduled */
  deadline: number
  /** slot index while scheduled, -1 otherwise */
  slot: number
}

export class TimerWheel<T extends WheelEntry> {
  readonly #slots: Set<T>[]
  readonly #tickMs: number
  readonly #onExpire: (entry: T, now: number) => void
  readonly #now: () => number
  #cursor: number
  #last: number
  #timer: NodeJS.Timeout | null = null

  constructor(
    tickMs: number,
    slots: number,
    onExpire: (entry: T, now: number) => void,
    now: () => number = Date.now,
  ) {
    this.#tickMs = tickMs
    this.#slots = Array.from({ length: slots }, () => new Set<T>())
    this.#onExpire = onExpire
    this.#now = now
    this.#last = now()
    this.#cursor = Math.floor(this.#last / tickMs) % slots
  }

  start(): void {
    if (this.#timer !== null) return
    this.#timer = setInterval(tickWheel, this.#tickMs, this as unknown as TimerWheel<WheelEntry>)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
  }

  schedule(entry: T, deadline: number): void {
    this.cancel(entry)
    entry.deadline = deadline
    const slot = Math.floor(Math.max(deadline, this.#last + this.#tickMs) / this.#tickMs) % this.#slots.length
    entry.slot = slot
    this.#slots[slot]!.add(entry)
  }

  cancel(entry: T): void {
    if (entry.slot >= 0) this.#slots[entry.slot]!.delete(entry)
    entry.slot = -1
    entry.deadline = 0
  }

  /** Advances to now, expiring due entries (the interval calls it; tests may too). */
  advance(): void {
    const now = this.#now()
    const n = this.#slots.length
    let ticks = Math.floor(now / this.#tickMs) - Math.floor(this.#last / this.#tickMs)
    if (ticks > n) ticks = n
    for (let i = 0; i <= ticks; i++) {
      const idx = (this.#cursor + i) % n
      const set = this.#slots[idx]!
      if (set.size === 0) continue
      for (const e of set) {
        if (e.deadline <= now) {
          set.delete(e)
          e.slot = -1
          e.deadline = 0
          this.#onExpire(e, now)
        }
      }
    }
    this.#cursor = Math.floor(now / this.#tickMs) % n
    this.#last = now
  }
}

function tickWheel(w: TimerWheel<WheelEntry>): void {
  w.advance()
}
