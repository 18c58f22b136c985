import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { createClassifier } from '../../src/fraud/classify.js'
import { FraudEngine, type CallAttempt } from '../../src/fraud/engine.js'
import { parseRateTable } from '../../src/fraud/rates.js'
import { policyOf } from './helpers.js'

/** Wednesday 2026-11-18 12:00 UTC */
const T0 = Date.UTC(2026, 10, 18, 12, 0, 0)
const S = 1000
const MIN = 60 * S

let seq = 0
function call(dialled: string, time: number, extra: Partial<CallAttempt> = {}): CallAttempt {
  return { id: `c${++seq}`, account: '100', tenant: 'office', dialled, time, ...extra }
}
const codes = (d: { findings: readonly { code: string }[] }) => d.findings.map((f) => f.code)

const BASE = `
tenants:
  - name: office
    country: DE
    accounts:
      - name: "100"
      - name: "101"
        callingRights: { allow: [emergency, internal, fixed, mobile, international, premium], countries: { allow: [GB, AT] } }
      - name: "102"
        callingRights: { allow: [fixed, mobile, international], numbers: { allow: ["+8816"], deny: ["+4930666"] } }
      - name: "103"
        callingRights: { allow: [fixed, mobile, international, satellite], highRiskRanges: alert }
      - name: "104"
        enabled: false
`

describe('fraud engine: calling rights', () => {
  const e = new FraudEngine({ policy: policyOf(BASE) })

  it('allows national fixed and mobile numbers by default and refuses premium with the configured status', () => {
    assert.equal(e.checkNewCall(call('030 1234567', T0)).allow, true)
    assert.equal(e.checkNewCall(call('0170 1234567', T0)).allow, true)
    const d = e.checkNewCall(call('09001234567', T0))
    assert.equal(d.allow, false)
    assert.equal(d.status, 403)
    assert.equal(d.reason, 'Forbidden')
    assert.ok(codes(d).includes('fraud.barred.premium'))
    assert.equal(d.findings.find((f) => f.code === 'fraud.barred.premium')!.action, 'reject')
  })

  it('refuses international calls unless allowed, and then only to allowed countries', () => {
    assert.deepEqual(codes(e.checkNewCall(call('0044 20 7946 0000', T0))), ['fraud.barred.international'])
    assert.equal(e.checkNewCall(call('0044 20 7946 0000', T0, { account: '101' })).allow, true)
    const fr = e.checkNewCall(call('0033 1 23 45 67 89', T0, { account: '101' }))
    assert.deepEqual(codes(fr), ['fraud.barred.country'])
  })

  it('applies number exceptions: deny wins, allow opens a class', () => {
    assert.deepEqual(codes(e.checkNewCall(call('030 666 1234', T0, { account: '102' }))), [
      'fraud.barred.number',
    ])
    assert.equal(e.checkNewCall(call('+8816123456789', T0, { account: '102' })).allow, true)
    assert.ok(
      codes(e.checkNewCall(call('+8817123456789', T0, { account: '102' }))).includes(
        'fraud.barred.satellite',
      ),
    )
  })

  it('denies high-risk ranges by default; "alert" lets the call through with a critical finding', () => {
    const denied = e.checkNewCall(call('+8816123456789', T0, { account: '101' }))
    assert.ok(codes(denied).includes('fraud.barred.high-risk'))
    const alerted = e.checkNewCall(call('+8816123456789', T0, { account: '103' }))
    assert.equal(alerted.allow, true)
    assert.deepEqual(
      alerted.findings.map((f) => [f.code, f.action, f.severity]),
      [['fraud.barred.high-risk', 'alert', 'critical']],
    )
  })

  it('refuses disabled accounts but never emergency calls', () => {
    assert.ok(
      codes(e.checkNewCall(call('030 1234567', T0, { account: '104' }))).includes('fraud.barred.disabled'),
    )
    const em = e.checkNewCall(call('112', T0, { account: '104' }))
    assert.equal(em.allow, true)
    assert.equal(em.number.cls, 'emergency')
  })

  it('an unknown account of a tenant gets the tenant defaults', () => {
    assert.equal(e.checkNewCall(call('030 1234567', T0, { account: 'stranger' })).allow, true)
    assert.equal(e.checkNewCall(call('09001234567', T0, { account: 'stranger' })).allow, false)
  })
})

describe('fraud engine: blacklist', () => {
  it('refuses blacklisted numbers with the blacklist rule', async () => {
    const { tempDir } = await import('./helpers.js')
    const tmp = tempDir()
    try {
      tmp.write('bl.txt', '+49301234567\n')
      const e = new FraudEngine({ policy: policyOf(`fraud: { blacklistFiles: [bl.txt] }\n${BASE}`, tmp.dir) })
      const d = e.checkNewCall(call('030 1234567', T0))
      assert.equal(d.allow, false)
      assert.deepEqual(
        d.findings.map((f) => [f.rule, f.code, f.severity]),
        [['blacklist', 'fraud.blacklist', 'critical']],
      )
      assert.equal(e.checkNewCall(call('030 1234568', T0)).allow, true)
    } finally {
      tmp.remove()
    }
  })
})

const LIMITS = `
fraud:
  defaults:
    callingRights: { allow: [emergency, internal, fixed, mobile, international, premium] }
    limits:
      concurrentCalls: 2
      callsPerMinute: 3
      callsPerHour: 5
      international: { concurrentCalls: 1, callsPerHour: 2 }
      premium: { concurrentCalls: 1 }
      maxCallDurationMs: 1m
      spend: { perCall: 3, perDay: 5 }
  detection: { sequentialSameNumber: 3, prefixProbing: 3, numberWalking: 4 }
tenants:
  - name: office
    country: DE
    limits: { concurrentCalls: 3 }
    accounts: [{ name: "100" }, { name: "101" }, { name: "102" }]
trunks:
  - name: carrier
    addresses: [192.0.2.1]
    tenant: office
    limits: { concurrentCalls: 1 }
`
const RATES = parseRateTable('+49,0.01\n+44,1.00\n+4930999,1.00\n', 'rates.csv')

describe('fraud engine: limits and counters', () => {
  it('concurrency fires at the limit and not below; a cancelled call releases its slot', () => {
    const e = new FraudEngine({ policy: policyOf(LIMITS) })
    const a = call('030 1234567', T0)
    const b = call('030 1234568', T0)
    assert.equal(e.checkNewCall(a).allow, true)
    assert.equal(e.checkNewCall(b).allow, true)
    const c = e.checkNewCall(call('030 1234569', T0))
    assert.deepEqual(codes(c), ['fraud.concurrency'])
    assert.equal(e.stats().activeCalls, 2) // the refused call took nothing
    e.ended(a.id, T0 + S) // CANCEL before answer
    e.ended(a.id, T0 + S) // idempotent
    assert.equal(e.stats().activeCalls, 1)
    assert.equal(e.checkNewCall(call('030 1234569', T0 + 2 * S)).allow, true)
  })

  it('international and premium calls have their own concurrency', () => {
    const e = new FraudEngine({ policy: policyOf(LIMITS) })
    assert.equal(e.checkNewCall(call('0044 20 7946 0000', T0)).allow, true)
    assert.deepEqual(codes(e.checkNewCall(call('0044 20 7946 0001', T0))), [
      'fraud.concurrency.international',
    ])
    assert.equal(e.checkNewCall(call('09001234567', T0)).allow, true)
    assert.deepEqual(codes(e.checkNewCall(call('09001234568', T0, { account: '100' }))), [
      'fraud.concurrency',
      'fraud.concurrency.premium',
    ])
  })

  it('tenant limits count the calls of every account; trunk calls use the trunk limits', () => {
    const e = new FraudEngine({ policy: policyOf(LIMITS) })
    assert.equal(e.checkNewCall(call('030 1234567', T0, { account: '100' })).allow, true)
    assert.equal(e.checkNewCall(call('030 1234568', T0, { account: '101' })).allow, true)
    assert.equal(e.checkNewCall(call('030 1234569', T0, { account: '102' })).allow, true)
    const d = e.checkNewCall(call('030 1234570', T0, { account: '102' }))
    assert.equal(d.allow, false)
    assert.equal(d.findings[0]!.detail.scope, 'tenant office')
    const t = new FraudEngine({ policy: policyOf(LIMITS) })
    assert.equal(
      t.checkNewCall(call('030 1234567', T0, { account: 'x', trunk: 'carrier', tenant: null })).allow,
      true,
    )
    assert.deepEqual(
      codes(t.checkNewCall(call('030 1234568', T0, { account: 'y', trunk: 'carrier', tenant: null }))),
      ['fraud.concurrency'],
    )
  })

  it('velocity fires at the limit, counts cancelled attempts and ages out', () => {
    const e = new FraudEngine({ policy: policyOf(LIMITS) })
    for (let i = 0; i < 3; i++) {
      const c = call(`030 12345${i}0`, T0 + i * S)
      assert.equal(e.checkNewCall(c).allow, true, `call ${i}`)
      e.ended(c.id, T0 + i * S + 500)
    }
    assert.equal(e.stats().activeCalls, 0)
    assert.deepEqual(codes(e.checkNewCall(call('030 2345670', T0 + 4 * S))), ['fraud.velocity.minute'])
    const d = call('030 3456780', T0 + 2 * MIN)
    assert.equal(e.checkNewCall(d).allow, true)
    e.ended(d.id, T0 + 2 * MIN + 500)
    assert.equal(e.checkNewCall(call('030 4567890', T0 + 2 * MIN + S)).allow, true)
    assert.deepEqual(codes(e.checkNewCall(call('030 5678900', T0 + 4 * MIN))), ['fraud.velocity.hour'])
  })

  it('international velocity is counted separately', () => {
    const e = new FraudEngine({ policy: policyOf(LIMITS) })
    for (let i = 0; i < 2; i++) {
      const c = call(`0044 20 7946 000${i}`, T0 + i * 2 * MIN)
      assert.equal(e.checkNewCall(c).allow, true)
      e.ended(c.id, T0 + i * 2 * MIN + S)
    }
    assert.deepEqual(codes(e.checkNewCall(call('0044 20 7946 0009', T0 + 5 * MIN))), [
      'fraud.velocity.international.hour',
    ])
    assert.equal(e.checkNewCall(call('030 1234567', T0 + 5 * MIN)).allow, true)
  })

  it('tick ends a call at its maximum duration, not before', () => {
    const e = new FraudEngine({ policy: policyOf(LIMITS) })
    const c = call('030 1234567', T0)
    e.checkNewCall(c)
    e.answered(c.id, T0 + 5 * S)
    assert.deepEqual(e.tick(T0 + 5 * S + MIN - 1), [])
    const out = e.tick(T0 + 5 * S + MIN)
    assert.deepEqual(
      out.map((o) => [o.id, o.finding.code]),
      [[c.id, 'fraud.duration']],
    )
    assert.deepEqual(e.tick(T0 + 5 * S + MIN + S), []) // reported once
    e.ended(c.id, T0 + 5 * S + MIN + 2 * S)
    assert.equal(e.stats().activeCalls, 0)
  })

  it('spend: a call is ended at its per-call limit and the day limit ends calls in progress', () => {
    const policy = policyOf(LIMITS.replace('maxCallDurationMs: 1m', 'maxCallDurationMs: 1h'))
    const e = new FraudEngine({ policy, rates: RATES })
    // per call: 3 at 1.00/min
    const a = call('0044 20 7946 0000', T0)
    e.checkNewCall(a)
    e.answered(a.id, T0)
    assert.deepEqual(e.tick(T0 + 3 * MIN - S), [])
    assert.deepEqual(
      e.tick(T0 + 3 * MIN).map((o) => o.finding.code),
      ['fraud.spend.call'],
    )
    e.ended(a.id, T0 + 3 * MIN)
    // two national calls to an expensive range up at once: 3 settled + 2 × 1.00/min live
    const b = call('030 9991234', T0 + 4 * MIN)
    const c = call('030 9991235', T0 + 4 * MIN)
    assert.equal(e.checkNewCall(b).allow, true)
    assert.equal(e.checkNewCall(c).allow, true)
    e.answered(b.id, T0 + 4 * MIN)
    e.answered(c.id, T0 + 4 * MIN)
    assert.deepEqual(e.tick(T0 + 4 * MIN + 59 * S), []) // 3 + 1.97
    const out = e.tick(T0 + 5 * MIN)
    assert.deepEqual(out.map((o) => o.id).sort(), [b.id, c.id].sort())
    assert.ok(out.every((o) => o.finding.code === 'fraud.spend.day'))
    e.ended(b.id, T0 + 5 * MIN)
    e.ended(c.id, T0 + 5 * MIN)
    assert.equal(e.stats().activeCalls, 0)
    // the day is spent: new calls are refused until the next calendar day (site time zone UTC)
    assert.deepEqual(codes(e.checkNewCall(call('030 1234567', T0 + 6 * MIN))), ['fraud.spend.day'])
    assert.equal(e.checkNewCall(call('030 1234567', Date.UTC(2026, 10, 19, 0, 0, 1))).allow, true)
  })

  it('a call tick asked to end is released after the grace time even without ended()', () => {
    const e = new FraudEngine({ policy: policyOf(LIMITS), endGraceMs: 30 * S })
    const c = call('030 1234567', T0)
    e.checkNewCall(c)
    e.answered(c.id, T0)
    assert.equal(e.tick(T0 + MIN).length, 1)
    assert.equal(e.stats().activeCalls, 1)
    e.tick(T0 + MIN + 30 * S)
    assert.equal(e.stats().activeCalls, 0)
  })

  it('a call ringing too long is ended', () => {
    const e = new FraudEngine({ policy: policyOf(LIMITS), maxRingMs: 2 * MIN })
    const c = call('030 1234567', T0)
    e.checkNewCall(c)
    assert.deepEqual(e.tick(T0 + 2 * MIN - 1), [])
    assert.deepEqual(
      e.tick(T0 + 2 * MIN).map((o) => o.finding.code),
      ['fraud.duration.ringing'],
    )
  })
})

describe('fraud engine: rule actions', () => {
  it('an alert-only duration rule reports once and lets the call go on', () => {
    const policy = policyOf(
      `${LIMITS}\n`.replace('  detection:', '  rules: { duration: { action: alert } }\n  detection:'),
    )
    const e = new FraudEngine({ policy })
    const c = call('030 1234567', T0)
    e.checkNewCall(c)
    e.answered(c.id, T0)
    const out = e.tick(T0 + MIN)
    assert.deepEqual(
      out.map((o) => [o.finding.code, o.finding.action]),
      [['fraud.duration', 'alert']],
    )
    assert.deepEqual(e.tick(T0 + 2 * MIN), [])
    assert.equal(e.stats().activeCalls, 1)
  })

  it('a velocity rule configured to suspend suspends the account', () => {
    const policy = policyOf(
      LIMITS.replace('  detection:', '  rules: { velocity: { action: suspend } }\n  detection:'),
    )
    const e = new FraudEngine({ policy })
    for (let i = 0; i < 3; i++) {
      const c = call(`030 ${i}000000`, T0 + i)
      assert.equal(e.checkNewCall(c).allow, true)
      e.ended(c.id, T0 + i + 1)
    }
    assert.equal(e.isSuspended('100', T0 + S), false)
    const d = e.checkNewCall(call('030 7000000', T0 + S))
    assert.equal(d.allow, false)
    assert.equal(d.findings[0]!.action, 'suspend')
    assert.equal(e.isSuspended('100', T0 + 2 * S), true)
    assert.equal(e.unsuspend('100'), true)
    assert.equal(e.isSuspended('100', T0 + 2 * S), false)
  })

  it('fraud.enabled: false allows everything and tracks nothing', () => {
    const e = new FraudEngine({ policy: policyOf(`fraud: { enabled: false }\n${BASE}`) })
    const d = e.checkNewCall(call('+8816123456789', T0))
    assert.equal(d.allow, true)
    assert.equal(d.number.cls, 'satellite')
    assert.equal(e.stats().activeCalls, 0)
  })
})

describe('fraud engine: dialling patterns', () => {
  it('sequential calls to the same number alert at the threshold and not below', () => {
    const e = new FraudEngine({
      policy: policyOf(
        LIMITS.replace('callsPerMinute: 3', 'callsPerMinute: 100').replace(
          'callsPerHour: 5',
          'callsPerHour: 100',
        ),
      ),
    })
    const results = [0, 1, 2].map((i) => {
      const c = call('030 1234567', T0 + i * 10 * S)
      const d = e.checkNewCall(c)
      e.ended(c.id, T0 + i * 10 * S + S)
      return d
    })
    assert.deepEqual(codes(results[1]!), [])
    assert.deepEqual(codes(results[2]!), ['fraud.sequential'])
    assert.equal(results[2]!.allow, true) // alert only by default
  })

  it('prefix probing suspends the account; suspension refuses calls and ends calls in progress', () => {
    const e = new FraudEngine({ policy: policyOf(LIMITS) })
    const up = call('030 1234567', T0, { account: '101' })
    e.checkNewCall(up)
    e.answered(up.id, T0)
    const p1 = e.checkNewCall(call('0044 20 7946 0000', T0 + S, { account: '101' }))
    e.ended(`c${seq}`, T0 + 2 * S)
    const p2 = e.checkNewCall(call('011 44 20 7946 0000', T0 + 3 * S, { account: '101' }))
    assert.equal(p1.allow, true)
    assert.ok(!codes(p2).includes('fraud.probing.prefix'))
    const p3 = e.checkNewCall(call('+44 20 7946 0000', T0 + 4 * S, { account: '101' }))
    assert.equal(p3.allow, false)
    const f = p3.findings.find((x) => x.code === 'fraud.probing.prefix')!
    assert.equal(f.action, 'suspend')
    assert.equal(e.isSuspended('101', T0 + 5 * S, 'office'), true)
    assert.equal(e.isSuspended('101', T0 + 5 * S), true) // the only tenant listing 101
    assert.equal(e.isSuspended('100', T0 + 5 * S), false)
    assert.deepEqual(codes(e.checkNewCall(call('030 7654321', T0 + 6 * S, { account: '101' }))), [
      'fraud.account.suspended',
    ])
    assert.equal(e.checkNewCall(call('112', T0 + 6 * S, { account: '101' })).allow, true)
    assert.deepEqual(
      e.tick(T0 + 7 * S).map((o) => [o.id, o.finding.code]),
      [[up.id, 'fraud.account.suspended']],
    )
    assert.equal(e.isSuspended('101', T0 + 4 * S + 60 * MIN), false) // suspendMs 1h
  })

  it('number walking fires at the threshold', () => {
    const e = new FraudEngine({
      policy: policyOf(
        LIMITS.replace('callsPerMinute: 3', 'callsPerMinute: 100').replace(
          'callsPerHour: 5',
          'callsPerHour: 100',
        ),
      ),
    })
    const ds = ['030 1234501', '030 1234503', '030 1234502', '030 1234504'].map((n, i) => {
      const c = call(n, T0 + i * S, { account: '102' })
      const d = e.checkNewCall(c)
      e.ended(c.id, T0 + i * S + 500)
      return d
    })
    assert.ok(!codes(ds[2]!).includes('fraud.probing.walking'))
    assert.ok(codes(ds[3]!).includes('fraud.probing.walking'))
    assert.deepEqual(
      ds[3]!.findings.find((f) => f.code === 'fraud.probing.walking')!.detail.from,
      '49301234501',
    )
  })
})

describe('fraud engine: schedules', () => {
  const SCHED = (tz: string, windows: string) => `
site: { timezone: ${tz} }
fraud:
  defaults:
    schedule:
      windows: ${windows}
tenants:
  - name: office
    country: DE
    accounts: [{ name: "100" }]
`
  it('refuses calls outside business hours in the site time zone, lets emergency and internal through', () => {
    const e = new FraudEngine({
      policy: policyOf(SCHED('Europe/Berlin', '[{ days: mon-fri, from: "08:00", to: "18:00" }]')),
    })
    // Wednesday 16:59 UTC = 17:59 Berlin: inside; 17:00 UTC = 18:00 Berlin: outside
    assert.equal(e.checkNewCall(call('030 1234567', Date.UTC(2026, 10, 18, 16, 59))).allow, true)
    assert.deepEqual(codes(e.checkNewCall(call('030 1234567', Date.UTC(2026, 10, 18, 17, 0)))), [
      'fraud.schedule.outside',
    ])
    // Saturday noon: outside
    const sat = Date.UTC(2026, 10, 21, 12, 0)
    assert.equal(e.checkNewCall(call('030 1234567', sat)).allow, false)
    assert.equal(e.checkNewCall(call('112', sat)).allow, true)
    assert.equal(e.checkNewCall(call('2002', sat)).allow, true)
  })

  it('a window across midnight belongs to the day it starts on', () => {
    const e = new FraudEngine({
      policy: policyOf(SCHED('UTC', '[{ days: fri, from: "22:00", to: "06:00" }]')),
    })
    const at = (d: number, h: number, m: number) =>
      e.checkNewCall(call('030 1234567', Date.UTC(2026, 10, d, h, m))).allow
    assert.equal(at(20, 21, 59), false) // Friday 21:59
    assert.equal(at(20, 22, 0), true) // Friday 22:00
    assert.equal(at(21, 5, 59), true) // Saturday 05:59
    assert.equal(at(21, 6, 0), false) // Saturday 06:00
    assert.equal(at(21, 23, 0), false) // Saturday 23:00
  })

  it('uses the schedule time zone', () => {
    const e = new FraudEngine({
      policy: policyOf(`
fraud:
  defaults:
    schedule: { timezone: America/New_York, windows: [{ days: mon-fri, from: "09:00", to: "17:00" }] }
tenants: [{ name: office, country: DE, accounts: [{ name: "100" }] }]
`),
    })
    // 13:59 UTC = 08:59 New York (EST): outside; 14:00 UTC = 09:00: inside
    assert.equal(e.checkNewCall(call('030 1234567', Date.UTC(2026, 10, 18, 13, 59))).allow, false)
    assert.equal(e.checkNewCall(call('030 1234567', Date.UTC(2026, 10, 18, 14, 0))).allow, true)
  })
})

describe('fraud engine: bounded state', () => {
  it('a flood of accounts keeps at most maxAccounts idle accounts; accounts with calls up stay', () => {
    const e = new FraudEngine({ policy: policyOf(LIMITS), maxAccounts: 50 })
    const kept = call('030 1234567', T0, { account: 'keeper' })
    assert.equal(e.checkNewCall(kept).allow, true)
    for (let i = 0; i < 500; i++) {
      const c = call('030 7654321', T0 + i, { account: `fake${i}` })
      e.checkNewCall(c)
      e.ended(c.id, T0 + i)
    }
    assert.ok(e.stats().accountsTracked <= 50)
    assert.deepEqual(e.accountState('keeper', 'office'), { calls: 1, international: 0, premium: 0 })
    e.ended(kept.id, T0 + MIN)
    assert.equal(e.stats().activeCalls, 0)
  })

  it('property: any sequence of new / answered / ended leaves no counters once every call ended', () => {
    const numbers = [
      '030 1234567',
      '0044 20 7946 0000',
      '09001234567',
      '+8816123456789',
      '2002',
      '112',
      '0170 1234567',
    ]
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('new' as const),
        n: fc.nat(numbers.length - 1),
        acct: fc.nat(3),
        trunk: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('answer' as const), i: fc.nat(40) }),
      fc.record({ kind: fc.constant('end' as const), i: fc.nat(40) }),
      fc.record({ kind: fc.constant('tick' as const) }),
    )
    const policy = policyOf(LIMITS)
    const classifier = createClassifier(policy)
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 60 }),
        fc.array(fc.nat(30 * S), { minLength: 60, maxLength: 60 }),
        (ops, gaps) => {
          const e = new FraudEngine({ policy, classifier, rates: RATES })
          const ids: string[] = []
          let now = T0
          ops.forEach((o, k) => {
            now += gaps[k]!
            if (o.kind === 'new') {
              const c = call(numbers[o.n]!, now, {
                account: `10${o.acct}`,
                trunk: o.trunk ? 'carrier' : null,
              })
              ids.push(c.id)
              e.checkNewCall(c)
            } else if (o.kind === 'answer' && ids.length > 0) e.answered(ids[o.i % ids.length]!, now)
            else if (o.kind === 'end' && ids.length > 0) e.ended(ids[o.i % ids.length]!, now)
            else if (o.kind === 'tick') e.tick(now)
          })
          for (const id of ids) e.ended(id, now + S)
          assert.equal(e.stats().activeCalls, 0)
          for (const a of ['100', '101', '102', '103']) {
            const s = e.accountState(a, 'office')
            if (s !== null) assert.deepEqual(s, { calls: 0, international: 0, premium: 0 })
          }
          // a fresh call fits every concurrency limit again
          assert.ok(
            !codes(e.checkNewCall(call('030 1111111', now + 2 * S))).some((c) =>
              c.startsWith('fraud.concurrency'),
            ),
          )
        },
      ),
      { numRuns: 150 },
    )
  })
})
