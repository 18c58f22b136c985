// Smoke test of bench/gateway: the runner's smallest configuration (`--smoke`: a few calls per
// phase, about half a minute) runs against the real peers (SIPp, Kamailio, a `sipwarden
// gateway` process) and its report has every figure the docs table needs. Timing values are not
// asserted (shared machine); that calls really went through each proxy is.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { delimiter, dirname, join, resolve } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { renderDocSection, type Report, updateDoc } from '../../bench/gateway/run.js'

const here = dirname(fileURLToPath(import.meta.url))
const RUNNER = resolve(here, '../../bench/gateway/run.js')
const have = (b: string) =>
  (process.env['PATH'] ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, b)))
const missing = ['sipp', 'kamailio'].filter((b) => !have(b))

describe(
  'bench/gateway',
  { skip: missing.length > 0 ? `not installed: ${missing.join(', ')}` : false },
  () => {
    let report: Report

    test('the smoke configuration runs and reports every phase for every target', () => {
      const r = spawnSync(process.execPath, [RUNNER, '--smoke', '--json', '--state', 'memory'], {
        encoding: 'utf8',
        timeout: 120_000,
      })
      assert.equal(r.status, 0, `${r.stderr.slice(-3000)}`)
      report = JSON.parse(r.stdout) as Report
      assert.equal(report.mode, 'smoke')
      assert.equal(report.sipwardenState, 'memory')
      assert.match(report.versions.kamailio, /^\d+\.\d+/)
      assert.match(report.versions.sipp, /^v\d/)
      assert.deepEqual(
        report.cpu.map((c) => c.target),
        ['direct', 'sipwarden', 'kamailio'],
      )
      for (const c of report.cpu) {
        // every call of the phase went through (a broken relay fails here, not on a timing)
        assert.equal(c.successful, c.calls, `${c.target}: ${c.successful}/${c.calls}`)
        assert.equal(c.latency.probeFailed, 0, c.target)
        for (const k of ['setupP50Us', 'setupP99Us', 'byeP50Us', 'byeP99Us'] as const)
          assert.ok(Number.isFinite(c.latency[k]) && c.latency[k] > 0, `${c.target} ${k}`)
        if (c.target === 'direct') assert.equal(c.processes, 0)
        else {
          assert.ok(c.processes >= 1, c.target)
          assert.ok(Number.isFinite(c.cpuSecondsPer1000Calls) && c.cpuSecondsPer1000Calls >= 0, c.target)
        }
      }
      // Kamailio runs as several processes, and all of them are counted
      assert.ok(report.cpu.find((c) => c.target === 'kamailio')!.processes > 2)
      assert.deepEqual(
        report.ladder.map((l) => l.target),
        ['direct', 'sipwarden', 'kamailio'],
      )
      for (const l of report.ladder) {
        assert.ok(l.steps.length >= 1, l.target)
        // every call of the step completed (whether SIPp placed them at the full rate is timing)
        for (const s of l.steps) assert.equal(s.successful, s.calls, `${l.target}: ${JSON.stringify(s)}`)
      }
      assert.deepEqual(
        report.flood.map((f) => f.target),
        ['sipwarden', 'kamailio'],
      )
      for (const f of report.flood) {
        assert.ok(f.banned.sent > 0 && f.unbanned.sent > 0, f.target)
        // the banned source gets nothing back from either proxy
        assert.equal(f.banned.received, 0, f.target)
        assert.ok(f.successRate >= 0 && f.successRate <= 1)
        assert.ok(f.legit.calls > 0)
      }
    })

    test('the docs section is rendered between its markers and replaces only itself', () => {
      assert.ok(report !== undefined, 'needs the report of the previous test')
      const section = renderDocSection(report)
      assert.match(section, /CPU per 1000 calls/)
      assert.match(section, /\| sipwarden \|/)
      assert.match(section, /\| kamailio \|/)
      assert.match(section, /Goals: /)
      assert.match(section, /\*\*Method\.\*\*/)
      const doc = '# Benchmarks\n\n## Other\n\ntext\n'
      const once = updateDoc(doc, section)
      assert.ok(once.startsWith(doc.trimEnd()))
      assert.match(once, /## Gateway vs Kamailio \(bench\/gateway\)/)
      const twice = updateDoc(`${once}\n## After\n\nkept\n`, section.replace('Goals: ', 'Goals (again): '))
      assert.equal(twice.match(/## Gateway vs Kamailio/g)?.length, 1)
      assert.match(twice, /Goals \(again\): /)
      assert.doesNotMatch(twice, /\nGoals: /)
      assert.match(twice, /## After\n\nkept\n/)
      assert.match(twice, /## Other\n\ntext\n/)
    })
  },
)
