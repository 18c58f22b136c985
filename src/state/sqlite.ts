// SQLite adapter (better-sqlite3): the default store of the gateway and the log watcher.
//
// What lives where:
// - bans: a `bans` table, written through in an IMMEDIATE transaction, plus an in-memory
//   mirror that answers isBanned() with a Map lookup. Other processes sharing the file
//   (the watcher bans, the gateway enforces) are followed by the sweep tick: it checks
//   `PRAGMA data_version` (changes only when another connection committed) and reads the
//   rows whose `seq` is newer than the last one seen.
// - keys, sets, counters and events: served from memory and written behind: every change is
//   marked dirty and the dirty entries are written in one transaction per sweep tick (1 s by
//   default), when WRITE_BEHIND_MAX changes are pending, before an event query, and on close.
//   Measured on a VM disk: one committed transaction costs ~100 µs, which per packet would
//   cap the gateway at ~10k operations/s and block the event loop meanwhile; batched, a
//   change costs a few µs. A crash (not a close) loses at most one tick of these changes.
//   Keys, sets and counters are not shared live between processes (use Redis for that).
// - counters: only those with a window of at least `persistCounterMinWindowMs` (brute-force
//   windows, not 2-second flood windows, which are worthless after a restart) are persisted.
// Everything is restored at open. All statements are prepared in the constructor.

import { chmodSync, existsSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { ErrorCodes, SgwError } from '../errors.js'
import type { SecurityEvent } from '../events/event.js'
import { type BanEntry, type BanPlan, BanTable } from './internal/bans.js'
import { type CounterEntry, CounterTable, counterExpiresAt } from './internal/counters.js'
import { resolveQuery, storedEvent } from './internal/event-ring.js'
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
import { checkDelta, checkValue } from './memory.js'
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

export interface SqliteStoreOptions extends CommonStoreOptions {
  /** Database file. Its directory is created with mode 0700 if missing; a new file gets 0600. */
  readonly path: string
  /**
   * Counters whose window is at least this long are persisted (write-behind). Shorter ones
   * (flood windows of seconds) are worthless after a restart and stay in memory. Default 60000.
   */
  readonly persistCounterMinWindowMs?: number
  /** How long to wait for another process's write lock. Default 5000. */
  readonly busyTimeoutMs?: number
}

/** `PRAGMA application_id` of a sipwarden state store: 'SGWD'. */
export const SQLITE_APPLICATION_ID = 0x53475744

/**
 * Schema migrations: MIGRATIONS[v] takes the schema from version v to v + 1. Append only;
 * never edit a published migration.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE counters (
    key TEXT PRIMARY KEY, window_ms INTEGER NOT NULL, start INTEGER NOT NULL,
    prev INTEGER NOT NULL, curr INTEGER NOT NULL, expires_at INTEGER NOT NULL);
  CREATE INDEX counters_expires ON counters (expires_at);
  CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER);
  CREATE INDEX kv_expires ON kv (expires_at) WHERE expires_at IS NOT NULL;
  CREATE TABLE set_members (
    key TEXT NOT NULL, member TEXT NOT NULL, expires_at INTEGER, PRIMARY KEY (key, member));
  CREATE INDEX set_members_expires ON set_members (expires_at) WHERE expires_at IS NOT NULL;
  CREATE TABLE bans (
    address TEXT PRIMARY KEY, code TEXT NOT NULL, source TEXT NOT NULL, reason TEXT, detail TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
    forget_at INTEGER NOT NULL, offences INTEGER NOT NULL, seq INTEGER NOT NULL);
  CREATE INDEX bans_seq ON bans (seq);
  CREATE INDEX bans_forget ON bans (forget_at);
  CREATE TABLE events (
    id INTEGER PRIMARY KEY, time INTEGER NOT NULL, address TEXT NOT NULL, port INTEGER,
    transport TEXT, account TEXT, code TEXT NOT NULL, stage TEXT, action TEXT NOT NULL,
    severity TEXT, detail TEXT);
  CREATE INDEX events_time ON events (time);
  CREATE INDEX events_address ON events (address, time);
  CREATE INDEX events_code ON events (code, time);
  CREATE INDEX events_account ON events (account, time) WHERE account IS NOT NULL;
  INSERT INTO meta (key, value) VALUES ('app', 'sipwarden'), ('ban_seq', '0');
  `,
]
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length

/** pending write-behind changes that trigger an immediate flush */
const WRITE_BEHIND_MAX = 10_000

/**
 * Events removed by retention per full sweep. Measured: deleting 300k events (4 indexes) in
 * one statement blocked the event loop for ~650 ms; a backlog (after downtime, or a lowered
 * retention) is instead worked off over successive sweeps. purgeEvents() is not chunked.
 */
const RETENTION_CHUNK = 5000

const EVENT_FILTERS = ['code', 'address', 'account', 'action'] as const
const EVENT_COLUMNS = 'id, time, address, port, transport, account, code, stage, action, severity, detail'
/** bounds for SQL comparisons instead of ±Infinity */
const TIME_MIN = -Number.MAX_SAFE_INTEGER
const TIME_MAX = Number.MAX_SAFE_INTEGER

export function createSqliteStore(opts: SqliteStoreOptions): SyncStore {
  return new SqliteStore(opts)
}

/**
 * A bans row as an array (statements in raw mode): measured, building 100k row objects
 * cost about twice as long as arrays when a store with 100k bans opens.
 */
type BanRow = [
  address: string,
  code: string,
  source: string,
  reason: string | null,
  detail: string | null,
  createdAt: number,
  updatedAt: number,
  expiresAt: number,
  forgetAt: number,
  offences: number,
  seq: number,
]
const BAN_COLUMNS =
  'address, code, source, reason, detail, created_at, updated_at, expires_at, forget_at, offences, seq'
const FORGET_AT = 8
const SEQ = 10

interface EventRow {
  id: number
  time: number
  address: string
  port: number | null
  transport: string | null
  account: string | null
  code: string
  stage: string | null
  action: string
  severity: string | null
  detail: string | null
}

type Stmt = Database.Statement<unknown[], unknown>

/** an event row waiting to be written: the eventInsert parameters */
type EventParams = [
  number,
  string,
  number | null,
  string | null,
  string | null,
  string,
  string | null,
  string,
  string | null,
  string | null,
]

class SqliteStore implements SyncStore {
  readonly adapter = 'sqlite' as const
  readonly limits: Readonly<StoreLimits>
  readonly path: string
  readonly #db: Database.Database
  readonly #now: Clock
  readonly #maxKeyLength: number
  readonly #counters: CounterTable
  readonly #keys: KeyTable
  readonly #sets: SetTable
  readonly #bans: BanTable
  readonly #s: {
    dataVersion: Stmt
    counterUpsert: Stmt
    counterDelete: Stmt
    counterLoad: Stmt
    counterExpire: Stmt
    kvUpsert: Stmt
    kvDelete: Stmt
    kvLoad: Stmt
    kvExpire: Stmt
    memberUpsert: Stmt
    memberDelete: Stmt
    setDelete: Stmt
    membersLoad: Stmt
    membersExpire: Stmt
    banGet: Stmt
    banUpsert: Stmt
    banDelete: Stmt
    banSeqGet: Stmt
    banSeqSet: Stmt
    banSeqMax: Stmt
    bansSince: Stmt
    bansLoad: Stmt
    bansForget: Stmt
    eventInsert: Stmt
    eventCount: Stmt
    eventsTrim: Stmt
    eventsPurge: Stmt
    eventsRetention: Stmt
    eventQueries: Stmt[]
  }
  readonly #banTx: (inputs: readonly BanInput[], now: number) => BanPlan[]
  readonly #unbanTx: (address: string, forget: boolean, now: number) => BanPlan | undefined
  readonly #flushTx: (now: number) => void
  #pendingEvents: EventParams[] = []
  #timer: NodeJS.Timeout | null
  #closed = false
  #tick = 0
  #dataVersion = 0
  #lastBanSeq = 0
  #eventCount = 0
  #tickErrorReported = false

  constructor(opts: SqliteStoreOptions) {
    const limits = resolveLimits(opts.limits, 'sqlite')
    this.limits = limits
    this.#now = opts.now ?? Date.now
    this.#maxKeyLength = limits.maxKeyLength
    const sweepIntervalMs = checkSweepInterval(opts.sweepIntervalMs)
    const persistMin = opts.persistCounterMinWindowMs ?? 60_000
    if (!Number.isSafeInteger(persistMin) || persistMin < 1) {
      throw new SgwError(ErrorCodes.STORE_OPTIONS, 'persistCounterMinWindowMs must be a positive integer')
    }
    if (typeof opts.path !== 'string' || opts.path.length === 0) {
      throw new SgwError(ErrorCodes.STORE_OPTIONS, 'the sqlite state store needs a file path')
    }
    this.path = resolve(opts.path)
    const db = openDatabase(this.path, opts.busyTimeoutMs ?? 5000)
    this.#db = db

    const p = (sql: string): Stmt => db.prepare(sql)
    this.#s = {
      dataVersion: p('PRAGMA data_version').pluck(),
      counterUpsert: p(
        `INSERT INTO counters (key, window_ms, start, prev, curr, expires_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET window_ms = excluded.window_ms, start = excluded.start,
         prev = excluded.prev, curr = excluded.curr, expires_at = excluded.expires_at`,
      ),
      counterDelete: p('DELETE FROM counters WHERE key = ?'),
      counterLoad: p(
        'SELECT key, window_ms, start, prev, curr FROM counters WHERE expires_at > ? ORDER BY rowid',
      ),
      counterExpire: p('DELETE FROM counters WHERE expires_at <= ?'),
      kvUpsert: p(
        `INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      ),
      kvDelete: p('DELETE FROM kv WHERE key = ?'),
      kvLoad: p(
        'SELECT key, value, expires_at FROM kv WHERE expires_at IS NULL OR expires_at > ? ORDER BY rowid',
      ),
      kvExpire: p('DELETE FROM kv WHERE expires_at <= ?'),
      memberUpsert: p(
        `INSERT INTO set_members (key, member, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key, member) DO UPDATE SET expires_at = excluded.expires_at`,
      ),
      memberDelete: p('DELETE FROM set_members WHERE key = ? AND member = ?'),
      setDelete: p('DELETE FROM set_members WHERE key = ?'),
      membersLoad: p(
        'SELECT key, member, expires_at FROM set_members WHERE expires_at IS NULL OR expires_at > ? ORDER BY rowid',
      ),
      membersExpire: p('DELETE FROM set_members WHERE expires_at <= ?'),
      banGet: p(`SELECT ${BAN_COLUMNS} FROM bans WHERE address = ?`).raw(),
      banUpsert: p(
        `INSERT INTO bans (address, code, source, reason, detail, created_at, updated_at, expires_at,
           forget_at, offences, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (address) DO UPDATE SET code = excluded.code, source = excluded.source,
           reason = excluded.reason, detail = excluded.detail, created_at = excluded.created_at,
           updated_at = excluded.updated_at, expires_at = excluded.expires_at,
           forget_at = excluded.forget_at, offences = excluded.offences, seq = excluded.seq`,
      ),
      banDelete: p('DELETE FROM bans WHERE address = ?'),
      banSeqGet: p(`SELECT value FROM meta WHERE key = 'ban_seq'`).pluck(),
      banSeqSet: p(`UPDATE meta SET value = ? WHERE key = 'ban_seq'`),
      banSeqMax: p('SELECT COALESCE(MAX(seq), 0) FROM bans').pluck(),
      bansSince: p(`SELECT ${BAN_COLUMNS} FROM bans WHERE seq > ? ORDER BY seq`).raw(),
      // newest first so that LIMIT keeps the most recent; seq order is write order (indexed)
      bansLoad: p(
        `SELECT ${BAN_COLUMNS} FROM bans WHERE forget_at > ? OR expires_at > ? ORDER BY seq DESC LIMIT ?`,
      ).raw(),
      bansForget: p('DELETE FROM bans WHERE forget_at <= ? AND expires_at <= ?'),
      eventInsert: p(
        `INSERT INTO events (time, address, port, transport, account, code, stage, action, severity, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      eventCount: p('SELECT COUNT(*) FROM events').pluck(),
      eventsTrim: p('DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?)'),
      eventsPurge: p('DELETE FROM events WHERE time < ?'),
      eventsRetention: p('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < ? LIMIT ?)'),
      eventQueries: eventQueryStatements(db),
    }

    const s = this.#s
    this.#counters = new CounterTable(limits.maxCounters, persistMin)
    this.#keys = new KeyTable(limits.maxKeys, true)
    this.#sets = new SetTable(limits.maxSets, limits.maxSetMembers, limits.maxTotalSetMembers, true)
    this.#bans = new BanTable(limits, makeListenerErrorHandler(opts.onListenerError), (address) => {
      s.banDelete.run(address)
    })

    // ban() and unban() read the row (the authority when several processes share the file),
    // plan against it and write in one IMMEDIATE transaction; the mirror is updated after commit.
    // The change sequence is read once and written once per transaction (the write lock is
    // held, nobody else can move it): measured, an `UPDATE meta … RETURNING` per ban cost
    // ~15 µs, three times the rest of the ban.
    const banTx = db.transaction((inputs: readonly BanInput[], now: number) => {
      const plans: BanPlan[] = []
      let seq = Number(s.banSeqGet.get())
      for (const input of inputs) {
        const address = banAddress(input?.address)
        const plan = this.#bans.planBan(address, input, now, this.#entryFromDb(address))
        this.#writeBan(plan.entry, ++seq)
        plans.push(plan)
      }
      if (plans.length > 0) s.banSeqSet.run(String(seq))
      return plans
    })
    this.#banTx = (inputs, now) => banTx.immediate(inputs, now)
    const unbanTx = db.transaction((address: string, forget: boolean, now: number) => {
      const plan = this.#bans.planUnban(address, forget, now, this.#entryFromDb(address))
      if (plan !== undefined) {
        const seq = Number(s.banSeqGet.get()) + 1
        this.#writeBan(plan.entry, seq)
        s.banSeqSet.run(String(seq))
      }
      return plan
    })
    this.#unbanTx = (a, f, n) => unbanTx.immediate(a, f, n)

    const counterSink = {
      put: (key: string, e: CounterEntry) => {
        s.counterUpsert.run(key, e.windowMs, e.start, e.prev, e.curr, counterExpiresAt(e))
      },
      remove: (key: string) => {
        s.counterDelete.run(key)
      },
    }
    const keySink = {
      put: (key: string, value: string, expiresAt: number) => {
        s.kvUpsert.run(key, value, dbTime(expiresAt))
      },
      remove: (key: string) => {
        s.kvDelete.run(key)
      },
    }
    const setSink = {
      putMember: (key: string, member: string, expiresAt: number) => {
        s.memberUpsert.run(key, member, dbTime(expiresAt))
      },
      removeMember: (key: string, member: string) => {
        s.memberDelete.run(key, member)
      },
      removeSet: (key: string) => {
        s.setDelete.run(key)
      },
    }
    this.#flushTx = db.transaction((now: number) => {
      this.#counters.flushTo(counterSink, now)
      this.#keys.flushTo(keySink, now)
      this.#sets.flushTo(setSink, now)
      const events = this.#pendingEvents
      if (events.length > 0) {
        this.#pendingEvents = []
        for (let i = 0; i < events.length; i++) s.eventInsert.run(...events[i]!)
        // bounded at maxEvents: the earliest appended events go first (an older excess, say
        // after maxEvents was lowered, is worked off RETENTION_CHUNK rows at a time)
        this.#eventCount += events.length
        if (this.#eventCount > this.limits.maxEvents) {
          const excess = Math.min(this.#eventCount - this.limits.maxEvents, events.length + RETENTION_CHUNK)
          this.#eventCount -= s.eventsTrim.run(excess).changes
        }
      }
    })

    try {
      this.#restore()
    } catch (err) {
      db.close()
      throw new SgwError(
        ErrorCodes.STORE_OPEN,
        `cannot read the state store at ${this.path}: ${message(err)}`,
        {
          cause: err,
        },
      )
    }
    this.#timer = startSweepTimer(this, sweepIntervalMs)
  }

  // ---- counters ----

  hit(key: string, windowMs: number, amount = 1): number {
    if (this.#closed) throw closedError(this.adapter)
    checkWindow(windowMs)
    checkAmount(amount)
    const n = this.#counters.hit(boundKey(key, this.#maxKeyLength), windowMs, amount, this.#now())
    if (this.#counters.dirtyCount >= WRITE_BEHIND_MAX) this.#flush()
    return n
  }

  count(key: string, windowMs: number): number {
    if (this.#closed) throw closedError(this.adapter)
    checkWindow(windowMs)
    return this.#counters.count(boundKey(key, this.#maxKeyLength), windowMs, this.#now())
  }

  resetCounter(key: string): void {
    if (this.#closed) throw closedError(this.adapter)
    this.#counters.reset(boundKey(key, this.#maxKeyLength))
    if (this.#counters.dirtyCount >= WRITE_BEHIND_MAX) this.#flush()
  }

  // ---- keys ----

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
    if (this.#keys.dirtyCount >= WRITE_BEHIND_MAX) this.#flush()
  }

  del(key: string): boolean {
    if (this.#closed) throw closedError(this.adapter)
    const had = this.#keys.del(boundKey(key, this.#maxKeyLength), this.#now())
    if (this.#keys.dirtyCount >= WRITE_BEHIND_MAX) this.#flush()
    return had
  }

  incrBy(key: string, delta: number, ttlMs?: number): number {
    if (this.#closed) throw closedError(this.adapter)
    checkDelta(delta)
    checkTtl(ttlMs, 'incrBy')
    const n = this.#keys.incrBy(boundKey(key, this.#maxKeyLength), delta, ttlMs, this.#now())
    if (this.#keys.dirtyCount >= WRITE_BEHIND_MAX) this.#flush()
    return n
  }

  // ---- sets ----

  sadd(key: string, member: string, ttlMs?: number): number {
    if (this.#closed) throw closedError(this.adapter)
    checkTtl(ttlMs, 'sadd')
    const now = this.#now()
    const expiresAt = ttlMs === undefined ? Number.POSITIVE_INFINITY : now + ttlMs
    const max = this.#maxKeyLength
    const n = this.#sets.sadd(boundKey(key, max), boundKey(member, max), expiresAt, now)
    if (this.#sets.dirtyCount >= WRITE_BEHIND_MAX) this.#flush()
    return n
  }

  srem(key: string, member: string): boolean {
    if (this.#closed) throw closedError(this.adapter)
    const max = this.#maxKeyLength
    const had = this.#sets.srem(boundKey(key, max), boundKey(member, max), this.#now())
    if (this.#sets.dirtyCount >= WRITE_BEHIND_MAX) this.#flush()
    return had
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

  // ---- bans ----

  ban(input: BanInput): BanRecord {
    return this.banMany([input])[0]!
  }

  banMany(inputs: readonly BanInput[]): BanRecord[] {
    if (this.#closed) throw closedError(this.adapter)
    if (!Array.isArray(inputs)) throw argError('banMany: expected an array of bans')
    const now = this.#now()
    const plans = this.#banTx(inputs, now)
    const out: BanRecord[] = []
    for (const plan of plans) {
      this.#bans.commit(plan, now)
      out.push(plan.entry.record)
    }
    return out
  }

  unban(address: string, opts?: UnbanOptions): BanRecord | undefined {
    if (this.#closed) throw closedError(this.adapter)
    const a = banAddress(address)
    const now = this.#now()
    const plan = this.#unbanTx(a, opts?.forget === true, now)
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

  // ---- events ----

  appendEvent(event: SecurityEvent): void {
    if (this.#closed) throw closedError(this.adapter)
    const e = storedEvent(event, 0)
    let detail: string | null = null
    if (e.detail !== undefined) {
      try {
        detail = JSON.stringify(e.detail)
      } catch (err) {
        throw new SgwError(ErrorCodes.EVENT_INVALID, `invalid security event: detail: ${message(err)}`)
      }
    }
    this.#pendingEvents.push([
      e.time,
      e.address,
      e.port ?? null,
      e.transport ?? null,
      e.account ?? null,
      e.code,
      e.stage ?? null,
      e.action,
      e.severity ?? null,
      detail,
    ])
    if (this.#pendingEvents.length >= WRITE_BEHIND_MAX) this.#flush()
  }

  queryEvents(query?: EventQuery): StoredEvent[] {
    if (this.#closed) throw closedError(this.adapter)
    const q = resolveQuery(query)
    this.#flush()
    let mask = 0
    const params: (string | number)[] = [Math.max(q.since, TIME_MIN), Math.min(q.until, TIME_MAX)]
    for (let i = 0; i < EVENT_FILTERS.length; i++) {
      const v = q[EVENT_FILTERS[i]!]
      if (v !== undefined) {
        mask |= 1 << i
        params.push(v)
      }
    }
    params.push(q.limit)
    const rows = this.#s.eventQueries[mask]!.all(...params) as EventRow[]
    return rows.map(eventFromRow)
  }

  purgeEvents(olderThanMs: number): number {
    if (this.#closed) throw closedError(this.adapter)
    if (typeof olderThanMs !== 'number' || !(olderThanMs >= 0)) {
      throw argError(`purgeEvents: olderThanMs must be a non-negative number, got ${String(olderThanMs)}`)
    }
    this.#flush()
    const n = this.#s.eventsPurge.run(this.#now() - olderThanMs).changes
    this.#eventCount = Math.max(0, this.#eventCount - n)
    return n
  }

  // ---- lifecycle ----

  sweep(): SweepResult {
    if (this.#closed) throw closedError(this.adapter)
    const now = this.#now()
    this.#syncBans(now)
    return this.#fullSweep(now)
  }

  /**
   * Timer: write behind, follow peers' bans and report expiries every tick; the full sweep
   * every TICKS_PER_FULL_SWEEP ticks.
   */
  sweepTick(): void {
    if (this.#closed) return
    try {
      const now = this.#now()
      this.#flush()
      this.#syncBans(now)
      if (++this.#tick % TICKS_PER_FULL_SWEEP === 0) this.#fullSweep(now)
      else this.#bans.sweep(now)
      this.#tickErrorReported = false
    } catch (err) {
      // e.g. SQLITE_BUSY beyond the busy timeout; the next tick retries
      if (!this.#tickErrorReported) {
        this.#tickErrorReported = true
        process.emitWarning(`state store sweep failed: ${message(err)}`, { code: 'SGW_WARN_STORE_SWEEP' })
      }
    }
  }

  stats(): StoreStats {
    if (this.#closed) throw closedError(this.adapter)
    const now = this.#now()
    this.#flush()
    this.#eventCount = this.#s.eventCount.get() as number
    return {
      counters: this.#counters.size,
      keys: this.#keys.size,
      sets: this.#sets.size,
      setMembers: this.#sets.totalMembers,
      bans: this.#bans.activeCount(now),
      banRecords: this.#bans.size,
      events: this.#eventCount,
    }
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    this.#bans.clearListeners()
    try {
      this.#flushTx(this.#now())
    } finally {
      this.#db.close()
    }
  }

  // ---- internals ----

  #fullSweep(now: number): SweepResult {
    const s = this.#s
    let removed = this.#counters.sweep(now) + this.#keys.sweep(now) + this.#sets.sweep(now)
    const [bansRemoved, expiredBans] = this.#bans.sweep(now)
    removed += bansRemoved
    this.#flushTx(now)
    s.counterExpire.run(now)
    s.kvExpire.run(now)
    s.membersExpire.run(now)
    s.bansForget.run(now, now)
    removed += s.eventsRetention.run(now - this.limits.eventRetentionMs, RETENTION_CHUNK).changes
    // another process may append too: recount, then trim towards the bound (chunked, like
    // retention: a lowered maxEvents is worked off over successive sweeps)
    this.#eventCount = s.eventCount.get() as number
    if (this.#eventCount > this.limits.maxEvents) {
      const excess = Math.min(this.#eventCount - this.limits.maxEvents, RETENTION_CHUNK)
      this.#eventCount -= s.eventsTrim.run(excess).changes
    }
    return { removed, expiredBans }
  }

  /** Writes the pending write-behind changes, if any, in one transaction. */
  #flush(): void {
    if (
      this.#pendingEvents.length > 0 ||
      this.#keys.dirtyCount > 0 ||
      this.#sets.dirtyCount > 0 ||
      this.#counters.dirtyCount > 0
    ) {
      this.#flushTx(this.#now())
    }
  }

  /** Applies bans other processes wrote since the last look. Cheap when nothing changed. */
  #syncBans(now: number): void {
    const s = this.#s
    const version = s.dataVersion.get() as number
    if (version === this.#dataVersion) return
    this.#dataVersion = version
    for (const row of s.bansSince.all(this.#lastBanSeq) as BanRow[]) {
      this.#bans.applyPeer(row[0], banFromRow(row), row[FORGET_AT], now)
      if (row[SEQ] > this.#lastBanSeq) this.#lastBanSeq = row[SEQ]
    }
  }

  #entryFromDb(address: string): BanEntry | undefined {
    const row = this.#s.banGet.get(address) as BanRow | undefined
    if (row === undefined) return undefined
    return { record: banFromRow(row), forgetAt: row[FORGET_AT], settled: true }
  }

  #writeBan(entry: BanEntry, seq: number): void {
    const r = entry.record
    this.#s.banUpsert.run(
      r.address,
      r.code,
      r.source,
      r.reason ?? null,
      r.detail === undefined ? null : JSON.stringify(r.detail),
      r.createdAt,
      r.updatedAt,
      r.expiresAt,
      entry.forgetAt,
      r.offences,
      seq,
    )
  }

  /** Rows are read with all(), not iterate(): evictions while restoring write to the same connection. */
  #restore(): void {
    const s = this.#s
    const now = this.#now()
    this.#dataVersion = s.dataVersion.get() as number
    this.#lastBanSeq = s.banSeqMax.get() as number
    const bans = s.bansLoad.all(now, now, this.limits.maxBans) as BanRow[]
    for (let i = bans.length - 1; i >= 0; i--) {
      const row = bans[i]!
      this.#bans.restore(row[0], banFromRow(row), row[FORGET_AT], now)
    }
    for (const row of s.kvLoad.all(now) as Array<{
      key: string
      value: string
      expires_at: number | null
    }>) {
      this.#keys.restore(row.key, row.value, memTime(row.expires_at), now)
    }
    for (const row of s.membersLoad.all(now) as Array<{
      key: string
      member: string
      expires_at: number | null
    }>) {
      this.#sets.restore(row.key, row.member, memTime(row.expires_at), now)
    }
    for (const row of s.counterLoad.all(now) as Array<{
      key: string
      window_ms: number
      start: number
      prev: number
      curr: number
    }>) {
      const e: CounterEntry = { windowMs: row.window_ms, start: row.start, prev: row.prev, curr: row.curr }
      this.#counters.restore(row.key, e, now)
    }
    this.#eventCount = s.eventCount.get() as number
  }
}

function openDatabase(path: string, busyTimeoutMs: number): Database.Database {
  const dir = dirname(path)
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new SgwError(ErrorCodes.STORE_OPEN, `cannot create the state directory ${dir}: ${message(err)}`, {
      cause: err,
    })
  }
  const existed = existsSync(path)
  let db: Database.Database
  try {
    db = new Database(path, { timeout: busyTimeoutMs })
  } catch (err) {
    throw new SgwError(ErrorCodes.STORE_OPEN, `cannot open the state store ${path}: ${message(err)}`, {
      cause: err,
    })
  }
  try {
    if (!existed) chmodSync(path, 0o600)
    // identify the file before changing anything in it (WAL mode is a change)
    checkIdentity(db, path)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    migrate(db, path)
    return db
  } catch (err) {
    db.close()
    if (err instanceof SgwError) throw err
    throw new SgwError(
      ErrorCodes.STORE_OPEN,
      `cannot open the state store ${path}: ${message(err)} (is it a damaged file or not a SQLite database?)`,
      { cause: err },
    )
  }
}

/** Empty file, or a sipwarden store; anything else is someone else's database. */
function checkIdentity(db: Database.Database, path: string): void {
  const appId = db.pragma('application_id', { simple: true }) as number
  if (appId === SQLITE_APPLICATION_ID) return
  const tables = db.prepare(`SELECT count(*) FROM sqlite_schema WHERE type = 'table'`).pluck().get() as number
  if (appId === 0 && tables === 0) return
  throw new SgwError(
    ErrorCodes.STORE_FOREIGN,
    `${path} is a SQLite database but not a sipwarden state store (application_id ${appId}, ${tables} tables); ` +
      'refusing to touch it: point the store at another file',
  )
}

function migrate(db: Database.Database, path: string): void {
  db.transaction(() => {
    // re-check inside the write lock: another process may have initialised the file meanwhile
    checkIdentity(db, path)
    const appId = db.pragma('application_id', { simple: true }) as number
    let version = 0
    if (appId === SQLITE_APPLICATION_ID) {
      const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get() as
        string | undefined
      version = Number(row)
      if (!Number.isSafeInteger(version) || version < 1) {
        throw new SgwError(
          ErrorCodes.STORE_FOREIGN,
          `${path}: damaged sipwarden state store (no schema version)`,
        )
      }
    }
    if (version > SQLITE_SCHEMA_VERSION) {
      throw new SgwError(
        ErrorCodes.STORE_SCHEMA,
        `${path} has schema version ${version}, written by a newer sipwarden; ` +
          `this one knows up to version ${SQLITE_SCHEMA_VERSION}. Upgrade sipwarden or use another file`,
      )
    }
    for (let v = version; v < SQLITE_SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!)
    if (version < SQLITE_SCHEMA_VERSION) {
      db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)`).run(
        String(SQLITE_SCHEMA_VERSION),
      )
    }
    if (appId !== SQLITE_APPLICATION_ID) db.pragma(`application_id = ${SQLITE_APPLICATION_ID}`)
  }).immediate()
}

function eventQueryStatements(db: Database.Database): Stmt[] {
  const out: Stmt[] = []
  for (let mask = 0; mask < 1 << EVENT_FILTERS.length; mask++) {
    const where = ['time >= ?', 'time < ?']
    for (let i = 0; i < EVENT_FILTERS.length; i++) if (mask & (1 << i)) where.push(`${EVENT_FILTERS[i]} = ?`)
    out.push(
      db.prepare(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY time DESC, id DESC LIMIT ?`,
      ),
    )
  }
  return out
}

function banFromRow(row: BanRow): BanRecord {
  const [address, code, source, reason, detail, createdAt, updatedAt, expiresAt, , offences] = row
  return Object.freeze({
    address,
    code,
    source,
    reason: reason ?? undefined,
    detail: detail === null ? undefined : Object.freeze(JSON.parse(detail) as Record<string, unknown>),
    createdAt,
    updatedAt,
    expiresAt,
    offences,
  })
}

function eventFromRow(row: EventRow): StoredEvent {
  const e: Record<string, unknown> = { id: row.id, time: row.time, address: row.address }
  if (row.port !== null) e['port'] = row.port
  if (row.transport !== null) e['transport'] = row.transport
  if (row.account !== null) e['account'] = row.account
  e['code'] = row.code
  if (row.stage !== null) e['stage'] = row.stage
  e['action'] = row.action
  if (row.severity !== null) e['severity'] = row.severity
  if (row.detail !== null) e['detail'] = Object.freeze(JSON.parse(row.detail))
  return Object.freeze(e) as unknown as StoredEvent
}

/** Infinity (no expiry) is NULL in SQL. */
function dbTime(t: number): number | null {
  return t === Number.POSITIVE_INFINITY ? null : t
}

function memTime(t: number | null): number {
  return t === null ? Number.POSITIVE_INFINITY : t
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
