// Restoring the log watcher's bans at start: N active bans in the SQLite store re-applied to an
// nftables set, in a network namespace of our own (root only; deleted at the end).
//   node dist/bench/logwatch/restore.js [--bans 10000,100000] [--runs 3]
// Each run times what `sipwarden watch` does at start: open the store, list the active bans,
// set up the table/sets/chain, add every ban with its remaining timeout in one `nft -f -` run.
// For scale, it also times one `nft add element` process per ban on a sample of 200 bans
// (what a per-ban action would cost) and extrapolates. Prints a Markdown table; not a test.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NftablesSink } from '../../src/logwatch/actions/nftables.js'
import { restoreBans, WATCH_SOURCE } from '../../src/logwatch/bans.js'
import { createStore } from '../../src/state/store.js'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : process.argv[i + 1]
}

const counts = (arg('--bans') ?? '10000,100000').split(',').map(Number)
const runs = Number(arg('--runs') ?? 3)
const NS = `swbench-${process.pid}`

function addr(i: number): string {
  return `10.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (creates a network namespace)')
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-restore-'))
  execFileSync('ip', ['netns', 'add', NS])
  const rows: string[] = []
  try {
    for (const n of counts) {
      const path = join(dir, `bans-${n}.db`)
      const seed = createStore({ adapter: 'sqlite', path, sweepIntervalMs: 0 })
      seed.banMany(
        Array.from({ length: n }, (_, i) => ({
          address: addr(i),
          ttlMs: 3_600_000 + i,
          code: 'logwatch.auth-failure',
          source: WATCH_SOURCE,
          detail: { rule: 'auth-failure', count: 5, kind: 'auth-failed' },
        })),
      )
      seed.close()
      const open: number[] = []
      const list: number[] = []
      const apply: number[] = []
      const total: number[] = []
      for (let r = 0; r < runs; r++) {
        execFileSync('ip', ['netns', 'exec', NS, 'nft', 'flush', 'ruleset'])
        const t0 = performance.now()
        const store = createStore({ adapter: 'sqlite', path, sweepIntervalMs: 0 })
        const t1 = performance.now()
        const nft = new NftablesSink({
          nft: 'ip',
          prefix: ['netns', 'exec', NS, 'nft'],
          table: 'sipwarden',
          set4: 'banned_v4',
          set6: 'banned_v6',
          onError: (m) => {
            throw new Error(m)
          },
        })
        await nft.setup()
        const res = await restoreBans(store, nft)
        const t2 = performance.now()
        store.close()
        const elements =
          execFileSync('ip', ['netns', 'exec', NS, 'nft', 'list', 'set', 'inet', 'sipwarden', 'banned_v4'], {
            encoding: 'utf8',
            maxBuffer: 256 << 20,
          }).split(' expires ').length - 1
        if (elements !== n || res.bans !== n) throw new Error(`expected ${n} elements, found ${elements}`)
        open.push(t1 - t0)
        list.push(res.listMs)
        apply.push(res.applyMs)
        total.push(t2 - t0)
      }
      rows.push(
        `| ${n.toLocaleString('en-US')} | ${median(open).toFixed(0)} ms | ${median(list).toFixed(0)} ms | ${median(apply).toFixed(0)} ms | **${median(total).toFixed(0)} ms** (${Math.min(...total).toFixed(0)}–${Math.max(...total).toFixed(0)}) |`,
      )
    }
    // one process per ban, for scale
    execFileSync('ip', ['netns', 'exec', NS, 'nft', 'flush', 'ruleset'])
    const nft = new NftablesSink({
      nft: 'ip',
      prefix: ['netns', 'exec', NS, 'nft'],
      table: 't',
      set4: 's4',
      set6: 's6',
    })
    await nft.setup()
    const sample = 200
    const t0 = performance.now()
    for (let i = 0; i < sample; i++)
      execFileSync('ip', [
        'netns',
        'exec',
        NS,
        'nft',
        'add',
        'element',
        'inet',
        't',
        's4',
        `{ ${addr(i)} timeout 3600s }`,
      ])
    const per = (performance.now() - t0) / sample
    process.stdout.write(
      [
        `Node ${process.version}, ${runs} runs, median (min–max):`,
        '',
        '| active bans | open SQLite store | list bans | one `nft -f -` with every ban | total (incl. nft table setup) |',
        '|---:|---:|---:|---:|---:|',
        ...rows,
        '',
        `One \`nft add element\` process per ban instead: ${per.toFixed(1)} ms each (sample of ${sample}), i.e. about ${((per * 10_000) / 1000).toFixed(0)} s for 10,000 bans.`,
        '',
      ].join('\n'),
    )
  } finally {
    execFileSync('ip', ['netns', 'del', NS])
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
