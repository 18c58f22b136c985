import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { readCdrFile } from '../../src/cdr/import.js'
import { CdrStore } from '../../src/cdr/store.js'
import { syntheticCdrs } from '../../src/cdr/synthetic.js'
import type { Cdr } from '../../src/cdr/types.js'
import { SgwError } from '../../src/errors.js'

const tmp = mkdtempSync(join(tmpdir(), 'sgw-cdr-store-'))
after(() => rmSync(tmp, { recursive: true, force: true }))
const DAY = 86_400_000

function sample(days = 7): Cdr[] {
  return [...syntheticCdrs({ accounts: 5, days, tenant: 'acme' })]
}

describe('CdrStore', () => {
  it('insert (batched) then query by time, account and tenant, in start order', () => {
    const path = join(tmp, 'a', 'cdr.db')
    const rows = sample()
    const store = new CdrStore({ path, flushIntervalMs: 0 })
    for (const c of rows) store.insert(c)
    assert.equal(store.count(), rows.length)
    const all = [...store.query({})]
    assert.deepEqual(all, rows)
    const from = rows[0]!.start + DAY
    const to = from + 2 * DAY
    const acc = [...store.query({ from, to, account: '1002', tenant: 'acme' })]
    const expected = rows.filter((c) => c.start >= from && c.start < to && c.account === '1002')
    assert.ok(expected.length > 0)
    assert.deepEqual(acc, expected)
    assert.equal([...store.query({ tenant: 'other' })].length, 0)
    store.close()
  })

  it('survives a reopen: rows queued before close are written', () => {
    const path = join(tmp, 'b.db')
    const rows = sample(2)
    const s1 = new CdrStore({ path })
    for (const c of rows.slice(0, 10)) s1.insert(c)
    s1.close()
    const s2 = new CdrStore({ path })
    assert.equal(s2.count(), 10)
    assert.throws(() => s2.purgeOlderThan(-1), SgwError)
    s2.close()
    assert.throws(
      () => s2.insert(rows[0]!),
      (e: unknown) => e instanceof SgwError && e.code === 'SGW_ERR_STORE_CLOSED',
    )
  })

  it('exportCsv writes sipwarden CSV that reads back to the same CDRs', async () => {
    const path = join(tmp, 'c.db')
    const rows = sample(3)
    const odd: Cdr = { ...rows[0]!, id: 'x,"y"', caller: '"Bob, Jr." <1002>', cost: 1.25, sipStatus: 200 }
    const store = new CdrStore({ path })
    store.insert(odd)
    for (const c of rows.slice(1)) store.insert(c)
    const out = new PassThrough()
    const chunks: Buffer[] = []
    out.on('data', (b: Buffer) => chunks.push(b))
    const n = await store.exportCsv({}, out)
    out.end()
    store.close()
    assert.equal(n, rows.length)
    const file = join(tmp, 'export.csv')
    writeFileSync(file, Buffer.concat(chunks))
    const back: Cdr[] = []
    for await (const c of readCdrFile(file, 'sipwarden')) back.push(c)
    assert.deepEqual(back, [odd, ...rows.slice(1)])
  })

  it('purgeOlderThan deletes by start time against its clock', () => {
    const path = join(tmp, 'd.db')
    const rows = sample(14)
    const last = rows[rows.length - 1]!.start
    const store = new CdrStore({ path, now: () => last })
    for (const c of rows) store.insert(c)
    const old = rows.filter((c) => c.start < last - 7 * DAY).length
    assert.ok(old > 0 && old < rows.length)
    assert.equal(store.purgeOlderThan(7 * DAY), old)
    assert.equal(store.count(), rows.length - old)
    assert.equal(store.purgeOlderThan(7 * DAY), 0)
    store.close()
  })

  it('refuses a SQLite file that is not a CDR store', () => {
    const path = join(tmp, 'foreign.db')
    const db = new Database(path)
    db.exec('CREATE TABLE t (x)')
    db.close()
    assert.throws(
      () => new CdrStore({ path }),
      (e: unknown) => e instanceof SgwError && e.code === 'SGW_ERR_STORE_FOREIGN',
    )
  })
})
