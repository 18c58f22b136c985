// Detection rules: thresholds, windows, distinct accounts, allow-list, TTL and escalation,
// bounded tables.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createParser } from '../../src/logwatch/formats/index.js'
import { DEFAULT_RULES, resolveDetectorOptions } from '../../src/logwatch/options.js'
import { Detector, type MemoryBanBook } from '../../src/logwatch/rules.js'
import { AMBIGUOUS, type BanDecision } from '../../src/logwatch/types.js'
import { ev, fixtureLines } from './helpers.js'

const S = 1000
const T0 = Date.UTC(2024, 0, 1)

function feed(d: Detector, events: ReturnType<typeof ev>[]): BanDecision[] {
  const out: BanDecision[] = []
  for (const e of events) {
    const b = d.observe(e)
    if (b !== null) out.push(b)
  }
  return out
}

describe('thresholds and windows', () => {
  it('auth-failure: 4 failures in a minute is no ban, the 5th is', () => {
    const d = new Detector()
    const four = feed(
      d,
      [0, 1, 2, 3].map((i) => ev('203.0.113.1', T0 + i * S)),
    )
    assert.deepEqual(four, [])
    const fifth = d.observe(ev('203.0.113.1', T0 + 4 * S))
    assert.ok(fifth !== null)
    assert.equal(fifth.rule, 'auth-failure')
    assert.equal(fifth.count, 5)
    assert.equal(fifth.ip, '203.0.113.1')
    assert.equal(fifth.time, T0 + 4 * S)
    assert.equal(fifth.ttlMs, 3_600_000)
    assert.equal(fifth.until, fifth.time + fifth.ttlMs)
  })

  it('5 failures spread over more than the window do not trip auth-failure', () => {
    const d = new Detector()
    assert.deepEqual(
      feed(
        d,
        [0, 20, 40, 60, 80].map((i) => ev('203.0.113.2', T0 + i * S)),
      ),
      [],
    )
  })

  it('slow brute force: 10 failures in 10 minutes trip `any-failure` (fail2ban jail parity)', () => {
    const d = new Detector()
    const bans = feed(
      d,
      Array.from({ length: 10 }, (_, i) => ev('203.0.113.3', T0 + i * 55 * S)),
    )
    assert.equal(bans.length, 1)
    assert.equal(bans[0]!.rule, 'any-failure')
    assert.equal(bans[0]!.count, 10)
  })

  it('mixed failure kinds add up in `any-failure`', () => {
    const d = new Detector()
    const kinds = ['auth-failed', 'unknown-account', 'acl-refused', 'unknown-extension'] as const
    const bans = feed(
      d,
      Array.from({ length: 10 }, (_, i) => ev('203.0.113.4', T0 + i * 30 * S, kinds[i % 4], `u${i % 2}`)),
    )
    assert.equal(bans.length, 1)
    assert.equal(bans[0]!.rule, 'any-failure')
  })

  it('lines out of time order do not trip a rule', () => {
    const d = new Detector()
    const times = [0, 3600, 1, 3601, 2].map((m) => T0 + m * 60 * S)
    assert.deepEqual(
      feed(
        d,
        times.map((t) => ev('203.0.113.5', t)),
      ),
      [],
    )
  })

  it('PJSIP "after N tries" weighs N', () => {
    const d = new Detector()
    const b = d.observe(ev('203.0.113.6', T0, 'unknown-account', undefined, 5))
    assert.ok(b !== null)
    assert.equal(b.rule, 'unknown-account')
  })

  it('pbx-block bans at once; challenges are not counted', () => {
    const d = new Detector()
    assert.equal(d.observe(ev('203.0.113.7', T0, 'pbx-block'))?.rule, 'pbx-block')
    assert.deepEqual(
      feed(
        d,
        Array.from({ length: 50 }, (_, i) => ev('203.0.113.8', T0 + i, 'challenge')),
      ),
      [],
    )
    assert.equal(d.stats.uncounted, 50)
  })
})

describe('CrowdSec scenarios on their own fixture lines', () => {
  const ca = fixtureLines('crowdsec-asterisk.log')
  const run = (lines: string[]) => {
    const p = createParser('asterisk', { referenceYear: 2024 })
    const d = new Detector()
    const bans: BanDecision[] = []
    for (const l of lines) {
      const e = p.parse(l)
      if (e === null || e === AMBIGUOUS) continue
      const b = d.observe(e)
      if (b !== null) bans.push(b)
    }
    return bans
  }
  it('asterisk-bf: six ChallengeResponseFailed from 172.17.0.1 within 4 s ban it', () => {
    const bans = run([0, 1, 2, 3, 4, 6].map((i) => ca[i]!))
    assert.equal(bans.length, 1)
    assert.equal(bans[0]!.ip, '172.17.0.1')
    assert.equal(bans[0]!.rule, 'auth-failure')
  })
  it('asterisk-user-enum: six distinct accounts from one address trip enumeration', () => {
    const bans = run(ca.slice(15, 21))
    assert.equal(bans.length, 1)
    assert.equal(bans[0]!.ip, '172.17.0.1')
    assert.equal(bans[0]!.rule, 'enumeration')
    assert.equal(bans[0]!.count, 5)
  })
  it('one account guessed repeatedly is not enumeration', () => {
    const d = new Detector({ rules: DEFAULT_RULES.filter((r) => r.name === 'enumeration') })
    assert.deepEqual(
      feed(
        d,
        Array.from({ length: 20 }, (_, i) => ev('203.0.113.9', T0 + i * S, 'auth-failed', '100')),
      ),
      [],
    )
  })
})

describe('allow-list', () => {
  it('never bans allow-listed IPv4 and IPv6 networks; loopback by default', () => {
    const d = new Detector({ allow: ['192.0.2.0/24', '2001:db8:1::/48', '127.0.0.0/8', '::1'] })
    for (const ip of ['192.0.2.77', '2001:db8:1:2::3', '127.0.0.1', '::1']) {
      assert.deepEqual(
        feed(
          d,
          Array.from({ length: 30 }, (_, i) => ev(ip, T0 + i)),
        ),
        [],
        ip,
      )
    }
    assert.equal(d.stats.allowListed, 120)
    assert.equal(
      feed(
        d,
        Array.from({ length: 5 }, (_, i) => ev('192.0.3.1', T0 + i)),
      ).length,
      1,
    )
    assert.equal(
      feed(
        d,
        Array.from({ length: 5 }, (_, i) => ev('2001:db8:2::1', T0 + i)),
      ).length,
      1,
    )
    assert.ok(new Detector().isAllowListed('127.0.0.53'))
  })
  it('rejects an invalid entry', () => {
    assert.throws(() => new Detector({ allow: ['not-a-net'] }), /allow-list entry 'not-a-net'/)
  })
})

describe('bans', () => {
  it('no duplicate ban while banned; after expiry a repeat ban lasts twice as long', () => {
    const d = new Detector()
    const ip = '203.0.113.10'
    const first = feed(
      d,
      Array.from({ length: 5 }, (_, i) => ev(ip, T0 + i)),
    )
    assert.equal(first.length, 1)
    assert.deepEqual(
      feed(
        d,
        Array.from({ length: 20 }, (_, i) => ev(ip, T0 + 10 + i)),
      ),
      [],
    )
    assert.equal(d.stats.whileBanned, 20)
    assert.ok(d.isBanned(ip, T0 + 1000))
    const later = first[0]!.until + 1
    assert.ok(!d.isBanned(ip, later))
    const second = feed(
      d,
      Array.from({ length: 5 }, (_, i) => ev(ip, later + i)),
    )
    assert.equal(second.length, 1)
    assert.equal(second[0]!.nth, 2)
    assert.equal(second[0]!.ttlMs, 2 * first[0]!.ttlMs)
  })
  it('escalation is capped by maxBanTtlMs', () => {
    const d = new Detector({ maxBanTtlMs: 90 * 60_000 })
    let t = T0
    const ttls: number[] = []
    for (let k = 0; k < 3; k++) {
      const b = feed(
        d,
        Array.from({ length: 5 }, (_, i) => ev('203.0.113.11', t + i)),
      )[0]!
      ttls.push(b.ttlMs)
      t = b.until + 1
    }
    assert.deepEqual(ttls, [3_600_000, 5_400_000, 5_400_000])
  })
})

describe('bounded memory', () => {
  it('spraying 1,000,000 addresses keeps the source table at its default bound (O(1) LRU)', () => {
    // with the Map-insertion-order LRU this took minutes (each eviction walked the holes at the
    // front of the Map); with the linked list it is a second or two. No timing assertion.
    const d = new Detector()
    const bound = d.options.maxSources
    assert.equal(bound, 100_000)
    let max = 0
    for (let i = 0; i < 1_000_000; i++) {
      d.observe(ev(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, T0 + i))
      if ((i & 1023) === 0 && d.trackedSources > max) max = d.trackedSources
    }
    assert.equal(d.trackedSources, bound)
    assert.ok(max <= bound)
    assert.equal(d.stats.evictedSources, 1_000_000 - bound)
    assert.equal(d.stats.bans, 0)
  })
  it('evicts the least recently seen source, not the first inserted', () => {
    const a = '198.51.100.1'
    const b = new Detector({ maxSources: 2 })
    for (let k = 0; k < 4; k++) b.observe(ev(a, T0 + k * S))
    b.observe(ev('198.51.100.2', T0 + 5 * S))
    b.observe(ev(a, T0 + 6 * S, 'challenge')) // not counted: no touch
    b.observe(ev('198.51.100.3', T0 + 7 * S)) // evicts a (least recently seen)
    assert.equal(b.observe(ev(a, T0 + 8 * S)), null) // a starts again from 1
    const c = new Detector({ maxSources: 2 })
    for (let k = 0; k < 3; k++) c.observe(ev(a, T0 + k * S))
    c.observe(ev('198.51.100.2', T0 + 4 * S))
    c.observe(ev(a, T0 + 5 * S)) // touch: a is now the most recently seen
    c.observe(ev('198.51.100.3', T0 + 6 * S)) // evicts .2, not a
    assert.equal(c.observe(ev(a, T0 + 7 * S))?.rule, 'auth-failure') // a kept its 4 events
  })
  it('an attacker spraying addresses cannot grow the source table past maxSources', () => {
    const d = new Detector({ maxSources: 1000 })
    for (let i = 0; i < 100_000; i++)
      d.observe(ev(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, T0 + i))
    assert.equal(d.trackedSources, 1000)
    assert.equal(d.stats.evictedSources, 99_000)
  })
  it('remembered bans are bounded by maxBans', () => {
    const d = new Detector({ maxBans: 100, rules: [{ ...DEFAULT_RULES.at(-1)!, kinds: ['auth-failed'] }] })
    for (let i = 0; i < 1000; i++) d.observe(ev(`10.0.${i >> 8}.${i & 255}`, T0 + i))
    assert.equal(d.stats.bans, 1000)
    assert.equal((d.bans as MemoryBanBook).size, 100)
  })
  it('the distinct-account set of one source holds at most `threshold` accounts', () => {
    const d = new Detector({
      rules: DEFAULT_RULES.filter((r) => r.name === 'enumeration').map((r) => ({ ...r, threshold: 1000 })),
    })
    for (let i = 0; i < 999; i++)
      d.observe(ev('203.0.113.12', T0 + i * 1000 * 1000, 'unknown-account', `u${i}`))
    assert.equal(d.stats.bans, 0) // spread over 11 days: never 1000 within 10 min
  })
})

describe('options', () => {
  it('validates and names the key', () => {
    assert.throws(
      () => resolveDetectorOptions({ rules: [{ ...DEFAULT_RULES[0]!, threshold: 0 }] }),
      /rules\[0\]\.threshold/,
    )
    assert.throws(
      () => resolveDetectorOptions({ rules: [{ ...DEFAULT_RULES[0]!, kinds: ['nope' as 'auth-failed'] }] }),
      /unknown event kind 'nope'/,
    )
    assert.throws(
      () => resolveDetectorOptions({ rules: [DEFAULT_RULES[0]!, DEFAULT_RULES[0]!] }),
      /used twice/,
    )
    assert.throws(() => resolveDetectorOptions({ maxSources: -1 }), /maxSources/)
  })
  it('every default rule bans with a TTL', () => {
    for (const r of resolveDetectorOptions().rules) assert.ok(r.banTtlMs > 0, r.name)
  })
})
