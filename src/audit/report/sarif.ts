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
  const message = { text: e.note ? `${e.excerpt} (${e.note})` : e.excerpt }
  // host evidence: the output of a command (`ss -Hltnup`) is no artifact; /proc files are absolute
  if (/\s/.test(e.loc.file)) return { message: { text: `${e.loc.file}: ${message.text}` } }
  const artifactLocation = e.loc.file.startsWith('/')
    ? { uri: `file://${e.loc.file}` }
    : { uri: e.loc.file, uriBaseId: 'CONFIGROOT' }
  return {
    physicalLocation: {
      artifactLocation,
      ...(e.loc.line > 0 ? { region: { startLine: e.loc.line } } : {}),
    },
    message,
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
        rules: checksFor(r.pbx, r.host).map((c) => ({
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
    // checks that could not run here (ss missing, no PBX process…) and checks that failed
    invocations: [
      {
        executionSuccessful: !r.checks.some((c) => c.status === 'error'),
        toolExecutionNotifications: r.checks
          .filter((c) => c.status === 'skipped' || c.status === 'error')
          .map((c) => ({
            descriptor: { id: c.id },
            level: c.status === 'error' ? 'error' : 'note',
            message: { text: c.status === 'error' ? `check failed: ${c.error}` : `skipped: ${c.note}` },
          })),
      },
    ],
  }))
  return `${JSON.stringify({ $schema: 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json', version: '2.1.0', runs }, null, 2)}\n`
}
