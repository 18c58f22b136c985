// Log watcher vs fail2ban, in one run, on the same generated file:
//   node dist/bench/logwatch/run.js [--lines N] [--dir DIR] [--no-fail2ban] [--keep]
// 1. generate N lines (default 1,000,000) of realistic Asterisk log with known attackers;
// 2. time `sipwarden watch --replay FILE --format asterisk --json` (peak RSS from the child);
// 3. time `fail2ban-regex -o row FILE <asterisk filter>` with fail2ban's own filter, and apply the
//    Debian [asterisk] jail to its matches (maxretry 10 within findtime 10 min) to get its bans;
// 4. compare lines/s and the attacker addresses each finds against the generator's ground truth.
// Prints a Markdown table. Never a pass/fail timing test.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os, { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generate, type Truth } from './generate.js'

const here = dirname(fileURLToPath(import.meta.url))
const CLI = resolve(here, '../../src/cli/main.js')
const F2B_FILTERS = ['/etc/fail2ban/filter.d/asterisk.conf']

interface Timed {
  stdout: string
  stderr: string
  seconds: number
  /** user + system CPU seconds of the child (from GNU time), NaN when unavailable */
  cpu: number
  /** peak RSS of the child in MB (from GNU time), NaN when unavailable */
  rssMB: number
  code: number
}

const GNU_TIME = '/usr/bin/time'

async function run(cmd: string, args: string[], timeoutMs: number): Promise<Timed> {
  const useTime = existsSync(GNU_TIME)
  const timeFile = join(tmpdir(), `sipwarden-bench-time-${process.pid}-${Date.now()}`)
  const r = await spawnTimed(
    useTime ? GNU_TIME : cmd,
    useTime ? ['-o', timeFile, '-f', '%U %S %M', cmd, ...args] : args,
    timeoutMs,
  )
  let cpu = Number.NaN
  let rssMB = Number.NaN
  if (useTime) {
    const t = (await readFile(timeFile, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number)
    cpu = t[0]! + t[1]!
    rssMB = t[2]! / 1024
    await rm(timeFile, { force: true })
  }
  return { ...r, cpu, rssMB }
}

function spawnTimed(cmd: string, args: string[], timeoutMs: number): Promise<Omit<Timed, 'cpu' | 'rssMB'>> {
  return new Promise((res, rej) => {
    const t0 = performance.now()
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC' } })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', rej)
    child.on('close', (code) => {
      clearTimeout(timer)
      res({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        seconds: (performance.now() - t0) / 1000,
        code: code ?? -1,
      })
    })
  })
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : process.argv[i + 1]
}

interface Detection {
  found: Set<string>
  caught: number
  missedTypes: Map<string, number>
  falsePositives: string[]
}

function score(found: Set<string>, truth: Truth): Detection {
  const missedTypes = new Map<string, number>()
  let caught = 0
  for (const a of truth.attackers) {
    if (found.has(a.ip)) caught++
    else missedTypes.set(a.type, (missedTypes.get(a.type) ?? 0) + 1)
  }
  const innocent = new Set([...truth.legit, ...truth.victims])
  const falsePositives = [...found].filter((ip) => innocent.has(ip))
  return { found, caught, missedTypes, falsePositives }
}

/** The Debian [asterisk] jail over fail2ban-regex matches: maxretry 10 within findtime 600 s. */
function jail(rows: Map<string, number[]>, maxretry = 10, findtime = 600): Set<string> {
  const banned = new Set<string>()
  for (const [ip, times] of rows) {
    times.sort((a, b) => a - b)
    for (let i = maxretry - 1; i < times.length; i++) {
      if (times[i]! - times[i - maxretry + 1]! <= findtime) {
        banned.add(ip)
        break
      }
    }
  }
  return banned
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

async function main(): Promise<void> {
  const lines = Number(arg('--lines') ?? 1_000_000)
  const dir = arg('--dir') ?? (await mkdtemp(join(tmpdir(), 'sipwarden-bench-')))
  const file = join(dir, `asterisk-${lines}.log`)
  process.stderr.write(`generating ${fmt(lines)} lines in ${file} …\n`)
  const truth = await generate(file, lines)

  process.stderr.write('sipwarden watch --replay …\n')
  const sw = await run(
    process.execPath,
    [CLI, 'watch', '--replay', file, '--format', 'asterisk', '--json'],
    600_000,
  )
  if (sw.code !== 0) throw new Error(`sipwarden failed (${sw.code}): ${sw.stderr}`)
  const summaryLine = sw.stderr.trim().split('\n').pop() ?? '{}'
  const swBans = new Set(
    sw.stdout
      .trim()
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => (JSON.parse(l) as { ip: string }).ip),
  )
  const swScore = score(swBans, truth)

  const filter = F2B_FILTERS.find((f) => existsSync(f))
  let f2b: {
    seconds: number
    cpu: number
    rssMB: number
    matched: Set<string>
    jailed: Detection
    matchedScore: Detection
  } | null = null
  if (process.argv.includes('--no-fail2ban') || filter === undefined) {
    process.stderr.write('fail2ban-regex skipped (not installed or --no-fail2ban)\n')
  } else {
    process.stderr.write(`fail2ban-regex -o row … ${filter} (about 30 s per million lines)\n`)
    const r = await run('fail2ban-regex', ['-o', 'row', file, filter], 3_600_000)
    if (r.code !== 0) throw new Error(`fail2ban-regex failed (${r.code}): ${r.stderr.slice(0, 2000)}`)
    const rows = new Map<string, number[]>()
    for (const m of r.stdout.matchAll(/^\['([^']+)',\s*([\d.]+),/gm)) {
      const list = rows.get(m[1]!)
      if (list === undefined) rows.set(m[1]!, [Number(m[2])])
      else list.push(Number(m[2]))
    }
    const matched = new Set(rows.keys())
    f2b = {
      seconds: r.seconds,
      cpu: r.cpu,
      rssMB: r.rssMB,
      matched,
      jailed: score(jail(rows), truth),
      matchedScore: score(matched, truth),
    }
  }

  const total = truth.attackers.length
  const swLps = lines / sw.seconds
  const out: string[] = []
  out.push(
    `Input: ${fmt(lines)} lines of generated Asterisk log (one day, ${total} attackers of ${new Set(truth.attackers.map((a) => a.type)).size} kinds, 200 legitimate users, ${truth.victims.length} injection victims).`,
  )
  out.push('')
  const swCpuLps = lines / sw.cpu
  out.push(
    '| | wall time | CPU time | lines/s (wall) | lines/s (CPU) | attackers banned | innocents banned | peak RSS |',
  )
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|')
  out.push(
    `| sipwarden watch --replay | ${sw.seconds.toFixed(2)} s | ${sw.cpu.toFixed(2)} s | ${fmt(swLps)} | ${fmt(swCpuLps)} | ${swScore.caught}/${total} | ${swScore.falsePositives.length} | ${fmt(sw.rssMB)} MB |`,
  )
  if (f2b !== null) {
    const lps = lines / f2b.seconds
    const cpuLps = lines / f2b.cpu
    out.push(
      `| fail2ban-regex + [asterisk] jail (10 in 10 min) | ${f2b.seconds.toFixed(2)} s | ${f2b.cpu.toFixed(2)} s | ${fmt(lps)} | ${fmt(cpuLps)} | ${f2b.jailed.caught}/${total} | ${f2b.jailed.falsePositives.length} | ${fmt(f2b.rssMB)} MB |`,
    )
    out.push(
      `| (fail2ban-regex, addresses with any matched line, no jail) | | | | | ${f2b.matchedScore.caught}/${total} | ${f2b.matchedScore.falsePositives.length} | |`,
    )
    out.push('')
    out.push(
      `Speed-up: ${(swLps / lps).toFixed(1)}× fail2ban's lines/s by wall time, ${(swCpuLps / cpuLps).toFixed(1)}× by CPU time (whole processes, start-up included).`,
    )
    const missed = [...f2b.jailed.missedTypes].map(([t, n]) => `${t} ×${n}`).join(', ')
    out.push(`fail2ban missed: ${missed || 'none'}.`)
  }
  const swMissed = [...swScore.missedTypes].map(([t, n]) => `${t} ×${n}`).join(', ')
  out.push(
    `sipwarden missed: ${swMissed || 'none'}; sipwarden summary: ${summaryLine.replace(/"file":"[^"]*",/, '')}`,
  )
  process.stdout.write(`${out.join('\n')}\n`)
  if (process.argv.includes('--write-doc')) await writeDoc(out, lines, truth)
  if (!process.argv.includes('--keep') && arg('--dir') === undefined)
    await rm(dir, { recursive: true, force: true })
  else process.stderr.write(`kept ${file}\n`)
}

const DOC = resolve(here, '../../../docs/benchmarks.md')
const HEADER = '## Log watcher vs fail2ban (bench/logwatch)'

/** Rewrite this benchmark's section of docs/benchmarks.md (other sections, and the `###`
 * subsections of this one, are left alone). */
async function writeDoc(table: string[], lines: number, truth: Truth): Promise<void> {
  const cpu = os.cpus()
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')
  const section = [
    HEADER,
    '',
    '<!-- Written by `node dist/bench/logwatch/run.js --write-doc`, up to the first ### subsection (kept as written). Edit bench/logwatch/run.ts, not this part. -->',
    '',
    `Run of ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpu[0]?.model.trim() ?? 'unknown CPU'} (${cpu.length} cores), ${process.platform}-${process.arch}; load average at the end ${load}. The machine was shared: wall times vary with load, CPU times (user + system, from GNU time) much less, so both are shown.`,
    '',
    ...table,
    '',
    'Method: `bench/logwatch/generate.ts` writes the log from a fixed seed: ordinary traffic (dialplan, ringing, registrations, qualify, bridges, RTP warnings, SuccessfulAuth and ChallengeSent security events), legitimate users who mistype a password about twice a day, and attackers of 15 kinds (chan_sip and PJSIP brute force and enumeration, PJSIP rate-limited notices, INVITE scans in the chan_sip and the PJSIP session format, security-log events, IAX2, AMI, a slow brute force at about one attempt per 45 s, IPv6, and two injection attacks that write a victim address into the From display name or the SessionID). sipwarden runs `watch --replay FILE --format asterisk --json` with its default rules. fail2ban runs `fail2ban-regex -o row FILE /etc/fail2ban/filter.d/asterisk.conf` (Debian package, its own filter); its matches are then put through the Debian `[asterisk]` jail (maxretry 10 within findtime 10 min) to decide bans. Both are timed as whole processes, start-up included. "innocents banned" counts legitimate users and injection victims.',
    `Ground truth: ${truth.attackers.length} attackers in ${fmtInt(lines)} lines; the generator records every address it used.`,
    '',
  ].join('\n')
  let doc = existsSync(DOC) ? await readFile(DOC, 'utf8') : '# Benchmarks\n'
  const at = doc.indexOf(HEADER)
  if (at === -1) doc = `${doc.trimEnd()}\n\n${section}`
  else {
    const next = doc.indexOf('\n## ', at + HEADER.length)
    const end = next === -1 ? doc.length : next + 1
    // hand-written `###` subsections of this section (restore figures, notes) are kept
    const sub = doc.indexOf('\n### ', at + HEADER.length)
    const kept = sub !== -1 && sub < end ? `\n${doc.slice(sub + 1, end).trimEnd()}\n\n` : ''
    doc = doc.slice(0, at) + section + kept + doc.slice(end)
  }
  await writeFile(DOC, doc.endsWith('\n') ? doc : `${doc}\n`)
  process.stderr.write(`wrote ${DOC}\n`)
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US')
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
