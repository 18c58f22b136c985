// A week of ordinary synthetic traffic raises nothing; the same week with an injected toll-fraud
// attack raises the expected findings, through the real classifier, engine and learned patterns.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { readCdrFile } from '../../src/cdr/import.js'
import { CdrReplay, type ReplayFinding } from '../../src/cdr/replay.js'
import {
  attackWindow,
  cdrToAsteriskCsv,
  type SyntheticOptions,
  syntheticCdrs,
} from '../../src/cdr/synthetic.js'
import type { Cdr } from '../../src/cdr/types.js'
import { parsePolicy } from '../../src/config/load.js'
import { createClassifier } from '../../src/fraud/classify.js'
import { FraudEngine } from '../../src/fraud/engine.js'
import { LearnedPatterns, patternOptions } from '../../src/fraud/patterns.js'
import { POLICY } from './helpers.js'

const DAY = 86_400_000
const tmp = mkdtempSync(join(tmpdir(), 'sgw-cdr-replay-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

// three weeks: two of learning, the third judged; the attack in the night to Saturday of week 3
const BASE: SyntheticOptions = { accounts: 20, days: 21, timeZone: 'Europe/Berlin', seed: 7 }
const ATTACK: SyntheticOptions = { ...BASE, attackDay: 19 }

async function replay(rows: Iterable<Cdr> | AsyncIterable<Cdr>): Promise<ReplayFinding[]> {
  const policy = parsePolicy(POLICY)
  const classifier = createClassifier(policy)
  const patterns = new LearnedPatterns({ ...patternOptions(policy), minHistoryMs: 14 * DAY })
  let now = 0
  const engine = new FraudEngine({ policy, classifier, patterns, now: () => now })
  const findings: ReplayFinding[] = []
  const r = new CdrReplay({
    policy,
    classifier,
    engine: {
      checkNewCall: (c) => ((now = c.time), engine.checkNewCall(c)),
      answered: (id, t) => ((now = t), engine.answered(id, t)),
      ended: (id, t) => ((now = t), engine.ended(id, t)),
      tick: (t) => ((now = t), engine.tick(t)),
    },
    patterns,
    onFinding: (f) => findings.push(f),
  })
  for await (const c of rows) r.push(c)
  r.finish()
  classifier.close()
  assert.equal(r.stats.calls, r.stats.rows)
  return findings
}

describe('CDR replay through the fraud engine', () => {
  it('ordinary traffic: no finding at all', async () => {
    const rows = [...syntheticCdrs(BASE)]
    assert.ok(rows.length > 1000)
    const findings = await replay(rows)
    assert.deepEqual(
      findings.map((f) => `${f.account} ${f.dialled} ${f.code}`),
      [],
    )
  })

  it('the same weeks with a night-time attack: the expected findings, only for the attack', async () => {
    const rows = [...syntheticCdrs(ATTACK)]
    const w = attackWindow(ATTACK)!
    const findings = await replay(rows)
    for (const f of findings) {
      assert.equal(f.account, w.account, `${f.code} for ${f.account}`)
      assert.ok(f.time >= w.from && f.time <= w.to, `${f.code} at ${new Date(f.time).toISOString()}`)
    }
    const learned = findings.filter((f) => f.rule === 'learned')
    const countries = learned
      .filter((f) => f.code === 'fraud.learned.new-country')
      .map((f) => f.detail['country'])
    assert.deepEqual(countries.sort(), ['CU', 'GB', 'LV', 'SO'])
    const classes = learned.filter((f) => f.code === 'fraud.learned.new-class').map((f) => f.detail['cls'])
    assert.deepEqual(classes.sort(), ['premium', 'satellite'])
    assert.ok(learned.some((f) => f.code === 'fraud.learned.off-hours'))
    assert.ok(learned.some((f) => f.code === 'fraud.learned.long-call'))
    // and the engine's own rules: premium and satellite are not allowed, nor are these countries
    const codes = new Set(findings.map((f) => f.code))
    for (const c of ['fraud.barred.premium', 'fraud.barred.satellite', 'fraud.barred.country'])
      assert.ok(codes.has(c), `expected ${c} among ${[...codes].join(', ')}`)
  })

  it('the same attack read back from an Asterisk Master.csv (rows in end order, local times)', async () => {
    const rows = [...syntheticCdrs(ATTACK)]
    const direct = await replay(rows)
    const path = join(tmp, 'Master.csv')
    const byEnd = [...rows].sort((a, b) => a.end - b.end)
    writeFileSync(path, byEnd.map((c) => cdrToAsteriskCsv(c, 'Europe/Berlin')).join('\n') + '\n')
    const fromFile = await replay(readCdrFile(path, 'asterisk', { timezone: 'Europe/Berlin' }))
    const key = (f: ReplayFinding) => `${f.time} ${f.account} ${f.dialled} ${f.code}`
    assert.deepEqual(fromFile.map(key), direct.map(key))
    assert.ok(direct.length > 10)
  })
})
