// What every event sink looks like, so the bus, the CLI and tests treat them alike.

import type { EventBus } from './bus.js'
import type { SecurityEvent } from './event.js'

export interface EventSink {
  /**
   * Takes one event. Never throws and never waits for I/O: sinks queue (bounded) and write
   * in the background. A property, not a method, so `bus.subscribe(sink.write)` works.
   */
  readonly write: (event: SecurityEvent) => void
  /** Resolves when everything written so far has reached its destination. */
  flush(): Promise<void>
  /** Flushes, then releases the destination. Idempotent; later writes are counted as dropped. */
  close(): Promise<void>
}

/** Subscribes a sink to a bus; returns the unsubscribe function (the sink stays open). */
export function attachSink(bus: EventBus, sink: EventSink): () => void {
  return bus.subscribe(sink.write)
}

/** Default error reporting of a sink: one process warning per sink, then silence. */
export function warnOnce(sinkName: string): (error: unknown) => void {
  let warned = false
  return (error) => {
    if (warned) return
    warned = true
    const message = error instanceof Error ? error.message : String(error)
    process.emitWarning(`the ${sinkName} event sink failed (further failures are not reported): ${message}`, {
      code: 'SGW_WARN_EVENT_SINK',
    })
  }
}
