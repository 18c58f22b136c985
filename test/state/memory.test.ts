import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCodes, SgwError } from '../../src/errors.js'
import { createMemoryStore } from '../../src/state/memory.js'
import { createStore, DEFAULT_LIMITS } from '../../src/state/store.js'
import { createTestClock, runStoreConformance } from './conformance.js'

runStoreConformance('memory', (clock, extra) =>
  createMemoryStore({ now: clock.now, sweepIntervalMs: 0, ...extra }),
)

/** 1.0.0.0 + i as dotted quad */
function ipv4(i: number): string {
  const n = 0x01000000 + i
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

describe('memory store: default limits bound what an attacker can grow', () => {
  const SPRAY = 1_000_000
  /** tables whose entries cost more per insert: still several times their default bound */
  const SMALLER_SPRAY = 300_000

  test('1M distinct counter keys keep the counter table at maxCounters', () => {
    const clock = createTestClock()
    const s = createMemoryStore({ now: clock.now, sweepIntervalMs: 0 })
    for (let i = 0; i < SPRAY; i++) {
      s.hit(`flood:${i}`, 2000)
      if ((i & 0xffff) === 0) clock.advance(1)
    }
    assert.equal(s.stats().counters, DEFAULT_LIMITS.maxCounters)
    assert.equal(s.count(`flood:${SPRAY - 1}`, 2000), 1)
    s.close()
  })

  test('1M distinct keys keep the key table at maxKeys', () => {
    const clock = createTestClock()
    const s = createMemoryStore({ now: clock.now, sweepIntervalMs: 0 })
    for (let i = 0; i < SPRAY; i++) s.incrBy(`calls:${i}`, 1, 60_000)
    assert.equal(s.stats().keys, DEFAULT_LIMITS.maxKeys)
    s.close()
  })

  test('300k distinct members and sets keep the set tables at their bounds', () => {
    const clock = createTestClock()
    const s = createMemoryStore({ now: clock.now, sweepIntervalMs: 0 })
    for (let i = 0; i < SMALLER_SPRAY; i++) s.sadd('tried:192.0.2.1', `user${i}`, 3_600_000)
    assert.equal(s.scard('tried:192.0.2.1'), DEFAULT_LIMITS.maxSetMembers)
    for (let i = 0; i < SMALLER_SPRAY; i++) s.sadd(`tried:${i}`, `user${i % 7}`, 3_600_000)
    const st = s.stats()
    assert.ok(st.sets <= DEFAULT_LIMITS.maxSets, `sets ${st.sets}`)
    assert.ok(st.setMembers <= DEFAULT_LIMITS.maxTotalSetMembers, `members ${st.setMembers}`)
    s.close()
  })

  test('300k distinct banned addresses keep the ban table at maxBans', () => {
    const clock = createTestClock()
    const s = createMemoryStore({ now: clock.now, sweepIntervalMs: 0 })
    let evicted = 0
    s.onBanChange((c) => {
      if (c.kind === 'evict') evicted++
    })
    for (let i = 0; i < SMALLER_SPRAY; i++) {
      s.ban({ address: ipv4(i), ttlMs: 600_000, code: 'flood.register', source: 't' })
    }
    assert.equal(s.stats().banRecords, DEFAULT_LIMITS.maxBans)
    assert.equal(evicted, SMALLER_SPRAY - DEFAULT_LIMITS.maxBans)
    assert.equal(s.isBanned(ipv4(SMALLER_SPRAY - 1)), true)
    s.close()
  })

  test('300k events keep the event ring at maxEvents', () => {
    const clock = createTestClock()
    const s = createMemoryStore({ now: clock.now, sweepIntervalMs: 0 })
    for (let i = 0; i < SMALLER_SPRAY; i++) {
      s.appendEvent({
        time: clock.now(),
        address: '192.0.2.1',
        code: 'flood.options',
        action: 'drop',
        account: `${i}`,
      })
    }
    assert.equal(s.stats().events, DEFAULT_LIMITS.maxEvents)
    s.close()
  })
})

describe('memory store', () => {
  test('the sweep timer reports ban expiry on its own', async () => {
    const clock = createTestClock()
    const s = createMemoryStore({ now: clock.now, sweepIntervalMs: 5 })
    const kinds: string[] = []
    s.onBanChange((c) => kinds.push(c.kind))
    s.ban({ address: '192.0.2.1', ttlMs: 1000, code: 'flood.register', source: 't' })
    clock.advance(1000)
    for (let i = 0; i < 100 && kinds.length < 2; i++) await sleep(5)
    assert.deepEqual(kinds, ['ban', 'expire'])
    s.close()
  })

  test('a throwing listener is reported once through onListenerError', () => {
    const errors: unknown[] = []
    const s = createMemoryStore({ sweepIntervalMs: 0, onListenerError: (e) => errors.push(e) })
    s.onBanChange(() => {
      throw new Error('boom')
    })
    s.ban({ address: '192.0.2.1', ttlMs: 1000, code: 'flood.register', source: 't' })
    s.ban({ address: '192.0.2.2', ttlMs: 1000, code: 'flood.register', source: 't' })
    assert.equal(errors.length, 2)
    s.close()
  })

  test('createStore picks the adapter and rejects an unknown one', () => {
    const s = createStore({ adapter: 'memory', sweepIntervalMs: 0 })
    assert.equal(s.adapter, 'memory')
    s.close()
    assert.throws(
      () => createStore({ adapter: 'redis' } as never),
      (e: unknown) => e instanceof SgwError && e.code === ErrorCodes.STORE_OPTIONS,
    )
  })

  test('unknown or invalid limits are rejected with STORE_OPTIONS', () => {
    for (const limits of [{ maxKeyz: 5 }, { maxKeys: -1 }, { maxKeys: 1.5 }, { maxKeyLength: 8 }]) {
      assert.throws(
        () => createMemoryStore({ limits: limits as never }),
        (e: unknown) => e instanceof SgwError && e.code === ErrorCodes.STORE_OPTIONS,
      )
    }
    assert.throws(
      () => createMemoryStore({ sweepIntervalMs: -1 }),
      (e: unknown) => e instanceof SgwError && e.code === ErrorCodes.STORE_OPTIONS,
    )
  })
})
