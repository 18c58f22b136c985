// Throughput figures for docs/state.md. Not a test: nothing here passes or fails on time.
// Run: node dist/bench/state/measure.js  (prints a Markdown table)

import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryStore } from '../../src/state/memory.js'
import { createSqliteStore } from '../../src/state/sqlite.js'
import type { BanInput, SyncStore } from '../../src/state/store.js'

interface Row {
  adapter: string
  operation: string
  figure: string
}

function ipv4(i: number): string {
  const n = 0x0a000000 + i
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

/** ops/s of fn over n iterations, best of 3 runs */
function opsPerSec(n: number, fn: (i: number) => void): number {
  let best = 0
  for (let run = 0; run < 3; run++) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < n; i++) fn(i)
    const ns = Number(process.hrtime.bigint() - t)
    best = Math.max(best, (n * 1e9) / ns)
  }
  return best
}

function ms(fn: () => void): number {
  const t = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - t) / 1e6
}

function fmt(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M/s`
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} k/s`
  return `${n.toFixed(0)} /s`
}

function measure(adapter: string, make: () => SyncStore, rows: Row[]): void {
  const s = make()
  const add = (operation: string, figure: string) => rows.push({ adapter, operation, figure })

  const keys1k = Array.from({ length: 1000 }, (_, i) => `flood:${ipv4(i)}`)
  add(
    'hit(), 1,000 hot keys, 2 s window',
    fmt(
      opsPerSec(1_000_000, (i) => {
        s.hit(keys1k[i % 1000]!, 2000)
      }),
    ),
  )
  const spray = Array.from({ length: 500_000 }, (_, i) => `spray:${i}`)
  add(
    'hit(), distinct keys beyond maxCounters (LRU eviction)',
    fmt(
      opsPerSec(500_000, (i) => {
        s.hit(spray[i]!, 2000)
      }),
    ),
  )
  add(
    'hit(), 1,000 hot keys, 10 min window (persisted by SQLite)',
    fmt(
      opsPerSec(1_000_000, (i) => {
        s.hit(keys1k[i % 1000]!, 600_000)
      }),
    ),
  )

  const bans: BanInput[] = []
  for (let i = 0; i < 10_000; i++)
    bans.push({ address: ipv4(i), ttlMs: 3_600_000, code: 'auth.failure', source: 'watch' })
  add('banMany(), 10,000 bans', `${ms(() => s.banMany(bans)).toFixed(0)} ms`)
  const probes = Array.from({ length: 20_000 }, (_, i) => ipv4(i))
  let banned = 0
  add(
    'isBanned(), 10,000 bans, half the probes banned',
    fmt(
      opsPerSec(2_000_000, (i) => {
        if (s.isBanned(probes[i % 20_000]!)) banned++
      }),
    ),
  )
  void banned
  let b = 0
  add(
    'ban(), one at a time (new addresses)',
    fmt(
      opsPerSec(2000, () => {
        s.ban({ address: ipv4(100_000 + b++), ttlMs: 600_000, code: 'flood.register', source: 'gateway' })
      }),
    ),
  )
  add(
    'incrBy(), 1,000 gauges',
    fmt(
      opsPerSec(300_000, (i) => {
        s.incrBy(keys1k[i % 1000]!, i & 1 ? -1 : 1, 3_600_000)
      }),
    ),
  )
  add(
    'sadd(), 1,000 sets × 100 members',
    fmt(
      opsPerSec(300_000, (i) => {
        s.sadd(keys1k[i % 1000]!, `user${i % 100}`, 3_600_000)
      }),
    ),
  )
  add(
    'appendEvent()',
    fmt(
      opsPerSec(100_000, (i) => {
        s.appendEvent({
          time: Date.now(),
          address: probes[i % 20_000]!,
          code: 'auth.failure',
          action: 'reply',
        })
      }),
    ),
  )
  const q = opsPerSec(200, (i) => {
    s.queryEvents({ address: probes[i]!, limit: 50 })
  })
  add('queryEvents({ address, limit: 50 }) over 300k events (memory: the last 10k)', fmt(q))
  add('sweep() with all of the above', `${ms(() => s.sweep()).toFixed(0)} ms`)
  s.close()
}

function main(): void {
  const rows: Row[] = []
  const dir = mkdtempSync(join(tmpdir(), 'sgw-measure-'))
  try {
    measure('memory', () => createMemoryStore({ sweepIntervalMs: 0 }), rows)
    const path = join(dir, 'state.db')
    measure('sqlite', () => createSqliteStore({ path, sweepIntervalMs: 0 }), rows)

    // restore: open a file holding 10,000 (and 100,000) active bans
    for (const count of [10_000, 100_000]) {
      const p = join(dir, `bans-${count}.db`)
      const s = createSqliteStore({ path: p, sweepIntervalMs: 0 })
      const bans: BanInput[] = []
      for (let i = 0; i < count; i++)
        bans.push({ address: ipv4(i), ttlMs: 3_600_000, code: 'auth.failure', source: 'watch' })
      s.banMany(bans)
      s.close()
      let open: SyncStore | undefined
      let best = Number.POSITIVE_INFINITY
      for (let run = 0; run < 3; run++) {
        best = Math.min(
          best,
          ms(() => {
            open = createSqliteStore({ path: p, sweepIntervalMs: 0 })
          }),
        )
        if (open!.listBans().length !== count) throw new Error('restore lost bans')
        open!.close()
      }
      rows.push({
        adapter: 'sqlite',
        operation: `open a store holding ${count.toLocaleString('en')} bans`,
        figure: `${best.toFixed(0)} ms`,
      })
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  console.log(
    `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, temp dir on local disk\n`,
  )
  console.log('| adapter | operation | figure |')
  console.log('|---|---|---|')
  for (const r of rows) console.log(`| ${r.adapter} | ${r.operation} | ${r.figure} |`)
}

if (process.env['NODE_TEST_CONTEXT'] === undefined) main()
