// The daily report as one self-contained HTML page: inline CSS, inline SVG charts drawn
// here (calls per hour, minutes by destination class), no script, no external asset, no
// URL. Every value goes through `esc` — account names and numbers are attacker-controlled.

import type { DailyReport } from './daily.js'
import { accountLabel, destLabel, fixed } from './text.js'

export function esc(v: string | number): string {
  return String(v)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2733;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.sub{color:#5b6b7c;margin:0 0 16px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid #d5dde6;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:20px}
table{border-collapse:collapse;margin:4px 0}th,td{padding:4px 10px;border-bottom:1px solid #e4e9ef;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.crit{color:#b3261e;font-weight:600}.warn{color:#9a6700}
.new{background:#fff6db}
svg text{font:11px system-ui,sans-serif;fill:#394b5c}
`

function barsPerHour(values: readonly number[]): string {
  const w = 720
  const h = 180
  const left = 36
  const bottom = 20
  const max = Math.max(1, ...values)
  const bw = (w - left) / 24
  const parts: string[] = []
  parts.push(
    `<svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="calls per hour">`,
  )
  parts.push(`<text x="0" y="12">${esc(max)}</text><text x="0" y="${h - bottom}">0</text>`)
  values.forEach((v, i) => {
    const bh = Math.round(((h - bottom - 10) * v) / max)
    const x = left + i * bw
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${h - bottom - bh}" width="${(bw - 2).toFixed(1)}" height="${bh}" fill="#3b7dd8"><title>${String(i).padStart(2, '0')}:00 ${esc(v)} calls</title></rect>`,
    )
    if (i % 3 === 0) parts.push(`<text x="${x.toFixed(1)}" y="${h - 5}">${String(i).padStart(2, '0')}</text>`)
  })
  parts.push('</svg>')
  return parts.join('')
}

function barsByClass(rows: readonly { label: string; value: number }[]): string {
  const w = 720
  const rowH = 22
  const labelW = 140
  const h = rowH * rows.length + 4
  const max = Math.max(1e-9, ...rows.map((r) => r.value))
  const parts = [
    `<svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="minutes by destination class">`,
  ]
  rows.forEach((r, i) => {
    const y = i * rowH + 2
    const bw = Math.round(((w - labelW - 80) * r.value) / max)
    parts.push(
      `<text x="0" y="${y + 14}">${esc(r.label)}</text>`,
      `<rect x="${labelW}" y="${y}" width="${bw}" height="${rowH - 6}" fill="#2f9e6e"></rect>`,
      `<text x="${labelW + bw + 6}" y="${y + 14}">${esc(fixed(r.value))}</text>`,
    )
  })
  parts.push('</svg>')
  return parts.join('')
}

function sevClass(s: string): string {
  return s === 'critical' ? 'crit' : s === 'warning' ? 'warn' : ''
}

export function renderHtml(r: DailyReport): string {
  const cur = esc(r.currency)
  const t = r.totals
  const o: string[] = []
  o.push('<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">')
  o.push('<meta name="viewport" content="width=device-width,initial-scale=1">')
  o.push(`<title>${esc(r.site)} — daily report ${esc(r.date)}</title><style>${CSS}</style></head><body>`)
  o.push(
    `<h1>${esc(r.site)} — daily report</h1><p class="sub">${esc(r.date)} (UTC), compared with the previous ${esc(r.historyDays)} days</p>`,
  )
  const card = (label: string, value: string) => `<div class="card">${esc(label)}<b>${value}</b></div>`
  o.push(
    '<div class="cards">',
    card('calls', esc(t.calls)),
    card('answered', esc(t.answered)),
    card('minutes', esc(fixed(t.minutes))),
    card(`cost ${r.currency}`, esc(fixed(t.cost))),
    card('accounts', esc(t.accounts)),
    card('findings', esc(r.findings.reduce((n, f) => n + f.count, 0))),
    card('bans', esc(r.bans.count)),
    '</div>',
  )
  o.push('<h2>Calls per hour</h2>', barsPerHour(r.callsPerHour))
  if (r.byClass.length > 0) {
    o.push('<h2>Minutes by destination class</h2>')
    o.push(barsByClass(r.byClass.map((d) => ({ label: d.cls, value: d.minutes }))))
  }
  if (r.accounts.length > 0) {
    o.push(
      '<h2>Accounts</h2><table><thead><tr><th>account</th><th class="n">calls</th><th class="n">answered</th>',
    )
    o.push(
      `<th class="n">minutes</th><th class="n">cost ${cur}</th><th class="n">findings</th><th>top destinations</th><th>new destinations</th></tr></thead><tbody>`,
    )
    for (const a of r.accounts) {
      const top = a.topDestinations.map((d) => `${esc(destLabel(d))} (${esc(d.calls)})`).join(', ')
      const fresh = a.newDestinations
        .map((d) => `${esc(destLabel(d))} (${esc(d.calls)}, e.g. ${esc(d.example)})`)
        .join(', ')
      o.push(
        `<tr${a.newDestinations.length > 0 ? ' class="new"' : ''}><td>${esc(accountLabel(a.tenant, a.account))}</td>` +
          `<td class="n">${esc(a.calls)}</td><td class="n">${esc(a.answered)}</td><td class="n">${esc(fixed(a.minutes))}</td>` +
          `<td class="n">${esc(fixed(a.cost))}</td><td class="n">${esc(a.findings)}</td><td>${top}</td><td>${fresh}</td></tr>`,
      )
    }
    o.push('</tbody></table>')
  }
  o.push('<h2>Fraud findings</h2>')
  if (r.eventsRead === null) o.push('<p>No event log was read.</p>')
  else if (r.findings.length === 0) o.push('<p>None.</p>')
  else {
    o.push(
      '<table><thead><tr><th>severity</th><th>code</th><th>action</th><th class="n">count</th><th>accounts</th><th>sources</th></tr></thead><tbody>',
    )
    for (const f of r.findings) {
      o.push(
        `<tr><td class="${sevClass(f.severity)}">${esc(f.severity)}</td><td>${esc(f.code)}</td><td>${esc(f.action)}</td>` +
          `<td class="n">${esc(f.count)}</td><td>${f.accounts.map(esc).join(', ')}</td><td>${f.addresses.map(esc).join(', ')}</td></tr>`,
      )
    }
    o.push('</tbody></table>')
  }
  o.push(`<h2>Bans</h2><p>${esc(r.bans.count)} bans of ${esc(r.bans.addresses)} addresses.</p>`)
  if (r.bans.top.length > 0) {
    o.push('<table><thead><tr><th>address</th><th>reason</th><th class="n">count</th></tr></thead><tbody>')
    for (const b of r.bans.top)
      o.push(`<tr><td>${esc(b.address)}</td><td>${esc(b.code)}</td><td class="n">${esc(b.count)}</td></tr>`)
    o.push('</tbody></table>')
  }
  if (r.eventsTruncated)
    o.push(
      '<p class="warn">The event log had more events than were read: findings and bans are incomplete.</p>',
    )
  o.push('</body></html>', '')
  return o.join('\n')
}
