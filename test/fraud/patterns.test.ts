import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Cdr } from '../../src/cdr/types.js'
import type { DestinationClass } from '../../src/config/schema.js'
import type { NumberInfo } from '../../src/fraud/classify.js'
import type { CallAttempt } from '../../src/fraud/engine.js'
import { LearnedPatterns, type PatternOptions } from '../../src/fraud/patterns.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
// Monday 2026-03-02 00:00 UTC
const MONDAY = Date.UTC(2026, 2, 2)
const OPTS: PatternOptions = { minHistoryMs: 14 * DAY, volumeFactor: 4, alertOnNewCountry: true }

function num(country: string | null, cls: DestinationClass = 'fixed'): NumberInfo {
  return { dialled: 'x', e164: null, country, cls, highRisk: false, blacklisted: false, prefix: null }
}

function cdr(account: string, start: number, talkS = 60): Cdr {
  return {
    id: `${account}-${start}`,
    account,
    tenant: null,
    caller: account,
    dialled: '030123',
    start,
    answer: talkS > 0 ? start + 5000 : null,
    end: start + 5000 + talkS * 1000,
    durationMs: 5000 + talkS * 1000,
    billableMs: talkS * 1000,
    disposition: talkS > 0 ? 'answered' : 'no-answer',
    sipStatus: null,
    sourceAddress: null,
    cost: null,
    origin: 'sipwarden',
  }
}

const call = (account: string, time: number, id = `c${time}`): CallAttempt => ({
  id,
  account,
  dialled: '0',
  time,
})

/** three weeks of office hours: 10:00 and 14:00 on weekdays, national and French numbers */
function trained(opts: PatternOptions = OPTS, accounts = ['1000']): LearnedPatterns {
  const p = new LearnedPatterns(opts)
  for (let d = 0; d < 21; d++) {
    if (d % 7 >= 5) continue
    for (const a of accounts)
      for (const h of [10, 14]) {
        const t = MONDAY + d * DAY + h * HOUR
        p.learn(cdr(a, t, 60 + d), num(h === 10 ? 'DE' : 'FR', 'mobile'))
      }
  }
  return p
}

const codes = (fs: readonly { code: string }[]) => fs.map((f) => f.code)

describe('learned patterns', () => {
  it('no alerts before minHistoryMs of history', () => {
    const p = new LearnedPatterns(OPTS)
    p.learn(cdr('1000', MONDAY + 10 * HOUR), num('DE'))
    assert.deepEqual(p.check(call('1000', MONDAY + 3 * DAY), num('CU', 'premium')), [])
  })

  it('a known country and class in office hours raises nothing', () => {
    const p = trained()
    const t = MONDAY + 22 * DAY + 10 * HOUR
    assert.deepEqual(p.check(call('1000', t), num('FR', 'mobile')), [])
  })

  it('a new country and a new risky class: one alert each, not one per call', () => {
    const p = trained()
    const t = MONDAY + 22 * DAY + 10 * HOUR
    const f = p.check(call('1000', t), num('CU', 'premium'))
    assert.deepEqual(codes(f), ['fraud.learned.new-country', 'fraud.learned.new-class'])
    assert.equal(f[0]!.rule, 'learned')
    assert.equal(f[0]!.action, 'alert')
    assert.equal(f[0]!.detail['country'], 'CU')
    assert.deepEqual(p.check(call('1000', t + 60_000), num('CU', 'premium')), [])
  })

  it('alertOnNewCountry: false keeps quiet about countries', () => {
    const p = trained({ ...OPTS, alertOnNewCountry: false })
    assert.deepEqual(p.check(call('1000', MONDAY + 22 * DAY + 10 * HOUR), num('CU', 'mobile')), [])
  })

  it('a night-time burst: off-hours alert once per hour, from the 4th call', () => {
    const p = trained()
    const night = MONDAY + 26 * DAY + 2 * HOUR // Saturday 02:00
    const got: string[][] = []
    for (let i = 0; i < 10; i++)
      got.push(codes(p.check(call('1000', night + i * 60_000), num('DE', 'mobile'))))
    assert.deepEqual(got.slice(0, 3), [[], [], []])
    assert.deepEqual(got[3], ['fraud.learned.off-hours'])
    assert.deepEqual(got.slice(4).flat(), [])
    // the next hour alerts again
    assert.deepEqual(codes(p.check(call('1000', night + HOUR), num('DE', 'mobile'))), [])
  })

  it('volume far above the norm of an hour it normally calls in', () => {
    const p = trained()
    const t = MONDAY + 22 * DAY + 10 * HOUR // Tuesday 10:00: norm 1 call
    const got: string[] = []
    for (let i = 0; i < 8; i++) got.push(...codes(p.check(call('1000', t + i * 60_000), num('DE', 'mobile'))))
    assert.deepEqual(got, ['fraud.learned.volume'])
  })

  it('an unusually long call, judged when it ends', () => {
    const p = trained()
    const t = MONDAY + 22 * DAY + 10 * HOUR
    assert.deepEqual(p.checkCompleted(cdr('1000', t, 100)), [])
    assert.deepEqual(codes(p.checkCompleted(cdr('1000', t, 3 * 3600))), ['fraud.learned.long-call'])
  })

  it('hours are learned in the local time of the tenant', () => {
    // office hours 10:00 and 14:00 UTC are 19:00 and 23:00 in Tokyo
    const p = trained({ ...OPTS, timeZoneOf: () => 'Asia/Tokyo' })
    const hours = p.toJSON().accounts[0]!.hours
    assert.equal(hours[19], 3) // Monday 19:00: three Mondays
    assert.equal(hours[23 + 24], 3) // Tuesday 23:00
    assert.equal(hours[10], 0)
    assert.equal(
      hours.reduce((a, b) => a + b, 0),
      30,
    )
  })

  it('round-trips through JSON and keeps judging the same', () => {
    const p = trained()
    const q = LearnedPatterns.fromJSON(JSON.parse(JSON.stringify(p)), OPTS)
    assert.deepEqual(q.toJSON(), p.toJSON())
    const t = MONDAY + 22 * DAY + 10 * HOUR
    assert.deepEqual(codes(q.check(call('1000', t), num('CU', 'mobile'))), ['fraud.learned.new-country'])
    assert.throws(() => LearnedPatterns.fromJSON({ version: 2 }, OPTS), TypeError)
  })

  it('memory is bounded: accounts and countries are capped', () => {
    const p = new LearnedPatterns({ ...OPTS, maxAccounts: 100, maxCountries: 3 })
    for (let i = 0; i < 1000; i++) p.learn(cdr(String(i), MONDAY + i * 1000), num('DE'))
    assert.equal(p.size, 100)
    assert.equal(p.notTracked, 900)
    for (const c of ['DE', 'FR', 'GB', 'IT', 'ES']) p.learn(cdr('0', MONDAY + 20 * DAY), num(c))
    assert.deepEqual(p.toJSON().accounts.find((a) => a.account === '0')!.countries, ['DE', 'FR', 'GB'])
  })

  it('the hour being learned does not raise its own norm while it lasts', () => {
    const p = trained()
    const t = MONDAY + 22 * DAY + 10 * HOUR
    // every call of the burst is learned as soon as it ends; the alert still comes
    const got: string[] = []
    for (let i = 0; i < 8; i++) {
      got.push(...codes(p.check(call('1000', t + i * 60_000), num('DE', 'mobile'))))
      p.learn(cdr('1000', t + i * 60_000, 30), num('DE', 'mobile'))
    }
    assert.deepEqual(got, ['fraud.learned.volume'])
  })
})
