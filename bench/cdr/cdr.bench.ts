// CDR analysis benchmark: N synthetic CDRs (the generator of the tests: office-hours traffic of
// many accounts plus one toll-fraud attack) written as an Asterisk Master.csv (18 columns, rows
// in end order as Asterisk writes them, local times), then `sipwarden cdr analyze` on it in a
// child process: import, classification, engine rules, learned patterns. Reports rows/s (by
// wall and by CPU time) and the peak RSS of the child, from its JSON summary: once as is (one
// core) and once with --prefetch (the look-ahead classification worker on a second core); the
// findings of both must be the same.
//
//   node dist/bench/cdr/cdr.bench.js [rows, about; default 1000000] [--keep]
import { spawnSync } from 'node:child_process'
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cdrToAsteriskCsv, syntheticCdrs } from '../../src/cdr/synthetic.js'
import type { Cdr } from '../../src/cdr/types.js'

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js')
const TZ = 'Europe/Berlin'

const args = process.argv.slice(2)
const target = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000)
const keep = args.includes('--keep')
// 5 calls per account and weekday on average: 2000 accounts over 140 days (100 weekdays) ≈ 1M rows
const accounts = Math.max(20, Math.round(target / (5 * 100)))
const days = 140

const dir = mkdtempSync(join(tmpdir(), 'sgw-bench-cdr-'))
const file = join(dir, 'Master.csv')
const policyFile = join(dir, 'policy.yaml')
writeFileSync(
  policyFile,
  `version: 1
upstream: udp:127.0.0.1:5080
site:
  timezone: ${TZ}
fraud:
  defaults:
    callingRights:
      allow: [emergency, internal, toll-free, fixed, mobile, international]
      countries:
        allow: [FR, GB]
tenants:
  - name: bench
    country: DE
`,
)

async function generate(): Promise<number> {
  const out = createWriteStream(file)
  // end order within a sliding window, as Asterisk writes a row when the call ends
  const pending: Cdr[] = []
  let n = 0
  let buf = ''
  const emit = async (c: Cdr) => {
    buf += `${cdrToAsteriskCsv(c, TZ)}\n`
    n++
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()))
      buf = ''
    }
  }
  for (const c of syntheticCdrs({ accounts, days, timeZone: TZ, attackDay: days - 9, seed: 42 })) {
    pending.push(c)
    if (pending.length >= 4096) {
      pending.sort((a, b) => a.end - b.end)
      const cut = pending.findIndex((p) => p.end > c.start)
      for (const p of pending.splice(0, cut < 0 ? pending.length : cut)) await emit(p)
    }
  }
  pending.sort((a, b) => a.end - b.end)
  for (const p of pending) await emit(p)
  out.end(buf)
  await new Promise<void>((r) => out.once('finish', () => r()))
  return n
}

const t0 = Date.now()
const rows = await generate()
process.stderr.write(`generated ${rows} rows (${accounts} accounts, ${days} days) in ${Date.now() - t0} ms\n`)

function analyze(extra: string[]): { findings: string; summary: Record<string, unknown> } | null {
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      'cdr',
      'analyze',
      file,
      '--format',
      'asterisk',
      '--policy',
      policyFile,
      '--json',
      '--no-progress',
      ...extra,
    ],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  )
  const line = r.stderr
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{"summary"'))
  if (line === undefined) {
    process.stderr.write(r.stderr)
    return null
  }
  return { findings: r.stdout, summary: (JSON.parse(line) as { summary: Record<string, unknown> }).summary }
}

const figures = (s: Record<string, unknown>) => ({
  seconds: s['seconds'],
  rowsPerSecond: s['rowsPerSecond'],
  cpuSeconds: s['cpuSeconds'],
  rowsPerCpuSecond: Math.round(Number(s['rows']) / Number(s['cpuSeconds'])),
  peakRssMB: s['peakRssMB'],
})

const one = analyze([])
const two = analyze(['--prefetch'])
if (two === null || one === null) process.exitCode = 1
else {
  const s = one.summary
  const result = {
    rows: s['rows'],
    badLines: s['badLines'],
    findings: s['findings'],
    byRule: s['byRule'],
    sameFindings: two.findings === one.findings,
    oneCore: figures(s),
    withPrefetch: { ...figures(two.summary), prefetched: two.summary['prefetched'] },
    node: process.version,
  }
  if (!result.sameFindings) process.exitCode = 1
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}
if (keep) process.stderr.write(`kept ${dir}\n`)
else rmSync(dir, { recursive: true, force: true })
