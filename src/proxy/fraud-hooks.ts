// The toll-fraud engine wired into the gateway (docs/fraud.md "In the gateway"):
// - the toll-fraud stage asks check() on every new outbound INVITE (the gate);
// - dialog answered / ended → engine.answered / ended (ids are dialog ids: Call-ID + From tag);
// - a 1 s unref()ed tick: engine.tick(now) → gw.endDialog() for calls over their duration or
//   spend limit (BYE to both sides, or CANCEL before the answer), one event each;
// - a CDR for every call (answered or not, refused ones too) into the CDR store, priced by the
//   rate table; purged by fraud.cdr.retentionMs once a day;
// - day / month spend and the calls of the last 24 hours kept in the state store and put back
//   at start. Concurrency is not kept: calls in progress die with the process.
//
// Counters are released whatever happens to an allowed INVITE: its dialog ends (BYE, CANCEL,
// 4xx-6xx, timeout), or no dialog follows within admitGraceMs (the gateway refused it after the
// stages, e.g. 503 overload). A 401/407 challenge is not the end: the phone repeats the INVITE
// with credentials and the same Call-ID and From tag, and that repeat keeps the first decision's
// counters (velocity counts the call once); a repeat to another number is decided afresh.
import type { Logger } from 'pino'
import { CdrStore } from '../cdr/store.js'
import type { Cdr, CdrDisposition } from '../cdr/types.js'
import type { Policy } from '../config/schema.js'
import type { SecurityEvent } from '../events/event.js'
import { localTime } from '../fraud/calendar.js'
import { createClassifier, type FraudClassifier, isInternational } from '../fraud/classify.js'
import { type CallAttempt, type FraudDecision, FraudEngine, type SpendSnapshot } from '../fraud/engine.js'
import { loadRateTable, type RateTable } from '../fraud/rates.js'
import type { FraudGate } from '../pipeline/stages/toll-fraud.js'
import type { Store } from '../state/store.js'
import type { DialogEvent, DialogInfo, DialogTable } from './dialog.js'

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
/** accounts whose counters are persisted per day (names come from the wire: bounded) */
const MAX_PERSISTED_ACCOUNTS = 20_000
/** refused call ids remembered to answer retransmissions alike (without re-counting) */
const MAX_REFUSED = 10_000
const REFUSED_TTL_MS = 32 * SECOND
/** admitted calls tracked at once (the engine refuses beyond its own 50 000) */
const MAX_TRACKED = 60_000

export const FRAUD_KEYS = Object.freeze({
  /** set of persisted accounts with calls in the last 24 hours */
  accounts: 'fraud:accounts',
  /** set of persisted accounts with spend this month */
  spenders: 'fraud:spenders',
  calls: (k: string) => `fraud:calls:${k}`,
  international: (k: string) => `fraud:calls-intl:${k}`,
  premium: (k: string) => `fraud:calls-premium:${k}`,
  spend: (k: string) => `fraud:spend:${k}`,
})

const PREMIUM = new Set(['premium', 'shared-cost', 'satellite'])

export interface FraudHooksOptions {
  readonly policy: Policy
  readonly store: Store
  /** CDR store file (fraud.cdr.enabled); null or absent: no CDRs */
  readonly cdrPath?: string | null
  /** ready-made parts (tests); default built from the policy */
  readonly engine?: FraudEngine
  readonly classifier?: FraudClassifier
  readonly rates?: RateTable | null
  readonly logger?: Pick<Logger, 'warn' | 'error'>
  readonly now?: () => number
  /** default 1000 */
  readonly tickMs?: number
  /** an allowed INVITE with no dialog after this long releases its counters; default 5 s */
  readonly admitGraceMs?: number
}

interface Admitted {
  readonly account: string
  readonly tenant: string | null
  readonly dialled: string
  readonly e164: string | null
  /** the engine took counters (an external call) */
  readonly counted: boolean
  dialog: boolean
  /** no dialog (yet, or after a challenge): released at this time */
  releaseAt: number
}

/** What the hooks need of the gateway. */
export interface FraudGatewayView {
  readonly dialogs: DialogTable
  publish(event: SecurityEvent): void
}

function accountKey(account: string, tenant: string | null): string {
  return `${encodeURIComponent(tenant ?? '')}:${encodeURIComponent(account)}`
}

function parseAccountKey(k: string): { account: string; tenant: string | null } | null {
  const i = k.indexOf(':')
  if (i < 0) return null
  try {
    const tenant = decodeURIComponent(k.slice(0, i))
    return { account: decodeURIComponent(k.slice(i + 1)), tenant: tenant === '' ? null : tenant }
  } catch {
    return null
  }
}

/** ms from `now` to the end of the calendar month of `snap` (in `tz`), plus an hour for DST */
function ttlToMonthEnd(now: number, tz: string): number {
  const t = localTime(now, tz)
  const [y, m, d] = t.day.split('-').map(Number) as [number, number, number]
  const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate()
  return ((daysInMonth - d) * 1440 + (1440 - t.minute)) * MINUTE + HOUR
}

function disposition(info: DialogInfo): CdrDisposition {
  if (info.answerTime !== null) return 'answered'
  switch (info.endReason) {
    case 'cancel':
    case 'ended-by-gateway':
      return 'cancelled'
    case 'timeout':
      return 'no-answer'
    default: {
      const s = info.endStatus ?? 0
      if (s === 486 || s === 600) return 'busy'
      if (s === 408 || s === 480) return 'no-answer'
      if (s === 487) return 'cancelled'
      if (s === 401 || s === 403 || s === 407 || s === 603) return 'rejected'
      return 'failed'
    }
  }
}

async function settle<T>(v: T | Promise<T>): Promise<T> {
  return v
}

export class FraudHooks implements FraudGate {
  readonly engine: FraudEngine
  readonly classifier: FraudClassifier
  readonly rates: RateTable | null
  readonly cdr: CdrStore | null
  readonly #policy: Policy
  readonly #store: Store
  readonly #log: Pick<Logger, 'warn' | 'error'> | null
  readonly #now: () => number
  readonly #tickMs: number
  readonly #admitGraceMs: number
  readonly #ownsClassifier: boolean
  readonly #calls = new Map<string, Admitted>()
  readonly #refused = new Map<string, { until: number; account: string; dialled: string; d: FraudDecision }>()
  readonly #persisted = new Set<string>()
  /** account name → the tenants that list it (CDR tenant, as the engine resolves it) */
  readonly #accountTenants = new Map<string, string[]>()
  #persistedDay = ''
  #gw: FraudGatewayView | null = null
  #unlisten: (() => void) | null = null
  #timer: NodeJS.Timeout | null = null
  #lastPurge = 0
  #closed = false

  constructor(opts: FraudHooksOptions) {
    const p = opts.policy
    this.#policy = p
    this.#store = opts.store
    this.#log = opts.logger ?? null
    this.#now = opts.now ?? Date.now
    this.#tickMs = opts.tickMs ?? SECOND
    this.#admitGraceMs = opts.admitGraceMs ?? 5 * SECOND
    this.#ownsClassifier = opts.classifier === undefined && opts.engine === undefined
    this.classifier =
      opts.classifier ??
      createClassifier(p, {
        watchIntervalMs: 2000,
        onError: (err) => this.#log?.warn({ err: err.message }, 'fraud: blacklist reload failed'),
      })
    this.rates =
      opts.rates !== undefined
        ? opts.rates
        : p.fraud.rateTableFile !== undefined
          ? loadRateTable(p.fraud.rateTableFile)
          : null
    this.engine =
      opts.engine ??
      new FraudEngine({ policy: p, classifier: this.classifier, rates: this.rates, now: this.#now })
    for (const t of p.tenants)
      for (const a of t.accounts)
        this.#accountTenants.set(a.name, [...(this.#accountTenants.get(a.name) ?? []), t.name])
    this.cdr = opts.cdrPath != null && p.fraud.cdr.enabled ? new CdrStore({ path: opts.cdrPath }) : null
  }

  /** Builds the hooks and puts back the counters persisted before a restart. */
  static async open(opts: FraudHooksOptions): Promise<FraudHooks> {
    const h = new FraudHooks(opts)
    try {
      await h.restore()
    } catch (err) {
      h.#log?.warn({ err: String(err) }, 'fraud: persisted counters could not be read; starting from zero')
    }
    return h
  }

  /** Calls admitted and not yet ended (dialogs up, or waiting for one). */
  get tracked(): number {
    return this.#calls.size
  }

  // ---- the gate (toll-fraud stage) -----------------------------------------------------

  check(attempt: CallAttempt, ctx: { readonly address: string; readonly port: number }): FraudDecision {
    const id = attempt.id
    const now = attempt.time
    const held = this.#calls.get(id)
    if (held !== undefined) {
      if (held.account === attempt.account && held.dialled === attempt.dialled) {
        // a retransmission, or the INVITE repeated with credentials after a challenge: the
        // first decision and its counters hold
        if (!held.dialog) held.releaseAt = now + this.#admitGraceMs
        return this.engine.checkNewCall(attempt)
      }
      // the same ids for another account or number: decide afresh
      this.#release(id, now)
    }
    const r = this.#refused.get(id)
    if (r !== undefined && r.until > now && r.account === attempt.account && r.dialled === attempt.dialled)
      return r.d
    const d = this.engine.checkNewCall(attempt)
    const cls = d.number.cls
    if (d.allow) {
      const counted = this.#policy.fraud.enabled && cls !== 'internal' && cls !== 'emergency'
      if (this.#calls.size < MAX_TRACKED || counted)
        this.#calls.set(id, {
          account: attempt.account,
          tenant: attempt.tenant ?? null,
          dialled: attempt.dialled,
          e164: d.number.e164,
          counted,
          dialog: false,
          releaseAt: now + this.#admitGraceMs,
        })
      if (counted) this.#persistAttempt(attempt, d)
      return d
    }
    if (this.#refused.size >= MAX_REFUSED) {
      for (const [k, v] of this.#refused) if (v.until <= now) this.#refused.delete(k)
      while (this.#refused.size >= MAX_REFUSED) this.#refused.delete(this.#refused.keys().next().value!)
    }
    this.#refused.set(id, {
      until: now + REFUSED_TTL_MS,
      account: attempt.account,
      dialled: attempt.dialled,
      d,
    })
    this.#writeCdr({
      id: id.slice(0, id.lastIndexOf('|')),
      account: attempt.account,
      tenant: this.#tenantName(attempt.account, attempt.tenant ?? null),
      caller: attempt.account,
      dialled: attempt.dialled,
      start: now,
      answer: null,
      end: now,
      durationMs: 0,
      billableMs: 0,
      disposition: 'rejected',
      sipStatus: d.status ?? this.#policy.fraud.reject.status,
      sourceAddress: ctx.address,
      cost: null,
      origin: 'gateway',
    })
    return d
  }

  refused(id: string, now: number): boolean {
    const r = this.#refused.get(id)
    return r !== undefined && r.until > now
  }

  // ---- gateway wiring ------------------------------------------------------------------

  /** Listens to the gateway's dialogs and starts the tick. */
  attach(gw: FraudGatewayView): void {
    if (this.#closed) return
    this.detach()
    this.#gw = gw
    this.#unlisten = gw.dialogs.onDialog((e, info) => this.#onDialog(e, info))
    this.#timer = setInterval(() => this.tick(), this.#tickMs)
    this.#timer.unref()
    if (this.#lastPurge === 0) this.#purge(this.#now())
  }

  /** Stops listening. Calls still up are booked as ended now (CDR, spend), since the gateway
   * that carried them is stopping. */
  detach(): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    const gw = this.#gw
    this.#unlisten?.()
    this.#unlisten = null
    this.#gw = null
    if (gw === null) return
    const now = this.#now()
    for (const info of [...gw.dialogs.active()])
      this.#ended({
        ...info,
        state: 'ended',
        endTime: now,
        endReason: 'ended-by-gateway',
        endDetail: 'gateway stopped',
      })
    for (const id of [...this.#calls.keys()]) this.#release(id, now)
  }

  /** Stops, flushes and closes the CDR store and the classifier's file watchers. */
  close(): void {
    if (this.#closed) return
    this.detach()
    this.#closed = true
    if (this.#ownsClassifier) this.classifier.close()
    this.cdr?.close()
  }

  /** One tick: calls to end (duration, spend, suspension), counters of INVITEs that never became
   * dialogs, the daily CDR purge. Called every tickMs; tests call it directly. */
  tick(now: number = this.#now()): void {
    for (const [id, c] of this.#calls) if (!c.dialog && c.releaseAt <= now) this.#release(id, now)
    for (const { id, finding } of this.engine.tick(now)) {
      const end = finding.action !== 'alert'
      const c = this.#calls.get(id)
      this.#gw?.publish({
        time: now,
        address: this.#gw.dialogs.get(id)?.sourceAddress ?? '0.0.0.0',
        ...(c !== undefined ? { account: c.account } : {}),
        code: finding.code,
        stage: 'toll-fraud',
        action: 'alert',
        severity: finding.severity,
        detail: {
          message: finding.message,
          rule: finding.rule,
          action: finding.action,
          ended: end,
          ...finding.detail,
        },
      })
      // alert-only findings are reports: the call goes on
      if (!end) continue
      const ok = this.#gw?.dialogs.endDialog(id, `${finding.code}: ${finding.message}`) ?? false
      if (!ok) this.#release(id, now)
    }
    if (now - this.#lastPurge >= DAY) this.#purge(now)
  }

  // ---- internals -------------------------------------------------------------------------

  #onDialog(e: DialogEvent, info: DialogInfo): void {
    if (e === 'created') {
      const c = this.#calls.get(info.id)
      if (c !== undefined) c.dialog = true
    } else if (e === 'answered') this.engine.answered(info.id, info.answerTime ?? this.#now())
    else this.#ended(info)
  }

  #ended(info: DialogInfo): void {
    const c = this.#calls.get(info.id)
    const end = info.endTime ?? this.#now()
    if (
      c !== undefined &&
      info.endReason === 'rejected' &&
      (info.endStatus === 401 || info.endStatus === 407)
    ) {
      // a challenge: the phone repeats the INVITE with credentials (same ids); hold the counters
      c.dialog = false
      c.releaseAt = end + this.#admitGraceMs
      return
    }
    const billable = info.answerTime !== null ? Math.max(0, end - info.answerTime) : 0
    const e164 = c?.e164 ?? null
    const cost =
      info.answerTime !== null && e164 !== null && this.rates !== null
        ? this.rates.costOf(e164, billable)
        : null
    this.#writeCdr({
      id: info.callId,
      account: c?.account ?? info.account,
      tenant: c !== undefined ? this.#tenantName(c.account, c.tenant) : null,
      caller: info.account ?? '',
      dialled: c?.dialled ?? info.dialled ?? '',
      start: info.startTime,
      answer: info.answerTime,
      end,
      durationMs: Math.max(0, end - info.startTime),
      billableMs: billable,
      disposition: disposition(info),
      sipStatus: info.answerTime !== null ? 200 : (info.endStatus ?? null),
      sourceAddress: info.sourceAddress,
      cost,
      origin: 'gateway',
    })
    this.#release(info.id, end)
  }

  /** engine.ended() and the persisted spend. */
  #release(id: string, time: number): void {
    const c = this.#calls.get(id)
    this.#calls.delete(id)
    this.engine.ended(id, time)
    if (c === undefined || !c.counted || this.rates === null) return
    const snap = this.engine.spendOf(c.account, c.tenant, time)
    if (snap === null || snap.spendMonth <= 0) return
    this.#persistSpend(c.account, c.tenant, snap, time)
  }

  /** the given tenant, else the only tenant that lists the account */
  #tenantName(account: string, tenant: string | null): string | null {
    if (tenant !== null) return tenant
    const list = this.#accountTenants.get(account)
    return list !== undefined && list.length === 1 ? list[0]! : null
  }

  #tz(tenant: string | null): string {
    const t = tenant !== null ? this.#policy.tenants.find((x) => x.name === tenant) : undefined
    return t?.timezone ?? this.#policy.site.timezone
  }

  #persistSpend(account: string, tenant: string | null, snap: SpendSnapshot, now: number): void {
    const k = accountKey(account, tenant)
    const ttl = ttlToMonthEnd(now, this.#tz(this.#tenantName(account, tenant)))
    this.#quietly(() => this.#store.set(FRAUD_KEYS.spend(k), JSON.stringify(snap), ttl))
    this.#quietly(() => this.#store.sadd(FRAUD_KEYS.spenders, k, ttl))
  }

  #persistAttempt(a: CallAttempt, d: FraudDecision): void {
    const day = localTime(a.time, this.#policy.site.timezone).day
    if (day !== this.#persistedDay) {
      this.#persistedDay = day
      this.#persisted.clear()
    }
    const k = accountKey(a.account, a.tenant ?? null)
    if (!this.#persisted.has(k)) {
      if (this.#persisted.size >= MAX_PERSISTED_ACCOUNTS) return
      this.#persisted.add(k)
    }
    const s = this.#store
    this.#quietly(() => s.sadd(FRAUD_KEYS.accounts, k, DAY))
    this.#quietly(() => s.hit(FRAUD_KEYS.calls(k), DAY))
    if (isInternational(d.number, this.classifier.homeCountry(a.tenant ?? null)))
      this.#quietly(() => s.hit(FRAUD_KEYS.international(k), DAY))
    if (PREMIUM.has(d.number.cls)) this.#quietly(() => s.hit(FRAUD_KEYS.premium(k), DAY))
  }

  /** Puts back the persisted counters (open() calls it once, before the gateway starts). */
  async restore(now: number = this.#now()): Promise<number> {
    const s = this.#store
    const callers = new Set((await settle(s.smembers(FRAUD_KEYS.accounts))).slice(0, MAX_PERSISTED_ACCOUNTS))
    const spenders = (await settle(s.smembers(FRAUD_KEYS.spenders))).slice(0, MAX_PERSISTED_ACCOUNTS)
    let n = 0
    for (const k of new Set([...callers, ...spenders])) {
      const who = parseAccountKey(k)
      if (who === null) continue
      const [calls, intl, prem, raw] = await Promise.all([
        settle(s.count(FRAUD_KEYS.calls(k), DAY)),
        settle(s.count(FRAUD_KEYS.international(k), DAY)),
        settle(s.count(FRAUD_KEYS.premium(k), DAY)),
        settle(s.get(FRAUD_KEYS.spend(k))),
      ])
      let spend: SpendSnapshot | undefined
      try {
        const v = raw !== undefined ? (JSON.parse(raw) as Partial<SpendSnapshot>) : undefined
        if (
          v !== undefined &&
          typeof v.day === 'string' &&
          typeof v.month === 'string' &&
          typeof v.spendDay === 'number' &&
          typeof v.spendMonth === 'number'
        )
          spend = { day: v.day, spendDay: v.spendDay, month: v.month, spendMonth: v.spendMonth }
      } catch {
        // a damaged value: that account's spend starts from zero
      }
      this.engine.restore(
        {
          account: who.account,
          tenant: who.tenant,
          ...(spend !== undefined ? { spend } : {}),
          callsDay: calls,
          internationalDay: intl,
          premiumDay: prem,
        },
        now,
      )
      if (callers.has(k)) this.#persisted.add(k)
      n++
    }
    this.#persistedDay = localTime(now, this.#policy.site.timezone).day
    return n
  }

  #writeCdr(c: Cdr): void {
    if (this.cdr === null) return
    try {
      this.cdr.insert(c)
    } catch (err) {
      this.#log?.error({ err: String(err) }, 'fraud: CDR not written')
    }
  }

  #purge(now: number): void {
    this.#lastPurge = now
    if (this.cdr === null) return
    try {
      this.cdr.purgeOlderThan(this.#policy.fraud.cdr.retentionMs)
    } catch (err) {
      this.#log?.error({ err: String(err) }, 'fraud: CDR purge failed')
    }
  }

  /** A store write that must not disturb the call (a failure is logged). */
  #quietly(write: () => unknown): void {
    const warn = (err: unknown): void => {
      this.#log?.warn({ err: String(err) }, 'fraud: store write failed')
    }
    try {
      const v = write()
      if (v instanceof Promise) v.catch(warn)
    } catch (err) {
      warn(err)
    }
  }
}
