// Store sink: appends every event to the state store's event log (the dashboard and
// `sipwarden report` read it back with queryEvents). With the SQLite store the append only
// queues the row; the store writes its queue in one transaction per tick.

import type { Store } from '../../state/store.js'
import type { SecurityEvent } from '../event.js'
import { type EventSink, warnOnce } from '../sink.js'

export interface StoreSinkOptions {
  readonly store: Store
  /** A rejected append (invalid event, closed store). Default: one process warning. */
  readonly onError?: (error: unknown) => void
}

export interface StoreSink extends EventSink {
  /** appends that threw or rejected */
  readonly failed: number
}

export function createStoreSink(opts: StoreSinkOptions): StoreSink {
  const store = opts.store
  const report = opts.onError ?? warnOnce('store')
  const pending = new Set<Promise<void>>()
  let failed = 0
  let closed = false
  const fail = (err: unknown): void => {
    failed++
    report(err)
  }
  return {
    get failed() {
      return failed
    },
    write(event: SecurityEvent): void {
      if (closed) return
      try {
        const r = store.appendEvent(event)
        if (r instanceof Promise) {
          // an async adapter: keep the promise until it settles so flush() can wait for it
          const p = r.then(undefined, fail).finally(() => pending.delete(p))
          pending.add(p)
        }
      } catch (err) {
        fail(err)
      }
    },
    async flush(): Promise<void> {
      while (pending.size > 0) await Promise.all([...pending])
    },
    async close(): Promise<void> {
      closed = true
      await this.flush()
    },
  }
}
