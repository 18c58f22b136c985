// Child processes for bench/gateway: started with a deadline, always killed by pid, and their
// CPU time (utime + stime of the process and all its descendants) read from /proc.
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every Linux architecture we run on). */
const TICKS_PER_SECOND = 100

interface StatLine {
  readonly pid: number
  readonly ppid: number
  /** utime + stime, in ticks */
  readonly ticks: number
}

function readStat(pid: number): StatLine | null {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1')
  } catch {
    return null
  }
  // the command name (field 2) is in parentheses and may hold spaces: split after the last ')'
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const ppid = Number(f[1])
  const ticks = Number(f[11]) + Number(f[12])
  return Number.isFinite(ticks) ? { pid, ppid, ticks } : null
}

/** CPU seconds used so far by `root` and every live descendant (Kamailio's worker processes). */
export function treeCpuSeconds(root: number): number {
  const all: StatLine[] = []
  for (const name of readdirSync('/proc')) {
    const pid = Number(name)
    if (!Number.isInteger(pid) || pid <= 0) continue
    const s = readStat(pid)
    if (s !== null) all.push(s)
  }
  const inTree = new Set([root])
  // parents are listed before children almost always; repeat until no change to be sure
  for (let changed = true; changed;) {
    changed = false
    for (const s of all)
      if (!inTree.has(s.pid) && inTree.has(s.ppid)) {
        inTree.add(s.pid)
        changed = true
      }
  }
  let ticks = 0
  for (const s of all) if (inTree.has(s.pid)) ticks += s.ticks
  return ticks / TICKS_PER_SECOND
}

/** Counts the processes of a tree (root included). */
export function treeSize(root: number): number {
  const all = readdirSync('/proc')
    .map(Number)
    .filter((p) => Number.isInteger(p) && p > 0)
    .map(readStat)
    .filter((s): s is StatLine => s !== null)
  const inTree = new Set([root])
  for (let changed = true; changed;) {
    changed = false
    for (const s of all)
      if (!inTree.has(s.pid) && inTree.has(s.ppid)) {
        inTree.add(s.pid)
        changed = true
      }
  }
  return inTree.size
}

export interface Proc {
  readonly name: string
  readonly child: ChildProcess
  readonly pid: number
  /** stdout + stderr so far (the last 200 KB) */
  output(): string
  /** resolves with the exit code (null when killed by a signal) */
  readonly exited: Promise<number | null>
  /** CPU seconds of this process and its descendants, sampled while it runs (kept after exit) */
  cpuSeconds(): number
}

const live = new Set<Proc>()

/** Starts a child that is killed after `deadlineMs` at the latest, and at exit of this process. */
export function start(
  name: string,
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; deadlineMs: number; sampleCpu?: boolean },
): Proc {
  const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const keep = (b: Buffer) => {
    out += b.toString('latin1')
    if (out.length > 400_000) out = out.slice(-200_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const pid = child.pid ?? -1
  let cpu = 0
  const sample = () => {
    if (pid > 0 && child.exitCode === null) cpu = Math.max(cpu, treeCpuSeconds(pid))
  }
  const sampler = opts.sampleCpu === true ? setInterval(sample, 250) : null
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.deadlineMs)
  killer.unref()
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (err) => {
      out += `\n${err.message}`
      resolve(-1)
    })
    child.on('exit', (code) => resolve(code))
  })
  const p: Proc = {
    name,
    child,
    pid,
    output: () => out,
    exited,
    cpuSeconds: () => {
      sample()
      return cpu
    },
  }
  live.add(p)
  void exited.then(() => {
    clearTimeout(killer)
    if (sampler !== null) clearInterval(sampler)
    live.delete(p)
  })
  return p
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stop(p: Proc, graceMs = 3000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return
  p.child.kill('SIGTERM')
  const t = setTimeout(() => p.child.kill('SIGKILL'), graceMs)
  await p.exited
  clearTimeout(t)
}

export function killAll(): void {
  for (const p of live) p.child.kill('SIGKILL')
}

process.on('exit', killAll)

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
