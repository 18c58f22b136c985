import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { cdrToCsv, SIPWARDEN_HEADER } from '../../src/cdr/sipwarden-csv.js'
import { CdrStore } from '../../src/cdr/store.js'
import { createStore } from '../../src/state/store.js'
import { CDRS, EVENTS, EVIL } from './fixtures.js'
import { smtpSink } from './smtp-sink.js'

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'sgw-report-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const cdrFile = join(dir, 'cdr.csv')
const stateFile = join(dir, 'state.db')
const cdrDb = join(dir, 'cdr-db', 'cdr.db')

function policy(extra = ''): string {
  const path = join(dir, `policy-${Math.random().toString(36).slice(2)}.yaml`)
  writeFileSync(
    path,
    [
      'version: 1',
      `site: { name: pbx1, dataDir: "${dir}" }`,
      'upstream: { host: 127.0.0.1, port: 5080 }',
      'tenants:',
      '  - name: acme',
      '    country: DE',
      '    accounts:',
      '      - { name: "1001" }',
      'fraud: { currency: USD }',
      extra,
    ].join('\n'),
  )
  return path
}

function run(...args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000 })
}

before(() => {
  writeFileSync(cdrFile, `${SIPWARDEN_HEADER}\n${CDRS.map(cdrToCsv).join('\n')}\n`)
  const cdrStore = new CdrStore({ path: cdrDb })
  for (const c of CDRS) cdrStore.insert(c)
  cdrStore.close()
  const store = createStore({ adapter: 'sqlite', path: stateFile })
  for (const e of EVENTS) store.appendEvent(e)
  store.close()
})

describe('sipwarden report daily (CLI)', () => {
  test('JSON from a CDR file, the policy classifier and the state store', () => {
    const r = run(
      'report',
      'daily',
      '--date',
      '2026-11-20',
      '--policy',
      policy(),
      '--cdr',
      cdrFile,
      '--cdr-format',
      'sipwarden',
      '--state',
      stateFile,
      '--format',
      'json',
    )
    assert.equal(r.status, 0, r.stderr)
    const j = JSON.parse(r.stdout)
    assert.equal(j.kind, 'sipwarden.report.daily')
    assert.equal(j.site, 'pbx1')
    assert.equal(j.currency, 'USD')
    assert.deepEqual(j.totals, { calls: 4, answered: 3, minutes: 4, cost: 0.18, unpriced: 1, accounts: 2 })
    const a = j.accounts.find((x: { account: string }) => x.account === '1001')
    assert.equal(a.tenant, 'acme')
    assert.equal(a.findings, 2)
    // the real classifier: +49 30… is a German fixed line, called before
    assert.ok(
      a.topDestinations.some((d: { country: string; calls: number }) => d.country === 'DE' && d.calls === 2),
    )
    assert.ok(!a.newDestinations.some((d: { country: string }) => d.country === 'DE'))
    // +44 7911 is a mobile range (of Guernsey); never called before
    assert.deepEqual(
      a.newDestinations.map((d: { cls: string; example: string }) => [d.cls, d.example]),
      [['mobile', '+447911123456']],
    )
    assert.equal(j.bans.count, 3)
    assert.equal(j.findings[0].code, 'fraud.destination')
  })

  test('HTML to a file and text to stdout', () => {
    const out = join(dir, 'report.html')
    const p = policy()
    const common = [
      'report',
      'daily',
      '--date',
      '2026-11-20',
      '--policy',
      p,
      '--cdr',
      cdrFile,
      '--cdr-format',
      'sipwarden',
    ]
    const h = run(...common, '--state', stateFile, '--format', 'html', '--output', out)
    assert.equal(h.status, 0, h.stderr)
    assert.equal(h.stdout, '')
    const html = readFileSync(out, 'utf8')
    assert.doesNotMatch(html, /https?:|<script/i)
    assert.ok(html.includes('acme/&lt;script&gt;'))
    // without --state, the policy's store (dataDir/sipwarden.db) is absent: no event log
    const t = run(...common)
    assert.equal(t.status, 0, t.stderr)
    assert.match(t.stdout, /^calls 4, answered 3, minutes 4\.00, cost 0\.18 USD/m)
    assert.match(t.stdout, /\(no event log read\)/)
    assert.ok(!t.stdout.includes(EVIL.slice(0, 8)) || t.stdout.includes('acme/<script>'))
  })

  test("--cdr-db reads the gateway's CDR database", () => {
    const r = run('report', 'daily', '--date', '2026-11-20', '--cdr-db', cdrDb, '--format', 'json')
    assert.equal(r.status, 0, r.stderr)
    const j = JSON.parse(r.stdout)
    assert.deepEqual(j.totals, { calls: 4, answered: 3, minutes: 4, cost: 0.18, unpriced: 1, accounts: 2 })
    assert.equal(j.historyCalls, 1)
    // no policy: no classification, no event log
    assert.deepEqual(
      j.byClass.map((c: { cls: string }) => c.cls),
      ['unknown'],
    )
    assert.equal(j.eventsRead, null)
  })

  test('usage errors are one line with exit 2', () => {
    for (const args of [
      ['report', 'daily', '--date', '2026-13-01', '--cdr', cdrFile, '--cdr-format', 'sipwarden'],
      ['report', 'daily', '--date', '2026-11-20'],
      ['report', 'daily', '--cdr', join(dir, 'missing.csv'), '--cdr-format', 'asterisk'],
    ]) {
      const r = run(...args)
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      assert.match(r.stderr, /^sipwarden: .*\[SGW_ERR_CLI_INPUT\]$/m)
    }
  })

  test('--email sends the text and HTML report to a local SMTP server', async () => {
    const smtp = await smtpSink()
    const p = policy(
      [
        'alerting:',
        '  email:',
        `    smtp: { host: 127.0.0.1, port: ${smtp.port}, security: none }`,
        '    from: sipwarden@example.org',
        '    to: [noc@example.org]',
      ].join('\n'),
    )
    const r = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [
          MAIN,
          'report',
          'daily',
          '--date',
          '2026-11-20',
          '--policy',
          p,
          '--cdr',
          cdrFile,
          '--cdr-format',
          'sipwarden',
          '--state',
          stateFile,
          '--email',
        ],
        { encoding: 'utf8', timeout: 20_000 },
        (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
      )
    })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /report for 2026-11-20 sent to 1 recipient/)
    assert.equal(smtp.mails.length, 1)
    const data = smtp.mails[0]!.data
    assert.match(data, /^Subject: \[pbx1\] daily report 2026-11-20: 4 calls, 1 finding types, 3 bans$/m)
    assert.match(data, /multipart\/alternative/)
    assert.match(data, /text\/html/)
  })
})
