// The stage contract, the frozen plan and the scanner's wire fingerprints, without sockets.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TokenBuckets } from '../../src/pipeline/bucket.js'
import { compilePlan } from '../../src/pipeline/compile.js'
import { SipContext } from '../../src/pipeline/context.js'
import { runStages } from '../../src/pipeline/run.js'
import { CONTINUE, drop, type Stage } from '../../src/pipeline/stage.js'
import { EnumerationTracker, isSipviciousTag } from '../../src/pipeline/stages/scanner.js'

function stage(
  name: string,
  phases: Stage['phases'],
  run: Stage['run'],
  onInternalError: 'open' | 'closed' = 'open',
): Stage {
  return { name, phases, onInternalError, run }
}

describe('pipeline', () => {
  it('compiles per-phase arrays, empty phases null, frozen', () => {
    const plan = compilePlan([
      stage('a', ['ingress'], () => CONTINUE),
      stage('b', ['request', 'reply'], () => CONTINUE),
    ])
    assert.equal(plan.ingress?.length, 1)
    assert.equal(plan.request?.length, 1)
    assert.equal(Object.isFrozen(plan), true)
    assert.equal(compilePlan([stage('a', ['ingress'], () => CONTINUE)]).reply, null)
    assert.throws(() =>
      compilePlan([stage('a', ['ingress'], () => CONTINUE), stage('a', ['request'], () => CONTINUE)]),
    )
    assert.throws(() => compilePlan([stage('x', [], () => CONTINUE)]))
  })

  it('runs stages in order; the first decision wins; sync and async alike; throws follow onInternalError', async () => {
    const ctx = new SipContext(Buffer.alloc(0), '192.0.2.1', 5060, 'udp', 0, false)
    const stop = drop('test.stop')
    assert.equal(
      runStages([stage('a', ['request'], () => CONTINUE), stage('b', ['request'], () => stop)], ctx),
      stop,
    )
    assert.equal(ctx.decidedBy, 'b')
    assert.equal(
      await runStages(
        [stage('a', ['request'], async () => CONTINUE), stage('c', ['request'], () => stop)],
        ctx,
      ),
      stop,
    )
    const open = stage('o', ['request'], () => {
      throw new Error('bug')
    })
    assert.equal(runStages([open], ctx), CONTINUE)
    const closed = stage(
      'c',
      ['request'],
      () => {
        throw new Error('bug')
      },
      'closed',
    )
    assert.equal((runStages([closed], ctx) as { kind: string }).kind, 'drop')
    assert.equal(runStages(null, ctx), CONTINUE)
  })

  it('token buckets: burst, refill, bounded table', () => {
    const b = new TokenBuckets(2)
    const spec = { burst: 2, perWindow: 1, windowMs: 1000 }
    assert.equal(b.take('x', spec, 0), true)
    assert.equal(b.take('x', spec, 0), true)
    assert.equal(b.take('x', spec, 0), false)
    assert.equal(b.take('x', spec, 1000), true)
    b.take('y', spec, 0)
    b.take('z', spec, 0)
    assert.equal(b.size, 2)
  })
})

describe('scanner fingerprints', () => {
  it('recognises the SIPVicious From tag encoding and nothing ordinary', () => {
    const tag = Buffer.from('100\x011234567').toString('hex')
    assert.equal(isSipviciousTag(tag), true)
    assert.equal(isSipviciousTag('3130300133363539303537303032'), true)
    assert.equal(isSipviciousTag('as4f2a91c1'), false)
    assert.equal(isSipviciousTag('1234567890abcdef'), false)
    assert.equal(isSipviciousTag('b13299386135799454a93f52577650e6'), false)
  })

  it('enumeration: answered challenges are not failures; unanswered ones count after the grace', () => {
    const t = new EnumerationTracker(60_000, 1000)
    for (let i = 0; i < 5; i++) t.challenged('a', `u${i}`, 0)
    for (let i = 0; i < 5; i++) t.answered('a', `u${i}`)
    assert.equal(t.count('a', 5000), 0)
    for (let i = 0; i < 5; i++) t.challenged('b', `u${i}`, 0)
    assert.equal(t.count('b', 500), 0)
    assert.equal(t.count('b', 1000), 5)
    t.succeeded('b', 'u1')
    assert.equal(t.count('b', 1000), 4)
    assert.equal(t.count('b', 70_000), 0)
  })
})
