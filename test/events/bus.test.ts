import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setImmediate as tick } from 'node:timers/promises'
import { createEventBus } from '../../src/events/bus.js'
import type { SecurityEvent } from '../../src/events/event.js'

const event: SecurityEvent = { time: 1, address: '192.0.2.1', code: 'flood.register', action: 'ban' }

describe('event bus', () => {
  test('hasSubscribers follows subscribe and unsubscribe', () => {
    const bus = createEventBus()
    assert.equal(bus.hasSubscribers, false)
    const off1 = bus.subscribe(() => {})
    const off2 = bus.subscribe(() => {})
    assert.equal(bus.hasSubscribers, true)
    off1()
    off1()
    assert.equal(bus.hasSubscribers, true)
    off2()
    assert.equal(bus.hasSubscribers, false)
  })

  test('publishing with nobody subscribed does nothing', () => {
    const bus = createEventBus()
    bus.publish(event)
  })

  test('every subscriber gets every event, in subscription order', () => {
    const bus = createEventBus()
    const seen: string[] = []
    bus.subscribe((e) => {
      seen.push(`a:${e.code}`)
    })
    bus.subscribe((e) => {
      seen.push(`b:${e.code}`)
    })
    bus.publish(event)
    bus.publish({ ...event, code: 'auth.failure' })
    assert.deepEqual(seen, ['a:flood.register', 'b:flood.register', 'a:auth.failure', 'b:auth.failure'])
  })

  test('a throwing or rejecting subscriber breaks neither the publisher nor the others', async () => {
    const errors: string[] = []
    const bus = createEventBus({ onSubscriberError: (e) => errors.push((e as Error).message) })
    const seen: string[] = []
    bus.subscribe(() => {
      throw new Error('sync boom')
    })
    bus.subscribe(async () => {
      throw new Error('async boom')
    })
    bus.subscribe((e) => {
      seen.push(e.code)
    })
    bus.publish(event)
    assert.deepEqual(seen, ['flood.register'])
    await tick()
    assert.deepEqual(errors.sort(), ['async boom', 'sync boom'])
  })

  test('a throwing error handler is contained too', () => {
    const bus = createEventBus({
      onSubscriberError: () => {
        throw new Error('handler boom')
      },
    })
    bus.subscribe(() => {
      throw new Error('boom')
    })
    bus.publish(event)
  })

  test('unsubscribing during a publish does not skip the others', () => {
    const bus = createEventBus()
    const seen: string[] = []
    const off = bus.subscribe(() => {
      seen.push('a')
      off()
    })
    bus.subscribe(() => {
      seen.push('b')
    })
    bus.publish(event)
    bus.publish(event)
    assert.deepEqual(seen, ['a', 'b', 'b'])
  })

  test('the default error handler warns once per subscriber', async () => {
    const warnings: string[] = []
    const onWarning = (w: Error & { code?: string }) => {
      if (w.code === 'SGW_WARN_EVENT_SUBSCRIBER') warnings.push(w.message)
    }
    process.on('warning', onWarning)
    try {
      const bus = createEventBus()
      bus.subscribe(() => {
        throw new Error('boom')
      })
      bus.publish(event)
      bus.publish(event)
      await tick()
      await tick()
      assert.equal(warnings.length, 1)
      assert.match(warnings[0]!, /boom/)
    } finally {
      process.off('warning', onWarning)
    }
  })
})
