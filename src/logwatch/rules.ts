// Detection: per-source sliding windows over the events the format parsers extract.
//
// Each (source, rule) keeps a ring of the times of its last `threshold` events: the rule trips
// when the oldest of them is within `windowMs` of the newest — exactly fail2ban's "maxretry
// failures within findtime", in O(1) per event and `threshold` numbers of memory. Enumeration
// rules keep the distinct accounts seen in the window (at most `threshold` of them). Every table
// an attacker can grow is bounded: sources (least recently seen evicted first) and remembered
// bans (oldest first). A source that trips a rule is banned with a TTL, its counters are
// dropped, and its events are ignored while the ban lasts (no duplicate bans).
import { type AllowList, compileAllowList } from './allow-list.js'
import { type DetectorOptions, resolveDetectorOptions } from './options.js'
import type { BanDecision, EventKind, LogEvent } from './types.js'

class SourceState {
  /** per rule: ring of event times (count rules) */
  readonly rings: (Float64Array | null)[]
  readonly next: Int32Array
  readonly filled: Int32Array
  /** per rule: account → last time seen (distinct rules) */
  readonly accounts: (Map<string, number> | null)[]

  constructor(rules: number) {
    this.rings = new Array<Float64Array | null>(rules).fill(null)
    this.next = new Int32Array(rules)
    this.filled = new Int32Array(rules)
    this.accounts = new Array<Map<string, number> | null>(rules).fill(null)
  }
}

interface BanRecord {
  until: number
  nth: number
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
  /** kind → indexes of the rules that count it */
  readonly #byKind = new Map<EventKind, number[]>()
  readonly #sources = new Map<string, SourceState>()
  readonly #bans = new Map<string, BanRecord>()

  constructor(options: Partial<DetectorOptions> = {}) {
    this.options = resolveDetectorOptions(options)
    this.#allow = compileAllowList(this.options.allow)
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

  /** Bans remembered (bounded by `maxBans`), including expired ones kept for escalation. */
  get rememberedBans(): number {
    return this.#bans.size
  }

  isBanned(ip: string, now: number): boolean {
    const b = this.#bans.get(ip)
    return b !== undefined && b.until > now
  }

  isAllowListed(ip: string): boolean {
    return this.#allow.has(ip)
  }

  /** Count one event at time `time` (epoch ms). Returns the ban it causes, if any. */
  observe(ev: LogEvent, time: number = ev.time): BanDecision | null {
    this.stats.events++
    const ruleIdx = this.#byKind.get(ev.kind)
    if (ruleIdx === undefined) {
      this.stats.uncounted++
      return null
    }
    const ban = this.#bans.get(ev.ip)
    if (ban !== undefined && ban.until > time) {
      this.stats.whileBanned++
      return null
    }
    if (this.#allow.has(ev.ip)) {
      this.stats.allowListed++
      return null
    }
    let st = this.#sources.get(ev.ip)
    if (st === undefined) {
      st = new SourceState(this.options.rules.length)
      if (this.#sources.size >= this.options.maxSources) {
        // least recently seen first: Map keeps insertion order and we re-insert on every touch
        const oldest = this.#sources.keys().next().value as string
        this.#sources.delete(oldest)
        this.stats.evictedSources++
      }
    } else this.#sources.delete(ev.ip)
    this.#sources.set(ev.ip, st)

    const rules = this.options.rules
    for (const i of ruleIdx) {
      const r = rules[i]!
      let count = 0
      if (r.distinctAccounts) {
        if (ev.account === undefined) continue
        let seen = st.accounts[i]
        if (seen == null) {
          seen = new Map()
          st.accounts[i] = seen
        }
        seen.delete(ev.account)
        seen.set(ev.account, time)
        for (const [acc, t] of seen) if (Math.abs(time - t) > r.windowMs) seen.delete(acc)
        if (seen.size >= r.threshold) count = seen.size
      } else {
        let ring = st.rings[i]
        if (ring == null) {
          ring = new Float64Array(r.threshold)
          st.rings[i] = ring
        }
        const n = r.threshold
        let next = st.next[i]!
        const w = Math.min(ev.weight, n)
        for (let k = 0; k < w; k++) {
          ring[next] = time
          next = next + 1 === n ? 0 : next + 1
        }
        st.next[i] = next
        const filled = Math.min(st.filled[i]! + w, n)
        st.filled[i] = filled
        // after the write, `next` points at the oldest of the last n events; lines are not always
        // in time order (several writers, clock steps), so the full check uses |Δt|
        if (filled === n && Math.abs(time - ring[next]!) <= r.windowMs) {
          let within = 0
          for (let k = 0; k < n; k++) if (Math.abs(time - ring[k]!) <= r.windowMs) within++
          if (within === n) count = n + (ev.weight > n ? ev.weight - n : 0)
        }
      }
      if (count > 0) return this.#ban(ev, time, i, count, ban)
    }
    return null
  }

  #ban(
    ev: LogEvent,
    time: number,
    ruleIndex: number,
    count: number,
    prev: BanRecord | undefined,
  ): BanDecision {
    const r = this.options.rules[ruleIndex]!
    const nth = (prev?.nth ?? 0) + 1
    const ttlMs = Math.min(
      Math.round(r.banTtlMs * this.options.repeatBanFactor ** (nth - 1)),
      Math.max(this.options.maxBanTtlMs, r.banTtlMs),
    )
    const until = time + ttlMs
    this.#sources.delete(ev.ip)
    if (prev !== undefined) this.#bans.delete(ev.ip)
    else if (this.#bans.size >= this.options.maxBans) {
      this.#bans.delete(this.#bans.keys().next().value as string)
    }
    this.#bans.set(ev.ip, { until, nth })
    this.stats.bans++
    return { ip: ev.ip, time, rule: r.name, count, ttlMs, until, kind: ev.kind, nth }
  }
}
