import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parseCsvLine } from '../../src/cdr/csv.js'
import { type CdrFormat, readCdrFile } from '../../src/cdr/import.js'
import { parseWallClock, zoneClock } from '../../src/cdr/time.js'
import type { Cdr } from '../../src/cdr/types.js'
import { SgwError } from '../../src/errors.js'

// dist/test/cdr → test/fixtures/cdr in the source tree
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'cdr')
const tmp = mkdtempSync(join(tmpdir(), 'sgw-cdr-import-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

async function read(
  name: string,
  format: CdrFormat,
  timezone?: string,
): Promise<{ rows: Cdr[]; warnings: Array<[number, string]> }> {
  const rows: Cdr[] = []
  const warnings: Array<[number, string]> = []
  const path = name.startsWith('/') ? name : join(FIXTURES, name)
  for await (const c of readCdrFile(path, format, { timezone, onWarning: (l, m) => warnings.push([l, m]) }))
    rows.push(c)
  return { rows, warnings }
}

const utc = (s: string) => Date.parse(`${s}Z`)

describe('CSV line parser', () => {
  it('splits quoted fields with embedded commas and doubled quotes', () => {
    assert.deepEqual(parseCsvLine('"a,b","say ""hi""",3,,""'), ['a,b', 'say "hi"', '3', '', ''])
  })
  it('drops blanks outside quotes and a trailing CR', () => {
    assert.deepEqual(parseCsvLine('"x", "y" ,z\r'), ['x', 'y', 'z'])
  })
  it('rejects an unterminated quote and text after a closing quote', () => {
    assert.equal(parseCsvLine('"abc,def'), null)
    assert.equal(parseCsvLine('"abc"x,def'), null)
    assert.equal(parseCsvLine('ab"c,def'), null)
  })
})

describe('wall-clock times', () => {
  it('converts local time of a zone to UTC, across the DST change', () => {
    const berlin = zoneClock('Europe/Berlin')
    assert.equal(berlin.fromLocal(parseWallClock('2026-03-02 09:00:00')), utc('2026-03-02T08:00:00'))
    assert.equal(berlin.fromLocal(parseWallClock('2026-07-02 09:00:00')), utc('2026-07-02T07:00:00'))
    assert.equal(parseWallClock('2026-13-02 09:00:00'), Number.NaN)
    assert.equal(parseWallClock('2026-03-02T09:00:00.5'), utc('2026-03-02T09:00:00.500'))
  })
  it('hour of week: Monday 00:00 local is 0, Sunday 23:00 is 167', () => {
    const ny = zoneClock('America/New_York')
    assert.equal(ny.hourOfWeek(ny.fromLocal(parseWallClock('2026-03-02 00:30:00'))), 0)
    assert.equal(ny.hourOfWeek(ny.fromLocal(parseWallClock('2026-03-08 23:10:00'))), 167)
  })
  it('an unknown zone is a clear error', () => {
    assert.throws(
      () => zoneClock('Mars/Olympus'),
      (e: unknown) => e instanceof SgwError && /time zone/.test(e.message),
    )
  })
})

describe('Asterisk Master.csv', () => {
  it('16 columns: dispositions, quoted caller IDs, bad lines reported with their line numbers', async () => {
    const { rows, warnings } = await read('asterisk-16.csv', 'asterisk', 'Europe/Berlin')
    assert.equal(rows.length, 4)
    assert.deepEqual(
      rows.map((r) => [r.account, r.dialled, r.disposition]),
      [
        ['1001', '004930123456', 'answered'],
        ['1002', '0800123456', 'no-answer'],
        ['1002', '2001', 'busy'],
        ['1003', '00535', 'failed'],
      ],
    )
    const [a] = rows
    assert.equal(a!.start, utc('2026-03-02T08:00:00'))
    assert.equal(a!.answer, utc('2026-03-02T08:00:05'))
    assert.equal(a!.end, utc('2026-03-02T08:02:05'))
    assert.equal(a!.durationMs, 125_000)
    assert.equal(a!.billableMs, 120_000)
    assert.equal(a!.origin, 'asterisk')
    assert.equal(a!.id, 'asterisk:1')
    assert.equal(rows[1]!.answer, null)
    assert.deepEqual(
      warnings.map((w) => w[0]),
      [4, 5],
    )
    assert.match(warnings[1]![1], /unknown disposition 'SOMETHING ELSE'/)
  })
  it('17 columns (uniqueid) with the accountcode; a non-numeric duration is a bad line', async () => {
    const { rows, warnings } = await read('asterisk-17.csv', 'asterisk')
    assert.deepEqual(
      rows.map((r) => [r.id, r.account, r.disposition]),
      [
        ['1772445600.10', '1001', 'answered'],
        ['1772445900.12', '1002', 'cancelled'],
      ],
    )
    assert.equal(rows[0]!.start, utc('2026-03-02T10:00:00'))
    assert.deepEqual(warnings, [[3, "duration 'twenty' is not a number"]])
  })
  it('18 columns (uniqueid, userfield with quotes and commas); a broken line does not stop the file', async () => {
    const { rows, warnings } = await read('asterisk-18.csv', 'asterisk')
    assert.equal(rows.length, 2)
    assert.equal(rows[0]!.id, '1772449200.16')
    assert.equal(rows[0]!.billableMs, 600_000)
    // an inbound call from a trunk: its account is the trunk's peer name
    assert.equal(rows[1]!.account, 'trunk')
    assert.equal(rows[1]!.caller, '+441234567890')
    assert.equal(warnings.length, 1)
    assert.equal(warnings[0]![0], 3)
  })
  it('19, 20 and 21 columns (newcdrcolumns with and without uniqueid/userfield)', async () => {
    const r19 = await read('asterisk-19.csv', 'asterisk')
    assert.equal(r19.rows.length, 1)
    assert.equal(r19.rows[0]!.id, 'asterisk:1')
    const r20 = await read('asterisk-20.csv', 'asterisk')
    assert.equal(r20.rows[0]!.id, '1772460000.64')
    const r21 = await read('asterisk-21.csv', 'asterisk')
    assert.deepEqual(
      r21.rows.map((r) => [r.id, r.account, r.dialled, r.disposition]),
      [
        ['1772452800.32', '1001', '004930123456', 'answered'],
        ['1772453100.34', '1002', '00881612345678', 'failed'],
      ],
    )
    assert.equal(r21.warnings.length, 0)
  })
})

describe('FreeSWITCH cdr_csv', () => {
  it('the compiled-in default template (13 columns, a blank before the last field)', async () => {
    const { rows, warnings } = await read('freeswitch-default.csv', 'freeswitch', 'Europe/Berlin')
    assert.deepEqual(
      rows.map((r) => [r.account, r.caller, r.dialled, r.disposition]),
      [
        ['1000', '1000', '004930123456', 'answered'],
        ['1001', '1001', '0044909', 'no-answer'],
        ['1001', '1001', '1000', 'busy'],
      ],
    )
    assert.equal(rows[0]!.id, '2f1c9a7e-0001-4c1b-9d1e-000000000001')
    assert.equal(rows[0]!.start, utc('2026-03-02T08:00:00'))
    assert.equal(rows[0]!.origin, 'freeswitch')
    assert.equal(warnings.length, 1)
    assert.equal(warnings[0]![0], 4)
    assert.match(warnings[0]![1], /start 'not a date'/)
  })
  it('the vanilla example template (15 columns), Q.850 causes', async () => {
    const { rows, warnings } = await read('freeswitch-example.csv', 'freeswitch')
    assert.deepEqual(
      rows.map((r) => r.disposition),
      ['answered', 'cancelled', 'rejected'],
    )
    assert.equal(rows[0]!.billableMs, 300_000)
    assert.equal(rows[1]!.dialled, '00535123456')
    assert.equal(warnings.length, 1)
    assert.match(warnings[0]![1], /hangup cause/)
  })
  it('the Asterisk-compatible template (18 columns)', async () => {
    const { rows } = await read('freeswitch-asterisk.csv', 'freeswitch')
    assert.equal(rows.length, 1)
    assert.equal(rows[0]!.id, '4b1d2c3e-0001-4f00-8000-000000000001')
    assert.equal(rows[0]!.account, '1000')
    assert.equal(rows[0]!.disposition, 'answered')
  })
})

describe('sipwarden CSV', () => {
  it('reads its own export: header, nulls, quoted ids', async () => {
    const { rows, warnings } = await read('sipwarden.csv', 'sipwarden')
    assert.equal(rows.length, 2)
    assert.deepEqual(rows[0], {
      id: 'call-1@10.0.0.5',
      account: '1001',
      tenant: 'acme',
      caller: '"Alice" <1001>',
      dialled: '004930123456',
      start: utc('2026-03-02T09:00:00'),
      answer: utc('2026-03-02T09:00:05'),
      end: utc('2026-03-02T09:02:05'),
      durationMs: 125_000,
      billableMs: 120_000,
      disposition: 'answered',
      sipStatus: 200,
      sourceAddress: '192.0.2.10',
      cost: 0.12,
      origin: 'gateway',
    })
    assert.equal(rows[1]!.id, 'call,2')
    assert.equal(rows[1]!.account, null)
    assert.equal(rows[1]!.answer, null)
    assert.deepEqual(warnings, [[4, "unknown disposition 'exploded'"]])
  })
})

describe('wrong format, missing file', () => {
  it('a FreeSWITCH file read as Asterisk: an error that names the likely format', async () => {
    const path = join(tmp, 'fs.csv')
    const line =
      '"A","1000","0049301","default","2026-03-02 10:00:00","","2026-03-02 10:00:01","1","0","NO_ANSWER","u1","","1000","PCMA","PCMA"\n'
    writeFileSync(path, line.repeat(8))
    await assert.rejects(
      read(path, 'asterisk'),
      (e: unknown) =>
        e instanceof SgwError && e.code === 'SGW_ERR_CDR_FORMAT' && /try --format freeswitch/.test(e.message),
    )
  })
  it('a missing file is a one-line error', async () => {
    await assert.rejects(
      read(join(tmp, 'nope.csv'), 'asterisk'),
      (e: unknown) =>
        e instanceof SgwError && e.code === 'SGW_ERR_CDR_INPUT' && /no such file/.test(e.message),
    )
  })
  it('lines split across read chunks and a last line without a newline are read whole', async () => {
    const path = join(tmp, 'big.csv')
    const line = (i: number) =>
      `"","1001","0049301${i}","ctx","""A"" <1001>","PJSIP/1001-1","","Dial","x","2026-03-02 10:00:00","","2026-03-02 10:00:01",1,0,"NO ANSWER","DOCUMENTATION"`
    const n = 30_000
    writeFileSync(path, Array.from({ length: n }, (_, i) => line(i)).join('\n'))
    const { rows, warnings } = await read(path, 'asterisk')
    assert.equal(warnings.length, 0)
    assert.equal(rows.length, n)
    assert.equal(rows[n - 1]!.dialled, `0049301${n - 1}`)
  })
})
