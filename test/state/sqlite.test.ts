import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { Worker } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { ErrorCodes, SgwError } from '../../src/errors.js'
import {
  createSqliteStore,
  SQLITE_APPLICATION_ID,
  SQLITE_SCHEMA_VERSION,
  type SqliteStoreOptions,
} from '../../src/state/sqlite.js'
import type { BanChange } from '../../src/state/store.js'
import { createStore } from '../../src/state/store.js'
import { createTestClock, runStoreConformance, type TestClock } from './conformance.js'

const root = mkdtempSync(join(tmpdir(), 'sgw-state-'))
after(() => rmSync(root, { recursive: true, force: true }))
let seq = 0
/** a fresh path in a directory that does not exist yet */
function freshPath(): string {
  return join(root, `db${seq++}`, 'state.db')
}

runStoreConformance('sqlite', (clock, extra) =>
  createSqliteStore({ path: freshPath(), now: clock.now, sweepIntervalMs: 0, ...extra }),
)

function open(path: string, clock: TestClock, extra: Partial<SqliteStoreOptions> = {}) {
  return createSqliteStore({ path, now: clock.now, sweepIntervalMs: 0, ...extra })
}

function raw(path: string): Database.Database {
  return new Database(path, { readonly: true, fileMustExist: true })
}

function rows(path: string, table: string): number {
  const db = raw(path)
  try {
    return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number
  } finally {
    db.close()
  }
}

function isStoreError(code: string) {
  return (e: unknown) => {
    assert.ok(e instanceof SgwError, `expected an SgwError, got ${String(e)}`)
    assert.equal(e.code, code)
    return true
  }
}

describe('sqlite store: files', () => {
  test('creates the data directory 0700 and the database 0600, in WAL mode, schema recorded', () => {
    const path = freshPath()
    const s = open(path, createTestClock())
    s.close()
    assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700)
    assert.equal(statSync(path).mode & 0o777, 0o600)
    const db = raw(path)
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
      assert.equal(db.pragma('application_id', { simple: true }), SQLITE_APPLICATION_ID)
      const meta = Object.fromEntries(
        (db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((r) => [
          r.key,
          r.value,
        ]),
      )
      assert.equal(meta['app'], 'sipwarden')
      assert.equal(meta['schema_version'], String(SQLITE_SCHEMA_VERSION))
    } finally {
      db.close()
    }
  })

  test('a file that is not a SQLite database gives STORE_OPEN and is left as it was', () => {
    const path = freshPath()
    createSqliteStore({ path, sweepIntervalMs: 0 }).close()
    const junk = randomBytes(8192)
    const bad = join(path, '..', 'junk.db')
    writeFileSync(bad, junk)
    assert.throws(
      () => createSqliteStore({ path: bad, sweepIntervalMs: 0 }),
      isStoreError(ErrorCodes.STORE_OPEN),
    )
    assert.deepEqual(readFileSync(bad), junk)
  })

  test('a damaged sipwarden database gives STORE_OPEN', () => {
    const path = freshPath()
    createSqliteStore({ path, sweepIntervalMs: 0 }).close()
    const bytes = readFileSync(path)
    bytes.fill(0x41, 100) // keep the header, trash every page
    writeFileSync(path, bytes)
    rmSync(`${path}-wal`, { force: true })
    rmSync(`${path}-shm`, { force: true })
    assert.throws(() => createSqliteStore({ path, sweepIntervalMs: 0 }), isStoreError(ErrorCodes.STORE_OPEN))
  })

  test('another program’s SQLite database gives STORE_FOREIGN and is not modified', () => {
    const path = join(root, `foreign${seq++}.db`)
    const db = new Database(path)
    db.exec(`CREATE TABLE cdr (id INTEGER PRIMARY KEY, src TEXT); INSERT INTO cdr (src) VALUES ('100')`)
    db.close()
    const before = readFileSync(path)
    assert.throws(
      () => createSqliteStore({ path, sweepIntervalMs: 0 }),
      isStoreError(ErrorCodes.STORE_FOREIGN),
    )
    assert.deepEqual(readFileSync(path), before)
    const check = raw(path)
    assert.equal(check.pragma('journal_mode', { simple: true }), 'delete')
    check.close()
  })

  test('a store written by a newer schema gives STORE_SCHEMA', () => {
    const path = freshPath()
    createSqliteStore({ path, sweepIntervalMs: 0 }).close()
    const db = new Database(path)
    db.prepare(`UPDATE meta SET value = '999' WHERE key = 'schema_version'`).run()
    db.close()
    assert.throws(
      () => createSqliteStore({ path, sweepIntervalMs: 0 }),
      isStoreError(ErrorCodes.STORE_SCHEMA),
    )
  })

  test('a directory that cannot be created gives STORE_OPEN', () => {
    const file = join(root, `plain-file${seq++}`)
    writeFileSync(file, 'x')
    assert.throws(
      () => createSqliteStore({ path: join(file, 'sub', 'state.db'), sweepIntervalMs: 0 }),
      isStoreError(ErrorCodes.STORE_OPEN),
    )
  })

  test('bad options give STORE_OPTIONS', () => {
    assert.throws(() => createSqliteStore({ path: '' }), isStoreError(ErrorCodes.STORE_OPTIONS))
    assert.throws(
      () => createSqliteStore({ path: freshPath(), persistCounterMinWindowMs: 0 }),
      isStoreError(ErrorCodes.STORE_OPTIONS),
    )
  })

  test('createStore opens the sqlite adapter', () => {
    const s = createStore({ adapter: 'sqlite', path: freshPath(), sweepIntervalMs: 0 })
    assert.equal(s.adapter, 'sqlite')
    s.close()
  })
})

describe('sqlite store: what survives a restart', () => {
  test('bans come back with their remaining TTL and offence counts', () => {
    const path = freshPath()
    const clock = createTestClock()
    const t0 = clock.now()
    let s = open(path, clock)
    s.ban({
      address: '192.0.2.1',
      ttlMs: 60_000,
      code: 'flood.register',
      source: 'gateway',
      detail: { n: 40 },
    })
    s.ban({ address: '2001:db8::1', ttlMs: 1000, code: 'auth.failure', source: 'watch', reason: 'r' })
    s.ban({ address: '192.0.2.2', ttlMs: 1000, code: 'auth.failure', source: 'watch' })
    s.unban('192.0.2.2')
    s.close()

    clock.advance(20_000)
    s = open(path, clock)
    const ban = s.getBan('192.0.2.1')!
    assert.equal(ban.expiresAt, t0 + 60_000)
    assert.deepEqual(ban.detail, { n: 40 })
    assert.equal(s.isBanned('192.0.2.1'), true)
    assert.equal(s.isBanned('2001:db8::1'), false)
    assert.equal(s.offences('2001:db8::1'), 1)
    assert.equal(s.isBanned('192.0.2.2'), false)
    assert.equal(s.offences('192.0.2.2'), 1)
    assert.deepEqual(
      s.listBans().map((b) => b.address),
      ['192.0.2.1'],
    )
    assert.equal(
      s.ban({ address: '2001:db8::1', ttlMs: 1000, code: 'auth.failure', source: 'watch' }).offences,
      2,
    )
    clock.advance(40_000)
    assert.equal(s.isBanned('192.0.2.1'), false)
    s.close()
  })

  test('keys, sets, events and long-window counters come back; flood counters do not', () => {
    const path = freshPath()
    const clock = createTestClock()
    let s = open(path, clock)
    s.set('persistent', 'yes')
    s.set('short', 'x', 1000)
    s.set('gauge', '0')
    s.incrBy('gauge', 3, 60_000)
    s.sadd('tried:192.0.2.1', 'alice', 60_000)
    s.sadd('tried:192.0.2.1', 'bob')
    s.hit('auth:192.0.2.1', 600_000, 7) // brute-force window: persisted
    s.hit('flood:192.0.2.1', 2000, 30) // flood window: memory only
    s.appendEvent({
      time: clock.now(),
      address: '192.0.2.1',
      code: 'auth.failure',
      action: 'reply',
      account: 'alice',
    })
    s.close()

    clock.advance(5000)
    s = open(path, clock)
    assert.equal(s.get('persistent'), 'yes')
    assert.equal(s.get('short'), undefined)
    assert.equal(s.get('gauge'), '3')
    assert.equal(s.incrBy('gauge', -1), 2)
    assert.deepEqual(s.smembers('tried:192.0.2.1').sort(), ['alice', 'bob'])
    assert.equal(s.count('auth:192.0.2.1', 600_000), 7)
    assert.equal(s.count('flood:192.0.2.1', 2000), 0)
    const events = s.queryEvents()
    assert.equal(events.length, 1)
    assert.equal(events[0]!.account, 'alice')
    clock.advance(55_000)
    assert.deepEqual(s.smembers('tried:192.0.2.1'), ['bob'])
    assert.equal(s.get('gauge'), undefined)
    s.close()
  })

  test('10,000 bans are restored', () => {
    const path = freshPath()
    const clock = createTestClock()
    let s = open(path, clock)
    const bans = []
    for (let i = 0; i < 10_000; i++) {
      bans.push({
        address: `10.0.${i >> 8}.${i & 255}`,
        ttlMs: 3_600_000,
        code: 'auth.failure',
        source: 'watch',
      })
    }
    s.banMany(bans)
    s.close()
    s = open(path, clock)
    assert.equal(s.listBans().length, 10_000)
    assert.equal(s.isBanned('10.0.39.15'), true)
    s.close()
  })

  test('the sweep deletes expired rows from disk', () => {
    const path = freshPath()
    const clock = createTestClock()
    const s = open(path, clock, { limits: { offenceMemoryMs: 1000 } })
    s.set('k', 'v', 1000)
    s.sadd('s', 'm', 1000)
    s.hit('auth:x', 60_000)
    s.ban({ address: '192.0.2.1', ttlMs: 1000, code: 'flood.register', source: 't' })
    s.sweep()
    assert.deepEqual(
      ['kv', 'set_members', 'counters', 'bans'].map((t) => rows(path, t)),
      [1, 1, 1, 1],
    )
    clock.advance(200_000)
    s.sweep()
    assert.deepEqual(
      ['kv', 'set_members', 'counters', 'bans'].map((t) => rows(path, t)),
      [0, 0, 0, 0],
    )
    s.close()
  })

  test('the tables on disk stay within the limits', () => {
    const path = freshPath()
    const clock = createTestClock()
    const s = open(path, clock, {
      limits: { maxKeys: 5, maxBans: 3, maxEvents: 5, maxCounters: 5, maxSets: 2, maxSetMembers: 3 },
    })
    for (let i = 0; i < 50; i++) {
      s.set(`k${i}`, 'v')
      s.ban({ address: `192.0.2.${i}`, ttlMs: 60_000, code: 'flood.register', source: 't' })
      s.appendEvent({ time: clock.now(), address: '192.0.2.1', code: 'flood.register', action: 'drop' })
      s.hit(`auth:${i}`, 600_000)
      s.sadd(`set${i % 4}`, `m${i}`)
    }
    s.close()
    assert.equal(rows(path, 'kv'), 5)
    assert.equal(rows(path, 'bans'), 3)
    assert.equal(rows(path, 'events'), 5)
    assert.equal(rows(path, 'counters'), 5)
    assert.ok(rows(path, 'set_members') <= 6)
  })
})

describe('sqlite store: two stores on one file (WAL)', () => {
  test('bans, unbans, offence counts and events are shared', () => {
    const path = freshPath()
    const clock = createTestClock()
    const gateway = open(path, clock)
    const watcher = open(path, clock)
    const seen: string[] = []
    gateway.onBanChange((c: BanChange) => seen.push(`${c.kind}:${c.origin}`))

    watcher.ban({ address: '192.0.2.1', ttlMs: 1000, code: 'auth.failure', source: 'watch' })
    assert.equal(gateway.isBanned('192.0.2.1'), false, 'not seen before the next sweep tick')
    gateway.sweep()
    assert.equal(gateway.isBanned('192.0.2.1'), true)
    assert.deepEqual(seen, ['ban:peer'])

    clock.advance(1000)
    gateway.sweep()
    assert.deepEqual(seen, ['ban:peer', 'expire:local'])
    // the second episode counts the first one, whoever banned it
    const r = gateway.ban({ address: '192.0.2.1', ttlMs: 1000, code: 'flood.register', source: 'gateway' })
    assert.equal(r.offences, 2)
    watcher.sweep()
    assert.equal(watcher.isBanned('192.0.2.1'), true)
    assert.equal(watcher.offences('192.0.2.1'), 2)

    watcher.unban('192.0.2.1')
    gateway.sweep()
    assert.equal(gateway.isBanned('192.0.2.1'), false)
    assert.deepEqual(seen, ['ban:peer', 'expire:local', 'ban:local', 'unban:peer'])

    gateway.appendEvent({ time: clock.now(), address: '192.0.2.1', code: 'flood.register', action: 'ban' })
    watcher.appendEvent({ time: clock.now() + 1, address: '192.0.2.1', code: 'auth.failure', action: 'log' })
    // events are written behind: other processes see them after the writer's next tick
    assert.deepEqual(
      gateway.queryEvents().map((e) => e.code),
      ['flood.register'],
    )
    watcher.sweep()
    for (const s of [gateway, watcher]) {
      assert.deepEqual(
        s.queryEvents().map((e) => e.code),
        ['auth.failure', 'flood.register'],
      )
    }
    gateway.close()
    watcher.close()
  })

  test('four threads open a new file at once and write concurrently', async () => {
    const path = freshPath()
    const storeUrl = new URL('../../src/state/sqlite.js', import.meta.url).href
    const code = `
      const { parentPort, workerData } = require('node:worker_threads')
      import(workerData.storeUrl).then(({ createSqliteStore }) => {
        const s = createSqliteStore({ path: workerData.path, sweepIntervalMs: 0 })
        for (let i = 0; i < 100; i++) {
          s.ban({ address: '10.' + workerData.n + '.0.' + i, ttlMs: 60000, code: 'flood.register', source: 'w' })
          s.appendEvent({ time: Date.now(), address: '10.0.0.1', code: 'flood.register', action: 'ban' })
        }
        s.close()
        parentPort.postMessage('done')
      })`
    const results = await Promise.all(
      [0, 1, 2, 3].map(
        (n) =>
          new Promise<unknown>((resolve, reject) => {
            const w = new Worker(code, { eval: true, workerData: { path, storeUrl, n } })
            w.once('message', resolve)
            w.once('error', reject)
          }),
      ),
    )
    assert.deepEqual(results, ['done', 'done', 'done', 'done'])
    const s = createSqliteStore({ path, sweepIntervalMs: 0 })
    assert.equal(s.listBans().length, 400)
    assert.equal(s.stats().events, 400)
    s.close()
  })
})
