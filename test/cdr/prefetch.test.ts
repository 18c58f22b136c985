// The look-ahead classifier of `cdr analyze` (src/cdr/prefetch.ts): the worker sends every
// distinct number of the file, what it sends is what the main thread would compute, and the
// analysis finds the same with and without it.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { startPrefetch } from '../../src/cdr/prefetch.js'
import { cdrToAsteriskCsv, syntheticCdrs } from '../../src/cdr/synthetic.js'
import { parsePolicy } from '../../src/config/load.js'
import { type RawClassification, createClassifier } from '../../src/fraud/classify.js'
import { POLICY } from './helpers.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const CLI = join(HERE, '..', '..', 'src', 'cli', 'main.js')
const tmp = mkdtempSync(join(tmpdir(), 'sgw-cdr-prefetch-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

// 60 accounts (20 of them listed in tenant acme) over three weeks, the attack in week 3
const OPTS = { accounts: 60, days: 21, timeZone: 'Europe/Berlin', seed: 3, attackDay: 19 }
const policyFile = join(tmp, 'policy.yaml')
const file = join(tmp, 'Master.csv')
const rows = [...syntheticCdrs(OPTS)].sort((a, b) => a.end - b.end)

before(() => {
  writeFileSync(policyFile, POLICY)
  writeFileSync(file, rows.map((c) => cdrToAsteriskCsv(c, 'Europe/Berlin')).join('\n') + '\n')
})

function analyze(extra: string[]) {
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      'cdr',
      'analyze',
      file,
      '--policy',
      policyFile,
      '--learn-days',
      '14',
      '--json',
      '--no-progress',
      ...extra,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  )
  const line = r.stderr.split('\n').find((l) => l.startsWith('{"summary"'))
  assert.ok(line !== undefined, r.stderr)
  const { summary } = JSON.parse(line) as { summary: Record<string, unknown> }
  for (const k of ['seconds', 'rowsPerSecond', 'cpuSeconds', 'peakRssMB', 'prefetched']) delete summary[k]
  return { status: r.status, stdout: r.stdout, summary }
}

describe('cdr analyze: look-ahead classification', () => {
  it('finds exactly the same with and without the worker', () => {
    const a = analyze(['--prefetch'])
    const b = analyze([])
    assert.equal(a.status, 1)
    assert.equal(b.status, 1)
    assert.ok(a.stdout.trim().split('\n').length > 10, a.stdout)
    assert.equal(a.stdout, b.stdout)
    assert.deepEqual(a.summary, b.summary)
  })

  it('the worker sends every distinct number, classified as the main thread classifies it', async () => {
    const policy = parsePolicy(POLICY)
    const reference = createClassifier(policy)
    const primed = new Map<string, RawClassification>()
    const target = {
      prime(dialled: string, tenant: string | null, raw: RawClassification) {
        primed.set(`${tenant ?? ''}\u0000${dialled}`, raw)
      },
    }
    const tenantOf = (account: string) => (Number(account) < 1020 ? 'acme' : null)
    const expected = new Set(rows.map((c) => `${tenantOf(c.account!) ?? ''}\u0000${c.dialled}`))
    const p = startPrefetch(
      { file, format: 'asterisk', timezone: 'Europe/Berlin', policy },
      target as unknown as Parameters<typeof startPrefetch>[1],
    )
    assert.ok(p !== null)
    try {
      p.progress(rows.length) // the main thread is "done": no look-ahead limit
      for (let i = 0; i < 200 && primed.size < expected.size; i++) await new Promise((r) => setTimeout(r, 50))
    } finally {
      await p.stop()
    }
    assert.equal(primed.size, expected.size)
    for (const [key, raw] of primed) {
      assert.ok(expected.has(key), key)
      const [tenant, dialled] = key.split('\u0000') as [string, string]
      const info = reference.classify(dialled, tenant === '' ? null : tenant)
      assert.deepEqual(
        { e164: raw.e164, country: raw.country, cls: raw.cls, prefix: raw.prefix },
        { e164: info.e164, country: info.country, cls: info.cls, prefix: info.prefix },
        key,
      )
    }
    reference.close()
  })

  it('a primed number is classified as if computed here (lists applied by the main thread)', () => {
    const policy = parsePolicy(POLICY)
    const fresh = createClassifier(policy)
    const primedOne = createClassifier(policy)
    for (const dialled of [
      '00882161234567',
      '004490987654321',
      '03012345678',
      '110',
      '2001',
      '+5355512345',
    ]) {
      const want = fresh.classify(dialled, 'acme')
      primedOne.prime(dialled, 'acme', {
        dialled,
        e164: want.e164,
        country: want.country,
        cls: want.cls,
        prefix: want.prefix,
      })
      const got = primedOne.classify(dialled, 'acme')
      assert.deepEqual(got, want)
      assert.ok(Object.isFrozen(got))
    }
    // the Iridium number is high-risk by the shipped list: applied on priming too
    assert.equal(
      primedOne.classify('00882161234567', 'acme').highRisk,
      fresh.classify('00882161234567', 'acme').highRisk,
    )
    fresh.close()
    primedOne.close()
  })
})
