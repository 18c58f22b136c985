// The security event bus: every decision is published here; sinks (log, JSON lines, store,
// later webhook/syslog/dashboard) subscribe.
//
// Zero cost when nobody listens (habit 15, like diagnostics_channel's `hasSubscribers`):
// producers guard with `if (bus.hasSubscribers)` and do not even build the event otherwise.
// Unlike diagnostics_channel, a throwing subscriber is not re-thrown on the next tick (which
// would crash the gateway through `uncaughtException`): the error goes to `onSubscriberError`
// and the other subscribers still get the event.

import type { SecurityEvent } from './event.js'

/** A subscriber may be async; a rejected promise is reported like a throw. */
export type EventSubscriber = (event: SecurityEvent) => void | Promise<void>

export interface EventBus {
  /** false while nobody is subscribed: producers skip building the event */
  readonly hasSubscribers: boolean
  publish(event: SecurityEvent): void
  /** Returns the unsubscribe function (idempotent). */
  subscribe(subscriber: EventSubscriber): () => void
}

export interface EventBusOptions {
  /**
   * Called when a subscriber throws or rejects. Default: one process warning per subscriber
   * (code SGW_WARN_EVENT_SUBSCRIBER), so a broken sink is visible without flooding the log.
   */
  readonly onSubscriberError?: (error: unknown, subscriber: EventSubscriber) => void
}

export function createEventBus(opts: EventBusOptions = {}): EventBus {
  return new Bus(opts.onSubscriberError ?? warnOncePerSubscriber())
}

class Bus implements EventBus {
  hasSubscribers = false
  /** replaced, never mutated, so a publish in progress iterates a stable array */
  #subscribers: readonly EventSubscriber[] = []
  readonly #onError: (error: unknown, subscriber: EventSubscriber) => void

  constructor(onError: (error: unknown, subscriber: EventSubscriber) => void) {
    this.#onError = onError
  }

  publish(event: SecurityEvent): void {
    const subs = this.#subscribers
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[i]!
      try {
        const r = sub(event)
        if (r !== undefined && typeof (r as Promise<void>).then === 'function') {
          ;(r as Promise<void>).then(undefined, (err: unknown) => this.#report(err, sub))
        }
      } catch (err) {
        this.#report(err, sub)
      }
    }
  }

  subscribe(subscriber: EventSubscriber): () => void {
    if (typeof subscriber !== 'function') throw new TypeError('subscribe: the subscriber must be a function')
    this.#subscribers = [...this.#subscribers, subscriber]
    this.hasSubscribers = true
    let active = true
    return () => {
      if (!active) return
      active = false
      const i = this.#subscribers.indexOf(subscriber)
      if (i !== -1) this.#subscribers = this.#subscribers.filter((_, j) => j !== i)
      this.hasSubscribers = this.#subscribers.length > 0
    }
  }

  #report(err: unknown, sub: EventSubscriber): void {
    try {
      this.#onError(err, sub)
    } catch {
      // the error handler failed too; the publisher must still not see it
    }
  }
}

function warnOncePerSubscriber(): (error: unknown, subscriber: EventSubscriber) => void {
  const warned = new WeakSet<EventSubscriber>()
  return (error, subscriber) => {
    if (warned.has(subscriber)) return
    warned.add(subscriber)
    const message = error instanceof Error ? error.message : String(error)
    process.emitWarning(
      `a security event subscriber failed (further failures are not reported): ${message}`,
      {
        code: 'SGW_WARN_EVENT_SUBSCRIBER',
      },
    )
  }
}
