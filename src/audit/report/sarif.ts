// SARIF 2.1.0 for code-scanning tools: one rule per check, one result per finding, the
// reachability path as a code flow, accepted findings as suppressions.

import type { AuditResult } from '../run.js'
import { checksFor } from '../run.js'
import type { Evidence, Finding, Severity } from '../types.js'

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
}
const SCORE: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
}

function location(e: Evidence) {
  return {
    physicalLocation: {
      artifactLocation: { uri: e.loc.file, uriBaseId: 'CONFIGROOT' },
      region: { startLine: Math.max(1, e.loc.line) },
    },
    message: { text: e.note ? `${e.excerpt} (${e.note})` : e.excerpt },
  }
}

function result(f: Finding, suppressed?: string) {
  return {
    ruleId: f.id,
    level: LEVEL[f.severity],
    message: { text: `${f.message}. Fix: ${f.remediation}` },
    locations: f.evidence.slice(0, 1).map(location),
    relatedLocations: f.evidence.slice(1).map((e, i) => ({ id: i + 1, ...location(e) })),
    ...(f.path && f.path.length > 0
      ? { codeFlows: [{ threadFlows: [{ locations: f.path.map((e) => ({ location: location(e) })) }] }] }
      : {}),
    properties: { severity: f.severity, 'security-severity': SCORE[f.severity] },
    ...(suppressed ? { suppressions: [{ kind: 'external', justification: suppressed }] } : {}),
  }
}

export function renderSarif(results: readonly AuditResult[], version: string): string {
  const runs = results.map((r) => ({
    tool: {
      driver: {
        name: 'sipwarden',
        version,
        rules: checksFor(r.pbx).map((c) => ({
          id: c.id,
          name: c.id.replace(/[^A-Za-z0-9]+/g, '-'),
          shortDescription: { text: c.title },
          fullDescription: { text: c.rationale },
          help: { text: c.remediation },
          defaultConfiguration: { level: LEVEL[c.severity] },
          properties: { tags: ['security', r.pbx], 'security-severity': SCORE[c.severity] },
        })),
      },
    },
    originalUriBaseIds: { CONFIGROOT: { uri: `file://${r.dir.endsWith('/') ? r.dir : `${r.dir}/`}` } },
    results: [...r.findings.map((f) => result(f)), ...r.suppressed.map((s) => result(s.finding, s.reason))],
  }))
  return `${JSON.stringify({ $schema: 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json', version: '2.1.0', runs }, null, 2)}\n`
}
