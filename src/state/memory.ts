// Memory adapter: one process, every table bounded (limits.ts), everything synchronous.
// Expiry is lazy on access plus one coarse unref()ed sweep timer; there are no per-key timers.

import type { SecurityEvent } from '../events/event.js'
import { BanTable } from './internal/bans.js'
import { CounterTable } from './internal/counters.js'
import { EventRing, resolveQuery } from './internal/event-ring.js'
import { KeyTable } from './internal/keys.js'
import { SetTable } from './internal/sets.js'
import {
  argError,
  banAddress,
  boundKey,
  checkAmount,
  checkSweepInterval,
  checkTtl,
  checkWindow,
  closedError,
  makeListenerErrorHandler,
  startSweepTimer,
  TICKS_PER_FULL_SWEEP,
} from './internal/util.js'
import { resolveLimits, type StoreLimits } from './limits.js'
import type {
  BanInput,
  BanListener,
  BanRecord,
  Clock,
  CommonStoreOptions,
  EventQuery,
  StoredEvent,
  StoreStats,
  SweepResult,
  SyncStore,
  UnbanOptions,
} from './store.js'

export type MemoryStoreOptions = CommonStoreOptions

export function createMemoryStore(opts: MemoryStoreOptions = {}): SyncStore {
  return new MemoryStore(opts)
}

class MemoryStore implements SyncStore {
  readonly adapter = 'memory' as const
  readonly limits: Readonly<StoreLimits>
  readonly #now: Clock
  readonly #counters: CounterTable
  readonly #keys: KeyTable
  readonly #sets: SetTable
  readonly #bans: BanTable
  readonly #events: EventRing
  readonly #maxKeyLength: number
  #timer: NodeJS.Timeout | null
  #closed = false
  #tick = 0

  constructor(opts: MemoryStoreOptions) {
    const limits = resolveLimits(opts.limits, 'memory')
    this.limits = limits
    this.#now = opts.now ?? Date.now
    this.#maxKeyLength = limits.maxKeyLength
    this.#counters = new CounterTable(limits.maxCounters, null)
    this.#keys = new KeyTable(limits.maxKeys, false)
    this.#sets = new SetTable(limits.maxSets, limits.maxSetMembers, limits.maxTotalSetMembers, false)
    this.#bans = new BanTable(limits, makeListenerErrorHandler(opts.onListenerError), null)
    this.#events = new EventRing(limits.maxEvents)
    this.#timer = startSweepTimer(this, checkSweepInterval(opts.sweepIntervalMs))
  }

  hit(key: string, windowMs: number, amount = 1): number {
    if (this.#closed) throw closedError(this.adapter)
    checkWindow(windowMs)
    checkAmount(amount)
    return this.#counters.hit(boundKey(key, this.#maxKeyLength), windowMs, amount, this.#now())
  }

  count(key: string, windowMs: number): number {
    if (this.#closed) throw closedError(this.adapter)
    checkWindow(windowMs)
    return this.#counters.count(boundKey(key, this.#maxKeyLength), windowMs, this.#now())
  }

  resetCounter(key: string): void {
    if (this.#closed) throw closedError(this.adapter)
    this.#counters.reset(boundKey(key, this.#maxKeyLength))
  }

  get(key: string): string | undefined {
    if (this.#closed) throw closedError(this.adapter)
    return this.#keys.get(boundKey(key, this.#maxKeyLength), this.#now())
  }

  set(key: string, value: string, ttlMs?: number): void {
    if (this.#closed) throw closedError(this.adapter)
    checkTtl(ttlMs, 'set')
    checkValue(value, this.limits.maxValueLength)
    const now = this.#now()
    const expiresAt = ttlMs === undefined ? Number.POSITIVE_INFINITY : now + ttlMs
    this.#keys.set(boundKey(key, this.#maxKeyLength), value, expiresAt, now)
  }

  del(key: string): boolean {
    if (this.#closed) throw closedError(this.adapter)
    return this.#keys.del(boundKey(key, this.#maxKeyLength), this.#now())
  }

  incrBy(key: string, delta: number, ttlMs?: number): number {
    if (this.#closed) throw closedError(this.adapter)
    checkDelta(delta)
    checkTtl(ttlMs, 'incrBy')
    return this.#keys.incrBy(boundKey(key, this.#maxKeyLength), delta, ttlMs, this.#now())
  }

  sadd(key: string, member: string, ttlMs?: number): number {
    if (this.#closed) throw closedError(this.adapter)
    checkTtl(ttlMs, 'sadd')
    const now = this.#now()
    const expiresAt = ttlMs === undefined ? Number.POSITIVE_INFINITY : now + ttlMs
    const max = this.#maxKeyLength
    return this.#sets.sadd(boundKey(key, max), boundKey(member, max), expiresAt, now)
  }

  srem(key: string, member: string): boolean {
    if (this.#closed) throw closedError(this.adapter)
    const max = this.#maxKeyLength
    return this.#sets.srem(boundKey(key, max), boundKey(member, max), this.#now())
  }

  sismember(key: string, member: string): boolean {
    if (this.#closed) throw closedError(this.adapter)
    const max = this.#maxKeyLength
    return this.#sets.sismember(boundKey(key, max), boundKey(member, max), this.#now())
  }

  scard(key: string): number {
    if (this.#closed) throw closedError(this.adapter)
    return this.#sets.scard(boundKey(key, this.#maxKeyLength), this.#now())
  }

  smembers(key: string): string[] {
    if (this.#closed) throw closedError(this.adapter)
    return this.#sets.smembers(boundKey(key, this.#maxKeyLength), this.#now())
  }

  ban(input: BanInput): BanRecord {
    if (this.#closed) throw closedError(this.adapter)
    const address = banAddress(input?.address)
    const now = this.#now()
    const plan = this.#bans.planBan(address, input, now, this.#bans.entry(address))
    this.#bans.commit(plan, now)
    return plan.entry.record
  }

  banMany(inputs: readonly BanInput[]): BanRecord[] {
    if (this.#closed) throw closedError(this.adapter)
    if (!Array.isArray(inputs)) throw argError('banMany: expected an array of bans')
    const now = this.#now()
    // all or nothing: validate every input before changing anything
    for (const input of inputs) this.#bans.planBan(banAddress(input?.address), input, now, undefined)
    const out: BanRecord[] = []
    for (const input of inputs) {
      const address = banAddress(input.address)
      const plan = this.#bans.planBan(address, input, now, this.#bans.entry(address))
      this.#bans.commit(plan, now)
      out.push(plan.entry.record)
    }
    return out
  }

  unban(address: string, opts?: UnbanOptions): BanRecord | undefined {
    if (this.#closed) throw closedError(this.adapter)
    const a = banAddress(address)
    const now = this.#now()
    const plan = this.#bans.planUnban(a, opts?.forget === true, now, this.#bans.entry(a))
    if (plan === undefined) return undefined
    this.#bans.commit(plan, now)
    return plan.kind === 'unban' ? plan.reported : undefined
  }

  getBan(address: string): BanRecord | undefined {
    if (this.#closed) throw closedError(this.adapter)
    return this.#bans.active(banAddress(address), this.#now())
  }

  isBanned(address: string): boolean {
    if (this.#closed) throw closedError(this.adapter)
    return this.#bans.isBanned(address, this.#now)
  }

  offences(address: string): number {
    if (this.#closed) throw closedError(this.adapter)
    return this.#bans.offences(banAddress(address), this.#now())
  }

  listBans(): BanRecord[] {
    if (this.#closed) throw closedError(this.adapter)
    return this.#bans.list(this.#now())
  }

  onBanChange(listener: BanListener): () => void {
    if (this.#closed) throw closedError(this.adapter)
    return this.#bans.subscribe(listener)
  }

  appendEvent(event: SecurityEvent): void {
    if (this.#closed) throw closedError(this.adapter)
    this.#events.append(event)
  }

  queryEvents(query?: EventQuery): StoredEvent[] {
    if (this.#closed) throw closedError(this.adapter)
    return this.#events.query(resolveQuery(query))
  }

  purgeEvents(olderThanMs: number): number {
    if (this.#closed) throw closedError(this.adapter)
    if (typeof olderThanMs !== 'number' || !(olderThanMs >= 0)) {
      throw argError(`purgeEvents: olderThanMs must be a non-negative number, got ${String(olderThanMs)}`)
    }
    return this.#events.purgeBefore(this.#now() - olderThanMs)
  }

  sweep(): SweepResult {
    if (this.#closed) throw closedError(this.adapter)
    const now = this.#now()
    let removed = this.#counters.sweep(now) + this.#keys.sweep(now) + this.#sets.sweep(now)
    const [bansRemoved, expiredBans] = this.#bans.sweep(now)
    removed += bansRemoved
    removed += this.#events.purgeBefore(now - this.limits.eventRetentionMs)
    return { removed, expiredBans }
  }

  /** Timer: report ban expiries every tick; sweep every table every TICKS_PER_FULL_SWEEP ticks. */
  sweepTick(): void {
    if (this.#closed) return
    if (++this.#tick % TICKS_PER_FULL_SWEEP === 0) this.sweep()
    else this.#bans.sweep(this.#now())
  }

  stats(): StoreStats {
    if (this.#closed) throw closedError(this.adapter)
    const now = this.#now()
    return {
      counters: this.#counters.size,
      keys: this.#keys.size,
      sets: this.#sets.size,
      setMembers: this.#sets.totalMembers,
      bans: this.#bans.activeCount(now),
      banRecords: this.#bans.size,
      events: this.#events.size,
    }
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    this.#bans.clearListeners()
  }
}

export function checkValue(value: string, max: number): void {
  if (typeof value !== 'string') throw argError(`set: a value must be a string, got ${typeof value}`)
  if (value.length > max)
    throw argError(`set: a value may have at most ${max} characters, got ${value.length}`)
}

export function checkDelta(delta: number): void {
  if (typeof delta !== 'number' || !Number.isFinite(delta)) {
    throw argError(`incrBy: delta must be a finite number, got ${String(delta)}`)
  }
}
