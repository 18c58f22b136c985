// The one conformance suite every state store adapter must pass (style-by-example habit 14,
// after undici's cache-store-test-utils.js). Time comes from a fake clock; the store's own
// sweep timer must be disabled by the factory (sweepIntervalMs: 0) so that expiry happens
// exactly when a test calls sweep().
//
// Every call is awaited, so an adapter may answer synchronously or with promises; the one
// exception is isBanned(), which the interface requires to be synchronous.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ErrorCodes, SgwError } from '../../src/errors.js'
import type { SecurityEvent } from '../../src/events/event.js'
import type { BanChange, Store, StoreLimits } from '../../src/state/store.js'

export interface TestClock {
  readonly now: () => number
  advance(ms: number): void
}

/** Starts at a time aligned to every window the suite uses. */
export function createTestClock(start = 1_700_000_000_000): TestClock {
  let t = start
  return {
    now: () => t,
    advance(ms: number) {
      t += ms
    },
  }
}

export interface MakeStoreExtra {
  readonly limits?: Partial<StoreLimits>
  readonly onListenerError?: (error: unknown) => void
}

export type MakeStore = (clock: TestClock, extra: MakeStoreExtra) => Store | Promise<Store>

export interface ConformanceOptions {
  /** test name -> reason it does not apply to this adapter */
  readonly skip?: Readonly<Record<string, string>>
}

export async function assertStoreError(fn: () => unknown, code: string): Promise<void> {
  await assert.rejects(
    async () => {
      await fn()
    },
    (err: unknown) => {
      assert.ok(err instanceof SgwError, `expected an SgwError, got ${String(err)}`)
      assert.equal(err.code, code)
      return true
    },
  )
}

const T0 = 1_700_000_000_000
const A1 = '192.0.2.1'
const A2 = '192.0.2.2'
const A3 = '192.0.2.3'
const A4 = '192.0.2.4'
const A5 = '192.0.2.5'

function ev(over: Partial<SecurityEvent> & { time: number }): SecurityEvent {
  return { address: A1, code: 'auth.failure', action: 'log', ...over }
}

export function runStoreConformance(name: string, makeStore: MakeStore, opts: ConformanceOptions = {}): void {
  const skip = opts.skip ?? {}

  /** Runs fn with a fresh store and clock; the store is closed afterwards. */
  function it(
    title: string,
    fn: (s: Store, clock: TestClock) => Promise<void>,
    extra: MakeStoreExtra = {},
  ): void {
    const reason = skip[title]
    if (reason !== undefined) {
      test(title, { skip: reason }, () => {})
      return
    }
    test(title, async () => {
      const clock = createTestClock(T0)
      const store = await makeStore(clock, { onListenerError: () => {}, ...extra })
      try {
        await fn(store, clock)
      } finally {
        await store.close()
      }
    })
  }

  describe(`state store conformance: ${name}`, () => {
    describe('windowed counters', () => {
      it('hit returns the running count within one window', async (s) => {
        assert.equal(await s.hit('k', 1000), 1)
        assert.equal(await s.hit('k', 1000), 2)
        assert.equal(await s.hit('k', 1000), 3)
        assert.equal(await s.count('k', 1000), 3)
        assert.equal(await s.hit('k', 1000, 5), 8)
        assert.equal(await s.hit('k', 1000, 0), 8)
      })

      it('count of an unknown key is 0', async (s) => {
        assert.equal(await s.count('nope', 1000), 0)
      })

      it('the window slides over two rotating buckets', async (s, clock) => {
        assert.equal(await s.hit('k', 1000, 10), 10)
        clock.advance(999)
        assert.equal(await s.count('k', 1000), 10)
        clock.advance(1) // next bucket: the previous one still lies fully inside the window
        assert.equal(await s.count('k', 1000), 10)
        clock.advance(250) // 750 ms of the previous bucket remain in the window: floor(10 × 0.75)
        assert.equal(await s.count('k', 1000), 7)
        assert.equal(await s.hit('k', 1000), 8)
        clock.advance(750) // the bucket with 10 left the window; the one with 1 is now previous
        assert.equal(await s.count('k', 1000), 1)
        clock.advance(1000)
        assert.equal(await s.count('k', 1000), 0)
      })

      it('an idle gap longer than the window starts from zero', async (s, clock) => {
        await s.hit('k', 1000, 5)
        clock.advance(2500)
        assert.equal(await s.count('k', 1000), 0)
        assert.equal(await s.hit('k', 1000), 1)
      })

      it('resetCounter forgets the counter', async (s) => {
        await s.hit('k', 1000, 3)
        await s.resetCounter('k')
        assert.equal(await s.count('k', 1000), 0)
        assert.equal(await s.hit('k', 1000), 1)
        await s.resetCounter('unknown')
      })

      it('counters are independent and bound to one window', async (s) => {
        await s.hit('a', 1000, 2)
        await s.hit('b', 1000, 3)
        assert.equal(await s.count('a', 1000), 2)
        assert.equal(await s.count('b', 1000), 3)
        assert.equal(await s.count('a', 10_000), 0)
        assert.equal(await s.hit('a', 10_000), 1)
        assert.equal(await s.count('a', 1000), 0)
      })

      it('hit rejects a bad window or amount', async (s) => {
        await assertStoreError(() => s.hit('k', 0), ErrorCodes.STORE_ARGUMENT)
        await assertStoreError(() => s.hit('k', 1.5), ErrorCodes.STORE_ARGUMENT)
        await assertStoreError(() => s.hit('k', 1000, -1), ErrorCodes.STORE_ARGUMENT)
        await assertStoreError(() => s.hit('k', 1000, 0.5), ErrorCodes.STORE_ARGUMENT)
        await assertStoreError(() => s.count('k', Number.NaN), ErrorCodes.STORE_ARGUMENT)
      })
    })

    describe('keys with TTL', () => {
      it('set, get and del', async (s) => {
        assert.equal(await s.get('a'), undefined)
        await s.set('a', '1')
        assert.equal(await s.get('a'), '1')
        await s.set('a', 'two')
        assert.equal(await s.get('a'), 'two')
        assert.equal(await s.del('a'), true)
        assert.equal(await s.get('a'), undefined)
        assert.equal(await s.del('a'), false)
      })

      it('a key expires when its TTL has passed', async (s, clock) => {
        await s.set('k', 'v', 1000)
        clock.advance(999)
        assert.equal(await s.get('k'), 'v')
        clock.advance(1)
        assert.equal(await s.get('k'), undefined)
        assert.equal(await s.del('k'), false)
      })

      it('set without a TTL clears the previous TTL', async (s, clock) => {
        await s.set('k', 'v', 1000)
        await s.set('k', 'w')
        clock.advance(5000)
        assert.equal(await s.get('k'), 'w')
      })

      it('incrBy creates, adds, subtracts and never goes below zero', async (s) => {
        assert.equal(await s.incrBy('g', 2), 2)
        assert.equal(await s.get('g'), '2')
        assert.equal(await s.incrBy('g', -1), 1)
        assert.equal(await s.incrBy('g', -5), 0)
        assert.equal(await s.get('g'), '0')
        assert.equal(await s.incrBy('g', 3), 3)
        assert.equal(await s.incrBy('cents', 1250), 1250)
        assert.equal(await s.incrBy('cents', 1250), 2500)
      })

      it('incrBy with a TTL slides the expiry; without one keeps it', async (s, clock) => {
        assert.equal(await s.incrBy('g', 1, 1000), 1)
        clock.advance(600)
        assert.equal(await s.incrBy('g', 1, 1000), 2) // now expires at +1600
        clock.advance(600)
        assert.equal(await s.incrBy('g', 1), 3) // keeps +1600
        clock.advance(400)
        assert.equal(await s.get('g'), undefined)
        assert.equal(await s.incrBy('g', 1), 1) // expired counts as 0; no expiry now
        clock.advance(10_000_000)
        assert.equal(await s.get('g'), '1')
      })

      it('incrBy on a value that is not a number throws', async (s) => {
        await s.set('k', 'abc')
        await assertStoreError(() => s.incrBy('k', 1), ErrorCodes.STORE_ARGUMENT)
        assert.equal(await s.get('k'), 'abc')
        await assertStoreError(() => s.incrBy('k2', Number.NaN), ErrorCodes.STORE_ARGUMENT)
      })

      it('set rejects a bad TTL or an oversized value', async (s) => {
        await assertStoreError(() => s.set('k', 'v', 0), ErrorCodes.STORE_ARGUMENT)
        await assertStoreError(() => s.set('k', 'v', -1), ErrorCodes.STORE_ARGUMENT)
        await assertStoreError(() => s.set('k', 'v', Number.POSITIVE_INFINITY), ErrorCodes.STORE_ARGUMENT)
        await assertStoreError(
          () => s.set('k', 'x'.repeat(s.limits.maxValueLength + 1)),
          ErrorCodes.STORE_ARGUMENT,
        )
        assert.equal(await s.get('k'), undefined)
      })
    })

    describe('sets with per-member TTL', () => {
      it('sadd, scard, sismember, srem and smembers', async (s) => {
        assert.equal(await s.sadd('s', 'alice'), 1)
        assert.equal(await s.sadd('s', 'bob'), 2)
        assert.equal(await s.sadd('s', 'alice'), 2)
        assert.equal(await s.scard('s'), 2)
        assert.equal(await s.sismember('s', 'alice'), true)
        assert.equal(await s.sismember('s', 'carol'), false)
        assert.deepEqual((await s.smembers('s')).sort(), ['alice', 'bob'])
        assert.equal(await s.srem('s', 'alice'), true)
        assert.equal(await s.srem('s', 'alice'), false)
        assert.equal(await s.scard('s'), 1)
        assert.equal(await s.srem('s', 'bob'), true)
        assert.equal(await s.scard('s'), 0)
        assert.deepEqual(await s.smembers('s'), [])
      })

      it('an unknown set is empty', async (s) => {
        assert.equal(await s.scard('none'), 0)
        assert.deepEqual(await s.smembers('none'), [])
        assert.equal(await s.sismember('none', 'x'), false)
        assert.equal(await s.srem('none', 'x'), false)
      })

      it('members expire one by one', async (s, clock) => {
        await s.sadd('s', 'a', 1000)
        clock.advance(500)
        assert.equal(await s.sadd('s', 'b', 1000), 2)
        clock.advance(500)
        assert.equal(await s.sismember('s', 'a'), false)
        assert.equal(await s.sismember('s', 'b'), true)
        assert.equal(await s.scard('s'), 1)
        assert.deepEqual(await s.smembers('s'), ['b'])
        clock.advance(500)
        assert.equal(await s.scard('s'), 0)
        assert.equal(await s.sadd('s', 'c'), 1)
      })

      it('sadd of an existing member refreshes its TTL', async (s, clock) => {
        await s.sadd('s', 'a', 1000)
        clock.advance(900)
        await s.sadd('s', 'a', 1000)
        clock.advance(900)
        assert.equal(await s.sismember('s', 'a'), true)
        clock.advance(100)
        assert.equal(await s.sismember('s', 'a'), false)
      })

      it('sadd rejects a bad TTL', async (s) => {
        await assertStoreError(() => s.sadd('s', 'a', 0), ErrorCodes.STORE_ARGUMENT)
      })
    })

    describe('bans', () => {
      it('ban, getBan and isBanned until the ban expires', async (s, clock) => {
        const rec = await s.ban({
          address: A1,
          ttlMs: 60_000,
          code: 'flood.register',
          source: 'gateway',
          reason: '40 REGISTER in 2 s',
          detail: { count: 40 },
        })
        assert.deepEqual(
          { ...rec },
          {
            address: A1,
            code: 'flood.register',
            source: 'gateway',
            reason: '40 REGISTER in 2 s',
            detail: { count: 40 },
            createdAt: T0,
            updatedAt: T0,
            expiresAt: T0 + 60_000,
            offences: 1,
          },
        )
        const banned = s.isBanned(A1)
        assert.equal(banned, true, 'isBanned must answer synchronously')
        assert.equal(s.isBanned(A2), false)
        assert.deepEqual({ ...(await s.getBan(A1))! }, { ...rec })
        clock.advance(59_999)
        assert.equal(s.isBanned(A1), true)
        clock.advance(1)
        assert.equal(s.isBanned(A1), false)
        assert.equal(await s.getBan(A1), undefined)
        assert.deepEqual(await s.listBans(), [])
      })

      it('addresses are canonical: IPv4-mapped IPv6 and upper case', async (s) => {
        const r = await s.ban({
          address: '::FFFF:192.0.2.7',
          ttlMs: 1000,
          code: 'scanner.user-agent',
          source: 't',
        })
        assert.equal(r.address, '192.0.2.7')
        assert.equal(s.isBanned('192.0.2.7'), true)
        assert.equal(s.isBanned('::ffff:192.0.2.7'), true)
        await s.ban({ address: '2001:DB8::1', ttlMs: 1000, code: 'scanner.user-agent', source: 't' })
        assert.equal(s.isBanned('2001:db8::1'), true)
        assert.notEqual(await s.getBan('2001:DB8::1'), undefined)
      })

      it('ban TTL is clamped to maxBanTtlMs: no permanent bans', async (s) => {
        const max = s.limits.maxBanTtlMs
        const r1 = await s.ban({ address: A1, ttlMs: max * 10, code: 'flood.invite', source: 't' })
        assert.equal(r1.expiresAt, T0 + max)
        const r2 = await s.ban({
          address: A2,
          ttlMs: Number.POSITIVE_INFINITY,
          code: 'flood.invite',
          source: 't',
        })
        assert.equal(r2.expiresAt, T0 + max)
        const r3 = await s.ban({ address: A3, ttlMs: max, code: 'flood.invite', source: 't' })
        assert.equal(r3.expiresAt, T0 + max)
      })

      it('ban rejects bad arguments', async (s) => {
        const ok = { address: A1, ttlMs: 1000, code: 'auth.failure', source: 't' }
        for (const bad of [
          { ...ok, ttlMs: 0 },
          { ...ok, ttlMs: -5 },
          { ...ok, ttlMs: Number.NaN },
          { ...ok, address: 'not-an-ip' },
          { ...ok, address: '1.2.3.4/24' },
          { ...ok, code: '' },
          { ...ok, source: '' },
          { ...ok, escalate: 0.5 },
        ]) {
          await assertStoreError(() => s.ban(bad), ErrorCodes.STORE_ARGUMENT)
        }
        assert.equal(s.isBanned(A1), false)
      })

      it('a re-ban while active extends, never shortens, and keeps the offence count', async (s, clock) => {
        await s.ban({ address: A1, ttlMs: 60_000, code: 'flood.register', source: 'gateway' })
        clock.advance(10_000)
        const r2 = await s.ban({ address: A1, ttlMs: 10_000, code: 'auth.failure', source: 'watch' })
        assert.equal(r2.expiresAt, T0 + 60_000)
        assert.equal(r2.offences, 1)
        assert.equal(r2.createdAt, T0)
        assert.equal(r2.updatedAt, T0 + 10_000)
        assert.equal(r2.code, 'auth.failure')
        assert.equal(r2.source, 'watch')
        const r3 = await s.ban({ address: A1, ttlMs: 120_000, code: 'auth.failure', source: 'watch' })
        assert.equal(r3.expiresAt, T0 + 10_000 + 120_000)
        assert.equal(r3.offences, 1)
      })

      it(
        'offences escalate across episodes and are forgotten after offenceMemoryMs',
        async (s, clock) => {
          const b = { address: A1, ttlMs: 1000, code: 'auth.failure', source: 'watch', escalate: 2 }
          assert.equal(await s.offences(A1), 0)
          const r1 = await s.ban(b)
          assert.equal(r1.offences, 1)
          assert.equal(r1.expiresAt, T0 + 1000)
          clock.advance(1000)
          assert.equal(s.isBanned(A1), false)
          assert.equal(await s.offences(A1), 1)
          const r2 = await s.ban(b)
          assert.equal(r2.offences, 2)
          assert.equal(r2.expiresAt, T0 + 1000 + 2000)
          clock.advance(2000)
          const r3 = await s.ban(b)
          assert.equal(r3.offences, 3)
          assert.equal(r3.expiresAt, T0 + 3000 + 4000)
          clock.advance(4000 + 100_000)
          assert.equal(await s.offences(A1), 0)
          const r4 = await s.ban(b)
          assert.equal(r4.offences, 1)
          assert.equal(r4.expiresAt, T0 + 107_000 + 1000)
        },
        { limits: { offenceMemoryMs: 100_000 } },
      )

      it(
        'escalation is clamped to maxBanTtlMs',
        async (s, clock) => {
          const b = { address: A1, ttlMs: 4000, code: 'auth.failure', source: 'watch', escalate: 10 }
          await s.ban(b)
          clock.advance(4000)
          const r2 = await s.ban(b)
          assert.equal(r2.offences, 2)
          assert.equal(r2.expiresAt - (T0 + 4000), 10_000)
        },
        { limits: { maxBanTtlMs: 10_000 } },
      )

      it('unban lifts the ban and keeps the offence count; forget resets it', async (s) => {
        const rec = await s.ban({ address: A1, ttlMs: 60_000, code: 'auth.failure', source: 'watch' })
        const lifted = await s.unban(A1)
        assert.deepEqual({ ...lifted! }, { ...rec })
        assert.equal(s.isBanned(A1), false)
        assert.equal(await s.getBan(A1), undefined)
        assert.equal(await s.offences(A1), 1)
        assert.equal(await s.unban(A1), undefined)
        assert.equal(
          (await s.ban({ address: A1, ttlMs: 1000, code: 'auth.failure', source: 'api' })).offences,
          2,
        )
        assert.notEqual(await s.unban(A1, { forget: true }), undefined)
        assert.equal(await s.offences(A1), 0)
        assert.equal(
          (await s.ban({ address: A1, ttlMs: 1000, code: 'auth.failure', source: 'api' })).offences,
          1,
        )
        assert.equal(await s.unban(A2), undefined)
        await assertStoreError(() => s.unban('nope'), ErrorCodes.STORE_ARGUMENT)
      })

      it('listBans lists active bans, most recently banned first', async (s, clock) => {
        await s.ban({ address: A1, ttlMs: 60_000, code: 'flood.register', source: 'gateway' })
        clock.advance(10)
        await s.ban({ address: A2, ttlMs: 60_000, code: 'flood.register', source: 'gateway' })
        clock.advance(10)
        await s.ban({ address: A3, ttlMs: 100, code: 'flood.register', source: 'gateway' })
        assert.deepEqual(
          (await s.listBans()).map((b) => b.address),
          [A3, A2, A1],
        )
        clock.advance(100)
        assert.deepEqual(
          (await s.listBans()).map((b) => b.address),
          [A2, A1],
        )
        await s.ban({ address: A1, ttlMs: 60_000, code: 'flood.register', source: 'gateway' })
        assert.deepEqual(
          (await s.listBans()).map((b) => b.address),
          [A1, A2],
        )
      })

      it('ban listeners see ban, extend, unban and expire; unsubscribe stops them', async (s, clock) => {
        const seen: string[] = []
        const off = s.onBanChange((c: BanChange) => seen.push(`${c.kind}:${c.ban.address}:${c.origin}`))
        await s.ban({ address: A1, ttlMs: 60_000, code: 'flood.register', source: 'gateway' })
        await s.ban({ address: A1, ttlMs: 60_000, code: 'flood.register', source: 'gateway' })
        await s.unban(A1)
        await s.ban({ address: A2, ttlMs: 1000, code: 'flood.register', source: 'gateway' })
        clock.advance(999)
        await s.sweep()
        clock.advance(1)
        const r = await s.sweep()
        assert.equal(r.expiredBans, 1)
        await s.sweep()
        assert.deepEqual(seen, [
          `ban:${A1}:local`,
          `extend:${A1}:local`,
          `unban:${A1}:local`,
          `ban:${A2}:local`,
          `expire:${A2}:local`,
        ])
        off()
        off()
        await s.ban({ address: A3, ttlMs: 1000, code: 'flood.register', source: 'gateway' })
        assert.equal(seen.length, 5)
      })

      it('banMany bans in order, all or nothing', async (s, clock) => {
        const seen: string[] = []
        s.onBanChange((c) => seen.push(`${c.kind}:${c.ban.address}`))
        const recs = await s.banMany([
          { address: A1, ttlMs: 1000, code: 'import.blocklist', source: 'import' },
          { address: A2, ttlMs: 2000, code: 'import.blocklist', source: 'import' },
          { address: A1, ttlMs: 5000, code: 'import.blocklist', source: 'import' },
        ])
        assert.deepEqual(
          recs.map((r) => [r.address, r.expiresAt, r.offences]),
          [
            [A1, T0 + 1000, 1],
            [A2, T0 + 2000, 1],
            [A1, T0 + 5000, 1],
          ],
        )
        assert.deepEqual(seen, [`ban:${A1}`, `ban:${A2}`, `extend:${A1}`])
        assert.deepEqual(await s.banMany([]), [])
        clock.advance(10)
        await assertStoreError(
          () =>
            s.banMany([
              { address: A3, ttlMs: 1000, code: 'import.blocklist', source: 'import' },
              { address: 'bogus', ttlMs: 1000, code: 'import.blocklist', source: 'import' },
            ]),
          ErrorCodes.STORE_ARGUMENT,
        )
        assert.equal(s.isBanned(A3), false)
        assert.equal(await s.getBan(A3), undefined)
        assert.equal(seen.length, 3)
      })

      it('a throwing ban listener does not break ban() or other listeners', async (s) => {
        const seen: string[] = []
        s.onBanChange(() => {
          throw new Error('listener bug')
        })
        s.onBanChange((c) => seen.push(c.kind))
        const r = await s.ban({ address: A1, ttlMs: 1000, code: 'flood.register', source: 'gateway' })
        assert.equal(r.offences, 1)
        assert.equal(s.isBanned(A1), true)
        assert.deepEqual(seen, ['ban'])
      })
    })

    describe('security event log', () => {
      it('appendEvent and queryEvents, newest first, with filters', async (s) => {
        await s.appendEvent(ev({ time: T0 + 1, code: 'auth.failure', account: '100', action: 'reply' }))
        await s.appendEvent(ev({ time: T0 + 3, code: 'flood.register', address: A2, action: 'ban' }))
        await s.appendEvent(
          ev({
            time: T0 + 2,
            code: 'auth.failure',
            account: '101',
            port: 5060,
            transport: 'udp',
            stage: 'auth-guard',
            severity: 'warning',
            detail: { tries: 3, ua: 'friendly-scanner' },
            action: 'reply',
          }),
        )
        const all = await s.queryEvents({ limit: 10 })
        assert.deepEqual(
          all.map((e) => e.time),
          [T0 + 3, T0 + 2, T0 + 1],
        )
        const full = all[1]!
        assert.equal(typeof full.id, 'number')
        const { id: _id, ...rest } = full
        assert.deepEqual(rest, {
          time: T0 + 2,
          address: A1,
          port: 5060,
          transport: 'udp',
          account: '101',
          code: 'auth.failure',
          stage: 'auth-guard',
          action: 'reply',
          severity: 'warning',
          detail: { tries: 3, ua: 'friendly-scanner' },
        })
        assert.ok(all[1]!.id > all[0]!.id, 'ids increase in append order')
        assert.ok(all[0]!.id > all[2]!.id, 'ids increase in append order')
        assert.deepEqual(
          (await s.queryEvents({ code: 'auth.failure' })).map((e) => e.account),
          ['101', '100'],
        )
        assert.deepEqual(
          (await s.queryEvents({ address: A2 })).map((e) => e.code),
          ['flood.register'],
        )
        assert.deepEqual(
          (await s.queryEvents({ account: '100' })).map((e) => e.time),
          [T0 + 1],
        )
        assert.deepEqual(
          (await s.queryEvents({ action: 'ban' })).map((e) => e.time),
          [T0 + 3],
        )
        assert.deepEqual(
          (await s.queryEvents({ code: 'auth.failure', address: A1, account: '101', action: 'reply' })).map(
            (e) => e.time,
          ),
          [T0 + 2],
        )
        assert.deepEqual(await s.queryEvents({ code: 'nothing.here' }), [])
      })

      it('queryEvents honours since (inclusive), until (exclusive) and limit', async (s) => {
        for (let i = 0; i < 10; i++) await s.appendEvent(ev({ time: T0 + i * 100 }))
        assert.deepEqual(
          (await s.queryEvents({ since: T0 + 300, until: T0 + 600 })).map((e) => e.time),
          [T0 + 500, T0 + 400, T0 + 300],
        )
        assert.deepEqual(
          (await s.queryEvents({ limit: 2 })).map((e) => e.time),
          [T0 + 900, T0 + 800],
        )
        assert.equal((await s.queryEvents()).length, 10)
        await assertStoreError(() => s.queryEvents({ limit: 0 }), ErrorCodes.STORE_ARGUMENT)
        await assertStoreError(() => s.queryEvents({ limit: 1e9 }), ErrorCodes.STORE_ARGUMENT)
      })

      it('events with the same time come back in reverse append order', async (s) => {
        await s.appendEvent(ev({ time: T0, code: 'a.first' }))
        await s.appendEvent(ev({ time: T0, code: 'a.second' }))
        assert.deepEqual(
          (await s.queryEvents()).map((e) => e.code),
          ['a.second', 'a.first'],
        )
      })

      it('event addresses are stored in canonical form', async (s) => {
        await s.appendEvent(ev({ time: T0, address: '::ffff:192.0.2.9' }))
        assert.equal((await s.queryEvents({ address: '192.0.2.9' })).length, 1)
        assert.equal((await s.queryEvents({ address: '::ffff:192.0.2.9' })).length, 1)
      })

      it('purgeEvents deletes events older than the given age', async (s, clock) => {
        await s.appendEvent(ev({ time: T0 }))
        await s.appendEvent(ev({ time: T0 + 5000 }))
        await s.appendEvent(ev({ time: T0 + 9000 }))
        clock.advance(10_000)
        assert.equal(await s.purgeEvents(5000), 1) // exactly 5000 ms old is not older
        assert.deepEqual(
          (await s.queryEvents()).map((e) => e.time),
          [T0 + 9000, T0 + 5000],
        )
        assert.equal(await s.purgeEvents(5000), 0)
        assert.equal(await s.purgeEvents(0), 2)
        await assertStoreError(() => s.purgeEvents(-1), ErrorCodes.STORE_ARGUMENT)
      })

      it(
        'the sweep applies event retention',
        async (s, clock) => {
          await s.appendEvent(ev({ time: T0 }))
          await s.appendEvent(ev({ time: T0 + 8000 }))
          clock.advance(15_000)
          await s.sweep()
          assert.deepEqual(
            (await s.queryEvents()).map((e) => e.time),
            [T0 + 8000],
          )
        },
        { limits: { eventRetentionMs: 10_000 } },
      )

      it('appendEvent rejects an invalid event', async (s) => {
        const bad = [
          { time: T0, address: 'nope', code: 'auth.failure', action: 'log' },
          { time: T0, address: A1, code: 'Not A Code', action: 'log' },
          { time: T0, address: A1, code: 'auth.failure', action: 'explode' },
          { time: Number.NaN, address: A1, code: 'auth.failure', action: 'log' },
          { time: T0, address: A1, code: 'auth.failure', action: 'log', port: 70000 },
          { time: T0, address: A1, code: 'auth.failure', action: 'log', acount: 'typo' },
        ]
        for (const e of bad) {
          await assertStoreError(() => s.appendEvent(e as unknown as SecurityEvent), ErrorCodes.EVENT_INVALID)
        }
        assert.deepEqual(await s.queryEvents(), [])
      })
    })

    describe('bounds', () => {
      it(
        'counters stay at maxCounters; the least recently used go first',
        async (s) => {
          for (let i = 0; i < 50; i++) await s.hit(`k${i}`, 1000)
          assert.equal((await s.stats()).counters, 5)
          assert.equal(await s.count('k0', 1000), 0)
          assert.equal(await s.count('k49', 1000), 1)
          await s.hit('k45', 1000) // k45 becomes the most recently used
          await s.hit('new', 1000)
          assert.equal(await s.count('k45', 1000), 2)
          assert.equal(await s.count('k46', 1000), 0)
        },
        { limits: { maxCounters: 5 } },
      )

      it(
        'a full counter table evicts expired counters before live ones',
        async (s, clock) => {
          await s.hit('long1', 100_000)
          await s.hit('short', 1000)
          await s.hit('long2', 100_000)
          clock.advance(2000)
          await s.hit('new', 1000)
          assert.equal(await s.count('long1', 100_000), 1)
          assert.equal(await s.count('long2', 100_000), 1)
          assert.equal((await s.stats()).counters, 3)
        },
        { limits: { maxCounters: 3 } },
      )

      it(
        'keys stay at maxKeys; the least recently used go first',
        async (s) => {
          for (let i = 0; i < 5; i++) await s.set(`k${i}`, String(i))
          assert.equal(await s.get('k0'), '0') // k0 becomes the most recently used
          await s.set('k5', '5')
          assert.equal(await s.get('k1'), undefined)
          assert.equal(await s.get('k0'), '0')
          for (let i = 100; i < 150; i++) await s.incrBy(`n${i}`, 1)
          assert.equal((await s.stats()).keys, 5)
          assert.equal(await s.get('n149'), '1')
        },
        { limits: { maxKeys: 5 } },
      )

      it(
        'a full key table evicts expired keys before live ones',
        async (s, clock) => {
          await s.set('live1', 'x')
          await s.set('short', 'x', 1000)
          await s.set('live2', 'x')
          clock.advance(1000)
          await s.set('new', 'x')
          assert.equal(await s.get('live1'), 'x')
          assert.equal(await s.get('live2'), 'x')
          assert.equal((await s.stats()).keys, 3)
        },
        { limits: { maxKeys: 3 } },
      )

      it(
        'a set saturates at maxSetMembers, dropping its oldest members',
        async (s) => {
          for (let i = 0; i < 10; i++) await s.sadd('s', `m${i}`)
          assert.equal(await s.scard('s'), 4)
          assert.deepEqual((await s.smembers('s')).sort(), ['m6', 'm7', 'm8', 'm9'])
        },
        { limits: { maxSetMembers: 4 } },
      )

      it(
        'sets stay at maxSets and maxTotalSetMembers',
        async (s) => {
          for (let i = 0; i < 20; i++) {
            for (let j = 0; j < 4; j++) await s.sadd(`s${i}`, `m${j}`)
            const st = await s.stats()
            assert.ok(st.sets <= 3, `sets ${st.sets}`)
            assert.ok(st.setMembers <= 10, `members ${st.setMembers}`)
          }
          assert.equal(await s.scard('s19'), 4)
          assert.equal(await s.scard('s0'), 0)
        },
        { limits: { maxSets: 3, maxSetMembers: 8, maxTotalSetMembers: 10 } },
      )

      it(
        'bans stay at maxBans; evicting an active ban is reported',
        async (s) => {
          const evicted: string[] = []
          s.onBanChange((c) => {
            if (c.kind === 'evict') evicted.push(c.ban.address)
          })
          for (const a of [A1, A2, A3, A4, A5])
            await s.ban({ address: a, ttlMs: 60_000, code: 'flood.register', source: 't' })
          assert.equal((await s.stats()).banRecords, 3)
          assert.deepEqual(evicted, [A1, A2])
          assert.equal(s.isBanned(A1), false)
          assert.equal(s.isBanned(A5), true)
        },
        { limits: { maxBans: 3 } },
      )

      it(
        'a full ban table drops remembered offenders before active bans',
        async (s, clock) => {
          await s.ban({ address: A1, ttlMs: 60_000, code: 'flood.register', source: 't' })
          await s.ban({ address: A2, ttlMs: 1000, code: 'flood.register', source: 't' })
          await s.ban({ address: A3, ttlMs: 60_000, code: 'flood.register', source: 't' })
          clock.advance(1000)
          await s.ban({ address: A4, ttlMs: 60_000, code: 'flood.register', source: 't' })
          assert.equal(s.isBanned(A1), true)
          assert.equal(s.isBanned(A3), true)
          assert.equal(s.isBanned(A4), true)
          assert.equal(await s.offences(A2), 0)
          assert.equal((await s.stats()).banRecords, 3)
        },
        { limits: { maxBans: 3 } },
      )

      it(
        'events stay at maxEvents; the earliest appended go first',
        async (s) => {
          for (let i = 0; i < 20; i++) await s.appendEvent(ev({ time: T0 + i }))
          const got = await s.queryEvents({ limit: 100 })
          assert.deepEqual(
            got.map((e) => e.time),
            [19, 18, 17, 16, 15].map((i) => T0 + i),
          )
          assert.equal((await s.stats()).events, 5)
        },
        { limits: { maxEvents: 5 } },
      )

      it(
        'long keys and members are digested, distinct and bounded',
        async (s) => {
          const base = 'x'.repeat(1000)
          await s.set(`${base}a`, '1')
          await s.set(`${base}b`, '2')
          assert.equal(await s.get(`${base}a`), '1')
          assert.equal(await s.get(`${base}b`), '2')
          assert.equal(await s.hit(`${base}a`, 1000), 1)
          assert.equal(await s.hit(`${base}b`, 1000), 1)
          await s.sadd('accounts', `${base}a`)
          await s.sadd('accounts', `${base}b`)
          assert.equal(await s.sismember('accounts', `${base}a`), true)
          const members = await s.smembers('accounts')
          assert.equal(members.length, 2)
          for (const m of members) assert.ok(m.length <= 64, `member length ${m.length}`)
        },
        { limits: { maxKeyLength: 64 } },
      )
    })

    describe('lifecycle', () => {
      it('sweep removes expired entries from every table', async (s, clock) => {
        await s.hit('c', 1000)
        await s.set('k', 'v', 1000)
        await s.sadd('s', 'm', 1000)
        await s.ban({ address: A1, ttlMs: 1000, code: 'flood.register', source: 't' })
        let st = await s.stats()
        assert.deepEqual(
          [st.counters, st.keys, st.sets, st.setMembers, st.bans, st.banRecords],
          [1, 1, 1, 1, 1, 1],
        )
        clock.advance(2000)
        const r = await s.sweep()
        assert.ok(r.removed >= 3, `removed ${r.removed}`)
        assert.equal(r.expiredBans, 1)
        st = await s.stats()
        assert.deepEqual(
          [st.counters, st.keys, st.sets, st.setMembers, st.bans, st.banRecords],
          [0, 0, 0, 0, 0, 1],
        )
        clock.advance(s.limits.offenceMemoryMs)
        await s.sweep()
        assert.equal((await s.stats()).banRecords, 0)
      })

      it('close is idempotent; later calls throw STORE_CLOSED', async (s) => {
        await s.close()
        await s.close()
        await assertStoreError(() => s.get('k'), ErrorCodes.STORE_CLOSED)
        await assertStoreError(() => s.hit('k', 1000), ErrorCodes.STORE_CLOSED)
        await assertStoreError(
          () => s.ban({ address: A1, ttlMs: 1, code: 'a.b', source: 't' }),
          ErrorCodes.STORE_CLOSED,
        )
        await assertStoreError(() => s.isBanned(A1), ErrorCodes.STORE_CLOSED)
        await assertStoreError(() => s.appendEvent(ev({ time: T0 })), ErrorCodes.STORE_CLOSED)
      })

      it(
        'limits reflect the overrides and reject unknown ones',
        async (s) => {
          assert.equal(s.limits.maxKeys, 7)
          assert.ok(Object.isFrozen(s.limits))
          assert.ok(
            await Promise.resolve()
              .then(() => makeStore(createTestClock(), { limits: { maxKeys: 0 } }))
              .then(
                () => false,
                (e: unknown) => e instanceof SgwError && e.code === ErrorCodes.STORE_OPTIONS,
              ),
          )
        },
        { limits: { maxKeys: 7 } },
      )
    })
  })
}
