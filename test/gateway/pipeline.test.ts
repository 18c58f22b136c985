// The stage contract, the frozen plan and the scanner's wire fingerprints, without sockets.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parsePolicy } from '../../src/config/load.js'
import { TokenBuckets } from '../../src/pipeline/bucket.js'
import { compilePlan } from '../../src/pipeline/compile.js'
import { SipContext } from '../../src/pipeline/context.js'
import type { StageDeps } from '../../src/pipeline/deps.js'
import { runStages } from '../../src/pipeline/run.js'
import { CONTINUE, drop, type Stage } from '../../src/pipeline/stage.js'
import { createAuthGuardStage } from '../../src/pipeline/stages/auth-guard.js'
import { EnumerationTracker, isSipviciousTag } from '../../src/pipeline/stages/scanner.js'
import { parseMessage } from '../../src/sip/parse.js'
import { createMemoryStore } from '../../src/state/memory.js'
import type { SyncStore } from '../../src/state/store.js'

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

describe('auth-guard account locks', () => {
  const policy = parsePolicy(
    JSON.stringify({
      version: 1,
      upstream: 'udp:127.0.0.1:5080',
      gateway: { authGuard: { perAccount: { maxFailures: 3, lockMs: '10m' } } },
    }),
    '<test>',
    { env: {} },
  )
  const deps = (store: SyncStore): StageDeps => ({
    policy,
    store,
    isTrusted: () => false,
    publish: () => {},
    ownAddresses: new Set(),
  })
  const msg = (text: string) => {
    const r = parseMessage(Buffer.from(text.replaceAll('\n', '\r\n')))
    assert.ok(r.ok)
    return r.message
  }
  const register = (user: string) =>
    msg(
      `REGISTER sip:pbx SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKx\nFrom: <sip:${user}@pbx>;tag=1\nTo: <sip:${user}@pbx>\nCall-ID: c1\nCSeq: 1 REGISTER\nContent-Length: 0\n\n`,
    )
  const forbidden = msg(
    'SIP/2.0 403 Forbidden\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKx\nFrom: <sip:1001@pbx>;tag=1\nTo: <sip:1001@pbx>;tag=2\nCall-ID: c1\nCSeq: 1 REGISTER\nContent-Length: 0\n\n',
  )
  const failure = (now: number): SipContext => {
    const c = new SipContext(Buffer.alloc(0), '127.0.0.1', 5080, 'udp', now, true)
    c.phase = 'reply'
    c.message = forbidden
    c.request = {
      address: `192.0.2.${now % 200}`,
      port: 5060,
      method: 'REGISTER',
      account: '1001',
      hadCredentials: true,
      outOfDialog: true,
    }
    return c
  }
  const request = (user: string, now: number): SipContext => {
    const c = new SipContext(Buffer.alloc(0), '192.0.2.50', 5060, 'udp', now, false)
    c.phase = 'request'
    c.message = register(user)
    return c
  }

  it('locks after maxFailures from several sources, and the lock survives a restart through the store', () => {
    const store = createMemoryStore({ sweepIntervalMs: 0 })
    const now = Date.now()
    const first = createAuthGuardStage(deps(store))
    for (let i = 0; i < 3; i++) first.run(failure(now + i))
    const locked = first.run(request('1001', now + 10)) as { kind: string; code?: string }
    assert.equal(locked.kind, 'reply')
    assert.equal(locked.code, 'auth.account-locked')
    assert.equal(first.run(request('1002', now + 10)), CONTINUE)
    // a new stage over the same store, as after a restart of the gateway
    const second = createAuthGuardStage(deps(store))
    assert.equal((second.run(request('1001', now + 20)) as { code?: string }).code, 'auth.account-locked')
    assert.equal(second.run(request('1002', now + 20)), CONTINUE)
    // a fresh store knows no lock
    assert.equal(
      createAuthGuardStage(deps(createMemoryStore({ sweepIntervalMs: 0 }))).run(request('1001', now)),
      CONTINUE,
    )
    store.close()
  })
})
