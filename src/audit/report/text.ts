// Text report, Lynis-like: findings grouped by severity with evidence and remediation, then a summary
// with the hardening index. Secrets are masked before they reach here.
import type { AuditResult } from '../run.js'
import { locString, SEVERITIES, type Severity } from '../types.js'

const LABEL: Record<Severity, string> = {
  critical: 'CRITICAL',
  high: 'HIGH',
  medium: 'MEDIUM',
  low: 'LOW',
  info: 'INFO',
}

export function renderText(results: readonly AuditResult[], opts: { verbose?: boolean } = {}): string {
  const out: string[] = []
  for (const r of results) {
    out.push(`sipwarden audit — ${r.pbx} configuration in ${r.dir}`, '')
    const errors = r.diagnostics.filter((d) => d.level === 'error' || (opts.verbose && d.level !== 'info'))
    if (errors.length > 0) {
      out.push('Reader notes:')
      for (const d of errors) out.push(`  [${d.level}] ${d.loc ? `${locString(d.loc)}: ` : ''}${d.message}`)
      out.push('')
    }
    for (const sev of SEVERITIES) {
      const fs = r.findings.filter((f) => f.severity === sev)
      if (fs.length === 0) continue
      out.push(`${LABEL[sev]} (${fs.length})`, '')
      for (const f of fs) {
        out.push(`  [${f.id}] ${f.title}`)
        out.push(`    ${f.message}`)
        for (const e of f.evidence)
          out.push(`    at ${locString(e.loc)}: ${e.excerpt}${e.note ? `  (${e.note})` : ''}`)
        if (f.path && f.path.length > 0) {
          out.push('    path:')
          f.path.forEach((e, i) => {
            out.push(
              `      ${i === 0 ? '  ' : '→ '}${locString(e.loc)}: ${e.excerpt}${e.note ? `  (${e.note})` : ''}`,
            )
          })
        }
        out.push(`    fix: ${f.remediation}`, '')
      }
    }
    const counts = SEVERITIES.map((s) => `${s} ${r.findings.filter((f) => f.severity === s).length}`).join(
      ', ',
    )
    const failed = r.checks.filter((c) => c.status === 'error')
    const skipped = r.checks.filter((c) => c.status === 'skipped')
    out.push('Summary')
    out.push(
      `  checks run:       ${r.checks.length - skipped.length} (${r.checks.filter((c) => c.status === 'ok').length} passed)${r.host ? ', host checks included' : ''}`,
    )
    if (skipped.length > 0) {
      out.push(`  skipped:          ${skipped.length}`)
      for (const c of skipped) out.push(`    ${c.id}: ${c.note ?? 'not applicable'}`)
    }
    out.push(`  findings:         ${r.findings.length} (${counts})`)
    if (r.suppressed.length > 0) out.push(`  accepted (ignore file): ${r.suppressed.length}`)
    if (failed.length > 0)
      out.push(`  check errors:     ${failed.map((c) => `${c.id}: ${c.error}`).join('; ')}`)
    out.push(`  hardening index:  ${r.hardeningIndex} ${bar(r.hardeningIndex)}`, '')
  }
  return `${out.join('\n')}\n`
}

function bar(n: number): string {
  const full = Math.round(n / 5)
  return `[${'#'.repeat(full)}${' '.repeat(20 - full)}]`
}
