// Bans in the state store: written with banMany, escalated by the store's offence count (also
// across a restart with SQLite), restored to the action at start in one batch, unbans mirrored,
// and every decision published as a security event.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { createEventBus } from '../../src/events/bus.js'
import { attachSink } from '../../src/events/sink.js'
import { createJsonlSink } from '../../src/events/sinks/jsonl.js'
import {
  decisionOfRecord,
  mirrorUnbans,
  restoreBans,
  StoreBans,
  WATCH_SOURCE,
} from '../../src/logwatch/bans.js'
import { banEvent, EventsBanSink } from '../../src/logwatch/events.js'
import { DEFAULT_DETECTOR_OPTIONS } from '../../src/logwatch/options.js'
import { Detector } from '../../src/logwatch/rules.js'
import type { BanAction, BanDecision, UnbanReason } from '../../src/logwatch/types.js'
import { createStore, type SyncStore } from '../../src/state/store.js'
import { ev } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'sipwarden-lwbans-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const HOUR = 3_600_000
const T0 = Date.UTC(2024, 0, 1)

class RecordingAction implements BanAction {
  readonly name = 'recording'
  bans: BanDecision[] = []
  unbans: [string, UnbanReason][] = []
  flushes = 0
  ban(d: BanDecision): void {
    this.bans.push(d)
  }
  unban(ip: string, reason: UnbanReason): void {
    this.unbans.push([ip, reason])
  }
  flush(): void {
    this.flushes++
  }
}

/** A store whose banMany calls are counted. */
function counting(store: SyncStore): { store: SyncStore; banMany: number[]; ban: number } {
  const stats = { store, banMany: [] as number[], ban: 0 }
  const banMany = store.banMany.bind(store)
  const ban = store.ban.bind(store)
  store.banMany = (inputs) => {
    stats.banMany.push(inputs.length)
    return banMany(inputs)
  }
  store.ban = (input) => {
    stats.ban++
    return ban(input)
  }
  return stats
}

function pipeline(store: SyncStore, escalate = 2) {
  const action = new RecordingAction()
  const bans = new StoreBans(store, { rules: DEFAULT_DETECTOR_OPTIONS.rules, escalate, downstream: action })
  const detector = new Detector({}, bans)
  /** five wrong passwords from `ip` at `t` */
  const attack = (ip: string, t: number) => {
    for (let i = 0; i < 5; i++) {
      const d = detector.observe(ev(ip, t + i, 'auth-failed', '100'))
      if (d !== null) void bans.ban(d)
    }
  }
  return { action, bans, detector, attack }
}

describe('bans in the state store', () => {
  it('a chunk of decisions is written with one banMany; the action gets what the store recorded', async () => {
    let now = T0
    const c = counting(createStore({ adapter: 'memory', now: () => now, sweepIntervalMs: 0 }))
    const p = pipeline(c.store)
    for (let k = 0; k < 50; k++) p.attack(`203.0.113.${k}`, T0)
    assert.equal(p.action.bans.length, 0, 'not before the batch is written')
    // banned as far as the detector is concerned while pending: no duplicate decision
    p.attack('203.0.113.1', T0 + 10)
    assert.equal(p.detector.stats.whileBanned, 5)
    await p.bans.flush()
    assert.deepEqual(c.banMany, [50])
    assert.equal(c.ban, 0)
    assert.equal(p.action.bans.length, 50)
    const rec = c.store.getBan('203.0.113.7')!
    assert.equal(rec.code, 'logwatch.auth-failure')
    assert.equal(rec.source, WATCH_SOURCE)
    assert.equal(rec.expiresAt, T0 + HOUR)
    assert.deepEqual(rec.detail, { rule: 'auth-failure', count: 5, kind: 'auth-failed', lineTime: T0 + 4 })
    now = T0 + 10 * 60_000
    p.attack('203.0.113.7', now)
    assert.equal(p.detector.stats.whileBanned, 10, 'the store says it is banned')
    c.store.close()
  })

  it('decisions are flushed by themselves on the next turn of the event loop', async () => {
    const store = createStore({ adapter: 'memory', sweepIntervalMs: 0 })
    const p = pipeline(store)
    p.attack('198.51.100.9', Date.now())
    await new Promise((r) => setImmediate(r))
    assert.equal(p.action.bans.length, 1)
    assert.ok(store.isBanned('198.51.100.9'))
    store.close()
  })

  it("escalation is the store's offence count, across a restart (SQLite)", async () => {
    let now = T0
    const path = join(dir, 'esc.db')
    const open = () => createStore({ adapter: 'sqlite', path, now: () => now, sweepIntervalMs: 0 })
    let store = open()
    let p = pipeline(store, 2)
    p.attack('192.0.2.50', now)
    await p.bans.flush()
    assert.equal(p.action.bans[0]!.ttlMs, HOUR)
    assert.equal(p.action.bans[0]!.nth, 1)
    store.close()

    now += 2 * HOUR // the first ban has ended; the offence is remembered
    store = open()
    p = pipeline(store, 2)
    p.attack('192.0.2.50', now)
    await p.bans.flush()
    assert.equal(p.action.bans[0]!.nth, 2)
    assert.equal(p.action.bans[0]!.ttlMs, 2 * HOUR)
    assert.equal(store.getBan('192.0.2.50')!.expiresAt, now + 2 * HOUR)
    store.close()
  })

  it('a store that cannot write still lets the ban through to the action', async () => {
    const store = createStore({ adapter: 'memory', sweepIntervalMs: 0 })
    store.banMany = () => {
      throw new Error('disk I/O error')
    }
    const errors: string[] = []
    const action = new RecordingAction()
    const bans = new StoreBans(store, {
      rules: DEFAULT_DETECTOR_OPTIONS.rules,
      escalate: 2,
      downstream: action,
      onError: (m) => errors.push(m),
    })
    const d = new Detector({}, bans)
    for (let i = 0; i < 5; i++) {
      const b = d.observe(ev('192.0.2.60', T0 + i))
      if (b !== null) bans.ban(b)
    }
    await bans.flush()
    assert.equal(action.bans.length, 1)
    assert.match(errors[0]!, /cannot write 1 ban\(s\) to the state store: disk I\/O error/)
    store.close()
  })
})

describe('restore at start', () => {
  it("re-applies the watcher's active bans with their remaining time, in one batch", async () => {
    let now = T0
    const store = createStore({ adapter: 'memory', now: () => now, sweepIntervalMs: 0 })
    store.banMany(
      Array.from({ length: 1000 }, (_, i) => ({
        address: `10.9.${i >> 8}.${i & 255}`,
        ttlMs: HOUR + i * 1000,
        code: 'logwatch.auth-failure',
        source: WATCH_SOURCE,
        detail: { rule: 'auth-failure', count: 5, kind: 'auth-failed' },
      })),
    )
    store.ban({ address: '192.0.2.1', ttlMs: HOUR, code: 'flood.register', source: 'gateway' })
    store.ban({ address: '192.0.2.2', ttlMs: 1000, code: 'logwatch.scan', source: WATCH_SOURCE })
    now += 30 * 60_000
    const action = new RecordingAction()
    const r = await restoreBans(store, action, () => now)
    assert.equal(r.bans, 1000, "only the watcher's active bans")
    assert.equal(action.bans.length, 1000)
    assert.equal(action.flushes, 1, 'one batch')
    const first = action.bans.find((b) => b.ip === '10.9.0.10')!
    assert.equal(first.ttlMs, 30 * 60_000 + 10_000, 'remaining time')
    assert.equal(first.rule, 'auth-failure')
    assert.equal(first.kind, 'auth-failed')
    assert.ok(!action.bans.some((b) => b.ip === '192.0.2.1'), "the gateway's own bans are the gateway's")
    store.close()
  })

  it('a record without detail still restores', () => {
    const d = decisionOfRecord(
      {
        address: '192.0.2.3',
        code: 'logwatch.pbx-block',
        source: WATCH_SOURCE,
        reason: undefined,
        detail: undefined,
        createdAt: T0,
        updatedAt: T0,
        expiresAt: T0 + HOUR,
        offences: 2,
      },
      T0 + 1000,
    )
    assert.deepEqual([d.rule, d.ttlMs, d.nth], ['pbx-block', HOUR - 1000, 2])
  })
})

describe('unbans mirrored to the action', () => {
  it('an early unban, an expiry and an eviction of a watcher ban are passed on; other bans are not', () => {
    let now = T0
    const store = createStore({
      adapter: 'memory',
      now: () => now,
      sweepIntervalMs: 0,
      limits: { maxBans: 4 },
    })
    const action = new RecordingAction()
    const stop = mirrorUnbans(store, action)
    const b = (address: string, source = WATCH_SOURCE, ttlMs = HOUR) =>
      store.ban({ address, ttlMs, code: 'logwatch.auth-failure', source })
    b('192.0.2.10')
    b('192.0.2.11', WATCH_SOURCE, 1000)
    b('192.0.2.12', 'gateway')
    store.unban('192.0.2.10')
    store.unban('192.0.2.12')
    now += 2000
    store.sweep()
    assert.deepEqual(action.unbans, [
      ['192.0.2.10', 'unban'],
      ['192.0.2.11', 'expire'],
    ])
    // a full table evicts: the watcher's ban is lifted from the firewall too
    for (let i = 20; i < 26; i++) b(`192.0.2.${i}`)
    assert.ok(
      action.unbans.some(([ip, why]) => ip === '192.0.2.20' && why === 'evict'),
      JSON.stringify(action.unbans),
    )
    stop()
    const before = action.unbans.length
    b('192.0.2.13')
    store.unban('192.0.2.13')
    assert.equal(action.unbans.length, before, 'unsubscribed')
    store.close()
  })
})

describe('security events', () => {
  const d: BanDecision = {
    ip: '203.0.113.5',
    time: T0,
    rule: 'auth-failure',
    count: 5,
    ttlMs: HOUR,
    until: T0 + HOUR,
    kind: 'auth-failed',
    nth: 1,
    account: 'x'.repeat(300),
    what: 'chan_sip:Wrong password',
  }
  it('each decision is a logwatch.<rule> ban event', () => {
    const e = banEvent(d)
    assert.equal(e.code, 'logwatch.auth-failure')
    assert.equal(e.action, 'ban')
    assert.equal(e.stage, 'logwatch')
    assert.equal(e.address, '203.0.113.5')
    assert.equal(e.time, T0)
    assert.equal(e.account!.length, 256)
    assert.deepEqual(e.detail, {
      rule: 'auth-failure',
      count: 5,
      kind: 'auth-failed',
      ttlMs: HOUR,
      until: new Date(T0 + HOUR).toISOString(),
      nth: 1,
      what: 'chan_sip:Wrong password',
    })
  })
  it('reaches the JSON lines sink through the bus', async () => {
    const bus = createEventBus()
    const path = join(dir, 'events.jsonl')
    const sink = createJsonlSink({ path })
    attachSink(bus, sink)
    new EventsBanSink(bus).ban(d)
    await sink.close()
    const line = JSON.parse(readFileSync(path, 'utf8').trim()) as Record<string, unknown>
    assert.equal(line['code'], 'logwatch.auth-failure')
    assert.equal(line['action'], 'ban')
    assert.equal(line['address'], '203.0.113.5')
  })
})
