// Smoke test of bench/audit: the generator's configuration is what the benchmark claims (exact
// dialplan length, endpoint count, planted findings) and audits without errors; the runner's
// child-process mode produces figures; the doc updater only touches its own section. No timing.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { generate } from '../../bench/audit/generate.js'
import { DOC_TITLE, runBench, updateDoc } from '../../bench/audit/run.js'
import { loadAsterisk } from '../../src/audit/asterisk/model.js'
import { audit } from '../../src/audit/run.js'
import { keys, tempConfig } from './helpers.js'

function lineCount(file: string): number {
  return readFileSync(file, 'utf8').replace(/\n$/, '').split('\n').length
}

describe('bench/audit generator', () => {
  const dir = tempConfig({})
  const g = generate(dir, { endpoints: 300, dialplanLines: 1500, seed: 6 })

  it('writes exactly the requested dialplan lines and endpoints', () => {
    const ext = [
      join(dir, 'extensions.conf'),
      ...readdirSync(join(dir, 'extensions.d')).map((f) => join(dir, 'extensions.d', f)),
    ]
    assert.equal(
      ext.map(lineCount).reduce((a, b) => a + b, 0),
      1500,
    )
    assert.equal(g.dialplanLines, 1500)
    assert.throws(
      () => generate(tempConfig({}), { endpoints: 10, dialplanLines: 100, seed: 6 }),
      /at least \d+ lines/,
    )
    const m = loadAsterisk(dir)
    assert.equal(m.pjsipEndpoints.length, 300 + 5)
    assert.equal(m.conf('pjsip.conf').ofType('auth').length, 300 + 5)
  })

  it('audits without reader errors or check errors, with the planted findings', () => {
    const r = audit(dir)
    assert.equal(r.pbx, 'asterisk')
    assert.deepEqual(
      r.diagnostics.filter((d) => d.level === 'error'),
      [],
    )
    assert.deepEqual(
      r.checks.filter((c) => c.status === 'error'),
      [],
    )
    // 1 % weak phone passwords: phones 10037, 10137, 10237 (13 lines a phone, the password 10th)
    assert.deepEqual(
      keys(r.findings.filter((f) => f.id === 'ast.pjsip.weak-password')),
      [37, 137, 237].map((i) => `ast.pjsip.weak-password pjsip.d/10-phones-00.conf:${i * 13 + 10}`),
    )
    // the IVR option that drops PSTN callers into a department with the international route
    const toll = r.findings.find(
      (f) => f.id === 'ast.dp.untrusted-reaches-toll' && f.evidence[0]!.loc.file.includes('00-trunks'),
    )
    assert.ok(toll, keys(r.findings).join('\n'))
    const notes = toll.path!.map((e) => e.note ?? '')
    assert.ok(
      notes.some((n) => /caller chooses any extension of ivr-main/.test(n)),
      notes.join('\n'),
    )
    assert.match(toll.path!.at(-1)!.excerpt, /Dial\(PJSIP\/\$\{EXTEN\}@trunk1/)
  })
})

describe('bench/audit runner', () => {
  it('times a fresh CLI process and reads its peak RSS', async () => {
    const dir = tempConfig({})
    const r = await runBench({ endpoints: 50, lines: 1200, runs: 1, dir })
    assert.equal(r.runs.length, 1)
    assert.ok(r.runs[0]!.seconds > 0 && r.runs[0]!.maxRssMB > 10 && r.runs[0]!.cpuSeconds > 0)
    assert.ok((r.findings['ast.dp.untrusted-reaches-toll'] ?? 0) >= 1)
    assert.ok(r.slowest.length === 5 && r.readMs > 0)
  })

  it('rewrites only its own section of docs/benchmarks.md', () => {
    const other = '# Benchmarks\n\nintro\n\n## SIP parser (bench/parse)\n\nparser figures\n'
    const appended = updateDoc(other, `${DOC_TITLE}\n\nv1\n`)
    assert.equal(appended, `${other}\n${DOC_TITLE}\n\nv1\n`)
    const withNext = `${appended}\n## Later (bench/x)\n\nx figures\n`
    const updated = updateDoc(withNext, `${DOC_TITLE}\n\nv2\n`)
    assert.ok(updated.startsWith(other))
    assert.ok(updated.includes('\nv2\n') && !updated.includes('v1'))
    assert.ok(updated.endsWith('## Later (bench/x)\n\nx figures\n'))
  })
})
