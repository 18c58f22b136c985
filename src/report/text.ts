// The daily report as plain text (terminal, email body). Account names, numbers and codes
// come from the outside: control characters are replaced before printing.

import type { DailyReport, DestinationRow } from './daily.js'

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g

/** One printable line of at most `max` characters. */
export function safe(s: string, max = 80): string {
  const v = s.replace(CONTROL, '?')
  return v.length > max ? `${v.slice(0, max - 1)}…` : v
}

export function fixed(n: number, digits = 2): string {
  return n.toFixed(digits)
}

export function destLabel(d: Pick<DestinationRow, 'country' | 'cls'>): string {
  if (d.country !== null && d.cls !== '') return `${d.country} ${d.cls}`
  return d.country ?? d.cls
}

export function accountLabel(tenant: string | null, account: string): string {
  return tenant !== null ? `${tenant}/${account}` : account
}

function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  right: ReadonlySet<number>,
): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(head), ...rows.map(line)]
}

export function renderText(r: DailyReport): string {
  const out: string[] = []
  const cur = r.currency
  out.push(`sipwarden daily report — ${safe(r.site)} — ${r.date} (UTC)`)
  out.push('')
  const t = r.totals
  out.push(
    `calls ${t.calls}, answered ${t.answered}, minutes ${fixed(t.minutes)}, cost ${fixed(t.cost)} ${cur}` +
      (t.unpriced > 0 ? ` (${t.unpriced} calls unpriced)` : '') +
      `, accounts ${t.accounts}`,
  )
  const peak = Math.max(...r.callsPerHour)
  if (peak > 0)
    out.push(`busiest hour: ${String(r.callsPerHour.indexOf(peak)).padStart(2, '0')}:00 with ${peak} calls`)
  if (r.byClass.length > 0) {
    out.push('', 'By destination class:')
    out.push(
      ...table(
        ['class', 'calls', 'minutes', `cost ${cur}`],
        r.byClass.map((d) => [safe(d.cls, 20), String(d.calls), fixed(d.minutes), fixed(d.cost)]),
        new Set([1, 2, 3]),
      ).map((l) => `  ${l}`),
    )
  }
  if (r.accounts.length > 0) {
    out.push('', 'Accounts:')
    out.push(
      ...table(
        ['account', 'calls', 'answered', 'minutes', `cost ${cur}`, 'findings', 'top destinations'],
        r.accounts.map((a) => [
          safe(accountLabel(a.tenant, a.account), 40),
          String(a.calls),
          String(a.answered),
          fixed(a.minutes),
          fixed(a.cost),
          String(a.findings),
          a.topDestinations.map((d) => `${safe(destLabel(d), 30)} (${d.calls})`).join(', '),
        ]),
        new Set([1, 2, 3, 4, 5]),
      ).map((l) => `  ${l}`),
    )
    const fresh = r.accounts.filter((a) => a.newDestinations.length > 0)
    out.push('', `New destinations (not called in the previous ${r.historyDays} days):`)
    if (fresh.length === 0) out.push('  none')
    for (const a of fresh) {
      for (const d of a.newDestinations) {
        out.push(
          `  ${safe(accountLabel(a.tenant, a.account), 40)}: ${safe(destLabel(d), 30)} — ${d.calls} calls, ` +
            `${fixed(d.minutes)} min, ${fixed(d.cost)} ${cur}, e.g. ${safe(d.example, 32)}`,
        )
      }
    }
  }
  out.push('', 'Fraud findings:')
  if (r.eventsRead === null) out.push('  (no event log read)')
  else if (r.findings.length === 0) out.push('  none')
  for (const f of r.findings) {
    const who = f.accounts.length > 0 ? ` accounts ${f.accounts.map((a) => safe(a, 32)).join(', ')}` : ''
    out.push(
      `  ${f.severity} ${safe(f.code, 64)} ${f.action} ×${f.count}${who}; sources ${f.addresses.slice(0, 5).join(', ')}`,
    )
  }
  out.push('', `Bans: ${r.bans.count} (${r.bans.addresses} addresses)`)
  if (r.bans.top.length > 0) {
    out.push(
      ...table(
        ['address', 'reason', 'count'],
        r.bans.top.map((b) => [b.address, safe(b.code, 64), String(b.count)]),
        new Set([2]),
      ).map((l) => `  ${l}`),
    )
  }
  if (r.eventsTruncated)
    out.push('', 'note: the event log had more events than were read; findings and bans are incomplete')
  out.push('')
  return out.join('\n')
}
