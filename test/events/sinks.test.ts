import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, describe, test } from 'node:test'
import { pino } from 'pino'
import { createEventBus } from '../../src/events/bus.js'
import { assertEvent, type SecurityEvent } from '../../src/events/event.js'
import { attachSink } from '../../src/events/sink.js'
import { createJsonlSink } from '../../src/events/sinks/jsonl.js'
import { createLogSink } from '../../src/events/sinks/log.js'
import { createStoreSink } from '../../src/events/sinks/store.js'
import { createMemoryStore } from '../../src/state/memory.js'
import type { Store } from '../../src/state/store.js'

const root = mkdtempSync(join(tmpdir(), 'sgw-events-'))
after(() => rmSync(root, { recursive: true, force: true }))
let n = 0

function ev(i: number, over: Partial<SecurityEvent> = {}): SecurityEvent {
  return { time: 1_700_000_000_000 + i, address: '192.0.2.1', code: 'auth.failure', action: 'reply', ...over }
}

function readLines(path: string): SecurityEvent[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => assertEvent(JSON.parse(l)))
}

describe('jsonl sink', () => {
  test('writes one parseable line per event and creates the directory', async () => {
    const path = join(root, `d${n++}`, 'nested', 'events.jsonl')
    const sink = createJsonlSink({ path })
    const bus = createEventBus()
    attachSink(bus, sink)
    const full = ev(0, {
      port: 5060,
      transport: 'udp',
      account: '100',
      stage: 'auth-guard',
      severity: 'warning',
      detail: { tries: 5 },
    })
    bus.publish(full)
    for (let i = 1; i < 1000; i++) bus.publish(ev(i))
    await sink.close()
    const lines = readLines(path)
    assert.equal(lines.length, 1000)
    assert.deepEqual(lines[0], full)
    assert.equal(lines[999]!.time, 1_700_000_000_999)
    assert.deepEqual(sink.stats(), { written: 1000, dropped: 0, failed: 0 })
    // 0750 and 0640, less whatever the umask removes: never writable by group, nothing for others
    assert.equal(statSync(join(path, '..')).mode & 0o027, 0)
    assert.equal(statSync(path).mode & 0o137, 0)
  })

  test('close() loses no queued line, and appends to an existing file', async () => {
    const path = join(root, `d${n++}`, 'events.jsonl')
    const a = createJsonlSink({ path })
    for (let i = 0; i < 10; i++) a.write(ev(i))
    await a.close()
    const b = createJsonlSink({ path })
    for (let i = 10; i < 20; i++) b.write(ev(i))
    await b.close()
    await b.close()
    assert.deepEqual(
      readLines(path).map((e) => e.time - 1_700_000_000_000),
      Array.from({ length: 20 }, (_, i) => i),
    )
  })

  test('a full queue drops new events, counts them and says so in the file', async () => {
    const path = join(root, `d${n++}`, 'events.jsonl')
    const sink = createJsonlSink({ path, maxQueue: 10, now: () => 99 })
    for (let i = 0; i < 25; i++) sink.write(ev(i)) // same turn: nothing has been written yet
    await sink.close()
    sink.write(ev(100)) // after close: dropped too
    const lines = readLines(path)
    assert.equal(lines.length, 11)
    assert.deepEqual(lines[10], {
      time: 99,
      address: '0.0.0.0',
      code: 'log.dropped',
      stage: 'jsonl-sink',
      action: 'log',
      severity: 'warning',
      detail: { dropped: 15, reason: 'queue full or sink closed' },
    })
    assert.deepEqual(sink.stats(), { written: 11, dropped: 16, failed: 0 })
  })

  test('an event that cannot be serialised is dropped, the sink goes on', async () => {
    const path = join(root, `d${n++}`, 'events.jsonl')
    const errors: unknown[] = []
    const sink = createJsonlSink({ path, onError: (e) => errors.push(e) })
    sink.write(ev(0, { detail: { big: 1n } }))
    sink.write(ev(1))
    await sink.close()
    assert.equal(errors.length, 1)
    assert.equal(sink.stats().dropped, 1)
    assert.equal(readLines(path).filter((e) => e.code === 'auth.failure').length, 1)
  })

  test('rotates by size, keeping maxFiles old files', async () => {
    const path = join(root, `d${n++}`, 'events.jsonl')
    const lineBytes = `${JSON.stringify(ev(0))}\n`.length
    const sink = createJsonlSink({ path, maxBytes: lineBytes * 10, maxFiles: 2 })
    for (let i = 0; i < 45; i++) {
      sink.write(ev(i))
      if (i % 5 === 4) await sink.flush()
    }
    await sink.close()
    const current = readLines(path)
    const one = readLines(`${path}.1`)
    const two = readLines(`${path}.2`)
    assert.equal(current.length, 5)
    assert.equal(one.length, 10)
    assert.equal(two.length, 10)
    assert.equal(current[4]!.time, 1_700_000_000_044)
    assert.equal(one[0]!.time, 1_700_000_000_030)
    assert.throws(() => statSync(`${path}.3`))
  })

  test('a path it cannot write reports the failure and counts the lost lines', async () => {
    const file = join(root, `f${n++}`)
    const blocker = createJsonlSink({ path: file })
    blocker.write(ev(0))
    await blocker.close()
    const errors: unknown[] = []
    const sink = createJsonlSink({ path: join(file, 'events.jsonl'), onError: (e) => errors.push(e) })
    sink.write(ev(1))
    sink.write(ev(2))
    await sink.close()
    assert.ok(errors.length >= 1)
    assert.equal(sink.stats().failed, 2)
  })
})

describe('log sink', () => {
  function capture() {
    const lines: Record<string, unknown>[] = []
    const stream = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n')) if (l !== '') lines.push(JSON.parse(l))
        cb()
      },
    })
    return { lines, logger: pino({ level: 'info' }, stream) }
  }

  test('one structured line per event, level from severity', async () => {
    const { lines, logger } = capture()
    const sink = createLogSink({ logger })
    sink.write(ev(0, { severity: 'info' }))
    sink.write(ev(1, { severity: 'warning', code: 'flood.register', action: 'ban', detail: { count: 40 } }))
    sink.write(ev(2, { severity: 'critical', code: 'fraud.spend', action: 'lock', account: '100' }))
    sink.write(ev(3))
    await sink.close()
    sink.write(ev(4))
    assert.deepEqual(
      lines.map((l) => l['level']),
      [30, 40, 50, 30],
    )
    assert.equal(lines[1]!['msg'], 'flood.register ban 192.0.2.1')
    assert.deepEqual(
      lines[1]!['event'],
      ev(1, { severity: 'warning', code: 'flood.register', action: 'ban', detail: { count: 40 } }),
    )
    assert.equal(typeof lines[0]!['time'], 'number')
  })

  test('levels can be remapped, and a disabled level costs nothing', async () => {
    const { lines, logger } = capture()
    logger.level = 'warn'
    const sink = createLogSink({ logger, levels: { critical: 'fatal' } })
    sink.write(ev(0))
    sink.write(ev(1, { severity: 'critical' }))
    await sink.flush()
    assert.deepEqual(
      lines.map((l) => l['level']),
      [60],
    )
  })
})

describe('store sink', () => {
  test('appends every event to the store event log', async () => {
    const store = createMemoryStore({ sweepIntervalMs: 0 })
    const sink = createStoreSink({ store })
    const bus = createEventBus()
    attachSink(bus, sink)
    for (let i = 0; i < 5; i++) bus.publish(ev(i))
    await sink.close()
    assert.deepEqual(
      store.queryEvents().map((e) => e.time - 1_700_000_000_000),
      [4, 3, 2, 1, 0],
    )
    store.close()
  })

  test('waits for an async store and counts failures without throwing', async () => {
    const got: SecurityEvent[] = []
    const asyncStore = {
      appendEvent: async (e: SecurityEvent) => {
        await new Promise((r) => setTimeout(r, 5))
        if (e.code === 'bad.event') throw new Error('rejected')
        got.push(e)
      },
    } as unknown as Store
    const errors: unknown[] = []
    const sink = createStoreSink({ store: asyncStore, onError: (e) => errors.push(e) })
    sink.write(ev(0))
    sink.write(ev(1, { code: 'bad.event' }))
    await sink.flush()
    assert.equal(got.length, 1)
    assert.equal(sink.failed, 1)
    assert.equal(errors.length, 1)

    const closed = createMemoryStore({ sweepIntervalMs: 0 })
    closed.close()
    const s2 = createStoreSink({ store: closed, onError: () => {} })
    s2.write(ev(0))
    assert.equal(s2.failed, 1)
  })
})
