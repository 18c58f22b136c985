// The look-ahead classifier of `cdr analyze`: a worker thread reads the same CDR file a little
// ahead of the replay and classifies the dialled numbers it has not seen (libphonenumber-js
// parsing is the most expensive step of a row), and the main thread memoises what it sends
// (FraudClassifier.prime). It only warms a cache: the classification of a number is a pure
// function of the policy's dialling plans, the lists are applied by the main thread, and a
// number the worker has not reached yet is classified by the main thread as before. So the
// findings are the same with or without it; it uses the second core, not less CPU.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import type { Policy } from '../config/schema.js'
import { type FraudClassifier, type RawClassification, rawClassifier } from '../fraud/classify.js'
import { GenerationalCache } from '../fraud/lru-cache.js'
import { type CdrFormat, readCdrBatches } from './import.js'

const MARK = 'sipwarden-cdr-prefetch'
/** rows the worker may read ahead of the main thread */
const LOOKAHEAD_ROWS = 40_000
/** classifications per message */
const MESSAGE_SIZE = 512
/** numbers the worker remembers having sent */
const SENT_MEMO = 100_000
/** the worker's old generation, MB */
const WORKER_HEAP_MB = 128

interface PrefetchData {
  readonly mark: typeof MARK
  readonly file: string
  readonly format: CdrFormat
  readonly timezone: string
  readonly policy: Policy
}

/** [dialled, tenant, raw] triples, flattened */
type Batch = Array<string | null | RawClassification>

export interface Prefetcher {
  /** classifications received from the worker */
  readonly received: number
  /** the main thread has read this many rows */
  progress(rows: number): void
  stop(): Promise<void>
}

/** Starts the worker; null when it cannot be started (the analysis then runs without it). */
export function startPrefetch(
  opts: Omit<PrefetchData, 'mark'>,
  classifier: FraudClassifier,
): Prefetcher | null {
  let worker: Worker
  try {
    const data: PrefetchData = { mark: MARK, ...opts }
    // a small heap: its tables are bounded, and garbage must not grow the process's RSS (a
    // worker out of memory ends, and the main thread classifies the rest itself)
    worker = new Worker(new URL(import.meta.url), {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    })
  } catch {
    return null
  }
  worker.unref()
  worker.on('error', () => {}) // a cache warmer that fails changes nothing
  let received = 0
  worker.on('message', (batch: Batch) => {
    received += Math.floor(batch.length / 3)
    for (let i = 0; i + 2 < batch.length; i += 3)
      classifier.prime(batch[i] as string, batch[i + 1] as string | null, batch[i + 2] as RawClassification)
  })
  let sent = 0
  return {
    get received() {
      return received
    },
    progress(rows) {
      if (rows - sent >= LOOKAHEAD_ROWS / 4) {
        sent = rows
        worker.postMessage(rows)
      }
    },
    async stop() {
      await worker.terminate()
    },
  }
}

async function runWorker(data: PrefetchData): Promise<void> {
  const port = parentPort!
  const classify = rawClassifier(data.policy)
  const tenantOf = new Map<string, string | null>()
  for (const t of data.policy.tenants)
    for (const a of t.accounts)
      for (const name of a.extension !== undefined ? [a.name, a.extension] : [a.name])
        tenantOf.set(name, tenantOf.has(name) ? null : t.name)
  let consumed = 0
  let wake: (() => void) | null = null
  port.on('message', (rows: number) => {
    consumed = rows
    wake?.()
  })
  const sentBefore = new GenerationalCache<true>(SENT_MEMO)
  let out: Batch = []
  let rows = 0
  for await (const batch of readCdrBatches(data.file, data.format, { timezone: data.timezone })) {
    for (const cdr of batch) {
      rows++
      if (cdr.account === null) continue
      const tenant = cdr.tenant ?? tenantOf.get(cdr.account) ?? null
      const key = tenant === null ? cdr.dialled : `${tenant}\u0000${cdr.dialled}`
      if (sentBefore.get(key) !== undefined) continue
      sentBefore.set(key, true)
      out.push(cdr.dialled, tenant, classify(cdr.dialled, tenant))
      if (out.length >= 3 * MESSAGE_SIZE) {
        port.postMessage(out)
        out = []
      }
    }
    if (rows - consumed > LOOKAHEAD_ROWS && out.length > 0) {
      port.postMessage(out)
      out = []
    }
    while (rows - consumed > LOOKAHEAD_ROWS) await new Promise<void>((r) => (wake = r))
    wake = null
  }
  if (out.length > 0) port.postMessage(out)
}

if (!isMainThread && (workerData as Partial<PrefetchData> | null)?.mark === MARK)
  runWorker(workerData as PrefetchData).catch(() => process.exit(0))
