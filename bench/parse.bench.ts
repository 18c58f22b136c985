// bench/parse: messages per second of sipwarden's SIP parser against the fastest SIP parsers on
// npm, in one run, on one core, on the same mix of messages (bench/parse/mix.ts).
//
//   npm run bench:parse                      full run (< 2 minutes)
//   npm run bench:parse -- --quick           a few seconds, rough figures
//   npm run bench:parse -- --json            the report as JSON on stdout
//   npm run bench:parse -- --write-doc       also rewrite the "SIP parser" section of docs/benchmarks.md
//   --only sipwarden-lazy,sip.js             run some cases only
//   --rounds N --round-ms MS --warmup-ms MS --mix-size N
//   --in-process                             all cases in this process (for profiling with --cpu-prof)
//
// Each case runs in a child process of its own (a fresh V8 heap and JIT, so no case pays for the
// garbage or the polymorphic call sites another left behind). Only one of them works at a time,
// so one core, and their timed rounds are interleaved (see runIsolated), so a burst of other work
// on the machine lowers every parser alike. Wall-clock msgs/s is reported with msgs per CPU-second
// of the worker beside it: on a busy machine only the first drops.
// Before timing, every message of the mix goes through the case once and the fields it returns
// are compared with the ones the mix was generated with; in the timed loop a checksum of those
// fields is compared after every round. A parser that does not parse cannot post a figure.

import { type ChildProcess, fork } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import {
  buildMix,
  DEFAULT_MIX_SIZE,
  MIX_DESCRIPTIONS,
  MIX_WEIGHTS,
  type MixKind,
  type MixMessage,
  type Routing,
  routingChecksum,
} from './parse/mix.js'
import { type ParserCase, PEER_CASES } from './parse/peers.js'

export interface BenchOptions {
  readonly quick: boolean
  /** timed rounds per case; the median is reported */
  readonly rounds: number
  /** target length of one round; the message count per round is fixed from the warm-up rate */
  readonly roundMs: number
  readonly warmupMs: number
  readonly mixSize: number
  /** case ids to run; all when empty */
  readonly only: readonly string[]
  readonly inProcess: boolean
  /** fixed message count per round, instead of calibrating on roundMs (tests) */
  readonly count?: number
}

export const FULL_OPTIONS: BenchOptions = {
  quick: false,
  rounds: 15,
  roundMs: 300,
  warmupMs: 1000,
  mixSize: DEFAULT_MIX_SIZE,
  only: [],
  inProcess: false,
}

export const QUICK_OPTIONS: BenchOptions = {
  ...FULL_OPTIONS,
  quick: true,
  rounds: 3,
  roundMs: 100,
  warmupMs: 200,
}

export interface Mismatch {
  readonly index: number
  readonly kind: MixKind
  readonly problem: string
}

export interface Verification {
  /** messages of the mix checked */
  readonly checked: number
  /** messages whose every routing field matched */
  readonly correct: number
  /** the first few mismatches */
  readonly mismatches: readonly Mismatch[]
}

export interface CaseResult {
  readonly id: string
  readonly label: string
  readonly pkg: string
  readonly ours: boolean
  readonly does: string
  readonly verification: Verification
  /** set when the case could not run or did not parse; no figures then */
  readonly error?: string
  readonly messagesPerRound?: number
  readonly rounds?: number
  /** median over rounds */
  readonly msgsPerSec?: number
  /**
   * median over rounds of messages per CPU-second of the worker process (process.cpuUsage):
   * equal to msgsPerSec on an idle machine, and unlike it not lowered by other work on the core
   */
  readonly cpuMsgsPerSec?: number
  readonly mbPerSec?: number
  readonly minMsgsPerSec?: number
  readonly maxMsgsPerSec?: number
}

export interface BenchReport {
  readonly date: string
  readonly node: string
  readonly cpu: string
  readonly cores: number
  readonly platform: string
  /** 1-minute load average when the run started and ended: other work on the machine */
  readonly loadAverage: { readonly start: number; readonly end: number }
  /** scheduling niceness the run had (e.g. -10 under `nice -n -10` on a shared machine) */
  readonly niceness: number
  readonly options: BenchOptions
  readonly mix: {
    readonly size: number
    readonly bytes: number
    readonly kinds: readonly {
      kind: MixKind
      weight: number
      count: number
      avgBytes: number
      description: string
    }[]
  }
  readonly cases: readonly CaseResult[]
  /** fastest npm parser (by msgs/s), if any ran */
  readonly bestPeer?: string
  /** the issue's goals, judged on wall-clock msgs/s and on msgs per CPU-second */
  readonly goals?: { readonly wall: GoalCheck; readonly cpu: GoalCheck }
}

export interface GoalCheck {
  readonly lazyMsgsPerSec: number
  readonly lazyAtLeast300k: boolean
  /** fastest npm parser on this measure */
  readonly bestPeer: string
  readonly lazyVsBestPeer: number
  readonly lazyAtLeast3xBestPeer: boolean
  readonly fullVsBestPeer?: number
}

export const GOAL_MSGS_PER_SEC = 300_000
export const GOAL_RATIO = 3

/** Our cases, or the reason they cannot run (the parser is missing or does not load). */
async function loadOurCases(): Promise<{ cases: readonly ParserCase[]; error?: string }> {
  try {
    const mod = await import('./parse/ours.js')
    return { cases: mod.OUR_CASES }
  } catch (err) {
    return { cases: [], error: errorText(err) }
  }
}

/** An error's message, with this machine's paths made relative to the repository (it may go in the doc). */
function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  let root: string
  try {
    root = repoRoot()
  } catch {
    return text
  }
  return text
    .split(pathToFileURL(root).href + '/')
    .join('')
    .split(root + '/')
    .join('')
}

export const OUR_CASE_IDS = ['sipwarden-lazy', 'sipwarden-full'] as const

/** Every case: ours first (when the parser loads), then the npm parsers. */
export async function allCases(): Promise<{ cases: readonly ParserCase[]; oursError?: string }> {
  const ours = await loadOurCases()
  const out: { cases: readonly ParserCase[]; oursError?: string } = { cases: [...ours.cases, ...PEER_CASES] }
  if (ours.error !== undefined) out.oursError = ours.error
  return out
}

export function verify(c: ParserCase, mix: readonly MixMessage[]): Verification {
  const mismatches: Mismatch[] = []
  let correct = 0
  mix.forEach((m, index) => {
    let problem = ''
    try {
      const got = c.route(m.buf)
      const bad: string[] = []
      for (const k of Object.keys(m.expected) as (keyof Routing)[]) {
        if (got[k] !== m.expected[k])
          bad.push(`${k}: got ${JSON.stringify(got[k])}, expected ${JSON.stringify(m.expected[k])}`)
      }
      problem = bad.join('; ')
    } catch (err) {
      problem = `threw: ${errorText(err)}`
    }
    if (problem === '') correct++
    else if (mismatches.length < 5) mismatches.push({ index, kind: m.kind, problem })
  })
  return { checked: mix.length, correct, mismatches }
}

/**
 * One timed round: `count` messages, walking the mix circularly from `start`. Kept small and
 * monomorphic: in its own process it only ever sees one parser.
 */
function timedRound(route: ParserCase['route'], bufs: readonly Buffer[], start: number, count: number) {
  let sum = 0
  let i = start
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (let n = 0; n < count; n++) {
    sum += routingChecksum(route(bufs[i]!))
    if (++i === bufs.length) i = 0
  }
  const ns = process.hrtime.bigint() - t0
  const cpu = process.cpuUsage(cpu0)
  return { ns: Number(ns), cpuUs: cpu.user + cpu.system, sum }
}

/** Expected checksum of `count` messages from `start`, circularly; prefix[k] = sum of the first k. */
function expectedSum(prefix: readonly number[], start: number, count: number): number {
  const len = prefix.length - 1
  const whole = Math.floor(count / len)
  const rest = count % len
  const end = start + rest
  const part = end <= len ? prefix[end]! - prefix[start]! : prefix[len]! - prefix[start]! + prefix[end - len]!
  return whole * prefix[len]! + part
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/**
 * One case, ready to time: the mix built and verified, rounds walking it circularly from where
 * the previous one stopped. A worker process holds exactly one.
 */
class CaseRunner {
  readonly verification: Verification
  readonly bytesPerMessage: number
  readonly #route: ParserCase['route']
  readonly #bufs: readonly Buffer[]
  readonly #prefix: readonly number[]
  readonly #roundMs: number
  #at = 0
  #count = 0

  constructor(c: ParserCase, opts: BenchOptions) {
    const mix = buildMix(opts.mixSize)
    this.#roundMs = opts.roundMs
    this.#route = c.route
    this.#bufs = mix.map((m) => m.buf)
    this.bytesPerMessage = this.#bufs.reduce((n, b) => n + b.length, 0) / mix.length
    const prefix = [0]
    for (const m of mix) prefix.push(prefix[prefix.length - 1]! + routingChecksum(m.expected))
    this.#prefix = prefix
    this.verification = verify(c, mix)
  }

  get verified(): boolean {
    return this.verification.correct === this.verification.checked
  }

  get count(): number {
    return this.#count
  }

  /** Warm-up until `ms` is spent; its rate fixes the message count of every round. */
  warmUp(ms: number, count: number | undefined): number {
    const chunk = Math.min(this.#bufs.length, 100)
    let msgs = 0
    let ns = 0
    while (ns < ms * 1e6) {
      ns += timedRound(this.#route, this.#bufs, this.#at, chunk).ns
      msgs += chunk
      this.#at = (this.#at + chunk) % this.#bufs.length
    }
    const rate = ns > 0 ? msgs / (ns / 1e9) : 0
    this.#count = count ?? Math.max(chunk, Math.round((rate * this.#roundMs) / 1000))
    return this.#count
  }

  /** One timed round: msgs/s, or an error when the checksum shows the parser did not parse. */
  round(): RoundResult | { error: string } {
    const { ns, cpuUs, sum } = timedRound(this.#route, this.#bufs, this.#at, this.#count)
    const want = expectedSum(this.#prefix, this.#at, this.#count)
    this.#at = (this.#at + this.#count) % this.#bufs.length
    if (sum !== want) return { error: 'checksum mismatch in a timed round: the parser did not parse' }
    return { msgsPerSec: this.#count / (ns / 1e9), cpuMsgsPerSec: this.#count / (Math.max(cpuUs, 1) / 1e6) }
  }
}

interface RoundResult {
  readonly msgsPerSec: number
  readonly cpuMsgsPerSec: number
}

type CaseBase = Pick<CaseResult, 'id' | 'label' | 'pkg' | 'ours' | 'does'>

function baseOf(c: ParserCase): CaseBase {
  return { id: c.id, label: c.label, pkg: c.pkg, ours: c.ours, does: c.does }
}

function verificationError(v: Verification): string {
  return `wrong routing fields for ${v.checked - v.correct} of ${v.checked} messages`
}

function summarize(
  base: CaseBase,
  verification: Verification,
  count: number,
  perRound: readonly RoundResult[],
  bytesPerMessage: number,
): CaseResult {
  const wall = perRound.map((r) => r.msgsPerSec)
  const msgsPerSec = median(wall)
  return {
    ...base,
    verification,
    messagesPerRound: count,
    rounds: perRound.length,
    msgsPerSec,
    cpuMsgsPerSec: median(perRound.map((r) => r.cpuMsgsPerSec)),
    mbPerSec: (msgsPerSec * bytesPerMessage) / 1e6,
    minMsgsPerSec: Math.min(...wall),
    maxMsgsPerSec: Math.max(...wall),
  }
}

/** A whole case in this process: verify, warm up, time every round. */
export function runCase(c: ParserCase, opts: BenchOptions): CaseResult {
  const runner = new CaseRunner(c, opts)
  if (!runner.verified)
    return { ...baseOf(c), verification: runner.verification, error: verificationError(runner.verification) }
  const count = runner.warmUp(opts.warmupMs, opts.count)
  const perRound: RoundResult[] = []
  for (let r = 0; r < opts.rounds; r++) {
    const res = runner.round()
    if ('error' in res) return { ...baseOf(c), verification: runner.verification, error: res.error }
    perRound.push(res)
  }
  return summarize(baseOf(c), runner.verification, count, perRound, runner.bytesPerMessage)
}

function failed(c: CaseBase, error: string, verification?: Verification): CaseResult {
  return { ...c, verification: verification ?? { checked: 0, correct: 0, mismatches: [] }, error }
}

const SELF = fileURLToPath(import.meta.url)

// --- worker processes -------------------------------------------------------------------
// The parent starts one worker per case (all verify their mix at once), warms them up one after
// the other, then runs round 1 of every case, round 2 of every case, … one process at a time,
// so a burst of load on the machine hits every parser alike instead of one of them.

type ToWorker = { type: 'warmup' } | { type: 'round' } | { type: 'exit' }
type FromWorker =
  | { type: 'ready'; verification: Verification; bytesPerMessage: number; error?: string }
  | { type: 'warmed'; count: number }
  | { type: 'round'; msgsPerSec?: number; cpuMsgsPerSec?: number; error?: string }

class Worker {
  readonly ready: Promise<Extract<FromWorker, { type: 'ready' }>>
  readonly #child: ChildProcess
  #pending: ((m: FromWorker) => void) | undefined
  #exited: string | undefined

  constructor(id: string, opts: BenchOptions) {
    this.#child = fork(SELF, ['--worker', id, '--worker-options', JSON.stringify(opts)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.ready = new Promise((resolve) => {
      this.#pending = (m) =>
        resolve(
          m.type === 'ready'
            ? m
            : { type: 'ready', verification: NO_CHECK, bytesPerMessage: 0, error: `unexpected ${m.type}` },
        )
    })
    this.#child.on('message', (m) => {
      const p = this.#pending
      this.#pending = undefined
      p?.(m as FromWorker)
    })
    const gone = (why: string) => {
      this.#exited ??= why
      const p = this.#pending
      this.#pending = undefined
      p?.({ type: 'ready', verification: NO_CHECK, bytesPerMessage: 0, error: why })
    }
    this.#child.on('error', (err) => gone(`worker: ${errorText(err)}`))
    this.#child.on('exit', (code, signal) => gone(`worker exited with ${signal ?? `code ${code}`}`))
  }

  /** Sends one command and waits for its answer (one at a time). */
  request(m: ToWorker): Promise<FromWorker> {
    if (this.#exited !== undefined) return Promise.resolve({ type: 'round', error: this.#exited })
    return new Promise((resolve) => {
      this.#pending = (r) =>
        resolve(r.type === 'ready' && r.error !== undefined ? { type: 'round', error: r.error } : r)
      this.#child.send(m)
    })
  }

  close(): Promise<void> {
    if (this.#exited !== undefined) return Promise.resolve()
    return new Promise((resolve) => {
      this.#child.once('exit', () => resolve())
      this.#child.send({ type: 'exit' } satisfies ToWorker)
    })
  }
}

const NO_CHECK: Verification = { checked: 0, correct: 0, mismatches: [] }

async function runIsolated(
  cases: readonly ParserCase[],
  opts: BenchOptions,
  log: (l: string) => void,
): Promise<CaseResult[]> {
  const workers = cases.map((c) => new Worker(c.id, opts))
  const ready = await Promise.all(workers.map((w) => w.ready))
  const results: (CaseResult | undefined)[] = cases.map((c, i) => {
    const r = ready[i]!
    if (r.error !== undefined) return failed(baseOf(c), r.error, r.verification)
    if (r.verification.correct !== r.verification.checked)
      return failed(baseOf(c), verificationError(r.verification), r.verification)
    return undefined
  })
  const counts: number[] = []
  for (let i = 0; i < cases.length; i++) {
    if (results[i] !== undefined) continue
    log(`${cases[i]!.id}: verified, warming up…`)
    const w = await workers[i]!.request({ type: 'warmup' })
    if (w.type === 'warmed') counts[i] = w.count
    else
      results[i] = failed(
        baseOf(cases[i]!),
        w.type === 'round' ? (w.error ?? 'warm-up failed') : 'warm-up failed',
      )
  }
  const perRound: RoundResult[][] = cases.map(() => [])
  for (let r = 0; r < opts.rounds; r++) {
    log(`round ${r + 1}/${opts.rounds}`)
    // rotate the order every round: no case always runs first, or right after the same one
    for (let k = 0; k < cases.length; k++) {
      const i = (k + r) % cases.length
      if (results[i] !== undefined) continue
      const res = await workers[i]!.request({ type: 'round' })
      if (res.type === 'round' && res.msgsPerSec !== undefined && res.cpuMsgsPerSec !== undefined)
        perRound[i]!.push({ msgsPerSec: res.msgsPerSec, cpuMsgsPerSec: res.cpuMsgsPerSec })
      else
        results[i] = failed(
          baseOf(cases[i]!),
          res.type === 'round' ? (res.error ?? 'no result') : 'no result',
        )
    }
  }
  await Promise.all(workers.map((w) => w.close()))
  return cases.map(
    (c, i) =>
      results[i] ??
      summarize(baseOf(c), ready[i]!.verification, counts[i]!, perRound[i]!, ready[i]!.bytesPerMessage),
  )
}

async function workerMain(id: string, opts: BenchOptions): Promise<void> {
  const send = (m: FromWorker) => new Promise<void>((resolve) => process.send!(m, () => resolve()))
  const { cases, oursError } = await allCases()
  const c = cases.find((x) => x.id === id)
  if (c === undefined) {
    await send({
      type: 'ready',
      verification: NO_CHECK,
      bytesPerMessage: 0,
      error: oursError ?? `no case ${id}`,
    })
    process.disconnect()
    return
  }
  const runner = new CaseRunner(c, opts)
  process.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'warmup':
        void send({ type: 'warmed', count: runner.warmUp(opts.warmupMs, opts.count) })
        break
      case 'round': {
        const r = runner.round()
        void send({ type: 'round', ...r })
        break
      }
      case 'exit':
        process.disconnect()
        break
    }
  })
  await send({ type: 'ready', verification: runner.verification, bytesPerMessage: runner.bytesPerMessage })
}

function mixSummary(size: number): BenchReport['mix'] {
  const mix = buildMix(size)
  const kinds = (Object.keys(MIX_WEIGHTS) as MixKind[]).map((kind) => {
    const of = mix.filter((m) => m.kind === kind)
    const b = of.reduce((n, m) => n + m.buf.length, 0)
    return {
      kind,
      weight: MIX_WEIGHTS[kind],
      count: of.length,
      avgBytes: of.length ? Math.round(b / of.length) : 0,
      description: MIX_DESCRIPTIONS[kind],
    }
  })
  return { size: mix.length, bytes: mix.reduce((n, m) => n + m.buf.length, 0), kinds }
}

export async function runBench(
  opts: BenchOptions,
  log: (line: string) => void = () => {},
): Promise<BenchReport> {
  const loadStart = os.loadavg()[0] ?? 0
  const { cases: all, oursError } = await allCases()
  const wanted = (id: string) => opts.only.length === 0 || opts.only.includes(id)
  const results: CaseResult[] = []
  if (oursError !== undefined) {
    for (const id of OUR_CASE_IDS) {
      if (!wanted(id)) continue
      results.push(
        failed({ id, label: id, pkg: 'sipwarden', ours: true, does: '' }, `parser unavailable: ${oursError}`),
      )
      log(`${id}: parser unavailable: ${oursError}`)
    }
  }
  const chosen = all.filter((c) => wanted(c.id))
  if (opts.inProcess) {
    for (const c of chosen) {
      log(`${c.id}: running…`)
      results.push(runCase(c, opts))
    }
  } else results.push(...(await runIsolated(chosen, opts, log)))
  for (const r of results) log(`${r.id}: ${r.error ?? `${fmtInt(r.msgsPerSec!)} msgs/s`}`)
  const cpus = os.cpus()
  const report: {
    -readonly [K in keyof BenchReport]: BenchReport[K]
  } = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus[0]?.model.trim() || 'unknown',
    cores: cpus.length,
    platform: `${process.platform}-${process.arch}`,
    loadAverage: { start: loadStart, end: os.loadavg()[0] ?? 0 },
    niceness: os.getPriority(),
    options: opts,
    mix: mixSummary(opts.mixSize),
    cases: results,
  }
  const check = (rate: (r: CaseResult) => number | undefined): GoalCheck | undefined => {
    const peers = results.filter((r) => !r.ours && rate(r) !== undefined)
    const best = peers.reduce<CaseResult | undefined>(
      (b, r) => (b === undefined || rate(r)! > rate(b)! ? r : b),
      undefined,
    )
    const lazy = results.find((r) => r.id === 'sipwarden-lazy' && rate(r) !== undefined)
    const full = results.find((r) => r.id === 'sipwarden-full' && rate(r) !== undefined)
    if (best === undefined || lazy === undefined) return undefined
    const ratio = rate(lazy)! / rate(best)!
    return {
      lazyMsgsPerSec: rate(lazy)!,
      lazyAtLeast300k: rate(lazy)! >= GOAL_MSGS_PER_SEC,
      bestPeer: best.id,
      lazyVsBestPeer: ratio,
      lazyAtLeast3xBestPeer: ratio >= GOAL_RATIO,
      ...(full ? { fullVsBestPeer: rate(full)! / rate(best)! } : {}),
    }
  }
  const best = results
    .filter((r) => !r.ours && r.msgsPerSec !== undefined)
    .reduce<CaseResult | undefined>(
      (b, r) => (b === undefined || r.msgsPerSec! > b.msgsPerSec! ? r : b),
      undefined,
    )
  if (best) report.bestPeer = best.id
  const wall = check((r) => r.msgsPerSec)
  const cpu = check((r) => r.cpuMsgsPerSec)
  if (wall && cpu) report.goals = { wall, cpu }
  return report
}

// --- output ---------------------------------------------------------------------------------

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

function fmtRatio(n: number): string {
  return `${n >= 10 ? n.toFixed(0) : n.toFixed(2)}×`
}

function tableRows(report: BenchReport, noteWidth = Number.POSITIVE_INFINITY): string[][] {
  const clip = (t: string) => (t.length > noteWidth ? `${t.slice(0, noteWidth - 1)}…` : t)
  const best = report.cases.find((c) => c.id === report.bestPeer)
  return report.cases.map((c) => [
    c.label,
    c.pkg,
    c.msgsPerSec !== undefined ? fmtInt(c.msgsPerSec) : '—',
    c.mbPerSec !== undefined ? c.mbPerSec.toFixed(1) : '—',
    c.cpuMsgsPerSec !== undefined ? fmtInt(c.cpuMsgsPerSec) : '—',
    c.msgsPerSec !== undefined && best?.msgsPerSec ? fmtRatio(c.msgsPerSec / best.msgsPerSec) : '—',
    c.minMsgsPerSec !== undefined && c.maxMsgsPerSec !== undefined
      ? `${fmtInt(c.minMsgsPerSec)}–${fmtInt(c.maxMsgsPerSec)}`
      : '—',
    clip(c.error ?? `${c.verification.correct}/${c.verification.checked}`),
  ])
}

const HEAD = [
  'parser',
  'package',
  'msgs/s (median)',
  'MB/s',
  'msgs/CPU-s',
  'vs best peer',
  'rounds min–max',
  'fields correct',
]

export function renderText(report: BenchReport): string {
  const rows = [HEAD, ...tableRows(report, 60)]
  const widths = HEAD.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  const line = (r: string[]) =>
    r.map((cell, i) => (i >= 2 && i <= 6 ? cell.padStart : cell.padEnd).call(cell, widths[i]!)).join('  ')
  const out = [
    `bench/parse — ${report.date} — node ${report.node} — ${report.cpu} (${report.cores} cores), one core used`,
    `mix: ${report.mix.size} messages, ${fmtInt(report.mix.bytes / report.mix.size)} bytes on average; ` +
      `${report.options.rounds} rounds per case${report.options.quick ? ' (quick)' : ''}; ` +
      `load average ${report.loadAverage.start.toFixed(2)} → ${report.loadAverage.end.toFixed(2)}`,
    '',
    line(rows[0]!),
    ...rows.slice(1).map(line),
  ]
  if (report.goals) out.push('', ...goalLines(report.goals))
  return out.join('\n')
}

function goalLines(goals: NonNullable<BenchReport['goals']>): string[] {
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED')
  const line = (what: string, unit: string, g: GoalCheck) =>
    `goals on ${what}: lazy ≥ ${fmtInt(GOAL_MSGS_PER_SEC)} ${unit} — ${verdict(g.lazyAtLeast300k)} ` +
    `(${fmtInt(g.lazyMsgsPerSec)}); lazy ≥ ${GOAL_RATIO}× the best npm parser (${g.bestPeer}) — ` +
    `${verdict(g.lazyAtLeast3xBestPeer)} (${fmtRatio(g.lazyVsBestPeer)})` +
    (g.fullVsBestPeer !== undefined ? `; full path ${fmtRatio(g.fullVsBestPeer)}` : '')
  return [line('wall clock', 'msgs/s', goals.wall), line('CPU time', 'msgs per CPU-second', goals.cpu)]
}

export const DOC_SECTION_TITLE = '## SIP parser (bench/parse)'

const DOC_HEADER = `# Benchmarks

Figures from the benchmarks under \`bench/\`. Each section belongs to one benchmark, which
rewrites it with \`--write-doc\`; edit the benchmark, not the section. A section's figures come
from one run on the machine it names and compare only with each other.
`

export function renderDocSection(report: BenchReport): string {
  const rows = tableRows(report)
  const md = (r: readonly string[]) => `| ${r.join(' | ')} |`
  const o = report.options
  const lines = [
    DOC_SECTION_TITLE,
    '',
    '<!-- Written by `npm run bench:parse -- --write-doc`. Edit bench/parse.bench.ts, not this section. -->',
    '',
    `Messages per second of sipwarden's parser (\`src/sip/parse.ts\`) and of the fastest SIP parsers on npm, ` +
      'parsing the same messages in the same run, on one core.',
    '',
    `Run of ${report.date.slice(0, 10)}: Node ${report.node}, ${report.cpu} (${report.cores} cores, one used), ` +
      `${report.platform}; ${o.rounds} timed rounds of about ${o.roundMs} ms per parser after ${o.warmupMs} ms of ` +
      `warm-up, median shown${o.quick ? ' (quick run: rough figures)' : ''}. 1-minute load average ` +
      `${report.loadAverage.start.toFixed(2)} at the start, ${report.loadAverage.end.toFixed(2)} at the end ` +
      '(other work on the machine; rounds are interleaved across parsers, so load lowers every row alike, ' +
      'but the absolute figures with it)' +
      (report.niceness !== 0
        ? `; run at niceness ${report.niceness} to keep that other work off the core`
        : '') +
      '.',
    '',
    md([
      'parser',
      'package',
      'msgs/s',
      'MB/s',
      'msgs per CPU-second',
      'vs best peer (msgs/s)',
      'rounds min–max msgs/s',
      'routing fields correct',
    ]),
    md(['---', '---', '---:', '---:', '---:', '---:', '---:', '---']),
    ...rows.map(md),
    '',
  ]
  if (report.goals) lines.push(...goalLines(report.goals).map((l) => `- ${l}`), '')
  lines.push(
    '### What each row measures',
    '',
    'Every row starts from the datagram as a UDP socket hands it over (a `Buffer`) and ends with the ' +
      'fields a gateway routes on: method or status, top Via branch, Call-ID, CSeq number, From tag. The ' +
      'npm parsers take strings, so their decoding is inside the timed loop, as it is in a real server.',
    '',
    ...report.cases.map((c) => `- **${c.label}**: ${c.does}.`),
    '',
    '### The mix',
    '',
    `${report.mix.size} messages (${fmtInt(report.mix.bytes)} bytes), generated from a fixed seed by ` +
      '`bench/parse/mix.ts`, shuffled; every message has its own Call-ID, tags and branches, and phone-like ' +
      'values (Yealink, Poly, Grandstream, snom and Cisco User-Agents and id formats).',
    '',
    md(['message', 'share', 'count', 'avg bytes', 'what it is']),
    md(['---', '---:', '---:', '---:', '---']),
    ...report.mix.kinds.map((k) =>
      md([k.kind, `${(k.weight * 100).toFixed(1)}%`, String(k.count), String(k.avgBytes), k.description]),
    ),
    '',
    '### Method',
    '',
    '- Each parser runs in a child process of its own (a fresh heap and JIT, no call site shared with ' +
      'another parser). Only one process works at a time, so one core: all verify, then each warms up in ' +
      'turn, then round 1 of every parser, round 2 of every parser, … in an order rotated every round.',
    '- Before timing, every message goes through the parser once and each routing field is compared with ' +
      'the value the message was generated with; a parser that gets any wrong posts no figure.',
    '- Warm-up runs until the warm-up time is spent; its rate fixes the message count of every round ' +
      '(about one round length of work; rounds walk the mix circularly). Rounds are timed with ' +
      '`process.hrtime.bigint()`; a checksum of the returned fields is compared with the expected one after ' +
      'each round.',
    '- msgs/s is wall-clock time (`process.hrtime.bigint()`), as the issue asks. msgs per CPU-second divides ' +
      "the same message count by the worker process's CPU time in the round (`process.cpuUsage()`, so it " +
      "includes V8's helper threads): on an idle machine the two agree; on a busy one only the first drops.",
    '- MB/s counts message bytes (headers and body). Garbage collection is part of the cost and is not forced.',
    '- Reproduce: `npm run bench:parse` (about a minute on an idle machine), `-- --quick` for a few seconds, ' +
      '`-- --json` for the raw report. Profile one case: `npm run build && node --cpu-prof ' +
      'dist/bench/parse.bench.js --only sipwarden-lazy --in-process`.',
    '',
  )
  return lines.join('\n')
}

/** Replaces (or appends) the SIP parser section, keeping every other section as it is. */
export function updateDoc(existing: string | undefined, section: string): string {
  if (existing === undefined || existing.trim() === '') return `${DOC_HEADER}\n${section}`
  const lines = existing.split('\n')
  const start = lines.findIndex((l) => l.trim() === DOC_SECTION_TITLE)
  if (start < 0) return `${existing.replace(/\n*$/, '\n')}\n${section}`
  let end = lines.findIndex((l, i) => i > start && /^## /.test(l))
  if (end < 0) end = lines.length
  const before = lines.slice(0, start).join('\n')
  const after = lines.slice(end).join('\n')
  return `${before}${before ? '\n' : ''}${section}${after ? `\n${after}` : ''}`.replace(/\n*$/, '\n')
}

/** The repository root: the nearest folder above this file with the project's package.json. */
function repoRoot(): string {
  let dir = dirname(SELF)
  for (;;) {
    const pj = join(dir, 'package.json')
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'sipwarden')
      return dir
    const up = dirname(dir)
    if (up === dir) throw new Error('cannot find the sipwarden package root')
    dir = up
  }
}

export function writeDoc(report: BenchReport): string {
  const file = join(repoRoot(), 'docs', 'benchmarks.md')
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : undefined
  writeFileSync(file, updateDoc(existing, renderDocSection(report)))
  return file
}

// --- command line ---------------------------------------------------------------------------

export function parseArgs(argv: readonly string[]): {
  opts: BenchOptions
  json: boolean
  writeDoc: boolean
  worker?: string
} {
  const quick = argv.includes('--quick')
  let opts: BenchOptions = quick ? QUICK_OPTIONS : FULL_OPTIONS
  let json = false
  let doc = false
  let worker: string | undefined
  const num = (i: number, flag: string): number => {
    const v = Number(argv[i])
    if (!Number.isFinite(v) || v < 0) throw new Error(`${flag} needs a number`)
    return v
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    switch (a) {
      case '--quick':
        break
      case '--json':
        json = true
        break
      case '--write-doc':
        doc = true
        break
      case '--in-process':
        opts = { ...opts, inProcess: true }
        break
      case '--rounds':
        opts = { ...opts, rounds: Math.max(1, Math.round(num(++i, a))) }
        break
      case '--round-ms':
        opts = { ...opts, roundMs: num(++i, a) }
        break
      case '--warmup-ms':
        opts = { ...opts, warmupMs: num(++i, a) }
        break
      case '--mix-size':
        opts = { ...opts, mixSize: Math.max(5, Math.round(num(++i, a))) }
        break
      case '--only':
        opts = { ...opts, only: (argv[++i] ?? '').split(',').filter(Boolean) }
        break
      case '--worker':
        worker = argv[++i]
        break
      case '--worker-options':
        opts = JSON.parse(argv[++i] ?? '{}') as BenchOptions
        break
      default:
        throw new Error(`unknown option ${a}`)
    }
  }
  return worker === undefined ? { opts, json, writeDoc: doc } : { opts, json, writeDoc: doc, worker }
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv)
  if (args.worker !== undefined) {
    await workerMain(args.worker, args.opts)
    return 0
  }
  const log = (l: string) => process.stderr.write(`${l}\n`)
  const report = await runBench(args.opts, args.json ? () => {} : log)
  if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  else process.stdout.write(`\n${renderText(report)}\n`)
  if (args.writeDoc) log(`wrote ${writeDoc(report)}`)
  const broken = report.cases.filter((c) => c.error !== undefined)
  for (const c of broken) {
    log(`${c.id}: ${c.error}`)
    for (const m of c.verification.mismatches) log(`  message ${m.index} (${m.kind}): ${m.problem}`)
  }
  return broken.length > 0 ? 1 : 0
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      process.stderr.write(
        `bench/parse: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      )
      process.exitCode = 2
    },
  )
}
