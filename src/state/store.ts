// The state store: one interface that the gateway, the log watcher and the toll-fraud engine
// share, several adapters that pass one conformance suite (test/state/conformance.ts).
//
// Methods return `T | Promise<T>` (style-by-example habit 6 and 14): the memory and SQLite
// adapters answer synchronously, a networked adapter (Redis) returns promises. Callers that
// may meet either write `const n = store.hit(k, w); if (n instanceof Promise) ...` on hot
// paths, or simply `await` elsewhere.
//
// One exception: `isBanned` is synchronous in every adapter. It runs for every packet
// before parsing; a promise there would be an allocation per packet. Every adapter keeps a
// local mirror of the bans (the SQLite adapter follows other processes' bans through the
// file, a Redis adapter through pub/sub) so the answer is a Map lookup.

import { ErrorCodes, SgwError } from '../errors.js'
import type { SecurityEvent } from '../events/event.js'
import { resolveLimits, type StoreLimits } from './limits.js'
import { createMemoryStore, type MemoryStoreOptions } from './memory.js'
import type { RedisStoreOptions } from './redis.js'
import { createSqliteStore, type SqliteStoreOptions } from './sqlite.js'

export type MaybePromise<T> = T | Promise<T>

/** Milliseconds since the epoch. Injected so tests (and replays) control time. */
export type Clock = () => number

export type { StoreLimits } from './limits.js'
export {
  DEFAULT_EVENT_QUERY_LIMIT,
  DEFAULT_LIMITS,
  MAX_EVENT_QUERY_LIMIT,
  SQLITE_DEFAULT_LIMITS,
} from './limits.js'

export interface BanInput {
  /** IPv4 or IPv6 address; IPv4-mapped IPv6 is stored as IPv4 */
  readonly address: string
  /**
   * How long the ban lasts, before escalation. Clamped to `limits.maxBanTtlMs`: there are no
   * permanent bans, the longest one is `maxBanTtlMs` (pass that value, or Infinity, to ask
   * for it explicitly).
   */
  readonly ttlMs: number
  /** stable reason code, e.g. `flood.register`, `auth.failure` */
  readonly code: string
  /** who banned: `gateway`, `watch`, `api`, `import`, … */
  readonly source: string
  /** free text for operators */
  readonly reason?: string
  readonly detail?: Readonly<Record<string, unknown>>
  /**
   * Escalation factor for repeat offenders: the effective TTL is
   * `ttlMs * escalate ** (offences - 1)`, clamped to `maxBanTtlMs` (fail2ban's
   * `bantime.increment`, CrowdSec's `duration_expr`). Default 1 (no escalation).
   */
  readonly escalate?: number
}

export interface BanRecord {
  readonly address: string
  readonly code: string
  readonly source: string
  readonly reason: string | undefined
  readonly detail: Readonly<Record<string, unknown>> | undefined
  /** when this ban episode started (a re-ban while active keeps it) */
  readonly createdAt: number
  /** last ban() for this address */
  readonly updatedAt: number
  /** the ban is active while now < expiresAt */
  readonly expiresAt: number
  /**
   * Ban episodes for this address, this one included. A re-ban while a ban is active
   * extends it and does not count; a ban after the previous one ended does. The count is
   * remembered for `limits.offenceMemoryMs` after the last ban ends.
   */
  readonly offences: number
}

export type BanChangeKind =
  /** a new ban episode */
  | 'ban'
  /** an active ban was banned again (expiry possibly moved later, code/detail updated) */
  | 'extend'
  /** lifted before its time */
  | 'unban'
  /** reached its expiry (reported by the coarse sweep, so up to one sweep interval late) */
  | 'expire'
  /** dropped while active because the ban table was full (limits.maxBans) */
  | 'evict'

export interface BanChange {
  readonly kind: BanChangeKind
  readonly ban: BanRecord
  /** `local`: this store instance made the change; `peer`: another process sharing the store */
  readonly origin: 'local' | 'peer'
}

export type BanListener = (change: BanChange) => void

export interface UnbanOptions {
  /** also forget the offence count (an operator clearing a false positive) */
  readonly forget?: boolean
}

export interface EventQuery {
  /** inclusive, ms epoch */
  readonly since?: number
  /** exclusive, ms epoch */
  readonly until?: number
  readonly code?: string
  readonly address?: string
  readonly account?: string
  readonly action?: SecurityEvent['action']
  /** default 100, at most MAX_EVENT_QUERY_LIMIT */
  readonly limit?: number
}

/** An event as the store returns it: with an id that increases in append order. */
export type StoredEvent = SecurityEvent & { readonly id: number }

export interface SweepResult {
  /** counters, keys, set members, forgotten ban records and events removed */
  readonly removed: number
  /** bans reported as expired to listeners */
  readonly expiredBans: number
}

export interface StoreStats {
  readonly counters: number
  readonly keys: number
  readonly sets: number
  /** members over all sets */
  readonly setMembers: number
  /** active bans */
  readonly bans: number
  /** ban records held, active or only remembered for their offence count */
  readonly banRecords: number
  readonly events: number
}

export interface Store {
  readonly adapter: 'memory' | 'sqlite' | 'redis'
  readonly limits: Readonly<StoreLimits>

  // ---- windowed counters (sliding window from two rotating buckets) ----
  /** Adds `amount` (a non-negative integer, default 1) and returns the count in the window. */
  hit(key: string, windowMs: number, amount?: number): MaybePromise<number>
  /** The count in the window ending now, without adding. */
  count(key: string, windowMs: number): MaybePromise<number>
  resetCounter(key: string): MaybePromise<void>

  // ---- keys with TTL ----
  get(key: string): MaybePromise<string | undefined>
  /** Without ttlMs the key does not expire (it can still be evicted at limits.maxKeys). */
  set(key: string, value: string, ttlMs?: number): MaybePromise<void>
  /** true if a live key was deleted */
  del(key: string): MaybePromise<boolean>
  /**
   * Atomically adds `delta` (may be negative) to the number at `key` (missing or expired = 0)
   * and returns the new value, which is also what `get` now returns (as a string). The value
   * never goes below 0: a duplicate BYE must not leave a gauge at -1 and hand out a free
   * concurrent call. With ttlMs, the key expires ttlMs after this update (sliding); without,
   * it keeps its current expiry. Throws SgwError(STORE_ARGUMENT) if the value is not a number.
   */
  incrBy(key: string, delta: number, ttlMs?: number): MaybePromise<number>

  // ---- sets with per-member TTL ----
  /** Adds (or refreshes) a member; returns the cardinality after. */
  sadd(key: string, member: string, ttlMs?: number): MaybePromise<number>
  srem(key: string, member: string): MaybePromise<boolean>
  sismember(key: string, member: string): MaybePromise<boolean>
  scard(key: string): MaybePromise<number>
  /** live members, in no particular order */
  smembers(key: string): MaybePromise<string[]>

  // ---- bans ----
  ban(input: BanInput): MaybePromise<BanRecord>
  /**
   * Many bans at once (an import, the watcher catching up on a log backlog, a blocklist
   * feed): all or nothing, one transaction in SQLite instead of one per ban. Records are
   * returned in input order; the same address twice is banned, then extended.
   */
  banMany(inputs: readonly BanInput[]): MaybePromise<BanRecord[]>
  /** Lifts an active ban; returns the lifted record, or undefined if none was active. */
  unban(address: string, opts?: UnbanOptions): MaybePromise<BanRecord | undefined>
  /** The active ban, if any. */
  getBan(address: string): MaybePromise<BanRecord | undefined>
  /** Hot path: synchronous, O(1), allocates nothing (see the file comment). */
  isBanned(address: string): boolean
  /** Remembered offence count (0 if none); the next ban episode will be offences + 1. */
  offences(address: string): MaybePromise<number>
  /** Active bans, most recently banned first. */
  listBans(): MaybePromise<BanRecord[]>
  /**
   * Subscribes to ban changes, e.g. to mirror bans into an nftables set. The listener runs
   * synchronously after the change; a throwing listener does not affect the store.
   * Returns the unsubscribe function.
   */
  onBanChange(listener: BanListener): () => void

  // ---- append-only security event log ----
  appendEvent(event: SecurityEvent): MaybePromise<void>
  /** Newest first (by event time, then append order). */
  queryEvents(query?: EventQuery): MaybePromise<StoredEvent[]>
  /** Deletes events older than `olderThanMs` before now; returns how many. */
  purgeEvents(olderThanMs: number): MaybePromise<number>

  // ---- lifecycle ----
  /**
   * Runs expiry now: removes expired entries, reports expired bans to listeners, applies
   * event retention, and (SQLite) picks up other processes' bans and flushes counters.
   * A coarse unref()ed timer calls it every `sweepIntervalMs`; tests call it directly.
   */
  sweep(): MaybePromise<SweepResult>
  stats(): MaybePromise<StoreStats>
  /** Flushes what needs flushing and releases resources. Idempotent. Later calls throw STORE_CLOSED. */
  close(): MaybePromise<void>
}

/**
 * The same interface answered synchronously: what the memory and SQLite adapters return, so
 * code that knows it runs on one of them (tests, the CLI) needs no await.
 */
export interface SyncStore extends Store {
  hit(key: string, windowMs: number, amount?: number): number
  count(key: string, windowMs: number): number
  resetCounter(key: string): void
  get(key: string): string | undefined
  set(key: string, value: string, ttlMs?: number): void
  del(key: string): boolean
  incrBy(key: string, delta: number, ttlMs?: number): number
  sadd(key: string, member: string, ttlMs?: number): number
  srem(key: string, member: string): boolean
  sismember(key: string, member: string): boolean
  scard(key: string): number
  smembers(key: string): string[]
  ban(input: BanInput): BanRecord
  banMany(inputs: readonly BanInput[]): BanRecord[]
  unban(address: string, opts?: UnbanOptions): BanRecord | undefined
  getBan(address: string): BanRecord | undefined
  offences(address: string): number
  listBans(): BanRecord[]
  appendEvent(event: SecurityEvent): void
  queryEvents(query?: EventQuery): StoredEvent[]
  purgeEvents(olderThanMs: number): number
  sweep(): SweepResult
  stats(): StoreStats
  close(): void
}

export interface CommonStoreOptions {
  /** Overrides of DEFAULT_LIMITS (SQLITE_DEFAULT_LIMITS for sqlite); unknown keys are rejected. */
  readonly limits?: Partial<StoreLimits>
  /** Defaults to Date.now. */
  readonly now?: Clock
  /**
   * How often the coarse sweep timer runs. Default 1000. 0 disables the timer (tests call
   * `sweep()` themselves). The timer is unref()ed: it never keeps the process alive.
   */
  readonly sweepIntervalMs?: number
  /**
   * Called when a ban listener throws. Default: one process warning per listener
   * (code SGW_WARN_BAN_LISTENER), so a buggy listener is visible but not noisy.
   */
  readonly onListenerError?: (error: unknown) => void
}

export type CreateStoreOptions =
  | ({ readonly adapter: 'memory' } & MemoryStoreOptions)
  | ({ readonly adapter: 'sqlite' } & SqliteStoreOptions)

/** Chooses the adapter. The SQLite adapter is the default for the gateway and the watcher. */
export function createStore(opts: CreateStoreOptions): SyncStore {
  switch (opts.adapter) {
    case 'memory':
      return createMemoryStore(opts)
    case 'sqlite':
      return createSqliteStore(opts)
    default: {
      const adapter = (opts as { adapter?: unknown }).adapter
      throw new SgwError(
        ErrorCodes.STORE_OPTIONS,
        `unknown state store adapter ${JSON.stringify(adapter)}: use 'memory' or 'sqlite' (openStore() also opens 'redis')`,
      )
    }
  }
}

export type OpenStoreOptions = CreateStoreOptions | ({ readonly adapter: 'redis' } & RedisStoreOptions)

/**
 * Opens any adapter, the networked one included: `redis` connects first (and rejects with
 * SgwError(STORE_UNAVAILABLE) "cannot connect to redis at URL: …"); memory and sqlite open as
 * createStore() does. The Redis client is loaded only when it is asked for.
 */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  if (opts.adapter !== 'redis') return createStore(opts)
  const { createRedisStore } = await import('./redis.js')
  return createRedisStore(opts)
}

/** Validates limits without opening anything (used by `sipwarden check`). */
export function checkStoreLimits(
  limits: Partial<StoreLimits> | undefined,
  adapter: 'memory' | 'sqlite',
): StoreLimits {
  return resolveLimits(limits, adapter)
}
