// JSON report: stable field names for scripts and dashboards.
import type { AuditResult } from '../run.js'
import type { Evidence } from '../types.js'

const ev = (e: Evidence) => ({
  file: e.loc.file,
  line: e.loc.line,
  via: e.loc.via?.map((v) => `${v.file}:${v.line}`) ?? [],
  excerpt: e.excerpt,
  note: e.note,
})

export function renderJson(results: readonly AuditResult[], version: string): string {
  return `${JSON.stringify(
    {
      tool: 'sipwarden',
      version,
      audits: results.map((r) => ({
        dir: r.dir,
        pbx: r.pbx,
        hardeningIndex: r.hardeningIndex,
        hostChecks: r.host,
        findings: r.findings.map((f) => ({
          id: f.id,
          severity: f.severity,
          title: f.title,
          message: f.message,
          evidence: f.evidence.map(ev),
          path: f.path?.map(ev),
          remediation: f.remediation,
        })),
        accepted: r.suppressed.map((s) => ({
          id: s.finding.id,
          file: s.finding.evidence[0]?.loc.file,
          line: s.finding.evidence[0]?.loc.line,
          reason: s.reason,
        })),
        checks: r.checks,
        diagnostics: r.diagnostics.map((d) => ({
          level: d.level,
          code: d.code,
          message: d.message,
          file: d.loc?.file,
          line: d.loc?.line,
        })),
      })),
    },
    null,
    2,
  )}\n`
}
