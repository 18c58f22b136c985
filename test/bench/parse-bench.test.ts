// Smoke test of bench/parse: the benchmark measures real work. Every parser it times must return
// the right Call-ID (and the other routing fields) for every message of the mix, and the harness
// must produce figures in both its in-process and its child-process mode. No timing is asserted.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { buildMix, MIX_WEIGHTS, type MixKind } from '../../bench/parse/mix.js'
import {
  allCases,
  DOC_SECTION_TITLE,
  OUR_CASE_IDS,
  QUICK_OPTIONS,
  renderDocSection,
  runBench,
  updateDoc,
} from '../../bench/parse.bench.js'

const PEER_IDS = ['sip', 'sip.js', 'drachtio-lazy', 'drachtio-full']
// The full mix is checked once, below; the harness runs use a smaller one (still every kind),
// as sip.js takes about 2 ms a message.
const TINY = { ...QUICK_OPTIONS, rounds: 2, warmupMs: 0, count: 50, mixSize: 200 }

describe('bench/parse mix', () => {
  const mix = buildMix()

  test('has the agreed proportions and one Call-ID per message', () => {
    for (const kind of Object.keys(MIX_WEIGHTS) as MixKind[]) {
      const n = mix.filter((m) => m.kind === kind).length
      assert.equal(n, Math.round(mix.length * MIX_WEIGHTS[kind]), kind)
    }
    assert.equal(new Set(mix.map((m) => m.expected.callId)).size, mix.length)
  })

  test('is the same bytes every time (every worker process parses the same mix)', () => {
    const again = buildMix()
    assert.ok(mix.every((m, i) => m.buf.equals(again[i]!.buf)))
  })

  test('has realistic sizes: INVITE with SDP near 900 bytes, Content-Length right', () => {
    const invites = mix.filter((m) => m.kind === 'INVITE')
    const avg = invites.reduce((n, m) => n + m.buf.length, 0) / invites.length
    assert.ok(avg > 800 && avg < 1300, `INVITE average ${avg} bytes`)
    for (const m of mix) {
      const text = m.buf.toString('utf8')
      const sep = text.indexOf('\r\n\r\n')
      const cl = /\r\nContent-Length: (\d+)\r\n/.exec(text)
      assert.ok(sep > 0 && cl, m.kind)
      assert.equal(Number(cl[1]), m.buf.length - Buffer.byteLength(text.slice(0, sep + 4)), m.kind)
    }
  })
})

describe('bench/parse parsers', () => {
  test('every parser returns the expected Call-ID for every message of the mix', async () => {
    const { cases, oursError } = await allCases()
    assert.equal(oursError, undefined, `sipwarden parser does not load: ${oursError}`)
    assert.deepEqual(
      cases.map((c) => c.id),
      [...OUR_CASE_IDS, ...PEER_IDS],
    )
    const mix = buildMix()
    for (const c of cases) {
      const wrong = mix.filter((m) => c.route(m.buf).callId !== m.expected.callId)
      assert.equal(wrong.length, 0, `${c.id}: wrong Call-ID for ${wrong.length} of ${mix.length} messages`)
    }
  })

  test('the harness verifies every routing field of every message and times every parser', async () => {
    const report = await runBench({ ...TINY, inProcess: true })
    assert.deepEqual(
      report.cases.map((c) => c.id),
      [...OUR_CASE_IDS, ...PEER_IDS],
    )
    for (const c of report.cases) {
      assert.equal(c.error, undefined, `${c.id}: ${c.error} ${JSON.stringify(c.verification.mismatches)}`)
      assert.equal(c.verification.checked, report.mix.size, c.id)
      assert.equal(c.verification.correct, report.mix.size, c.id)
      assert.equal(c.messagesPerRound, TINY.count, c.id)
      assert.ok(c.msgsPerSec !== undefined && c.msgsPerSec > 0, c.id)
    }
    assert.ok(report.bestPeer !== undefined && PEER_IDS.includes(report.bestPeer))
    assert.ok(report.goals !== undefined)
  })

  test('runs a case in a child process of its own', async () => {
    const report = await runBench({ ...TINY, only: ['sipwarden-lazy', 'sip'] })
    assert.deepEqual(
      report.cases.map((c) => [c.id, c.error, c.verification.correct]),
      [
        ['sipwarden-lazy', undefined, report.mix.size],
        ['sip', undefined, report.mix.size],
      ],
    )
  })
})

describe('bench/parse doc', () => {
  test('--write-doc replaces only its own section', async () => {
    const report = await runBench({ ...TINY, inProcess: true, only: ['sip'] })
    const section = renderDocSection(report)
    assert.ok(section.startsWith(`${DOC_SECTION_TITLE}\n`))
    assert.ok(!section.includes(process.cwd()), 'no machine path in the doc')

    const created = updateDoc(undefined, section)
    assert.match(created, /^# Benchmarks\n/)
    assert.ok(created.includes(section))

    const other = '## Policy engine (bench/policy)\n\nits own figures\n'
    const doc = `# Benchmarks\n\nintro\n\n${DOC_SECTION_TITLE}\n\nold figures\n\n${other}`
    const updated = updateDoc(doc, section)
    assert.ok(!updated.includes('old figures'))
    assert.ok(updated.includes('intro'))
    assert.ok(updated.endsWith(other))
    assert.equal(updateDoc(updated, section), updated)
  })
})
