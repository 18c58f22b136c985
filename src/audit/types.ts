// Shared types of the configuration auditor: locations, evidence, findings and the check contract.

export type Pbx = 'asterisk' | 'freeswitch' | 'yate'
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info'

export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info']

export function severityRank(s: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(s)
}

/** A position in a configuration file, relative to the audited directory. Line 0 means the whole
 * file (host checks on file modes). Host evidence may name an absolute file (`/proc/…/status`) or
 * a command's output (`ss -Hltnup`). */
export interface Loc {
  readonly file: string
  readonly line: number
  /** include chain that led here, outermost first: the `#include` lines */
  readonly via?: readonly Loc[]
}

/** One piece of evidence: a location and a short excerpt, secrets already masked. */
export interface Evidence {
  readonly loc: Loc
  readonly excerpt: string
  /** why this location matters, e.g. "entry: anonymous endpoint" (reachability paths) */
  readonly note?: string
}

/** What a check returns; the runner adds the check's metadata. */
export interface FindingDraft {
  readonly message: string
  readonly evidence: readonly Evidence[]
  /** overrides the check's base severity (e.g. raised when reachable from an untrusted entry) */
  readonly severity?: Severity
  /** hops from an untrusted entry point to a toll route, when the finding is a graph finding */
  readonly path?: readonly Evidence[]
}

export interface Finding extends FindingDraft {
  readonly id: string
  readonly pbx: Pbx
  readonly severity: Severity
  readonly title: string
  readonly remediation: string
}

export interface Diagnostic {
  readonly level: 'error' | 'warning' | 'info'
  readonly code: string
  readonly message: string
  readonly loc?: Loc
}

export interface Check<C> {
  readonly id: string
  readonly pbx: Pbx
  readonly severity: Severity
  readonly title: string
  readonly rationale: string
  readonly remediation: string
  /** a reason when the check cannot run here (e.g. `ss` missing); the check is then reported skipped */
  skip?(ctx: C): string | undefined
  run(ctx: C): readonly FindingDraft[]
}

export function locString(loc: Loc): string {
  const here = loc.line > 0 ? `${loc.file}:${loc.line}` : loc.file
  if (!loc.via || loc.via.length === 0) return here
  return [...loc.via.map((v) => `${v.file}:${v.line}`), here].join(' → ')
}
