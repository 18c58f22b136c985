// The daily report: per tenant/account calls, answered calls, minutes, cost, top and NEW
// destinations (against the previous days), and the day's fraud findings and bans from the
// security event log. Pure: CDRs, events and a classify function in, a plain JSON-ready
// object out; the renderers (text, HTML) and the CLI are separate.
//
// Days are UTC days. Memory is bounded: at most MAX_ACCOUNTS accounts are tracked (the rest
// are summed into one `(other accounts)` row) and at most MAX_DESTINATIONS destinations per
// account are remembered for the history.

import type { Cdr } from '../cdr/types.js'
import type { EventSeverity, SecurityEvent } from '../events/event.js'

export const DAY_MS = 86_400_000
export const MAX_ACCOUNTS = 5000
export const MAX_DESTINATIONS = 500
const OTHER_ACCOUNTS = '(other accounts)'
const UNKNOWN_ACCOUNT = '(unknown)'

/** What the report needs of a number; NumberInfo of src/fraud/classify.ts fits. */
export interface Destination {
  readonly country: string | null
  readonly cls: string
}

export type ClassifyFn = (dialled: string, tenant: string | null) => Destination

export interface DailyReportInput {
  /** the day, YYYY-MM-DD (UTC) */
  readonly date: string
  /** CDRs of the day and of the history days before it; others are ignored */
  readonly cdrs: Iterable<Cdr> | AsyncIterable<Cdr>
  readonly classify: ClassifyFn
  /** security events of the day (others are ignored); omit when no store is available */
  readonly events?: Iterable<SecurityEvent> | AsyncIterable<SecurityEvent>
  /** true when the event source had more events than it returned */
  readonly eventsTruncated?: boolean
  readonly site?: string
  readonly currency?: string
  /** days before `date` that define "known" destinations; default 30 */
  readonly historyDays?: number
  /** destinations listed per account; default 5 */
  readonly topN?: number
}

export interface DestinationRow {
  readonly country: string | null
  readonly cls: string
  readonly calls: number
  readonly minutes: number
  readonly cost: number
}

export interface NewDestinationRow extends DestinationRow {
  /** the first number dialled to it that day */
  readonly example: string
}

export interface AccountRow {
  readonly tenant: string | null
  readonly account: string
  readonly calls: number
  readonly answered: number
  readonly minutes: number
  readonly cost: number
  /** calls without a price (cost null in the CDR) */
  readonly unpriced: number
  readonly topDestinations: readonly DestinationRow[]
  readonly newDestinations: readonly NewDestinationRow[]
  /** findings (alerts, locks, fraud events) naming this account */
  readonly findings: number
}

export interface FindingRow {
  readonly code: string
  readonly action: string
  readonly severity: EventSeverity
  readonly count: number
  readonly accounts: readonly string[]
  readonly addresses: readonly string[]
}

export interface BanRow {
  readonly address: string
  readonly code: string
  readonly count: number
}

export interface DailyReport {
  readonly kind: 'sipwarden.report.daily'
  readonly version: 1
  readonly site: string
  readonly date: string
  /** the day, ms epoch: [from, to) */
  readonly from: number
  readonly to: number
  readonly historyDays: number
  readonly currency: string
  readonly totals: {
    readonly calls: number
    readonly answered: number
    readonly minutes: number
    readonly cost: number
    readonly unpriced: number
    readonly accounts: number
  }
  /** calls started in each UTC hour */
  readonly callsPerHour: readonly number[]
  readonly byClass: readonly DestinationRow[]
  readonly topCountries: readonly DestinationRow[]
  readonly accounts: readonly AccountRow[]
  readonly findings: readonly FindingRow[]
  readonly bans: {
    readonly count: number
    readonly addresses: number
    readonly top: readonly BanRow[]
  }
  /** null when no event log was read */
  readonly eventsRead: number | null
  readonly eventsTruncated: boolean
  /** CDRs of the history days read */
  readonly historyCalls: number
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** Start of a UTC day, or null when `date` is not a real YYYY-MM-DD date. */
export function dayStart(date: string): number | null {
  const m = DATE.exec(date)
  if (m === null) return null
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  return new Date(t).toISOString().slice(0, 10) === date ? t : null
}

interface Acc {
  calls: number
  answered: number
  billableMs: number
  cost: number
  unpriced: number
}

function acc(): Acc {
  return { calls: 0, answered: 0, billableMs: 0, cost: 0, unpriced: 0 }
}

function add(a: Acc, c: Cdr): void {
  a.calls++
  if (c.disposition === 'answered') a.answered++
  a.billableMs += Math.max(0, c.billableMs)
  if (c.cost === null) a.unpriced++
  else if (Number.isFinite(c.cost)) a.cost += c.cost
}

interface DestAcc extends Acc {
  country: string | null
  cls: string
  example: string
}

interface AccountAcc extends Acc {
  tenant: string | null
  account: string
  dest: Map<string, DestAcc>
  findings: number
}

const minutes = (ms: number): number => Math.round(ms / 600) / 100
const money = (x: number): number => Math.round(x * 10_000) / 10_000

function destKey(d: Destination): string {
  return `${d.country ?? '-'}/${d.cls}`
}

function accountKey(tenant: string | null, account: string): string {
  return `${tenant ?? ''}\u0000${account}`
}

function destRow(d: DestAcc): DestinationRow {
  return {
    country: d.country,
    cls: d.cls,
    calls: d.calls,
    minutes: minutes(d.billableMs),
    cost: money(d.cost),
  }
}

const byCallsThenMinutes = (a: DestAcc, b: DestAcc): number =>
  b.calls - a.calls || b.billableMs - a.billableMs || (destKey(a) < destKey(b) ? -1 : 1)

export async function buildDailyReport(input: DailyReportInput): Promise<DailyReport> {
  const from = dayStart(input.date)
  if (from === null) throw new RangeError(`not a date (YYYY-MM-DD): ${input.date}`)
  const to = from + DAY_MS
  const historyDays = input.historyDays ?? 30
  const historyFrom = from - historyDays * DAY_MS
  const topN = input.topN ?? 5

  const total = acc()
  const hours = new Array<number>(24).fill(0)
  const classes = new Map<string, DestAcc>()
  const countries = new Map<string, DestAcc>()
  const accounts = new Map<string, AccountAcc>()
  /** account key → destination keys seen in the history days */
  const history = new Map<string, Set<string>>()
  let historyCalls = 0

  for await (const c of input.cdrs) {
    const t = c.start
    if (!(t >= historyFrom && t < to)) continue
    const account = c.account ?? UNKNOWN_ACCOUNT
    const tenant = c.tenant
    const d = input.classify(c.dialled, tenant)
    const dk = destKey(d)
    if (t < from) {
      historyCalls++
      const k = accountKey(tenant, account)
      let set = history.get(k)
      if (set === undefined) {
        if (history.size >= MAX_ACCOUNTS) continue
        set = new Set()
        history.set(k, set)
      }
      if (set.size < MAX_DESTINATIONS) set.add(dk)
      continue
    }
    add(total, c)
    hours[new Date(t).getUTCHours()]!++
    addDest(classes, d.cls, { country: null, cls: d.cls }, c)
    if (d.country !== null) addDest(countries, d.country, { country: d.country, cls: '' }, c)
    let k = accountKey(tenant, account)
    let a = accounts.get(k)
    if (a === undefined) {
      if (accounts.size >= MAX_ACCOUNTS - 1) {
        k = accountKey(null, OTHER_ACCOUNTS)
        a = accounts.get(k)
      }
      if (a === undefined) {
        a = {
          ...acc(),
          tenant: k.startsWith('\u0000') ? null : tenant,
          account: k.slice(k.indexOf('\u0000') + 1),
          dest: new Map(),
          findings: 0,
        }
        accounts.set(k, a)
      }
    }
    add(a, c)
    if (a.dest.size < MAX_DESTINATIONS || a.dest.has(dk)) addDest(a.dest, dk, d, c)
  }

  // events of the day
  const findings = new Map<
    string,
    { row: Omit<FindingRow, 'accounts' | 'addresses'>; accounts: Set<string>; addresses: Set<string> }
  >()
  const bans = new Map<string, BanRow>()
  const banned = new Set<string>()
  let banCount = 0
  let eventsRead: number | null = null
  if (input.events !== undefined) {
    eventsRead = 0
    const byAccount = new Map<string, AccountAcc[]>()
    for (const a of accounts.values()) {
      const list = byAccount.get(a.account)
      if (list === undefined) byAccount.set(a.account, [a])
      else list.push(a)
    }
    for await (const e of input.events) {
      if (!(e.time >= from && e.time < to)) continue
      eventsRead++
      if (e.action === 'ban') {
        banCount++
        if (banned.size < 100_000) banned.add(e.address)
        const k = `${e.address}\u0000${e.code}`
        const b = bans.get(k)
        if (b !== undefined) bans.set(k, { ...b, count: b.count + 1 })
        else if (bans.size < 10_000) bans.set(k, { address: e.address, code: e.code, count: 1 })
        continue
      }
      if (!isFinding(e)) continue
      const severity: EventSeverity = e.severity ?? (e.action === 'lock' ? 'critical' : 'warning')
      const k = `${e.code}\u0000${e.action}`
      let f = findings.get(k)
      if (f === undefined) {
        if (findings.size >= 1000) continue
        f = {
          row: { code: e.code, action: e.action, severity, count: 0 },
          accounts: new Set(),
          addresses: new Set(),
        }
        findings.set(k, f)
      }
      f.row = { ...f.row, count: f.row.count + 1, severity: worse(f.row.severity, severity) }
      if (e.account !== undefined && f.accounts.size < 20) f.accounts.add(e.account)
      if (f.addresses.size < 20) f.addresses.add(e.address)
      if (e.account !== undefined) for (const a of byAccount.get(e.account) ?? []) a.findings++
    }
  }

  const accountRows: AccountRow[] = [...accounts.entries()]
    .map(([k, a]) => {
      const known = history.get(k)
      const dests = [...a.dest.values()].sort(byCallsThenMinutes)
      const fresh = dests.filter(
        (d) => d.cls !== 'internal' && d.cls !== 'emergency' && !(known?.has(destKey(d)) ?? false),
      )
      return {
        tenant: a.tenant,
        account: a.account,
        calls: a.calls,
        answered: a.answered,
        minutes: minutes(a.billableMs),
        cost: money(a.cost),
        unpriced: a.unpriced,
        topDestinations: dests.slice(0, topN).map(destRow),
        newDestinations:
          a.account === OTHER_ACCOUNTS
            ? []
            : fresh.slice(0, 20).map((d) => ({ ...destRow(d), example: d.example })),
        findings: a.findings,
      }
    })
    .sort(
      (x, y) =>
        y.cost - x.cost ||
        y.minutes - x.minutes ||
        y.calls - x.calls ||
        ((x.tenant ?? '') + x.account < (y.tenant ?? '') + y.account ? -1 : 1),
    )

  return {
    kind: 'sipwarden.report.daily',
    version: 1,
    site: input.site ?? 'sipwarden',
    date: input.date,
    from,
    to,
    historyDays,
    currency: input.currency ?? 'EUR',
    totals: {
      calls: total.calls,
      answered: total.answered,
      minutes: minutes(total.billableMs),
      cost: money(total.cost),
      unpriced: total.unpriced,
      accounts: accounts.size,
    },
    callsPerHour: hours,
    byClass: [...classes.values()].sort(byCallsThenMinutes).map((d) => ({ ...destRow(d), country: null })),
    topCountries: [...countries.values()]
      .sort(byCallsThenMinutes)
      .slice(0, 10)
      .map((d) => ({ ...destRow(d), cls: '' })),
    accounts: accountRows,
    findings: [...findings.values()]
      .map((f) => ({ ...f.row, accounts: [...f.accounts].sort(), addresses: [...f.addresses].sort() }))
      .sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1)),
    bans: {
      count: banCount,
      addresses: banned.size,
      top: [...bans.values()]
        .sort((a, b) => b.count - a.count || (a.address < b.address ? -1 : 1))
        .slice(0, 20),
    },
    eventsRead,
    eventsTruncated: input.eventsTruncated ?? false,
    historyCalls,
  }
}

function addDest(m: Map<string, DestAcc>, key: string, d: Destination, c: Cdr): void {
  let x = m.get(key)
  if (x === undefined) {
    x = { ...acc(), country: d.country, cls: d.cls, example: c.dialled.slice(0, 64) }
    m.set(key, x)
  }
  add(x, c)
}

/** Findings: alerts and locks, and any fraud.* event other than a forward. Bans are listed apart. */
export function isFinding(e: SecurityEvent): boolean {
  if (e.action === 'alert' || e.action === 'lock') return true
  return e.code.startsWith('fraud.') && e.action !== 'forward' && e.action !== 'unban'
}

const RANK: Readonly<Record<EventSeverity, number>> = { info: 0, warning: 1, critical: 2 }
function worse(a: EventSeverity, b: EventSeverity): EventSeverity {
  return RANK[b] > RANK[a] ? b : a
}
