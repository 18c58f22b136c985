// Detection: per-source sliding windows over the events the format parsers extract.
//
// Each (source, rule) keeps a ring of the times of its last `threshold` events: the rule trips
// when the oldest of them is within `windowMs` of the newest — exactly fail2ban's "maxretry
// failures within findtime", in O(1) per event and `threshold` numbers of memory. Enumeration
// rules keep the distinct accounts seen in the window (at most `threshold` of them). Every table
// an attacker can grow is bounded: sources (least recently seen evicted first, through the
// state store's O(1) linked-list LRU) and remembered bans (least recently banned first, or the
// store's own bound). A source that trips a rule is banned with a TTL, its counters are
// dropped, and its events are ignored while the ban lasts (no duplicate bans).
import { LruList, type LruNode } from '../state/internal/lru.js'
import { type AllowList, compileAllowList } from './allow-list.js'
import { type DetectorOptions, escalatedTtl, resolveDetectorOptions } from './options.js'
import type { BanDecision, EventKind, LogEvent } from './types.js'

/**
 * One tracked source. Every count rule's ring lives in one plain array of numbers (V8 keeps it
 * as unboxed doubles in the young generation): per rule at its offset, `[next, filled, t0 …
 * t(threshold-1)]`. Measured on a spray of 1M addresses at the 100k bound: with one typed
 * array per rule and per counter (off-heap backing stores) the garbage collector took 5.4 of
 * 8.7 s.
 */
class SourceState implements LruNode {
  lruPrev: SourceState | null = null
  lruNext: SourceState | null = null
  readonly data: number[]
  /** per rule: account → last time seen (distinct rules); allocated on first use */
  accounts: (Map<string, number> | undefined)[] | null = null

  constructor(
    readonly key: string,
    size: number,
  ) {
    // -0, not 0: -0 is not a small integer, so the array starts as unboxed doubles and the first
    // time written into it does not convert it (measured: ~25% of a 1M-address spray)
    this.data = new Array<number>(size).fill(-0)
  }
}

/**
 * Where the detector remembers bans: to ignore the events of a banned source (no duplicate
 * bans) and to count offences for escalation. `MemoryBanBook` (replay, tests) or the state
 * store (`StoreBans` in bans.ts, live mode).
 */
export interface BanBook {
  /** Is `ip` banned at `time` (the time of the event being counted)? */
  isBanned(ip: string, time: number): boolean
  /** Offences remembered for `ip` at `time` (0: none); the next ban is the (offences + 1)-th. */
  offences(ip: string, time: number): number
  /** Note a ban the detector just decided: `isBanned` is true from now on. */
  record(d: BanDecision): void
}

class BanNode implements LruNode {
  lruPrev: BanNode | null = null
  lruNext: BanNode | null = null
  constructor(
    readonly key: string,
    public until: number,
    public nth: number,
  ) {}
}

/** Bans in memory, at most `maxBans`, the least recently banned forgotten first (O(1) LRU). */
export class MemoryBanBook implements BanBook {
  readonly #map = new Map<string, BanNode>()
  readonly #lru = new LruList<BanNode>()
  readonly #max: number
  readonly #memoryMs: number

  constructor(maxBans: number, offenceMemoryMs: number) {
    this.#max = maxBans
    this.#memoryMs = offenceMemoryMs
  }

  get size(): number {
    return this.#map.size
  }

  isBanned(ip: string, time: number): boolean {
    const b = this.#map.get(ip)
    return b !== undefined && b.until > time
  }

  offences(ip: string, time: number): number {
    const b = this.#map.get(ip)
    return b !== undefined && b.until + this.#memoryMs > time ? b.nth : 0
  }

  record(d: BanDecision): void {
    const b = this.#map.get(d.ip)
    if (b !== undefined) {
      b.until = d.until
      b.nth = d.nth
      this.#lru.touch(b)
      return
    }
    if (this.#map.size >= this.#max && this.#lru.head !== null) {
      const oldest = this.#lru.head
      this.#lru.remove(oldest)
      this.#map.delete(oldest.key)
    }
    const n = new BanNode(d.ip, d.until, d.nth)
    this.#map.set(d.ip, n)
    this.#lru.push(n)
  }
}
export interface DetectorStats {
  /** events offered to the detector */
  events: number
  /** events from allow-listed sources (never banned) */
  allowListed: number
  /** events from sources already banned at the time of the event */
  whileBanned: number
  /** events of a kind no rule counts (e.g. challenges) */
  uncounted: number
  bans: number
  /** sources forgotten because `maxSources` was reached */
  evictedSources: number
}

export class Detector {
  readonly options: DetectorOptions
  readonly stats: DetectorStats = {
    events: 0,
    allowListed: 0,
    whileBanned: 0,
    uncounted: 0,
    bans: 0,
    evictedSources: 0,
  }
  readonly #allow: AllowList
  /** addresses allowed besides the compiled list: trunk host names as last resolved */
  #allowExtra: ReadonlySet<string> = new Set()
  /** kind → indexes of the rules that count it */
  readonly #byKind = new Map<EventKind, number[]>()
  /** tracked sources, and their least-recently-seen order (O(1) touch and evict) */
  readonly #sources = new Map<string, SourceState>()
  readonly #lru = new LruList<SourceState>()
  readonly #bans: BanBook
  /** per rule: offset of its ring in SourceState.data (count rules) */
  readonly #offset: number[] = []
  readonly #stateSize: number

  /** `bans`: where bans are remembered; default a bounded in-memory book. */
  constructor(options: Partial<DetectorOptions> = {}, bans?: BanBook) {
    this.options = resolveDetectorOptions(options)
    this.#bans = bans ?? new MemoryBanBook(this.options.maxBans, this.options.offenceMemoryMs)
    this.#allow = compileAllowList(this.options.allow)
    let size = 0
    for (const r of this.options.rules) {
      this.#offset.push(size)
      if (!r.distinctAccounts) size += 2 + r.threshold
    }
    this.#stateSize = size
    this.options.rules.forEach((r, i) => {
      for (const k of r.kinds) {
        const list = this.#byKind.get(k)
        if (list === undefined) this.#byKind.set(k, [i])
        else list.push(i)
      }
    })
  }

  /** Sources currently tracked (bounded by `maxSources`). */
  get trackedSources(): number {
    return this.#sources.size
  }

  /** The book bans are remembered in. */
  get bans(): BanBook {
    return this.#bans
  }

  isBanned(ip: string, now: number): boolean {
    return this.#bans.isBanned(ip, now)
  }

  isAllowListed(ip: string): boolean {
    return this.#allow.has(ip) || this.#allowExtra.has(ip)
  }

  /** Replaces the addresses allowed besides the configured networks (resolved trunk host names). */
  setResolvedAllow(ips: ReadonlySet<string>): void {
    this.#allowExtra = ips
  }

  /** Count one event at time `time` (epoch ms). Returns the ban it causes, if any. */
  observe(ev: LogEvent, time: number = ev.time): BanDecision | null {
    this.stats.events++
    const ruleIdx = this.#byKind.get(ev.kind)
    if (ruleIdx === undefined) {
      this.stats.uncounted++
      return null
    }
    if (this.#bans.isBanned(ev.ip, time)) {
      this.stats.whileBanned++
      return null
    }
    if (this.#allow.has(ev.ip) || (this.#allowExtra.size > 0 && this.#allowExtra.has(ev.ip))) {
      this.stats.allowListed++
      return null
    }
    let st = this.#sources.get(ev.ip)
    if (st === undefined) {
      if (this.#sources.size >= this.options.maxSources && this.#lru.head !== null) {
        // the least recently seen source is forgotten (a linked list, not the Map's insertion
        // order: evicting from a Map at its bound is O(table size) in V8, see state/internal/lru.ts)
        const oldest = this.#lru.head
        this.#lru.remove(oldest)
        this.#sources.delete(oldest.key)
        this.stats.evictedSources++
      }
      st = new SourceState(ev.ip, this.#stateSize)
      this.#sources.set(ev.ip, st)
      this.#lru.push(st)
    } else this.#lru.touch(st)

    const rules = this.options.rules
    for (const i of ruleIdx) {
      const r = rules[i]!
      let count = 0
      if (r.distinctAccounts) {
        if (ev.account === undefined) continue
        if (st.accounts === null) st.accounts = new Array<Map<string, number> | undefined>(rules.length)
        const all = st.accounts
        let seen = all[i]
        if (seen === undefined) {
          seen = new Map()
          all[i] = seen
        }
        seen.delete(ev.account)
        seen.set(ev.account, time)
        for (const [acc, t] of seen) if (Math.abs(time - t) > r.windowMs) seen.delete(acc)
        if (seen.size >= r.threshold) count = seen.size
      } else {
        const data = st.data
        const o = this.#offset[i]!
        const ring = o + 2
        const n = r.threshold
        let next = data[o]!
        const w = Math.min(ev.weight, n)
        for (let k = 0; k < w; k++) {
          data[ring + next] = time
          next = next + 1 === n ? 0 : next + 1
        }
        data[o] = next
        const filled = Math.min(data[o + 1]! + w, n)
        data[o + 1] = filled
        // after the write, `next` points at the oldest of the last n events; lines are not always
        // in time order (several writers, clock steps), so the full check uses |Δt|
        if (filled === n && Math.abs(time - data[ring + next]!) <= r.windowMs) {
          let within = 0
          for (let k = 0; k < n; k++) if (Math.abs(time - data[ring + k]!) <= r.windowMs) within++
          if (within === n) count = n + (ev.weight > n ? ev.weight - n : 0)
        }
      }
      if (count > 0) return this.#ban(ev, time, i, count, st)
    }
    return null
  }

  #ban(ev: LogEvent, time: number, ruleIndex: number, count: number, st: SourceState): BanDecision {
    const r = this.options.rules[ruleIndex]!
    const nth = this.#bans.offences(ev.ip, time) + 1
    const ttlMs = escalatedTtl(r.banTtlMs, this.options.repeatBanFactor, nth, this.options.maxBanTtlMs)
    this.#lru.remove(st)
    this.#sources.delete(ev.ip)
    const d: BanDecision = {
      ip: ev.ip,
      time,
      rule: r.name,
      count,
      ttlMs,
      until: time + ttlMs,
      kind: ev.kind,
      nth,
      account: ev.account,
      what: ev.what,
    }
    this.#bans.record(d)
    this.stats.bans++
    return d
  }
}
