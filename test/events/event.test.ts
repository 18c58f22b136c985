import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ErrorCodes, SgwError } from '../../src/errors.js'
import {
  assertEvent,
  MAX_ACCOUNT_LENGTH,
  normalizeEvent,
  normalizeIp,
  type SecurityEvent,
  validateEvent,
} from '../../src/events/event.js'

const ok: SecurityEvent = {
  time: 1_700_000_000_000,
  address: '192.0.2.1',
  port: 5060,
  transport: 'udp',
  account: '100',
  code: 'scanner.user-agent',
  stage: 'scanner',
  action: 'drop',
  severity: 'warning',
  detail: { userAgent: 'friendly-scanner' },
}

function paths(input: unknown): string[] {
  const r = validateEvent(input)
  return r.ok ? [] : r.issues.map((i) => i.path)
}

describe('validateEvent', () => {
  test('accepts a full event and a minimal one', () => {
    assert.equal(validateEvent(ok).ok, true)
    assert.equal(
      validateEvent({ time: 0, address: '2001:db8::1', code: 'auth.failure', action: 'log' }).ok,
      true,
    )
  })

  test('accepts the documented codes', () => {
    for (const code of [
      'scanner.user-agent',
      'flood.register',
      'auth.failure',
      'ban.applied',
      'fraud.velocity',
    ]) {
      assert.deepEqual(paths({ ...ok, code }), [], code)
    }
  })

  test('names every bad field', () => {
    assert.deepEqual(
      paths({
        time: -1,
        address: 'example.com',
        port: 65536,
        transport: 'sctp',
        account: 5,
        code: 'Flood Register',
        stage: '',
        action: 'nuke',
        severity: 'fatal',
        detail: [1],
        extra: true,
      }).sort(),
      [
        'account',
        'action',
        'address',
        'code',
        'detail',
        'extra',
        'port',
        'severity',
        'stage',
        'time',
        'transport',
      ],
    )
  })

  test('rejects what is not a plain object', () => {
    for (const v of [null, 'x', 42, [ok], new Date()]) assert.equal(validateEvent(v).ok, false)
  })

  test('rejects codes that are not dotted lower-case words', () => {
    for (const code of [
      '',
      'Auth.failure',
      'auth..failure',
      '.auth',
      'auth.',
      'auth failure',
      'a'.repeat(65),
    ]) {
      assert.deepEqual(paths({ ...ok, code }), ['code'], code)
    }
  })

  test('assertEvent throws EVENT_INVALID naming the fields', () => {
    assert.throws(
      () => assertEvent({ ...ok, address: 'nope', action: 'x' }),
      (e: unknown) =>
        e instanceof SgwError &&
        e.code === ErrorCodes.EVENT_INVALID &&
        e.message.includes('address') &&
        e.message.includes('action'),
    )
    assert.equal(assertEvent(ok), ok)
  })
})

describe('normalizeEvent', () => {
  test('coerces loose input from parsers and APIs', () => {
    const e = normalizeEvent({
      time: '2023-11-14T22:13:20.000Z',
      address: ' ::FFFF:192.0.2.1 ',
      port: '5060',
      transport: 'UDP',
      account: 100,
      code: ' Auth.Failure ',
      action: 'REPLY',
      severity: 'Warning',
      stage: ' auth-guard ',
      reason: undefined,
      detail: { attempts: 3 },
    })
    assert.deepEqual(e, {
      time: 1_700_000_000_000,
      address: '192.0.2.1',
      port: 5060,
      transport: 'udp',
      account: '100',
      code: 'auth.failure',
      action: 'reply',
      severity: 'warning',
      stage: 'auth-guard',
      detail: { attempts: 3 },
    })
    assert.ok(Object.isFrozen(e))
  })

  test('fills a missing time from the clock and accepts a Date', () => {
    assert.equal(
      normalizeEvent({ address: '192.0.2.1', code: 'a.b', action: 'log' }, { now: () => 42 }).time,
      42,
    )
    assert.equal(
      normalizeEvent({ time: new Date(5), address: '192.0.2.1', code: 'a.b', action: 'log' }).time,
      5,
    )
    assert.equal(normalizeEvent({ time: '77', address: '192.0.2.1', code: 'a.b', action: 'log' }).time, 77)
  })

  test('bounds attacker-sized fields', () => {
    const e = normalizeEvent({
      time: 1,
      address: '192.0.2.1',
      code: 'auth.failure',
      action: 'log',
      account: 'x'.repeat(10_000),
      detail: { ua: 'y'.repeat(10_000) },
    })
    assert.equal(e.account!.length, MAX_ACCOUNT_LENGTH)
    assert.equal(e.detail!['truncated'], true)
  })

  test('replaces a detail that cannot be serialised', () => {
    const detail: Record<string, unknown> = {}
    detail['self'] = detail
    const e = normalizeEvent({ time: 1, address: '192.0.2.1', code: 'a.b', action: 'log', detail })
    assert.deepEqual(e.detail, { unserialisable: true })
  })

  test('still refuses what cannot be fixed', () => {
    for (const bad of [
      { time: 1, address: 'not-ip', code: 'a.b', action: 'log' },
      { time: 'yesterday', address: '192.0.2.1', code: 'a.b', action: 'log' },
      { time: 1, address: '192.0.2.1', code: 'a.b', action: 'explode' },
      'string',
    ]) {
      assert.throws(
        () => normalizeEvent(bad),
        (e: unknown) => e instanceof SgwError && e.code === ErrorCodes.EVENT_INVALID,
      )
    }
  })
})

test('normalizeIp gives the canonical form the store uses', () => {
  assert.equal(normalizeIp('::ffff:10.1.2.3'), '10.1.2.3')
  assert.equal(normalizeIp('[2001:DB8::1]'), '2001:db8::1')
  assert.equal(normalizeIp('::ffff:abcd'), '::ffff:abcd')
  assert.equal(normalizeIp(' 192.0.2.1 '), '192.0.2.1')
})
