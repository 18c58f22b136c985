// CDR store: its own SQLite file (default <site.dataDir>/cdr.db) so that a year of CDRs does
// not bloat the state store, WAL, rows written in batches (one transaction per BATCH rows or
// per second, and before every read), indexes on start and (account, start).
import { chmodSync, existsSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { ErrorCodes, SgwError } from '../errors.js'
import { cdrToCsv, SIPWARDEN_HEADER } from './sipwarden-csv.js'
import type { Cdr, CdrDisposition } from './types.js'

/** `PRAGMA application_id` of a sipwarden CDR store: 'SGWC'. */
export const CDR_APPLICATION_ID = 0x53475743
export const CDR_SCHEMA_VERSION = 1
export const DEFAULT_CDR_FILE = 'cdr.db'

/** pending rows that trigger a write */
const BATCH = 1000
/** rows deleted per statement by purgeOlderThan (keeps each write lock short) */
const PURGE_CHUNK = 10_000

export interface CdrQuery {
  /** start ≥ from (ms) */
  readonly from?: number
  /** start < to (ms) */
  readonly to?: number
  readonly account?: string
  readonly tenant?: string
}

export interface CdrStoreOptions {
  readonly path: string
  /** flush interval of the write batch (ms); default 1000; 0 = only by size and on reads */
  readonly flushIntervalMs?: number
  /** clock for purgeOlderThan; default Date.now */
  readonly now?: () => number
}

type Row = [
  id: string,
  account: string | null,
  tenant: string | null,
  caller: string,
  dialled: string,
  start: number,
  answer: number | null,
  end: number,
  durationMs: number,
  billableMs: number,
  disposition: string,
  sipStatus: number | null,
  sourceAddress: string | null,
  cost: number | null,
  origin: string,
]

const COLUMNS =
  'id, account, tenant, caller, dialled, start, answer, "end", duration_ms, billable_ms, disposition, ' +
  'sip_status, source_address, cost, origin'

const SCHEMA = `
  CREATE TABLE cdrs (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL, account TEXT, tenant TEXT, caller TEXT NOT NULL,
    dialled TEXT NOT NULL, start INTEGER NOT NULL, answer INTEGER, "end" INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL, billable_ms INTEGER NOT NULL, disposition TEXT NOT NULL,
    sip_status INTEGER, source_address TEXT, cost REAL, origin TEXT NOT NULL);
  CREATE INDEX cdrs_start ON cdrs (start);
  CREATE INDEX cdrs_account ON cdrs (account, start) WHERE account IS NOT NULL;
  CREATE INDEX cdrs_tenant ON cdrs (tenant, start) WHERE tenant IS NOT NULL;
`

function toRow(c: Cdr): Row {
  return [
    c.id,
    c.account,
    c.tenant,
    c.caller,
    c.dialled,
    c.start,
    c.answer,
    c.end,
    c.durationMs,
    c.billableMs,
    c.disposition,
    c.sipStatus,
    c.sourceAddress,
    c.cost,
    c.origin,
  ]
}

function fromRow(r: Row): Cdr {
  return {
    id: r[0],
    account: r[1],
    tenant: r[2],
    caller: r[3],
    dialled: r[4],
    start: r[5],
    answer: r[6],
    end: r[7],
    durationMs: r[8],
    billableMs: r[9],
    disposition: r[10] as CdrDisposition,
    sipStatus: r[11],
    sourceAddress: r[12],
    cost: r[13],
    origin: r[14] as Cdr['origin'],
  }
}

type Stmt = Database.Statement<unknown[], unknown>

export class CdrStore {
  readonly path: string
  readonly #db: Database.Database
  readonly #insert: Stmt
  readonly #purge: Stmt
  readonly #count: Stmt
  readonly #flushTx: (rows: readonly Row[]) => void
  readonly #now: () => number
  #pending: Row[] = []
  #timer: NodeJS.Timeout | null = null
  #closed = false

  constructor(opts: CdrStoreOptions) {
    if (typeof opts.path !== 'string' || opts.path.length === 0)
      throw new SgwError(ErrorCodes.STORE_OPTIONS, 'the CDR store needs a file path')
    this.path = resolve(opts.path)
    this.#now = opts.now ?? Date.now
    this.#db = openCdrDatabase(this.path)
    this.#insert = this.#db.prepare(
      `INSERT INTO cdrs (${COLUMNS}) VALUES (${COLUMNS.split(',')
        .map(() => '?')
        .join(', ')})`,
    )
    this.#purge = this.#db.prepare(
      'DELETE FROM cdrs WHERE seq IN (SELECT seq FROM cdrs WHERE start < ? ORDER BY start LIMIT ?)',
    )
    this.#count = this.#db.prepare('SELECT count(*) FROM cdrs').pluck()
    this.#flushTx = this.#db.transaction((rows: readonly Row[]) => {
      for (const r of rows) this.#insert.run(r)
    })
    const interval = opts.flushIntervalMs ?? 1000
    if (interval > 0) {
      this.#timer = setInterval(() => {
        try {
          this.flush()
        } catch {
          // retried on the next tick or read; a failing disk surfaces on close()
        }
      }, interval)
      this.#timer.unref()
    }
  }

  /** Queues a CDR; written with the next batch. */
  insert(cdr: Cdr): void {
    this.#check()
    this.#pending.push(toRow(cdr))
    if (this.#pending.length >= BATCH) this.flush()
  }

  /** Writes the queued CDRs in one transaction. */
  flush(): void {
    if (this.#pending.length === 0 || this.#closed) return
    const rows = this.#pending
    this.#pending = []
    this.#flushTx(rows)
  }

  /** CDRs matching the query, by start time. Do not insert while iterating. */
  *query(q: CdrQuery = {}): IterableIterator<Cdr> {
    this.#check()
    this.flush()
    const where: string[] = []
    const args: Array<string | number> = []
    if (q.from !== undefined) {
      where.push('start >= ?')
      args.push(q.from)
    }
    if (q.to !== undefined) {
      where.push('start < ?')
      args.push(q.to)
    }
    if (q.account !== undefined) {
      where.push('account = ?')
      args.push(q.account)
    }
    if (q.tenant !== undefined) {
      where.push('tenant = ?')
      args.push(q.tenant)
    }
    const sql =
      `SELECT ${COLUMNS} FROM cdrs` +
      (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
      ' ORDER BY start, seq'
    const stmt = this.#db.prepare(sql).raw(true)
    for (const r of stmt.iterate(...args)) yield fromRow(r as Row)
  }

  /** Number of stored CDRs (after writing the queued ones). */
  count(): number {
    this.#check()
    this.flush()
    return this.#count.get() as number
  }

  /** Writes the matching CDRs as sipwarden CSV (with its header line); resolves to the row count. */
  async exportCsv(q: CdrQuery, out: NodeJS.WritableStream): Promise<number> {
    let n = 0
    let buf = `${SIPWARDEN_HEADER}\n`
    for (const c of this.query(q)) {
      buf += `${cdrToCsv(c)}\n`
      n++
      if (buf.length >= 1 << 16) {
        const more = out.write(buf)
        buf = ''
        if (!more) await new Promise<void>((res) => out.once('drain', res))
      }
    }
    if (buf.length > 0 && !out.write(buf)) await new Promise<void>((res) => out.once('drain', res))
    return n
  }

  /** Deletes CDRs that started more than `ms` ago (fraud.cdr.retentionMs); returns how many. */
  purgeOlderThan(ms: number): number {
    this.#check()
    if (!Number.isFinite(ms) || ms < 0)
      throw new SgwError(ErrorCodes.STORE_ARGUMENT, 'retention must be ≥ 0 ms')
    this.flush()
    const cutoff = this.#now() - ms
    let total = 0
    for (;;) {
      const n = this.#purge.run(cutoff, PURGE_CHUNK).changes
      total += n
      if (n < PURGE_CHUNK) return total
    }
  }

  close(): void {
    if (this.#closed) return
    if (this.#timer !== null) clearInterval(this.#timer)
    try {
      this.flush()
    } finally {
      this.#closed = true
      this.#db.close()
    }
  }

  #check(): void {
    if (this.#closed) throw new SgwError(ErrorCodes.STORE_CLOSED, 'the CDR store is closed')
  }
}

function openCdrDatabase(path: string): Database.Database {
  const dir = dirname(path)
  let db: Database.Database
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const existed = existsSync(path)
    db = new Database(path, { timeout: 5000 })
    if (!existed) chmodSync(path, 0o600)
  } catch (err) {
    throw new SgwError(ErrorCodes.STORE_OPEN, `cannot open the CDR store ${path}: ${msg(err)}`, {
      cause: err,
    })
  }
  try {
    const appId = db.pragma('application_id', { simple: true }) as number
    const tables = db
      .prepare(`SELECT count(*) FROM sqlite_schema WHERE type = 'table'`)
      .pluck()
      .get() as number
    if (appId !== CDR_APPLICATION_ID && !(appId === 0 && tables === 0))
      throw new SgwError(
        ErrorCodes.STORE_FOREIGN,
        `${path} is a SQLite database but not a sipwarden CDR store; refusing to touch it: point the store at another file`,
      )
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.transaction(() => {
      const version = db.pragma('user_version', { simple: true }) as number
      if (version === 0) {
        db.exec(SCHEMA)
        db.pragma(`application_id = ${CDR_APPLICATION_ID}`)
        db.pragma(`user_version = ${CDR_SCHEMA_VERSION}`)
      } else if (version > CDR_SCHEMA_VERSION)
        throw new SgwError(
          ErrorCodes.STORE_SCHEMA,
          `the CDR store ${path} was written by a newer sipwarden (schema ${version}); upgrade sipwarden`,
        )
    }).immediate()
    return db
  } catch (err) {
    db.close()
    if (err instanceof SgwError) throw err
    throw new SgwError(ErrorCodes.STORE_OPEN, `cannot open the CDR store ${path}: ${msg(err)}`, {
      cause: err,
    })
  }
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
