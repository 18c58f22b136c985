// Self-contained HTML report: one file, inline CSS, no scripts, fonts or images, readable offline
// and safe to attach to a ticket. Findings are grouped by severity with evidence, reachability path
// and remediation; then accepted findings, skipped checks, reader notes and the list of checks.
// Every piece of text goes through esc(): configuration values are attacker-influenced (a SIP
// peer name or a context can hold markup). Secrets are masked before they reach here.
import type { AuditResult, CheckResult } from '../run.js'
import { type Evidence, type Finding, locString, SEVERITIES, type Severity } from '../types.js'

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escape text for HTML element content and double- or single-quoted attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

const LABEL: Record<Severity, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  info: 'Info',
}

const CSS = `
:root{--bg:#fff;--fg:#1d2329;--muted:#5b6670;--line:#d9dee3;--card:#f6f8fa;--code:#eef1f4;
--critical:#a4161a;--high:#d9480f;--medium:#b08800;--low:#1c7ed6;--info:#5b6670;--ok:#2b8a3e}
@media (prefers-color-scheme:dark){:root{--bg:#14171a;--fg:#e6e9ec;--muted:#9aa5b1;--line:#2e353c;
--card:#1b2025;--code:#232a31;--critical:#ff6b6b;--high:#ff922b;--medium:#fcc419;--low:#74c0fc;--info:#adb5bd;--ok:#69db7c}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1100px;padding:24px;background:var(--bg);color:var(--fg);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.3em;margin:32px 0 8px;border-bottom:2px solid var(--line);padding-bottom:4px}
h3{font-size:1.1em;margin:24px 0 8px}h4{font-size:1em;margin:0 0 6px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
code{background:var(--code);padding:1px 4px;border-radius:3px;word-break:break-all}
.muted{color:var(--muted)}
.summary{display:flex;flex-wrap:wrap;gap:16px;align-items:center;background:var(--card);border:1px solid var(--line);
border-radius:6px;padding:12px 16px}
.index{font-size:2em;font-weight:700}
meter{width:220px;height:16px}
.badge{display:inline-block;min-width:5.5em;text-align:center;border-radius:3px;padding:0 6px;color:#fff;
font-size:.8em;font-weight:700;text-transform:uppercase;vertical-align:middle}
.b-critical{background:var(--critical)}.b-high{background:var(--high)}.b-medium{background:var(--medium);color:#000}
.b-low{background:var(--low)}.b-info{background:var(--info)}.b-ok{background:var(--ok)}.b-skipped{background:var(--muted)}
.b-error{background:var(--critical)}.b-warning{background:var(--high)}
.counts a{margin-right:10px;text-decoration:none;color:inherit}
.finding{border:1px solid var(--line);border-left:6px solid var(--info);border-radius:6px;padding:10px 14px;margin:10px 0;
background:var(--card)}
.f-critical{border-left-color:var(--critical)}.f-high{border-left-color:var(--high)}
.f-medium{border-left-color:var(--medium)}.f-low{border-left-color:var(--low)}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{font-weight:600;color:var(--muted)}
td.loc{white-space:nowrap}
ol.path{margin:6px 0;padding-left:1.6em}ol.path li{margin:2px 0}
.note{color:var(--muted);font-style:italic}
.fix{margin:8px 0 0}
details{margin:8px 0}summary{cursor:pointer;font-weight:600}
footer{margin-top:40px;color:var(--muted);font-size:.85em}
@media print{body{max-width:none;padding:0}.finding{break-inside:avoid}}
`

function loc(e: Evidence): string {
  return `<code>${esc(locString(e.loc))}</code>`
}

function evidenceTable(evidence: readonly Evidence[]): string {
  const rows = evidence
    .map(
      (e) =>
        `<tr><td class="loc">${loc(e)}</td><td><code>${esc(e.excerpt)}</code>${
          e.note ? ` <span class="note">${esc(e.note)}</span>` : ''
        }</td></tr>`,
    )
    .join('')
  return `<table class="evidence"><thead><tr><th>location</th><th>evidence</th></tr></thead><tbody>${rows}</tbody></table>`
}

function pathList(path: readonly Evidence[]): string {
  const items = path
    .map(
      (e) =>
        `<li>${loc(e)} <code>${esc(e.excerpt)}</code>${e.note ? ` <span class="note">${esc(e.note)}</span>` : ''}</li>`,
    )
    .join('')
  return `<p><strong>Path from an untrusted entry point:</strong></p><ol class="path">${items}</ol>`
}

function finding(f: Finding): string {
  return [
    `<article class="finding f-${f.severity}">`,
    `<h4><span class="badge b-${f.severity}">${LABEL[f.severity]}</span> <code>${esc(f.id)}</code> ${esc(f.title)}</h4>`,
    `<p>${esc(f.message)}</p>`,
    evidenceTable(f.evidence),
    f.path && f.path.length > 0 ? pathList(f.path) : '',
    `<p class="fix"><strong>Fix:</strong> ${esc(f.remediation)}</p>`,
    '</article>',
  ].join('\n')
}

function statusBadge(c: CheckResult): string {
  const cls = c.status === 'warning' ? 'warning' : c.status
  const text = c.status === 'warning' ? `${c.findings} finding${c.findings === 1 ? '' : 's'}` : c.status
  return `<span class="badge b-${cls}">${esc(text)}</span>`
}

function auditSection(r: AuditResult, n: number): string {
  const a = `a${n}`
  const out: string[] = []
  const counts = SEVERITIES.map((s) => [s, r.findings.filter((f) => f.severity === s).length] as const)
  const skipped = r.checks.filter((c) => c.status === 'skipped')
  const errors = r.checks.filter((c) => c.status === 'error')
  const run = r.checks.length - skipped.length
  const passed = r.checks.filter((c) => c.status === 'ok').length
  out.push(`<section id="${a}">`)
  out.push(`<h2>${esc(r.pbx)} configuration in <code>${esc(r.dir)}</code></h2>`)
  out.push('<div class="summary">')
  out.push(
    `<div><div class="muted">hardening index</div><div class="index">${r.hardeningIndex}</div>` +
      `<meter min="0" max="100" low="50" high="80" optimum="100" value="${r.hardeningIndex}">${r.hardeningIndex}/100</meter></div>`,
  )
  out.push(
    `<div><div class="muted">findings</div><div class="counts">${counts
      .map(([s, c]) => `<a href="#${a}-${s}"><span class="badge b-${s}">${LABEL[s]}</span> ${c}</a>`)
      .join('')}</div></div>`,
  )
  out.push(
    `<div><div class="muted">checks</div>${run} run, ${passed} passed${
      skipped.length > 0 ? `, ${skipped.length} skipped` : ''
    }${errors.length > 0 ? `, ${errors.length} failed to run` : ''}${r.host ? ' (host checks included)' : ''}</div>`,
  )
  out.push('</div>')
  const readerErrors = r.diagnostics.filter((d) => d.level === 'error')
  if (readerErrors.length > 0) {
    out.push('<h3>Reader errors</h3><ul>')
    for (const d of readerErrors)
      out.push(`<li>${d.loc ? `<code>${esc(locString(d.loc))}</code> ` : ''}${esc(d.message)}</li>`)
    out.push('</ul>')
  }
  if (r.findings.length === 0) out.push('<p>No findings.</p>')
  for (const [sev, c] of counts) {
    if (c === 0) continue
    out.push(`<h3 id="${a}-${sev}"><span class="badge b-${sev}">${LABEL[sev]}</span> ${c}</h3>`)
    for (const f of r.findings) if (f.severity === sev) out.push(finding(f))
  }
  if (r.suppressed.length > 0) {
    out.push(`<h3>Accepted findings (ignore file): ${r.suppressed.length}</h3>`)
    out.push('<table><thead><tr><th>check</th><th>location</th><th>reason</th></tr></thead><tbody>')
    for (const s of r.suppressed) {
      const e = s.finding.evidence[0]
      out.push(
        `<tr><td><code>${esc(s.finding.id)}</code> <span class="badge b-${s.finding.severity}">${LABEL[s.finding.severity]}</span></td>` +
          `<td>${e ? loc(e) : ''}</td><td>${esc(s.reason)}</td></tr>`,
      )
    }
    out.push('</tbody></table>')
  }
  if (skipped.length > 0 || errors.length > 0) {
    out.push('<h3>Skipped and failed checks</h3><ul>')
    for (const c of skipped) out.push(`<li><code>${esc(c.id)}</code> skipped: ${esc(c.note ?? '')}</li>`)
    for (const c of errors) out.push(`<li><code>${esc(c.id)}</code> failed: ${esc(c.error ?? '')}</li>`)
    out.push('</ul>')
  }
  const notes = r.diagnostics.filter((d) => d.level !== 'error')
  if (notes.length > 0) {
    out.push(`<details><summary>Reader notes (${notes.length})</summary><ul>`)
    for (const d of notes)
      out.push(
        `<li>[${esc(d.level)}] ${d.loc ? `<code>${esc(locString(d.loc))}</code> ` : ''}${esc(d.message)}</li>`,
      )
    out.push('</ul></details>')
  }
  out.push(`<details><summary>All checks (${r.checks.length})</summary>`)
  out.push(
    '<table><thead><tr><th>check</th><th>severity</th><th>title</th><th>result</th></tr></thead><tbody>',
  )
  for (const c of r.checks)
    out.push(
      `<tr><td><code>${esc(c.id)}</code>${c.host ? ' <span class="muted">host</span>' : ''}</td><td>${LABEL[c.severity]}</td>` +
        `<td>${esc(c.title)}</td><td>${statusBadge(c)}</td></tr>`,
    )
  out.push('</tbody></table></details>')
  out.push('</section>')
  return out.join('\n')
}

export interface HtmlOptions {
  /** the report's date (default now) */
  readonly now?: Date
}

export function renderHtml(results: readonly AuditResult[], version: string, opts: HtmlOptions = {}): string {
  const when = (opts.now ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z')
  const title =
    results.length === 1
      ? `sipwarden audit: ${results[0]!.pbx} in ${results[0]!.dir}`
      : `sipwarden audit: ${results.length} configurations`
  const toc =
    results.length > 1
      ? `<nav><ul>${results
          .map(
            (r, i) =>
              `<li><a href="#a${i}">${esc(r.pbx)} <code>${esc(r.dir)}</code></a>: index ${r.hardeningIndex}, ${r.findings.length} findings</li>`,
          )
          .join('')}</ul></nav>`
      : ''
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="sipwarden ${esc(version)}">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>sipwarden PBX configuration audit</h1>
<p class="muted">Generated ${esc(when)} by sipwarden ${esc(version)}. Secrets are masked (key, at most the first character, length).</p>
</header>
${toc}
${results.map((r, i) => auditSection(r, i)).join('\n')}
<footer>Severity: critical = unauthenticated toll fraud or admin access; high = one step from it; medium = enumeration,
interception or lost detection; low = hardening. The hardening index is the share of check weight that passed
(critical 10, high 5, medium 3, low 1).</footer>
</body>
</html>
`
}
