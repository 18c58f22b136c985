// The audit run: detect the PBX, read its configuration, run its checks, apply the ignore list and
// compute the hardening index (Lynis-like: the share of check weight that passed).
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ErrorCodes, SgwError } from '../errors.js'
import { loadAsterisk } from './asterisk/model.js'
import { asteriskChecks } from './checks/asterisk.js'
import { freeswitchChecks } from './checks/freeswitch.js'
import { hostChecks } from './checks/host.js'
import { yateChecks } from './checks/yate.js'
import { loadFreeswitch } from './freeswitch/model.js'
import { isDir, isFile } from './fsutil.js'
import { type HostOptions, hostContext } from './host/context.js'
import type { IgnoreRule } from './ignore.js'
import { matchIgnore } from './ignore.js'
import type { Check, Diagnostic, Finding, Pbx, Severity } from './types.js'
import { loadYate } from './yate/model.js'

export const AUDIT_ERR_INPUT = ErrorCodes.AUDIT_INPUT

export interface CheckResult {
  readonly id: string
  readonly severity: Severity
  readonly title: string
  readonly status: 'ok' | 'warning' | 'error' | 'skipped'
  readonly findings: number
  readonly error?: string
  /** why a skipped check did not run */
  readonly note?: string
  /** host check (--host) rather than a configuration check */
  readonly host?: boolean
}

export interface AuditResult {
  readonly dir: string
  readonly pbx: Pbx
  readonly findings: Finding[]
  readonly suppressed: Array<{ finding: Finding; reason: string }>
  readonly checks: CheckResult[]
  readonly diagnostics: Diagnostic[]
  readonly hardeningIndex: number
  /** host checks ran (--host) */
  readonly host: boolean
}

const MARKERS: Record<Pbx, readonly string[]> = {
  asterisk: ['asterisk.conf', 'extensions.conf', 'pjsip.conf', 'sip.conf', 'manager.conf', 'modules.conf'],
  freeswitch: ['freeswitch.xml', 'vars.xml', 'autoload_configs', 'sip_profiles'],
  yate: ['yate.conf', 'ysipchan.conf', 'regexroute.conf', 'regfile.conf', 'rmanager.conf', 'extmodule.conf'],
}

export function detectPbx(dir: string): Pbx | undefined {
  let best: Pbx | undefined
  let bestScore = 0
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return undefined
  }
  for (const pbx of Object.keys(MARKERS) as Pbx[]) {
    const score = MARKERS[pbx].filter((m) => names.includes(m)).length
    if (score > bestScore) {
      best = pbx
      bestScore = score
    }
  }
  return best
}

const WEIGHT: Record<Severity, number> = { critical: 10, high: 5, medium: 3, low: 1, info: 0 }

function runChecks<C>(
  checks: readonly Check<C>[],
  ctx: C,
  pbx: Pbx,
  ignore: readonly IgnoreRule[],
  result: AuditResult,
  host = false,
): void {
  for (const c of checks) {
    let drafts: ReturnType<Check<C>['run']>
    try {
      const why = c.skip?.(ctx)
      if (why !== undefined) {
        result.checks.push({
          id: c.id,
          severity: c.severity,
          title: c.title,
          status: 'skipped',
          findings: 0,
          note: why,
          ...(host ? { host } : {}),
        })
        continue
      }
      drafts = c.run(ctx)
    } catch (err) {
      // a broken check must not hide the others; report it as a check error
      result.checks.push({
        id: c.id,
        severity: c.severity,
        title: c.title,
        status: 'error',
        findings: 0,
        error: (err as Error).message,
        ...(host ? { host } : {}),
      })
      continue
    }
    let kept = 0
    for (const d of drafts) {
      const f: Finding = {
        ...d,
        id: c.id,
        pbx,
        severity: d.severity ?? c.severity,
        title: c.title,
        remediation: c.remediation,
      }
      const rule = matchIgnore(ignore, f)
      if (rule) result.suppressed.push({ finding: f, reason: rule.reason })
      else {
        result.findings.push(f)
        kept++
      }
    }
    result.checks.push({
      id: c.id,
      severity: c.severity,
      title: c.title,
      status: kept > 0 ? 'warning' : 'ok',
      findings: kept,
      ...(host ? { host } : {}),
    })
  }
}

/** The checks of a PBX (with the host checks when `host`), for SARIF rules and the docs. */
export function checksFor(pbx: Pbx, host = false): readonly Check<never>[] {
  const base = pbx === 'asterisk' ? asteriskChecks : pbx === 'freeswitch' ? freeswitchChecks : yateChecks
  return [...(base as readonly Check<never>[]), ...(host ? (hostChecks(pbx) as readonly Check<never>[]) : [])]
}

export interface AuditOptions {
  readonly pbx?: Pbx
  readonly ignore?: readonly IgnoreRule[]
  /** run the host checks (file modes, PBX user, listening ports); an object replaces host sources in tests */
  readonly host?: boolean | HostOptions
}

export function audit(dirArg: string, opts: AuditOptions = {}): AuditResult {
  const dir = resolve(dirArg)
  if (!isDir(dir)) {
    throw new SgwError(
      AUDIT_ERR_INPUT,
      isFile(dir) ? `${dirArg} is a file, not a configuration directory` : `${dirArg}: no such directory`,
    )
  }
  const pbx = opts.pbx ?? detectPbx(dir)
  if (!pbx) {
    throw new SgwError(
      AUDIT_ERR_INPUT,
      `${dirArg}: no Asterisk, FreeSWITCH or Yate configuration found (use --pbx to choose)`,
    )
  }
  const result: AuditResult = {
    dir,
    pbx,
    findings: [],
    suppressed: [],
    checks: [],
    diagnostics: [],
    hardeningIndex: 100,
    host: !!opts.host,
  }
  const ignore = opts.ignore ?? []
  const hostOpts: HostOptions | undefined = opts.host ? (opts.host === true ? {} : opts.host) : undefined
  if (pbx === 'asterisk') {
    const m = loadAsterisk(dir)
    result.diagnostics.push(...m.diags)
    runChecks(asteriskChecks, m, pbx, ignore, result)
    if (hostOpts) runChecks(hostChecks(pbx, m), hostContext(pbx, m, hostOpts), pbx, ignore, result, true)
  } else if (pbx === 'freeswitch') {
    const m = loadFreeswitch(dir)
    result.diagnostics.push(...m.diags)
    runChecks(freeswitchChecks, m, pbx, ignore, result)
    if (hostOpts) runChecks(hostChecks(pbx), hostContext(pbx, m, hostOpts), pbx, ignore, result, true)
  } else {
    const m = loadYate(dir)
    result.diagnostics.push(...m.diags)
    runChecks(yateChecks, m, pbx, ignore, result)
    if (hostOpts) runChecks(hostChecks(pbx), hostContext(pbx, m, hostOpts), pbx, ignore, result, true)
  }
  let total = 0
  let passed = 0
  for (const c of result.checks) {
    if (c.status === 'skipped') continue
    total += WEIGHT[c.severity]
    if (c.status === 'ok') passed += WEIGHT[c.severity]
  }
  ;(result as { hardeningIndex: number }).hardeningIndex =
    total === 0 ? 100 : Math.round((100 * passed) / total)
  result.findings.sort((a, b) => SEV_ORDER[a.severity] - SEV_ORDER[b.severity])
  return result
}

const SEV_ORDER: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 }

export function defaultDirs(): string[] {
  return ['/etc/asterisk', '/etc/freeswitch', '/etc/yate'].filter((d) => isDir(d) && isDir(join(d)))
}
