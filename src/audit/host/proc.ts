// PBX processes from /proc: `comm` names the program, `status` has the Uid: line
// (real, effective, saved set, filesystem uid).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface ProcFact {
  readonly pid: number
  readonly name: string
  readonly realUid: number
  readonly effectiveUid: number
  /** `/proc/<pid>/status` as shown in evidence (always the logical path) */
  readonly statusFile: string
  readonly uidLine: number
  readonly uidText: string
}

/** Processes whose comm is one of `names`. `procRoot` is `/proc` unless a test passes a fake tree. */
export function findProcesses(names: readonly string[], procRoot = '/proc'): ProcFact[] {
  let entries: string[]
  try {
    entries = readdirSync(procRoot)
  } catch {
    return []
  }
  const out: ProcFact[] = []
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue
    let comm: string
    let status: string
    try {
      comm = readFileSync(join(procRoot, e, 'comm'), 'utf8').trim()
      if (!names.includes(comm)) continue
      status = readFileSync(join(procRoot, e, 'status'), 'utf8')
    } catch {
      continue // the process exited while we looked
    }
    const lines = status.split('\n')
    const idx = lines.findIndex((l) => l.startsWith('Uid:'))
    if (idx === -1) continue
    const ids = lines[idx]!.slice(4).trim().split(/\s+/).map(Number)
    if (ids.length < 2 || ids.some((n) => !Number.isInteger(n))) continue
    out.push({
      pid: Number(e),
      name: comm,
      realUid: ids[0]!,
      effectiveUid: ids[1]!,
      statusFile: `/proc/${e}/status`,
      uidLine: idx + 1,
      uidText: lines[idx]!.replace(/\s+/g, ' ').trim(),
    })
  }
  return out.sort((a, b) => a.pid - b.pid)
}
