// `sipwarden cdr analyze | import | export | purge` end to end (spawns dist/src/cli/main.js).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { attackWindow, cdrToAsteriskCsv, cdrToFreeswitchCsv, syntheticCdrs } from '../../src/cdr/synthetic.js'
import { POLICY } from './helpers.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const CLI = join(HERE, '..', '..', 'src', 'cli', 'main.js')
const FIXTURES = join(HERE, '..', '..', '..', 'test', 'fixtures', 'cdr')
const tmp = mkdtempSync(join(tmpdir(), 'sgw-cdr-cli-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

function run(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 })
}

const OPTS = { accounts: 20, days: 21, timeZone: 'Europe/Berlin', seed: 7, attackDay: 19 }
const policy = join(tmp, 'policy.yaml')
const asterisk = join(tmp, 'Master.csv')
const freeswitch = join(tmp, 'fs-Master.csv')

before(() => {
  writeFileSync(policy, POLICY)
  const rows = [...syntheticCdrs(OPTS)].sort((a, b) => a.end - b.end)
  writeFileSync(asterisk, rows.map((c) => cdrToAsteriskCsv(c, 'Europe/Berlin')).join('\n') + '\nnot,a,cdr\n')
  writeFileSync(freeswitch, rows.map((c) => cdrToFreeswitchCsv(c, 'Europe/Berlin')).join('\n') + '\n')
})

interface Finding {
  time: string
  account: string
  rule: string
  code: string
  country: string | null
}

describe('sipwarden cdr analyze', () => {
  it('finds the attack in an Asterisk Master.csv: JSON lines, a summary, exit 1', () => {
    const r = run([
      'cdr',
      'analyze',
      asterisk,
      '--policy',
      policy,
      '--learn-days',
      '14',
      '--json',
      '--no-progress',
    ])
    assert.equal(r.status, 1, r.stderr)
    const findings = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Finding)
    const w = attackWindow(OPTS)!
    assert.ok(findings.length > 10)
    for (const f of findings) {
      assert.equal(f.account, '1000')
      assert.ok(Date.parse(f.time) >= w.from && Date.parse(f.time) <= w.to)
    }
    assert.deepEqual(
      findings
        .filter((f) => f.code === 'fraud.learned.new-country')
        .map((f) => f.country)
        .sort(),
      ['CU', 'GB', 'LV', 'SO'],
    )
    const line = r.stderr.split('\n').find((l) => l.startsWith('{"summary"'))!
    const { summary } = JSON.parse(line) as { summary: Record<string, unknown> }
    assert.equal(summary['badLines'], 1)
    assert.equal(summary['findings'], findings.length)
    assert.equal(summary['format'], 'asterisk')
    assert.ok(Number(summary['rows']) > 1000)
    // the bad line is reported with its number
    assert.match(r.stderr, /Master\.csv:\d+: \d+ columns; Asterisk Master\.csv has 16 to 21/)
  })

  it('text output; the format is detected; FreeSWITCH gives the same findings', () => {
    const a = run(['cdr', 'analyze', asterisk, '--policy', policy, '--learn-days', '14', '--no-progress'])
    const f = run(['cdr', 'analyze', freeswitch, '--policy', policy, '--learn-days', '14', '--no-progress'])
    assert.equal(f.status, 1, f.stderr)
    assert.match(
      a.stdout,
      /^2026-03-\d\dT\S+Z 1000 00449\d+ \(premium\/GB\) learned warning alert: first call to GB/m,
    )
    assert.equal(f.stdout, a.stdout)
    assert.match(f.stderr, /rows \(0 bad lines/)
  })

  it('without learning history enough: only the rules fire', () => {
    const r = run([
      'cdr',
      'analyze',
      asterisk,
      '--policy',
      policy,
      '--learn-days',
      '30',
      '--json',
      '--no-progress',
    ])
    const rules = new Set(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as Finding).rule),
    )
    assert.ok(rules.has('barred'))
    assert.ok(!rules.has('learned'))
  })

  it('clear errors: missing file, wrong format with a suggestion, bad option', () => {
    const missing = run(['cdr', 'analyze', join(tmp, 'nope.csv'), '--format', 'asterisk'])
    assert.equal(missing.status, 2)
    assert.match(
      missing.stderr,
      /^sipwarden: cannot read the CDR file .*nope\.csv: no such file \[SGW_ERR_CDR_INPUT\]\n$/,
    )
    const wrong = run(['cdr', 'analyze', freeswitch, '--format', 'asterisk', '--no-progress'])
    assert.equal(wrong.status, 2)
    assert.match(
      wrong.stderr,
      /is not asterisk CDR CSV: line 1: .*try --format freeswitch\) \[SGW_ERR_CDR_FORMAT\]/,
    )
    assert.doesNotMatch(wrong.stderr, /at .*\.js:\d+/)
    const tz = run(['cdr', 'analyze', asterisk, '--timezone', 'Nowhere/City'])
    assert.equal(tz.status, 2)
    assert.match(tz.stderr, /unknown time zone 'Nowhere\/City'/)
    const days = run(['cdr', 'analyze', asterisk, '--learn-days', 'many'])
    assert.match(days.stderr, /--learn-days must be a number of days/)
  })
})

describe('sipwarden cdr analyze --baseline', () => {
  it('learned patterns carry over from one run to the next', () => {
    const rows = [...syntheticCdrs(OPTS)].sort((a, b) => a.end - b.end)
    const split = Date.UTC(2026, 2, 16) // two weeks in
    const first = join(tmp, 'weeks-1-2.csv')
    const second = join(tmp, 'week-3.csv')
    const write = (file: string, part: typeof rows) =>
      writeFileSync(file, part.map((c) => cdrToAsteriskCsv(c, 'Europe/Berlin')).join('\n') + '\n')
    write(
      first,
      rows.filter((c) => c.start < split),
    )
    write(
      second,
      rows.filter((c) => c.start >= split),
    )
    const baseline = join(tmp, 'baseline.json')
    const common = ['--policy', policy, '--learn-days', '14', '--json', '--no-progress']
    const learned = (r: ReturnType<typeof run>) =>
      r.stdout
        .trim()
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Finding)
        .filter((f) => f.rule === 'learned')
    // the third week alone has too little history: no learned finding
    assert.equal(learned(run(['cdr', 'analyze', second, ...common])).length, 0)
    const r1 = run(['cdr', 'analyze', first, ...common, '--baseline', baseline])
    assert.equal(r1.status, 0, r1.stderr)
    const saved = JSON.parse(readFileSync(baseline, 'utf8')) as { version: number; accounts: unknown[] }
    assert.equal(saved.version, 1)
    assert.equal(saved.accounts.length, 20)
    const r2 = run(['cdr', 'analyze', second, ...common, '--baseline', baseline])
    const codes = new Set(learned(r2).map((f) => f.code))
    assert.ok(codes.has('fraud.learned.new-country'), r2.stderr)
    assert.ok(codes.has('fraud.learned.off-hours'))
    writeFileSync(baseline, '{"version":9}')
    const bad = run(['cdr', 'analyze', second, ...common, '--baseline', baseline])
    assert.equal(bad.status, 2)
    assert.match(bad.stderr, /cannot read the baseline .*not a learned-patterns snapshot/)
  })
})

describe('sipwarden cdr import / export / purge', () => {
  it('imports fixtures into the store and exports them as sipwarden CSV, filtered', () => {
    const db = join(tmp, 'store', 'cdr.db')
    const i1 = run(['cdr', 'import', join(FIXTURES, 'asterisk-21.csv'), '--db', db])
    assert.equal(i1.status, 0, i1.stderr)
    assert.match(i1.stderr, /imported 2 rows/)
    const i2 = run(['cdr', 'import', join(FIXTURES, 'freeswitch-example.csv'), '--db', db])
    assert.match(i2.stderr, /imported 3 rows .*1 bad lines skipped/)
    const all = run(['cdr', 'export', '--db', db])
    assert.equal(all.status, 0, all.stderr)
    const lines = all.stdout.trim().split('\n')
    assert.equal(
      lines[0],
      'id,account,tenant,caller,dialled,start,answer,end,durationMs,billableMs,disposition,sipStatus,sourceAddress,cost,origin',
    )
    assert.equal(lines.length, 6)
    const out = join(tmp, 'one.csv')
    const one = run([
      'cdr',
      'export',
      '--db',
      db,
      '--account',
      '1001',
      '--from',
      '2026-03-02T10:05:00Z',
      '--to',
      '2026-03-02T11:00:00Z',
      '--output',
      out,
    ])
    assert.equal(one.status, 0, one.stderr)
    const text = readFileSync(out, 'utf8').trim().split('\n')
    assert.equal(text.length, 2)
    assert.match(
      text[1]!,
      /^8a0f7c2e-0003-11ee-9a2b-000000000003,1001,,1001,00535123456,2026-03-02T10:10:00\.000Z,/,
    )
    // what export writes, analyze reads
    const back = run(['cdr', 'analyze', out, '--no-progress', '--json'])
    assert.match(back.stderr, /"format":"sipwarden"/)
    assert.match(back.stderr, /"rows":1,"badLines":0/)
    // purge with the default retention (400 days) removes these 2026 rows only once they are old:
    // nothing now
    const p = run(['cdr', 'purge', '--db', db])
    assert.equal(p.status, 0, p.stderr)
    assert.match(p.stderr, /purged \d+ CDRs older than 400 days/)
  })
})
