// JSON lines sink: one event per line, appended to a file. `write` only queues (bounded);
// one background loop writes what accumulated in a single write() call, so a burst of events
// costs one system call, not one each. close() writes everything queued: a normal shutdown
// loses no line. Optional size-based rotation: file → file.1 → … → file.<maxFiles>.

import { type FileHandle, mkdir, open, rename } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ErrorCodes, SgwError } from '../../errors.js'
import type { SecurityEvent } from '../event.js'
import { type EventSink, warnOnce } from '../sink.js'

export interface JsonlSinkOptions {
  /** The file; its directory is created (mode 0750) if missing, the file with mode 0640. */
  readonly path: string
  /** Lines waiting for the disk; beyond, new events are dropped and counted. Default 10000. */
  readonly maxQueue?: number
  /** Rotate before the file would grow past this many bytes. Default: no rotation. */
  readonly maxBytes?: number
  /** Rotated files kept (file.1 … file.N). Default 5. */
  readonly maxFiles?: number
  /** Write or rotation failures. Default: one process warning. */
  readonly onError?: (error: unknown) => void
  /** Clock for the dropped-lines marker. Default Date.now. */
  readonly now?: () => number
}

export interface JsonlSinkStats {
  /** lines written to disk */
  readonly written: number
  /** events not queued: queue full, sink closed, or not serialisable */
  readonly dropped: number
  /** lines lost because the disk write failed */
  readonly failed: number
}

export interface JsonlSink extends EventSink {
  readonly path: string
  stats(): JsonlSinkStats
}

export function createJsonlSink(opts: JsonlSinkOptions): JsonlSink {
  if (typeof opts.path !== 'string' || opts.path.length === 0) {
    throw new SgwError(ErrorCodes.EVENT_SINK, 'the jsonl event sink needs a file path')
  }
  for (const k of ['maxQueue', 'maxBytes', 'maxFiles'] as const) {
    const v = opts[k]
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) {
      throw new SgwError(
        ErrorCodes.EVENT_SINK,
        `jsonl sink: ${k} must be a positive integer, got ${String(v)}`,
      )
    }
  }
  return new JsonlWriter(opts)
}

class JsonlWriter implements JsonlSink {
  readonly path: string
  readonly #maxQueue: number
  readonly #maxBytes: number
  readonly #maxFiles: number
  readonly #onError: (error: unknown) => void
  readonly #now: () => number
  #queue: string[] = []
  #fh: FileHandle | null = null
  #size = 0
  /** the running drain loop, if any */
  #draining: Promise<void> | null = null
  #closed = false
  #closing: Promise<void> | null = null
  #written = 0
  #dropped = 0
  /** drops not yet reported in the file */
  #unreported = 0
  #failed = 0

  constructor(opts: JsonlSinkOptions) {
    this.path = opts.path
    this.#maxQueue = opts.maxQueue ?? 10_000
    this.#maxBytes = opts.maxBytes ?? Number.POSITIVE_INFINITY
    this.#maxFiles = opts.maxFiles ?? 5
    this.#onError = opts.onError ?? warnOnce('jsonl')
    this.#now = opts.now ?? Date.now
  }

  readonly write = (event: SecurityEvent): void => {
    if (this.#closed || this.#queue.length >= this.#maxQueue) {
      this.#drop()
      return
    }
    let line: string
    try {
      line = `${JSON.stringify(event)}\n`
    } catch (err) {
      this.#drop()
      this.#onError(err)
      return
    }
    this.#queue.push(line)
    // setImmediate: events published in the same turn are written together
    if (this.#draining === null) this.#draining = new Promise<void>(startDrain).then(() => this.#drain())
  }

  async flush(): Promise<void> {
    while (this.#draining !== null) await this.#draining
  }

  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  stats(): JsonlSinkStats {
    return { written: this.#written, dropped: this.#dropped, failed: this.#failed }
  }

  async #close(): Promise<void> {
    this.#closed = true
    await this.flush()
    if (this.#unreported > 0) {
      // the drops that happened since the last write still deserve their marker line
      this.#queue.push(this.#markerLine())
      this.#draining = this.#drain()
      await this.flush()
    }
    const fh = this.#fh
    this.#fh = null
    if (fh !== null) await fh.close().catch(this.#onError)
  }

  #drop(): void {
    this.#dropped++
    this.#unreported++
  }

  #markerLine(): string {
    const n = this.#unreported
    this.#unreported = 0
    // a SecurityEvent, so that readers of the file need no special case
    const marker: SecurityEvent = {
      time: this.#now(),
      address: '0.0.0.0',
      code: 'log.dropped',
      stage: 'jsonl-sink',
      action: 'log',
      severity: 'warning',
      detail: { dropped: n, reason: 'queue full or sink closed' },
    }
    return `${JSON.stringify(marker)}\n`
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const lines = this.#queue
        this.#queue = []
        if (this.#unreported > 0) lines.push(this.#markerLine())
        const buf = Buffer.from(lines.join(''))
        try {
          const fh = await this.#file(buf.length)
          await fh.write(buf, 0, buf.length, null)
          this.#size += buf.length
          this.#written += lines.length
        } catch (err) {
          this.#failed += lines.length
          this.#onError(err)
          // reopen on the next batch: the file may have been removed or the disk freed
          const fh = this.#fh
          this.#fh = null
          if (fh !== null) await fh.close().catch(() => {})
        }
      }
    } finally {
      this.#draining = null
    }
  }

  /** The open file, rotated first if `incoming` more bytes would pass maxBytes. */
  async #file(incoming: number): Promise<FileHandle> {
    if (this.#fh !== null && this.#size > 0 && this.#size + incoming > this.#maxBytes) {
      const fh = this.#fh
      this.#fh = null
      await fh.close()
      await this.#rotate()
    }
    if (this.#fh === null) {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o750 })
      this.#fh = await open(this.path, 'a', 0o640)
      this.#size = (await this.#fh.stat()).size
      if (this.#size > 0 && this.#size + incoming > this.#maxBytes) return this.#file(incoming)
    }
    return this.#fh
  }

  async #rotate(): Promise<void> {
    for (let i = this.#maxFiles - 1; i >= 1; i--) {
      await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch(ignoreMissing)
    }
    await rename(this.path, `${this.path}.1`).catch(ignoreMissing)
    this.#size = 0
  }
}

function startDrain(resolve: () => void): void {
  setImmediate(resolve)
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err
}
