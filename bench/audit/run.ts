// Auditor benchmark (issue 6): generate an Asterisk configuration with 10,000 PJSIP endpoints and a
// 5,000-line dialplan, then time `sipwarden audit` on it as a user runs it: a fresh `node` process
// each run (start-up, reading, checks, JSON report). Reports the median wall time, CPU time and peak
// RSS over the runs, and an in-process breakdown (reading vs. each check). Never a pass/fail test.
//   node dist/bench/audit/run.js [--endpoints N] [--lines L] [--runs R] [--dir DIR] [--keep]
//                                [--json] [--write-doc]
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os, { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadAsterisk } from '../../src/audit/asterisk/model.js'
import { asteriskChecks } from '../../src/audit/checks/asterisk.js'
import { DEFAULTS, type Generated, generate } from './generate.js'

const here = dirname(fileURLToPath(import.meta.url))
const CLI = resolve(here, '../../src/cli/main.js')
const HOOK = resolve(here, 'rss-hook.js')
export const GOAL_SECONDS = 2
export const DOC_TITLE = '## Config auditor (bench/audit)'

export interface RunFigures {
  readonly seconds: number
  readonly cpuSeconds: number
  readonly maxRssMB: number
}

export interface AuditBenchReport {
  readonly date: string
  readonly node: string
  readonly cpu: string
  readonly cores: number
  readonly loadAverage: number
  readonly generated: Generated
  readonly runs: RunFigures[]
  readonly findings: Record<string, number>
  readonly readMs: number
  readonly checksMs: number
  readonly slowest: Array<{ id: string; ms: number }>
}

function childRun(dir: string): Promise<RunFigures & { stdout: string }> {
  return new Promise((res, rej) => {
    const t0 = performance.now()
    const child = spawn(
      process.execPath,
      ['--import', HOOK, CLI, 'audit', dir, '--pbx', 'asterisk', '--format', 'json', '--fail-on', 'none'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', rej)
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000
      const stderr = Buffer.concat(err).toString('utf8')
      const m = /SIPWARDEN_BENCH (\{.*\})/.exec(stderr)
      if (code !== 0 || !m)
        return rej(new Error(`sipwarden audit failed (${code}): ${stderr.slice(0, 2000)}`))
      const f = JSON.parse(m[1]!) as { maxRssKB: number; cpuMs: number }
      res({
        seconds,
        cpuSeconds: f.cpuMs / 1000,
        maxRssMB: f.maxRssKB / 1024,
        stdout: Buffer.concat(out).toString('utf8'),
      })
    })
  })
}

function breakdown(dir: string): Pick<AuditBenchReport, 'readMs' | 'checksMs' | 'slowest'> {
  const t0 = performance.now()
  const m = loadAsterisk(dir)
  const readMs = performance.now() - t0
  const times: Array<{ id: string; ms: number }> = []
  for (const c of asteriskChecks) {
    const t = performance.now()
    c.run(m)
    times.push({ id: c.id, ms: performance.now() - t })
  }
  times.sort((a, b) => b.ms - a.ms)
  return { readMs, checksMs: times.reduce((s, x) => s + x.ms, 0), slowest: times.slice(0, 5) }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

export async function runBench(opts: {
  endpoints: number
  lines: number
  runs: number
  dir?: string
}): Promise<AuditBenchReport> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'sipwarden-bench-audit-'))
  const generated = generate(dir, {
    endpoints: opts.endpoints,
    dialplanLines: opts.lines,
    seed: DEFAULTS.seed,
  })
  const runs: RunFigures[] = []
  let findings: Record<string, number> = {}
  for (let i = 0; i < opts.runs; i++) {
    const r = await childRun(dir)
    runs.push({ seconds: r.seconds, cpuSeconds: r.cpuSeconds, maxRssMB: r.maxRssMB })
    process.stderr.write(
      `run ${i + 1}/${opts.runs}: ${r.seconds.toFixed(2)} s, ${r.maxRssMB.toFixed(0)} MB\n`,
    )
    if (i === 0) {
      const audits = (JSON.parse(r.stdout) as { audits: Array<{ findings: Array<{ id: string }> }> }).audits
      findings = {}
      for (const f of audits[0]!.findings) findings[f.id] = (findings[f.id] ?? 0) + 1
    }
  }
  const cpus = os.cpus()
  return {
    date: new Date().toISOString().slice(0, 10),
    node: process.version,
    cpu: cpus[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU',
    cores: cpus.length,
    loadAverage: os.loadavg()[0]!,
    generated,
    runs,
    findings,
    ...breakdown(dir),
  }
}

export function renderDocSection(r: AuditBenchReport): string {
  const g = r.generated
  const sec = r.runs.map((x) => x.seconds)
  const wall = median(sec)
  const cpu = median(r.runs.map((x) => x.cpuSeconds))
  const rss = Math.max(...r.runs.map((x) => x.maxRssMB))
  const total = Object.values(r.findings).reduce((a, b) => a + b, 0)
  const met = wall < GOAL_SECONDS
  return [
    DOC_TITLE,
    '',
    '<!-- Written by `node dist/bench/audit/run.js --write-doc`. Edit bench/audit/run.ts, not this section. -->',
    '',
    'Wall time of `sipwarden audit DIR --format json` on a generated Asterisk configuration, as a user runs ' +
      'it: a fresh `node` process per run (start-up, reading every file, all checks, the JSON report).',
    '',
    `Run of ${r.date}: Node ${r.node}, ${r.cpu} (${r.cores} cores), ${process.platform}-${process.arch}; ` +
      `${r.runs.length} runs, median shown; load average ${r.loadAverage.toFixed(1)} at the end` +
      (r.loadAverage > r.cores
        ? ' (more runnable processes than cores: the wall time includes waiting for a CPU; CPU time is the steadier figure).'
        : '.'),
    '',
    '| configuration | wall time (median) | min – max | CPU time (median) | peak RSS | findings |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| ${g.endpoints.toLocaleString('en')} PJSIP endpoints, ${g.dialplanLines.toLocaleString('en')}-line dialplan | ` +
      `${wall.toFixed(2)} s | ${Math.min(...sec).toFixed(2)} – ${Math.max(...sec).toFixed(2)} s | ` +
      `${cpu.toFixed(2)} s | ${rss.toFixed(0)} MB | ${total} |`,
    '',
    `Goal (issue 6): audited in under ${GOAL_SECONDS} s: **${met ? 'met' : 'missed'}** (${wall.toFixed(2)} s).`,
    '',
    '### Where the time goes (one in-process run)',
    '',
    `Reading and modelling the configuration: ${r.readMs.toFixed(0)} ms; all ${asteriskChecks.length} checks: ` +
      `${r.checksMs.toFixed(0)} ms. Slowest checks:`,
    '',
    '| check | ms |',
    '| --- | ---: |',
    ...r.slowest.map((s) => `| \`${s.id}\` | ${s.ms.toFixed(0)} |`),
    '',
    ...(r.slowest[0]?.id === 'ast.pjsip.weak-password' && r.slowest[0].ms > r.checksMs / 2
      ? [
          `\`ast.pjsip.weak-password\` runs the shared password-strength function (\`src/passwd/strength.ts\`) ` +
            `on each of the ${(g.endpoints + 5).toLocaleString('en')} passwords; most of its time is the keyboard-walk test.`,
          '',
        ]
      : []),
    '### The configuration',
    '',
    `Generated by \`bench/audit/generate.ts\` (seed ${DEFAULTS.seed}): ${g.files} files, ` +
      `${(g.pjsipLines + g.dialplanLines + g.otherLines).toLocaleString('en')} lines.`,
    '',
    `- \`pjsip.conf\` + \`pjsip.d/*.conf\` (glob \`#include\`), ${g.pjsipLines.toLocaleString('en')} lines: ` +
      `${g.endpoints.toLocaleString('en')} phones, each an endpoint, an auth and an aor built from templates; ` +
      '5 IP trunks with identify, outbound auth and registration. 1 % of the phone passwords are weak on purpose.',
    `- \`extensions.conf\` + \`extensions.d/*.conf\`, exactly ${g.dialplanLines.toLocaleString('en')} lines, ` +
      `${g.contexts} contexts: 40 department contexts with \`include =>\`, 50 IVR menus, a DID context that ` +
      '`Goto()`s phones, `Gosub`/`Macro` subroutines, `GotoIfTime`, national, international and premium routes; ' +
      'one IVR option drops PSTN callers into a department that reaches the international route.',
    `- \`voicemail.conf\` (one mailbox per phone), \`manager.conf\`, \`logger.conf\`, \`rtp.conf\`, ` +
      `\`asterisk.conf\`, \`modules.conf\`: ${g.otherLines.toLocaleString('en')} lines.`,
    '',
    `Findings of the run: ${Object.entries(r.findings)
      .map(([id, n]) => `\`${id}\` ${n}`)
      .join(', ')}.`,
    '',
    'Reproduce: `npx tsc -p . && node dist/bench/audit/run.js` (`--runs N`, `--endpoints N`, `--lines N`, ' +
      '`--json`, `--keep` to keep the generated directory, `--write-doc` to rewrite this section).',
    '',
  ].join('\n')
}

/** Replace this benchmark's section of docs/benchmarks.md (up to the next `## `), or append it. */
export function updateDoc(existing: string | undefined, section: string): string {
  const text = existing ?? '# Benchmarks\n'
  const start = text.indexOf(`${DOC_TITLE}\n`)
  if (start === -1) return `${text.replace(/\n*$/, '\n\n')}${section}`
  const next = text.indexOf('\n## ', start + DOC_TITLE.length)
  return `${text.slice(0, start)}${section}${next === -1 ? '' : `\n${text.slice(next + 1)}`}`
}

function repoRoot(): string {
  let dir = here
  for (;;) {
    const pj = join(dir, 'package.json')
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'sipwarden')
      return dir
    const up = dirname(dir)
    if (up === dir) throw new Error('cannot find the sipwarden package root')
    dir = up
  }
}

function num(flag: string, def: number): number {
  const i = process.argv.indexOf(flag)
  if (i === -1) return def
  const n = Number(process.argv[i + 1])
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} needs a positive integer`)
  return n
}

async function main(): Promise<void> {
  const dirArg = process.argv.indexOf('--dir')
  const dir = dirArg === -1 ? undefined : process.argv[dirArg + 1]
  const report = await runBench({
    endpoints: num('--endpoints', DEFAULTS.endpoints),
    lines: num('--lines', DEFAULTS.dialplanLines),
    runs: num('--runs', 5),
    dir,
  })
  if (!dir && !process.argv.includes('--keep')) rmSync(report.generated.dir, { recursive: true, force: true })
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  else process.stdout.write(renderDocSection(report))
  if (process.argv.includes('--write-doc')) {
    const file = join(repoRoot(), 'docs', 'benchmarks.md')
    writeFileSync(
      file,
      updateDoc(existsSync(file) ? readFileSync(file, 'utf8') : undefined, renderDocSection(report)),
    )
    process.stderr.write(`wrote ${file}\n`)
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`)
    process.exitCode = 1
  })
}
