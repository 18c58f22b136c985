// `firewall apply | confirm | rollback`: change the kernel firewall without locking the
// operator out (the iptables-apply idea, without a terminal prompt and without systemd).
//
// apply:    check with the real tool → refuse if the operator's SSH session would be cut →
//           save what is loaded now → load the new ruleset atomically → write pending.json
//           → start a detached `sipwarden firewall rollback --after N --token T` process.
// confirm:  removes pending.json; the waiting process sees that and exits.
// rollback: restores the saved ruleset (now, or from the waiting process at its deadline).
//
// The waiting process and `confirm` race for pending.json by rename/unlink, which are
// atomic: exactly one of them wins, so a confirm that arrives at the deadline either keeps
// the new ruleset or is told that it came too late.
//
// State lives in <site.dataDir>/firewall: previous.json (the ruleset to go back to),
// pending.json (an apply waiting for confirmation), applied.* (what was loaded), and
// rollback.log (what the waiting process did).

import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Policy } from '../config/schema.js'
import { SgwError } from '../errors.js'
import { checkIptables, checkNftables, type FirewallFormat, formatProblems } from './check.js'
import { checkSshSession, type SessionCheck } from './evaluate.js'
import { buildFirewallModel, type FirewallModel } from './model.js'
import { renderIpsetModel, renderIptablesModel } from './render-iptables.js'
import { renderNftablesModel } from './render-nftables.js'
import { FirewallErrorCodes, requireRoot, runTool } from './tools.js'

export const STATE_SUBDIR = 'firewall'
export const DEFAULT_ROLLBACK_SECONDS = 60
export const MIN_ROLLBACK_SECONDS = 5
export const MAX_ROLLBACK_SECONDS = 3600

/** What iptables-restore loads when there was no filter table before: all open. */
const EMPTY_FILTER = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n'

export interface Previous {
  readonly version: 1
  readonly format: FirewallFormat
  readonly savedAt: string
  /** nftables: an `nft -f` script that puts the touched tables back as they were */
  readonly nftScript?: string
  /** iptables: iptables-save / ip6tables-save of the filter tables */
  readonly iptablesV4?: string
  readonly iptablesV6?: string
  /** ipsets that the apply created (destroyed again on rollback) */
  readonly ipsetsCreated?: readonly string[]
}

export interface Pending {
  readonly version: 1
  readonly token: string
  readonly format: FirewallFormat
  readonly appliedAt: string
  readonly deadline: string
  readonly pid?: number
}

export function stateDirOf(policy: Policy): string {
  return join(policy.site.dataDir, STATE_SUBDIR)
}

const file = (dir: string, name: string) => join(dir, name)

/**
 * The state directory holds rulesets that a rollback loads as root: it must belong to us and
 * be writable by nobody else (site.dataDir may belong to the gateway's unprivileged user).
 */
export function assertPrivateStateDir(dir: string): void {
  if (!existsSync(dir)) return
  const st = statSync(dir)
  const uid = process.getuid?.()
  if (uid !== undefined && st.uid !== uid)
    throw new SgwError(
      FirewallErrorCodes.STATE,
      `${dir} belongs to uid ${st.uid}, not to this user (uid ${uid}): the firewall state holds rulesets that ` +
        'rollback loads, so it must belong to root (remove it, or chown it)',
    )
  if ((st.mode & 0o022) !== 0)
    throw new SgwError(
      FirewallErrorCodes.STATE,
      `${dir} is writable by group or others: the firewall state must not be (chmod 700 ${dir})`,
    )
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`
  writeFileSync(tmp, text, { mode: 0o600 })
  renameSync(tmp, path)
}

function readJson<T>(path: string): T | null {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new SgwError(FirewallErrorCodes.STATE, `cannot read ${path}: ${(err as Error).message}`)
  }
  try {
    return JSON.parse(text) as T
  } catch {
    throw new SgwError(FirewallErrorCodes.STATE, `${path} is not valid JSON (remove it if it is a leftover)`)
  }
}

export function readPending(dir: string): Pending | null {
  return readJson<Pending>(file(dir, 'pending.json'))
}

export function readPrevious(dir: string): Previous | null {
  return readJson<Previous>(file(dir, 'previous.json'))
}

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function must(r: { code: number; stderr: string }, what: string): void {
  if (r.code !== 0)
    throw new SgwError(FirewallErrorCodes.APPLY, `${what} failed: ${r.stderr.trim() || `exit ${r.code}`}`)
}

// ---------------------------------------------------------------------------------------
// Saving and restoring

/** An nft script that restores `tables` (family inet) exactly as they are now; a table
 * that does not exist now is deleted by it. */
export function saveNftTables(tables: readonly string[]): string {
  const parts: string[] = []
  for (const t of tables) {
    parts.push(`table inet ${t}`, `delete table inet ${t}`)
    // -s: without counters and other state
    const r = runTool('nft', ['-s', 'list', 'table', 'inet', t])
    if (r.code === 0) parts.push(r.stdout.trimEnd())
    else if (!/No such file or directory/.test(r.stderr)) must(r, `nft list table inet ${t}`)
  }
  return `${parts.join('\n')}\n`
}

function ipsetNames(): string[] {
  const r = runTool('ipset', ['list', '-n'])
  must(r, 'ipset list -n')
  return r.stdout.split('\n').filter((l) => l.trim() !== '')
}

function saveIptables(family: 4 | 6): string {
  const r = runTool(family === 4 ? 'iptables-save' : 'ip6tables-save', ['-t', 'filter'])
  if (r.code !== 0 || !/^\*filter$/m.test(r.stdout)) return EMPTY_FILTER
  return r.stdout
}

/** Puts the saved ruleset back. */
export function restorePrevious(prev: Previous): void {
  if (prev.format === 'nftables') {
    must(runTool('nft', ['-f', '-'], { input: prev.nftScript ?? '' }), 'nft -f (restore)')
    return
  }
  must(
    runTool('iptables-restore', [], { input: prev.iptablesV4 ?? EMPTY_FILTER }),
    'iptables-restore (restore)',
  )
  must(
    runTool('ip6tables-restore', [], { input: prev.iptablesV6 ?? EMPTY_FILTER }),
    'ip6tables-restore (restore)',
  )
  // sets are in use until the rules referencing them are gone; now they are not
  for (const name of prev.ipsetsCreated ?? []) runTool('ipset', ['destroy', name])
}

// ---------------------------------------------------------------------------------------
// apply

export interface ApplyOptions {
  readonly format: FirewallFormat
  readonly stateDir: string
  /** the value of SSH_CONNECTION, if any */
  readonly sshConnection?: string
  /** seconds until the automatic rollback; null: no rollback timer */
  readonly rollbackSeconds: number | null
  /** argv that runs the sipwarden CLI (the rollback process is started with it) */
  readonly cli: readonly string[]
}

export interface ApplyReport {
  readonly session: SessionCheck
  readonly pending: Pending | null
  readonly warnings: readonly string[]
  readonly stalePendingRemoved: boolean
}

export function applyFirewall(policy: Policy, opts: ApplyOptions): ApplyReport {
  requireRoot('firewall apply')
  const model = buildFirewallModel(policy)
  const dir = opts.stateDir
  assertPrivateStateDir(dir)
  mkdirSync(dir, { recursive: true, mode: 0o700 })

  let stalePendingRemoved = false
  const waiting = readPending(dir)
  if (waiting !== null) {
    if (Date.parse(waiting.deadline) > Date.now() || isAlive(waiting.pid))
      throw new SgwError(
        FirewallErrorCodes.STATE,
        `the ruleset applied at ${waiting.appliedAt} still waits for confirmation (until ${waiting.deadline}): ` +
          'run `sipwarden firewall confirm` or `sipwarden firewall rollback` first',
      )
    rmSync(file(dir, 'pending.json'), { force: true })
    stalePendingRemoved = true
  }

  const session = checkSshSession(model, opts.sshConnection)
  if (session.status === 'cut')
    throw new SgwError(FirewallErrorCodes.SSH, `refusing to apply: ${session.reason}`)

  if (opts.format === 'nftables') applyNftables(model, dir)
  else applyIptables(model, dir)

  let pending: Pending | null = null
  if (opts.rollbackSeconds !== null) {
    const now = Date.now()
    const base: Pending = {
      version: 1,
      token: randomUUID(),
      format: opts.format,
      appliedAt: new Date(now).toISOString(),
      deadline: new Date(now + opts.rollbackSeconds * 1000).toISOString(),
    }
    writeAtomic(file(dir, 'pending.json'), `${JSON.stringify(base, null, 2)}\n`)
    const pid = startRollbackProcess(opts.cli, dir, base.token, opts.rollbackSeconds)
    if (pid === undefined) {
      // no timer means no safety net: go back now rather than leave it unguarded
      rmSync(file(dir, 'pending.json'), { force: true })
      const previous = readPrevious(dir)
      if (previous !== null) restorePrevious(previous)
      throw new SgwError(
        FirewallErrorCodes.APPLY,
        `cannot start the rollback process (${opts.cli.join(' ')}): the previous ruleset was restored`,
      )
    }
    pending = { ...base, pid }
    writeAtomic(file(dir, 'pending.json'), `${JSON.stringify(pending, null, 2)}\n`)
  }
  return { session, pending, warnings: model.warnings, stalePendingRemoved }
}

function applyNftables(model: FirewallModel, dir: string): void {
  const rendered = renderNftablesModel(model)
  const check = checkNftables(rendered)
  if (!check.ok)
    throw new SgwError(
      FirewallErrorCodes.CHECK,
      `nft refused the ruleset, nothing was changed:\n${formatProblems(check.problems)}`,
    )
  const previous: Previous = {
    version: 1,
    format: 'nftables',
    savedAt: new Date().toISOString(),
    nftScript: saveNftTables([model.bans.table, model.table]),
  }
  writeAtomic(file(dir, 'previous.json'), `${JSON.stringify(previous, null, 2)}\n`)
  // one transaction: all of it or nothing
  must(runTool('nft', ['-f', '-'], { input: rendered.text }), 'nft -f')
  writeAtomic(file(dir, 'applied.nft'), rendered.text)
}

function applyIptables(model: FirewallModel, dir: string): void {
  const ipset = renderIpsetModel(model)
  const v4 = renderIptablesModel(model, 4)
  const v6 = renderIptablesModel(model, 6)
  const check = checkIptables({ ipset, v4, v6 })
  if (!check.ok)
    throw new SgwError(
      FirewallErrorCodes.CHECK,
      `the ruleset was refused, nothing was changed:\n${formatProblems(check.problems)}`,
    )
  const before = new Set(ipsetNames())
  const ours = [model.bans.ipsetV4, model.bans.ipsetV6]
  const previous: Previous = {
    version: 1,
    format: 'iptables',
    savedAt: new Date().toISOString(),
    iptablesV4: saveIptables(4),
    iptablesV6: saveIptables(6),
    ipsetsCreated: ours.filter((n) => !before.has(n)),
  }
  writeAtomic(file(dir, 'previous.json'), `${JSON.stringify(previous, null, 2)}\n`)
  must(runTool('ipset', ['restore', '-exist'], { input: ipset.text }), 'ipset restore')
  // each family is one atomic commit; if the second fails, the first is put back
  must(runTool('iptables-restore', [], { input: v4.text }), 'iptables-restore')
  const r6 = runTool('ip6tables-restore', [], { input: v6.text })
  if (r6.code !== 0) {
    restorePrevious(previous)
    must(r6, 'ip6tables-restore (the IPv4 rules were put back)')
  }
  writeAtomic(file(dir, 'applied.ipset'), ipset.text)
  writeAtomic(file(dir, 'applied.rules.v4'), v4.text)
  writeAtomic(file(dir, 'applied.rules.v6'), v6.text)
}

function startRollbackProcess(
  cli: readonly string[],
  dir: string,
  token: string,
  seconds: number,
): number | undefined {
  const log = openSync(file(dir, 'rollback.log'), 'a', 0o600)
  try {
    const [program, ...args] = cli
    const child = spawn(
      program!,
      [...args, 'firewall', 'rollback', '--after', String(seconds), '--token', token, '--state-dir', dir],
      { detached: true, stdio: ['ignore', log, log] },
    )
    // a failed spawn leaves pid undefined (the caller restores); the error event must not crash us
    child.on('error', () => {})
    child.unref()
    return child.pid
  } finally {
    closeSync(log)
  }
}

// ---------------------------------------------------------------------------------------
// confirm, rollback

export type ConfirmResult =
  { readonly status: 'confirmed'; readonly pending: Pending } | { readonly status: 'nothing-pending' }

export function confirmFirewall(dir: string): ConfirmResult {
  const pending = readPending(dir)
  try {
    rmSync(file(dir, 'pending.json'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'nothing-pending' }
    throw new SgwError(
      FirewallErrorCodes.STATE,
      `cannot remove ${file(dir, 'pending.json')}: ${(err as Error).message}`,
    )
  }
  return pending === null ? { status: 'nothing-pending' } : { status: 'confirmed', pending }
}

export type RollbackResult =
  | { readonly status: 'rolled-back'; readonly previous: Previous }
  | { readonly status: 'confirmed' }
  | { readonly status: 'nothing-saved' }

/** Restores the saved ruleset now. */
export function rollbackFirewall(dir: string): RollbackResult {
  requireRoot('firewall rollback')
  assertPrivateStateDir(dir)
  const previous = readPrevious(dir)
  if (previous === null) return { status: 'nothing-saved' }
  restorePrevious(previous)
  rmSync(file(dir, 'pending.json'), { force: true })
  return { status: 'rolled-back', previous }
}

/**
 * The waiting process: polls pending.json until the deadline; gone or another token means
 * confirmed (or superseded). At the deadline it claims pending.json by renaming it and
 * restores the saved ruleset.
 */
export async function rollbackAfter(dir: string, token: string, seconds: number): Promise<RollbackResult> {
  const deadline = Date.now() + seconds * 1000
  for (;;) {
    const p = readPending(dir)
    if (p === null || p.token !== token) return { status: 'confirmed' }
    const left = deadline - Date.now()
    if (left <= 0) break
    await sleep(Math.min(250, left))
  }
  const claimed = file(dir, `pending.rollback-${process.pid}.json`)
  try {
    renameSync(file(dir, 'pending.json'), claimed)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'confirmed' }
    throw err
  }
  try {
    const p = readJson<Pending>(claimed)
    if (p === null || p.token !== token) {
      renameSync(claimed, file(dir, 'pending.json'))
      return { status: 'confirmed' }
    }
    assertPrivateStateDir(dir)
    const previous = readPrevious(dir)
    if (previous === null) return { status: 'nothing-saved' }
    restorePrevious(previous)
    return { status: 'rolled-back', previous }
  } finally {
    rmSync(claimed, { force: true })
  }
}
