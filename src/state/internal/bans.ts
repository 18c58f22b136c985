// The ban table: one entry per address, active or only remembered for its offence count.
// Both adapters hold it in memory (the SQLite adapter as a mirror of its `bans` table), so
// `isBanned` is one Map lookup and one comparison.

import type { StoreLimits } from '../limits.js'
import type { BanChange, BanChangeKind, BanInput, BanListener, BanRecord } from '../store.js'
import { LruList, type LruNode } from './lru.js'
import { argError } from './util.js'

export interface BanEntry {
  readonly record: BanRecord
  /** the offence count is forgotten, and the entry dropped, at this time */
  readonly forgetAt: number
  /** the end of this ban was already reported (or there is nothing to report) */
  settled: boolean
}

/** An entry in the table: the entry plus its place in the least-recently-banned list. */
class BanNode implements BanEntry, LruNode {
  lruPrev: BanNode | null = null
  lruNext: BanNode | null = null
  constructor(
    readonly key: string,
    public record: BanRecord,
    public forgetAt: number,
    public settled: boolean,
  ) {}
}

export interface BanPlan {
  readonly address: string
  readonly entry: BanEntry
  /** null: nothing to report (an inactive entry whose offence count is forgotten) */
  readonly kind: BanChangeKind | null
  /** the record the change reports (for an unban: the ban as it was before being lifted) */
  readonly reported: BanRecord
}

const FULL_SWEEP_GAP_MS = 1000
const EVICT_SCAN = 64
const COLON = 58

export class BanTable {
  readonly #map = new Map<string, BanNode>()
  readonly #lru = new LruList<BanNode>()
  readonly #limits: Readonly<StoreLimits>
  readonly #onListenerError: (listener: object, error: unknown) => void
  /** SQLite: delete the row of an evicted entry */
  readonly #persistRemove: ((address: string) => void) | null
  #listeners: readonly BanListener[] = []
  #nextFullSweep = Number.NEGATIVE_INFINITY

  constructor(
    limits: Readonly<StoreLimits>,
    onListenerError: (listener: object, error: unknown) => void,
    persistRemove: ((address: string) => void) | null,
  ) {
    this.#limits = limits
    this.#onListenerError = onListenerError
    this.#persistRemove = persistRemove
  }

  get size(): number {
    return this.#map.size
  }

  /**
   * Hot path. `address` as node:net reports it; no allocation unless it is IPv4-mapped. The
   * clock is read only when the address has an entry: legitimate traffic (a miss) pays one
   * Map lookup.
   */
  isBanned(address: string, clock: () => number): boolean {
    const e = this.#map.get(address)
    if (e !== undefined) return e.record.expiresAt > clock()
    // a dual-stack socket reports `::ffff:1.2.3.4`; bans are stored as `1.2.3.4`
    if (address.length > 7 && address.charCodeAt(0) === COLON && address.startsWith('::ffff:')) {
      const m = this.#map.get(address.slice(7))
      return m !== undefined && m.record.expiresAt > clock()
    }
    return false
  }

  /** The entry, active or not (for an address already in canonical form). */
  entry(address: string): BanEntry | undefined {
    return this.#map.get(address)
  }

  active(address: string, now: number): BanRecord | undefined {
    const e = this.#map.get(address)
    return e !== undefined && e.record.expiresAt > now ? e.record : undefined
  }

  offences(address: string, now: number): number {
    const e = this.#map.get(address)
    return e !== undefined && e.forgetAt > now ? e.record.offences : 0
  }

  /** Computes the effect of ban() without changing anything (`address` is canonical). */
  planBan(address: string, input: BanInput, now: number, current: BanEntry | undefined): BanPlan {
    const limits = this.#limits
    const ttl = input.ttlMs
    if (typeof ttl !== 'number' || !(ttl > 0)) {
      throw argError(`ban: ttlMs must be a positive number of milliseconds, got ${String(ttl)}`)
    }
    if (typeof input.code !== 'string' || input.code.length === 0) throw argError('ban: code is required')
    if (typeof input.source !== 'string' || input.source.length === 0)
      throw argError('ban: source is required')
    const escalate = input.escalate ?? 1
    if (typeof escalate !== 'number' || !(escalate >= 1) || !Number.isFinite(escalate)) {
      throw argError(`ban: escalate must be a finite number >= 1, got ${String(escalate)}`)
    }
    const wasActive = current !== undefined && current.record.expiresAt > now
    const remembered = current !== undefined && current.forgetAt > now ? current.record.offences : 0
    const offences = wasActive ? current.record.offences : remembered + 1
    const effective = Math.min(ttl * escalate ** (offences - 1), limits.maxBanTtlMs)
    const until = now + Math.round(effective)
    const expiresAt = wasActive && current.record.expiresAt > until ? current.record.expiresAt : until
    const record: BanRecord = Object.freeze({
      address,
      code: input.code,
      source: input.source,
      reason: input.reason,
      detail: input.detail === undefined ? undefined : Object.freeze({ ...input.detail }),
      createdAt: wasActive ? current.record.createdAt : now,
      updatedAt: now,
      expiresAt,
      offences,
    })
    return {
      address,
      entry: { record, forgetAt: expiresAt + limits.offenceMemoryMs, settled: false },
      kind: wasActive ? 'extend' : 'ban',
      reported: record,
    }
  }

  /** Computes the effect of unban(); undefined when no ban is active and nothing is to forget. */
  planUnban(
    address: string,
    forget: boolean,
    now: number,
    current: BanEntry | undefined,
  ): BanPlan | undefined {
    if (current === undefined) return undefined
    const wasActive = current.record.expiresAt > now
    if (!wasActive && !forget) return undefined
    const prev = current.record
    const record: BanRecord = Object.freeze({
      ...prev,
      updatedAt: now,
      expiresAt: wasActive ? now : prev.expiresAt,
      offences: forget ? 0 : prev.offences,
    })
    return {
      address,
      entry: { record, forgetAt: forget ? now : now + this.#limits.offenceMemoryMs, settled: true },
      kind: wasActive ? 'unban' : null,
      reported: prev,
    }
  }

  /** Applies a plan made by this process and tells the listeners. */
  commit(plan: BanPlan, now: number): void {
    this.#set(plan.address, plan.entry, now)
    if (plan.kind !== null) this.#emit({ kind: plan.kind, ban: plan.reported, origin: 'local' })
  }

  /**
   * Applies an entry read back from shared storage (another process wrote it, or this one did
   * and the change is already applied). Reports a change only if the mirror changes.
   */
  applyPeer(address: string, record: BanRecord, forgetAt: number, now: number): void {
    const current = this.#map.get(address)
    if (
      current !== undefined &&
      current.record.updatedAt === record.updatedAt &&
      current.record.expiresAt === record.expiresAt &&
      current.record.offences === record.offences &&
      current.record.code === record.code
    ) {
      return
    }
    const wasActive = current !== undefined && current.record.expiresAt > now
    const isActive = record.expiresAt > now
    if (!isActive && forgetAt <= now) {
      if (current !== undefined) this.#delete(current)
      if (wasActive) this.#emit({ kind: 'unban', ban: current.record, origin: 'peer' })
      return
    }
    this.#set(address, { record, forgetAt, settled: !isActive }, now)
    if (isActive) this.#emit({ kind: wasActive ? 'extend' : 'ban', ban: record, origin: 'peer' })
    else if (wasActive) this.#emit({ kind: 'unban', ban: current.record, origin: 'peer' })
  }

  /** Restores a persisted entry at startup: no listeners are told (they read listBans()). */
  restore(address: string, record: BanRecord, forgetAt: number, now: number): void {
    if (forgetAt <= now && record.expiresAt <= now) return
    this.#set(address, { record, forgetAt, settled: record.expiresAt <= now }, now)
  }

  list(now: number): BanRecord[] {
    const out: BanRecord[] = []
    for (let n = this.#lru.tail; n !== null; n = n.lruPrev) if (n.record.expiresAt > now) out.push(n.record)
    return out
  }

  activeCount(now: number): number {
    let n = 0
    for (const e of this.#map.values()) if (e.record.expiresAt > now) n++
    return n
  }

  subscribe(listener: BanListener): () => void {
    if (typeof listener !== 'function') throw argError('onBanChange: the listener must be a function')
    this.#listeners = [...this.#listeners, listener]
    let subscribed = true
    return () => {
      if (!subscribed) return
      subscribed = false
      const i = this.#listeners.indexOf(listener)
      if (i !== -1) this.#listeners = this.#listeners.filter((_, j) => j !== i)
    }
  }

  /** Reports ends of bans and drops forgotten entries. Returns [removed, expired]. */
  sweep(now: number): [number, number] {
    let removed = 0
    let expired = 0
    let n = this.#lru.head
    while (n !== null) {
      const next = n.lruNext
      if (!n.settled && n.record.expiresAt <= now) {
        n.settled = true
        expired++
        this.#emit({ kind: 'expire', ban: n.record, origin: 'local' })
      }
      if (n.forgetAt <= now) {
        this.#delete(n)
        removed++
      }
      n = next
    }
    this.#nextFullSweep = now + FULL_SWEEP_GAP_MS
    return [removed, expired]
  }

  clearListeners(): void {
    this.#listeners = []
  }

  #set(address: string, entry: BanEntry, now: number): void {
    const n = this.#map.get(address)
    if (n !== undefined) {
      n.record = entry.record
      n.forgetAt = entry.forgetAt
      n.settled = entry.settled
      this.#lru.touch(n)
      return
    }
    if (this.#map.size >= this.#limits.maxBans) this.#makeRoom(now)
    const node = new BanNode(address, entry.record, entry.forgetAt, entry.settled)
    this.#map.set(address, node)
    this.#lru.push(node)
  }

  #delete(n: BanNode): void {
    this.#map.delete(n.key)
    this.#lru.remove(n)
  }

  /**
   * Forgotten entries first (the sweep, at most once per FULL_SWEEP_GAP_MS), then an entry
   * that is only remembered (no active ban) among the EVICT_SCAN least recently banned, then
   * the least recently banned. The scan is bounded so a full table costs O(1) per new ban.
   */
  #makeRoom(now: number): void {
    if (now >= this.#nextFullSweep) this.sweep(now)
    while (this.#map.size >= this.#limits.maxBans && this.#lru.head !== null) {
      let victim = this.#lru.head
      let n: BanNode | null = victim
      for (let i = 0; i < EVICT_SCAN && n !== null; i++, n = n.lruNext) {
        if (n.record.expiresAt <= now) {
          victim = n
          break
        }
      }
      this.#delete(victim)
      this.#persistRemove?.(victim.key)
      if (victim.record.expiresAt > now) this.#emit({ kind: 'evict', ban: victim.record, origin: 'local' })
    }
  }

  #emit(change: BanChange): void {
    const listeners = this.#listeners
    for (let i = 0; i < listeners.length; i++) {
      const l = listeners[i]!
      try {
        l(change)
      } catch (err) {
        this.#onListenerError(l, err)
      }
    }
  }
}
