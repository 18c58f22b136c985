// The toll-fraud engine: decides on every new outbound call, keeps the counters of calls in
// progress, and tells the gateway which calls to end (too long, too expensive, account
// suspended). One instance per gateway process; the offline CDR analysis replays CDRs through
// it with their own timestamps.
//
// What the anchors get wrong and this engine does instead (reference gateway-anchors §3, §5):
// - OpenSIPS fraud_detection checks duration only when the dialog ends and never decrements on
//   CANCEL: here every counter a call takes is released by ended(), whatever ended it, and
//   tick() ends calls while they run (duration, per-call / day / month spend with live cost).
// - VoIPmonitor alerts after the fact from CDRs: here a limit refuses the call or ends it.
// - Unbounded per-user tables: accounts live in an LRU (those with calls up are never evicted),
//   windows are fixed bucket rings, calls in progress are capped.
//
// Counting rules: concurrency counts calls from the INVITE until ended(); velocity counts
// accepted attempts (an attempt that is cancelled still happened, so it stays in the window
// until it ages out); spend counts answered talk time priced by the rate table.

import type {
  CallingRights,
  DestinationClass,
  Limits,
  PartialLimits,
  Policy,
  Schedule,
  Tenant,
  Trunk,
} from '../config/schema.js'
import { mergeOverrides } from '../config/resolve.js'
import { inSchedule, localTime } from './calendar.js'
import { type Classifier, type NumberInfo, createClassifier, isInternational } from './classify.js'
import { DialHistory, type DetectionSettings, historyCapacity } from './detect.js'
import { LruCache } from './lru-cache.js'
import { PrefixMap } from './prefix-map.js'
import type { RateTable } from './rates.js'
import { BucketWindow } from './window.js'

/** A new outbound call as the gateway (or a CDR replay) sees it. */
export interface CallAttempt {
  /** Call-ID or CDR id; unique among calls in progress */
  readonly id: string
  /** authenticated account (SIP user / extension) */
  readonly account: string
  readonly tenant?: string | null
  /** dialled number (Request-URI user part) */
  readonly dialled: string
  /** source address */
  readonly source?: string | null
  /** trunk the call comes from (an IP-authenticated trunk): the trunk's calling rights and
   * limits apply instead of an account's */
  readonly trunk?: string | null
  /** ms since the epoch */
  readonly time: number
}

export type FraudRule =
  | 'barred'
  | 'schedule'
  | 'concurrency'
  | 'velocity'
  | 'duration'
  | 'spend'
  | 'sequential'
  | 'probing'
  | 'learned'
  | 'blacklist'

export interface FraudFinding {
  readonly rule: FraudRule
  /** stable code, e.g. fraud.barred.premium (docs/fraud.md lists them) */
  readonly code: string
  readonly action: 'alert' | 'reject' | 'suspend'
  readonly severity: 'warning' | 'critical'
  readonly message: string
  readonly detail: Readonly<Record<string, unknown>>
}

export interface FraudDecision {
  readonly allow: boolean
  /** SIP status when refused (fraud.reject.status) */
  readonly status?: number
  /** reason phrase and Reason header text when refused (fraud.reject.reason) */
  readonly reason?: string
  readonly number: NumberInfo
  readonly findings: readonly FraudFinding[]
}

/** An account's settled spend for a calendar day (YYYY-MM-DD) and month (YYYY-MM). */
export interface SpendSnapshot {
  readonly day: string
  readonly spendDay: number
  readonly month: string
  readonly spendMonth: number
}

/** Counters of one account to put back after a restart (FraudEngine.restore). */
export interface CounterSnapshot {
  readonly account: string
  readonly tenant?: string | null
  readonly spend?: SpendSnapshot
  readonly callsDay?: number
  readonly internationalDay?: number
  readonly premiumDay?: number
}

/** Learned patterns (src/fraud/patterns.ts). */
export interface PatternChecker {
  check(call: CallAttempt, number: NumberInfo): readonly FraudFinding[]
}

export interface FraudEngineOptions {
  readonly policy: Policy
  /** default: createClassifier(policy) (shipped high-risk list, fraud.blacklistFiles) */
  readonly classifier?: Classifier
  /** prices calls for spend limits; without it spend limits cannot fire */
  readonly rates?: RateTable | null
  readonly patterns?: PatternChecker | null
  readonly now?: () => number
  /** accounts whose counters are kept (LRU; accounts with calls up are never evicted); default 20 000 */
  readonly maxAccounts?: number
  /** calls in progress tracked at once; beyond it new calls are refused; default 50 000 */
  readonly maxActiveCalls?: number
  /** a call not answered after this long is ended by tick(); default 10 minutes */
  readonly maxRingMs?: number
  /** a call tick() asked to end and that was never reported ended is released after this; default 2 minutes */
  readonly endGraceMs?: number
}

// ---------------------------------------------------------------------------------------
// Compiled settings

/** null = unlimited */
interface ClassLimits {
  readonly concurrentCalls: number | null
  readonly callsPerHour: number | null
  readonly callsPerDay: number | null
}
interface LimitSet {
  readonly concurrentCalls: number | null
  readonly callsPerMinute: number | null
  readonly callsPerHour: number | null
  readonly callsPerDay: number | null
  readonly international: ClassLimits
  readonly premium: ClassLimits
  readonly maxCallDurationMs: number | null
  readonly spend: {
    readonly perCall: number | null
    readonly perDay: number | null
    readonly perMonth: number | null
  }
}

function limitSet(l: PartialLimits | Limits | undefined): LimitSet {
  const n = (v: number | null | undefined) => v ?? null
  const cls = (
    c:
      | { concurrentCalls?: number | null; callsPerHour?: number | null; callsPerDay?: number | null }
      | undefined,
  ) => ({
    concurrentCalls: n(c?.concurrentCalls),
    callsPerHour: n(c?.callsPerHour),
    callsPerDay: n(c?.callsPerDay),
  })
  return {
    concurrentCalls: n(l?.concurrentCalls),
    callsPerMinute: n(l?.callsPerMinute),
    callsPerHour: n(l?.callsPerHour),
    callsPerDay: n(l?.callsPerDay),
    international: cls(l?.international),
    premium: cls(l?.premium),
    maxCallDurationMs: n(l?.maxCallDurationMs),
    spend: { perCall: n(l?.spend?.perCall), perDay: n(l?.spend?.perDay), perMonth: n(l?.spend?.perMonth) },
  }
}

interface Profile {
  readonly tenant: Tenant | null
  readonly trunk: Trunk | null
  readonly enabled: boolean
  readonly allow: ReadonlySet<DestinationClass>
  readonly countriesAllow: ReadonlySet<string>
  readonly countriesDeny: ReadonlySet<string>
  readonly numbersAllow: PrefixMap<true>
  readonly numbersDeny: PrefixMap<true>
  readonly highRisk: CallingRights['highRiskRanges']
  readonly limits: LimitSet
  readonly schedule: Schedule | undefined
  readonly timezone: string
}

function prefixSet(list: readonly string[]): PrefixMap<true> {
  const m = new PrefixMap<true>()
  for (const p of list) m.set(p.replace(/^\+/, ''), true)
  return m
}

function compileProfile(
  policy: Policy,
  tenant: Tenant | null,
  trunk: Trunk | null,
  rights: CallingRights,
  limits: LimitSet,
  schedule: Schedule | undefined,
  enabled: boolean,
): Profile {
  return {
    tenant,
    trunk,
    enabled,
    allow: new Set(rights.allow),
    countriesAllow: new Set(rights.countries.allow),
    countriesDeny: new Set(rights.countries.deny),
    numbersAllow: prefixSet(rights.numbers.allow),
    numbersDeny: prefixSet(rights.numbers.deny),
    highRisk: rights.highRiskRanges,
    limits,
    schedule,
    timezone: schedule?.timezone ?? tenant?.timezone ?? policy.site.timezone,
  }
}

// ---------------------------------------------------------------------------------------
// Live state

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** Counters of one account, tenant or trunk. */
class Scope {
  readonly key: string
  readonly calls = new Set<ActiveCall>()
  activeIntl = 0
  activePremium = 0
  readonly minute = new BucketWindow(MINUTE, 6)
  readonly hour = new BucketWindow(HOUR, 12)
  readonly day = new BucketWindow(DAY, 24)
  intlHour: BucketWindow | null = null
  intlDay: BucketWindow | null = null
  premHour: BucketWindow | null = null
  premDay: BucketWindow | null = null
  spendDayKey = ''
  spendDay = 0
  spendMonthKey = ''
  spendMonth = 0
  history: DialHistory | null = null
  constructor(key: string) {
    this.key = key
  }
}

interface ActiveCall {
  readonly id: string
  readonly accountKey: string
  readonly profile: Profile
  readonly scopes: readonly { readonly scope: Scope; readonly limits: LimitSet }[]
  readonly number: NumberInfo
  readonly intl: boolean
  readonly premium: boolean
  readonly start: number
  answer: number | null
  /** tick() asked the gateway to end it at this time */
  ending: number | null
  /** alert-only findings already reported by tick() */
  alerted: Set<string> | null
}

const PREMIUM_CLASSES: ReadonlySet<DestinationClass> = new Set(['premium', 'shared-cost', 'satellite'])

/** what tick() findings say about a call (built only when there is a finding) */
function callDetail(c: ActiveCall): Record<string, unknown> {
  return { account: c.accountKey.split('\u0000')[1], e164: c.number.e164, cls: c.number.cls }
}

function money(n: number): number {
  return Math.round(n * 1e6) / 1e6
}

// ---------------------------------------------------------------------------------------

export class FraudEngine {
  readonly #policy: Policy
  readonly #classifier: Classifier
  readonly #rates: RateTable | null
  readonly #patterns: PatternChecker | null
  readonly #now: () => number
  readonly #maxActiveCalls: number
  readonly #maxRingMs: number
  readonly #endGraceMs: number
  readonly #detection: DetectionSettings
  readonly #historyCapacity: number

  readonly #tenants = new Map<string, Tenant>()
  readonly #trunks = new Map<string, Trunk>()
  /** account name → tenants that list it */
  readonly #accountTenants = new Map<string, Tenant[]>()
  /** a tenant's accounts by name (the first of a name, as Array.find): no scan per call */
  readonly #accountsByName = new Map<Tenant, Map<string, Tenant['accounts'][number]>>()
  readonly #profiles = new Map<string, Profile>()
  readonly #tenantDefaults = new Map<string, Profile>()
  #siteDefaults: Profile | null = null

  readonly #calls = new Map<string, ActiveCall>()
  readonly #accounts: LruCache<Scope>
  readonly #tenantScopes = new Map<string, Scope>()
  readonly #suspended = new Map<string, { until: number; finding: FraudFinding }>()
  readonly #maxSuspended: number

  constructor(opts: FraudEngineOptions) {
    this.#policy = opts.policy
    this.#classifier = opts.classifier ?? createClassifier(opts.policy)
    this.#rates = opts.rates ?? null
    this.#patterns = opts.patterns ?? null
    this.#now = opts.now ?? Date.now
    const maxAccounts = opts.maxAccounts ?? 20_000
    this.#accounts = new LruCache(maxAccounts)
    this.#maxSuspended = maxAccounts
    this.#maxActiveCalls = opts.maxActiveCalls ?? 50_000
    this.#maxRingMs = opts.maxRingMs ?? 10 * MINUTE
    this.#endGraceMs = opts.endGraceMs ?? 2 * MINUTE
    this.#detection = opts.policy.fraud.detection
    this.#historyCapacity = historyCapacity(this.#detection)
    for (const t of opts.policy.tenants) {
      this.#tenants.set(t.name, t)
      for (const a of t.accounts) {
        const list = this.#accountTenants.get(a.name) ?? []
        list.push(t)
        this.#accountTenants.set(a.name, list)
      }
    }
    for (const t of opts.policy.trunks) this.#trunks.set(t.name, t)
  }

  // ---- settings -------------------------------------------------------------------------

  /** The tenant of an account: the given one, else the only tenant that lists the account. */
  #tenantOf(account: string, tenant: string | null | undefined): Tenant | null {
    if (tenant != null) return this.#tenants.get(tenant) ?? null
    const list = this.#accountTenants.get(account)
    return list !== undefined && list.length === 1 ? list[0]! : null
  }

  #accountIn(tenant: Tenant, name: string): Tenant['accounts'][number] | undefined {
    let byName = this.#accountsByName.get(tenant)
    if (byName === undefined) {
      byName = new Map()
      for (const a of tenant.accounts) if (!byName.has(a.name)) byName.set(a.name, a)
      this.#accountsByName.set(tenant, byName)
    }
    return byName.get(name)
  }

  #accountKey(call: { account: string; tenant?: string | null; trunk?: string | null }): string {
    if (call.trunk != null && this.#trunks.has(call.trunk)) return `trunk\u0000${call.trunk}`
    const t = this.#tenantOf(call.account, call.tenant)
    return `${t?.name ?? call.tenant ?? ''}\u0000${call.account}`
  }

  #profileOf(call: CallAttempt): Profile {
    const p = this.#policy
    const trunk = call.trunk != null ? (this.#trunks.get(call.trunk) ?? null) : null
    if (trunk !== null) {
      const key = `trunk\u0000${trunk.name}`
      let prof = this.#profiles.get(key)
      if (prof === undefined) {
        const tenant = trunk.tenant !== undefined ? (this.#tenants.get(trunk.tenant) ?? null) : null
        const rights = mergeOverrides<CallingRights>(
          p.fraud.defaults.callingRights,
          tenant?.defaults.callingRights,
          trunk.callingRights,
        )
        const schedule = tenant?.defaults.schedule ?? p.fraud.defaults.schedule
        prof = compileProfile(p, tenant, trunk, rights, limitSet(trunk.limits), schedule, true)
        this.#profiles.set(key, prof)
      }
      return prof
    }
    const tenant = this.#tenantOf(call.account, call.tenant)
    const account = tenant !== null ? this.#accountIn(tenant, call.account) : undefined
    if (tenant !== null && account !== undefined) {
      const key = `${tenant.name}\u0000${account.name}`
      let prof = this.#profiles.get(key)
      if (prof === undefined) {
        const rights = mergeOverrides<CallingRights>(
          p.fraud.defaults.callingRights,
          tenant.defaults.callingRights,
          account.callingRights,
        )
        const limits = mergeOverrides<Limits>(p.fraud.defaults.limits, tenant.defaults.limits, account.limits)
        const schedule = account.schedule ?? tenant.defaults.schedule ?? p.fraud.defaults.schedule
        prof = compileProfile(p, tenant, null, rights, limitSet(limits), schedule, account.enabled)
        this.#profiles.set(key, prof)
      }
      return prof
    }
    // an account the policy does not list: its tenant's defaults, else the site's
    if (tenant !== null) {
      let prof = this.#tenantDefaults.get(tenant.name)
      if (prof === undefined) {
        const rights = mergeOverrides<CallingRights>(
          p.fraud.defaults.callingRights,
          tenant.defaults.callingRights,
        )
        const limits = mergeOverrides<Limits>(p.fraud.defaults.limits, tenant.defaults.limits)
        const schedule = tenant.defaults.schedule ?? p.fraud.defaults.schedule
        prof = compileProfile(p, tenant, null, rights, limitSet(limits), schedule, true)
        this.#tenantDefaults.set(tenant.name, prof)
      }
      return prof
    }
    this.#siteDefaults ??= compileProfile(
      p,
      null,
      null,
      p.fraud.defaults.callingRights,
      limitSet(p.fraud.defaults.limits),
      p.fraud.defaults.schedule,
      true,
    )
    return this.#siteDefaults
  }

  #finding(
    rule: FraudRule,
    code: string,
    message: string,
    detail: Record<string, unknown>,
    override?: { action?: FraudFinding['action']; severity?: FraudFinding['severity'] },
  ): FraudFinding {
    const r = this.#policy.fraud.rules[rule]
    return Object.freeze({
      rule,
      code,
      action: override?.action ?? r.action,
      severity: override?.severity ?? r.severity,
      message,
      detail: Object.freeze(detail),
    })
  }

  // ---- state ----------------------------------------------------------------------------

  #accountScope(key: string, create: boolean): Scope | undefined {
    const s = this.#accounts.get(key)
    if (s !== undefined || !create) return s
    const n = new Scope(key)
    this.#accounts.set(key, n, undefined, (v) => v.calls.size > 0)
    return n
  }

  #tenantScope(name: string): Scope {
    let s = this.#tenantScopes.get(name)
    if (s === undefined) {
      s = new Scope(`tenant\u0000${name}`)
      this.#tenantScopes.set(name, s)
    }
    return s
  }

  #suspension(key: string, now: number): { until: number; finding: FraudFinding } | null {
    const s = this.#suspended.get(key)
    if (s === undefined) return null
    if (s.until <= now) {
      this.#suspended.delete(key)
      return null
    }
    return s
  }

  #suspend(key: string, now: number, finding: FraudFinding): void {
    this.#suspended.delete(key)
    this.#suspended.set(key, { until: now + this.#policy.fraud.suspendMs, finding })
    if (this.#suspended.size > this.#maxSuspended) {
      for (const [k, v] of this.#suspended) if (v.until <= now) this.#suspended.delete(k)
      // still full: drop the oldest suspension (bounded table; the first is the oldest)
      while (this.#suspended.size > this.#maxSuspended) {
        const first = this.#suspended.keys().next().value
        if (first === undefined) break
        this.#suspended.delete(first)
      }
    }
  }

  /** Settled spend of the scope for the calendar day and month of `now` in `tz`. */
  #settled(scope: Scope, now: number, tz: string): { day: number; month: number } {
    const t = localTime(now, tz)
    if (scope.spendDayKey !== t.day) {
      scope.spendDayKey = t.day
      scope.spendDay = 0
    }
    if (scope.spendMonthKey !== t.month) {
      scope.spendMonthKey = t.month
      scope.spendMonth = 0
    }
    return { day: scope.spendDay, month: scope.spendMonth }
  }

  #liveCost(call: ActiveCall, now: number): number {
    if (call.answer === null || this.#rates === null || call.number.e164 === null) return 0
    return this.#rates.costOf(call.number.e164, now - call.answer) ?? 0
  }

  #scopeLive(scope: Scope, now: number): number {
    let sum = 0
    for (const c of scope.calls) sum += this.#liveCost(c, now)
    return sum
  }

  // ---- API ------------------------------------------------------------------------------

  /** Decides on a new call. Counters (concurrency, velocity) are taken only when it is allowed;
   * the dialling-pattern history records every attempt. Emergency calls are always allowed. */
  checkNewCall(call: CallAttempt): FraudDecision {
    const profile = this.#profileOf(call)
    const number = this.#classifier.classify(call.dialled, profile.tenant?.name ?? call.tenant ?? null)
    if (!this.#policy.fraud.enabled || number.cls === 'emergency')
      return Object.freeze({ allow: true, number, findings: Object.freeze([]) })
    const existing = this.#calls.get(call.id)
    if (existing !== undefined) return Object.freeze({ allow: true, number, findings: Object.freeze([]) })

    const now = call.time
    const key = this.#accountKey(call)
    const susp = this.#suspension(key, now)
    if (susp !== null) {
      const f = this.#finding(
        'barred',
        'fraud.account.suspended',
        `account ${call.account} is suspended until ${new Date(susp.until).toISOString()} (${susp.finding.code})`,
        { account: call.account, until: susp.until, cause: susp.finding.code },
        { action: 'reject' },
      )
      return this.#refuse(number, [f])
    }

    const findings: FraudFinding[] = []
    const home = profile.tenant?.country ?? this.#homeCountry(call)
    const intl = isInternational(number, home)
    const premium = PREMIUM_CLASSES.has(number.cls)
    const detail = {
      account: call.account,
      dialled: call.dialled,
      e164: number.e164,
      cls: number.cls,
      country: number.country,
    }

    if (!profile.enabled)
      findings.push(
        this.#finding('barred', 'fraud.barred.disabled', `account ${call.account} is disabled`, detail),
      )
    if (number.blacklisted)
      findings.push(
        this.#finding(
          'blacklist',
          'fraud.blacklist',
          `${number.e164 ?? call.dialled} is on a blacklist`,
          detail,
        ),
      )
    this.#barring(profile, number, intl, detail, findings)
    if (profile.schedule !== undefined && !inSchedule(profile.schedule, now, profile.timezone)) {
      if (!profile.schedule.outsideWindows.allow.includes(number.cls))
        findings.push(
          this.#finding(
            'schedule',
            'fraud.schedule.outside',
            `${number.cls} call outside the schedule windows (${profile.timezone})`,
            { ...detail, timezone: profile.timezone },
          ),
        )
    }

    const external = number.cls !== 'internal'
    const scopes: { scope: Scope; limits: LimitSet }[] = []
    let accountScope: Scope | undefined
    if (external) {
      accountScope = this.#accountScope(key, true)!
      scopes.push({ scope: accountScope, limits: profile.limits })
      const tenant = profile.tenant
      if (tenant?.limits !== undefined)
        scopes.push({ scope: this.#tenantScope(tenant.name), limits: limitSet(tenant.limits) })
      if (this.#calls.size >= this.#maxActiveCalls)
        findings.push(
          this.#finding(
            'concurrency',
            'fraud.concurrency.site',
            `${this.#calls.size} calls in progress: the engine's limit`,
            { ...detail, count: this.#calls.size, limit: this.#maxActiveCalls },
            { action: 'reject' },
          ),
        )
      for (const { scope, limits } of scopes)
        this.#checkLimits(scope, limits, profile, now, intl, premium, detail, findings)

      // dialling patterns (all attempts, refused ones included)
      accountScope.history ??= new DialHistory(this.#historyCapacity)
      for (const d of accountScope.history.record(number, now, this.#detection)) {
        if (d.kind === 'sequential')
          findings.push(
            this.#finding(
              'sequential',
              'fraud.sequential',
              `${d.count} calls in a row to ${String(d.detail.number)}`,
              {
                ...detail,
                ...d.detail,
                count: d.count,
                threshold: d.threshold,
              },
            ),
          )
        else
          findings.push(
            this.#finding(
              'probing',
              d.kind === 'prefix' ? 'fraud.probing.prefix' : 'fraud.probing.walking',
              d.kind === 'prefix'
                ? `the same number dialled with ${d.count} different prefixes`
                : `${d.count} consecutive numbers dialled`,
              { ...detail, ...d.detail, count: d.count, threshold: d.threshold },
            ),
          )
      }
      if (this.#patterns !== null) findings.push(...this.#patterns.check(call, number))
    }

    const refuse = findings.some((f) => f.action !== 'alert')
    const suspendBy = findings.find((f) => f.action === 'suspend')
    if (suspendBy !== undefined) this.#suspend(key, now, suspendBy)
    if (refuse) return this.#refuse(number, findings)

    if (external && accountScope !== undefined) {
      const active: ActiveCall = {
        id: call.id,
        accountKey: key,
        profile,
        scopes,
        number,
        intl,
        premium,
        start: now,
        answer: null,
        ending: null,
        alerted: null,
      }
      this.#calls.set(call.id, active)
      for (const { scope } of scopes) {
        scope.calls.add(active)
        if (intl) scope.activeIntl++
        if (premium) scope.activePremium++
        scope.minute.add(now)
        scope.hour.add(now)
        scope.day.add(now)
        if (intl) {
          ;(scope.intlHour ??= new BucketWindow(HOUR, 12)).add(now)
          ;(scope.intlDay ??= new BucketWindow(DAY, 24)).add(now)
        }
        if (premium) {
          ;(scope.premHour ??= new BucketWindow(HOUR, 12)).add(now)
          ;(scope.premDay ??= new BucketWindow(DAY, 24)).add(now)
        }
      }
    }
    return Object.freeze({ allow: true, number, findings: Object.freeze(findings) })
  }

  #homeCountry(call: CallAttempt): string | null {
    const c = this.#classifier as Partial<{ homeCountry(t?: string | null): string | null }>
    return typeof c.homeCountry === 'function' ? c.homeCountry(call.tenant ?? null) : null
  }

  #refuse(number: NumberInfo, findings: readonly FraudFinding[]): FraudDecision {
    return Object.freeze({
      allow: false,
      status: this.#policy.fraud.reject.status,
      reason: this.#policy.fraud.reject.reason,
      number,
      findings: Object.freeze([...findings]),
    })
  }

  #barring(
    profile: Profile,
    number: NumberInfo,
    intl: boolean,
    detail: Record<string, unknown>,
    out: FraudFinding[],
  ): void {
    const digits = number.e164?.slice(1) ?? null
    if (digits !== null && profile.numbersDeny.match(digits) !== null) {
      out.push(
        this.#finding(
          'barred',
          'fraud.barred.number',
          `${number.e164} is denied by callingRights.numbers.deny`,
          detail,
        ),
      )
      return
    }
    if (digits !== null && profile.numbersAllow.match(digits) !== null) return // an explicit exception
    if (!profile.allow.has(number.cls))
      out.push(
        this.#finding(
          'barred',
          `fraud.barred.${number.cls}`,
          `${number.cls} destinations are not allowed`,
          detail,
        ),
      )
    if (intl && number.cls !== 'international' && !profile.allow.has('international'))
      out.push(
        this.#finding('barred', 'fraud.barred.international', 'international calls are not allowed', detail),
      )
    if (intl) {
      const c = number.country
      const denied = c !== null && profile.countriesDeny.has(c)
      const notListed = profile.countriesAllow.size > 0 && (c === null || !profile.countriesAllow.has(c))
      if (denied || notListed)
        out.push(
          this.#finding(
            'barred',
            'fraud.barred.country',
            `calls to ${c ?? 'non-geographic numbers'} are not allowed`,
            detail,
          ),
        )
    }
    if (number.highRisk && profile.highRisk !== 'allow')
      out.push(
        this.#finding(
          'barred',
          'fraud.barred.high-risk',
          `${number.e164} is in a high-risk range`,
          detail,
          profile.highRisk === 'alert' ? { action: 'alert', severity: 'critical' } : { severity: 'critical' },
        ),
      )
  }

  #checkLimits(
    scope: Scope,
    l: LimitSet,
    profile: Profile,
    now: number,
    intl: boolean,
    premium: boolean,
    detail: Record<string, unknown>,
    out: FraudFinding[],
  ): void {
    const who = scope.key.startsWith('tenant\u0000') ? `tenant ${scope.key.slice(7)}` : 'account'
    const over = (
      rule: 'concurrency' | 'velocity',
      code: string,
      what: string,
      count: number,
      limit: number | null,
    ) => {
      if (limit !== null && count >= limit)
        out.push(
          this.#finding(rule, code, `${who}: ${what} ${count} of ${limit}`, {
            ...detail,
            scope: who,
            count,
            limit,
          }),
        )
    }
    over('concurrency', 'fraud.concurrency', 'calls up', scope.calls.size, l.concurrentCalls)
    if (intl)
      over(
        'concurrency',
        'fraud.concurrency.international',
        'international calls up',
        scope.activeIntl,
        l.international.concurrentCalls,
      )
    if (premium)
      over(
        'concurrency',
        'fraud.concurrency.premium',
        'premium calls up',
        scope.activePremium,
        l.premium.concurrentCalls,
      )
    over(
      'velocity',
      'fraud.velocity.minute',
      'calls in the last minute',
      scope.minute.count(now),
      l.callsPerMinute,
    )
    over('velocity', 'fraud.velocity.hour', 'calls in the last hour', scope.hour.count(now), l.callsPerHour)
    over('velocity', 'fraud.velocity.day', 'calls in the last 24 hours', scope.day.count(now), l.callsPerDay)
    if (intl) {
      over(
        'velocity',
        'fraud.velocity.international.hour',
        'international calls in the last hour',
        scope.intlHour?.count(now) ?? 0,
        l.international.callsPerHour,
      )
      over(
        'velocity',
        'fraud.velocity.international.day',
        'international calls in the last 24 hours',
        scope.intlDay?.count(now) ?? 0,
        l.international.callsPerDay,
      )
    }
    if (premium) {
      over(
        'velocity',
        'fraud.velocity.premium.hour',
        'premium calls in the last hour',
        scope.premHour?.count(now) ?? 0,
        l.premium.callsPerHour,
      )
      over(
        'velocity',
        'fraud.velocity.premium.day',
        'premium calls in the last 24 hours',
        scope.premDay?.count(now) ?? 0,
        l.premium.callsPerDay,
      )
    }
    if (this.#rates !== null && (l.spend.perDay !== null || l.spend.perMonth !== null)) {
      const settled = this.#settled(scope, now, profile.timezone)
      const live = this.#scopeLive(scope, now)
      const spendOver = (code: string, what: string, spent: number, limit: number | null) => {
        if (limit !== null && spent >= limit)
          out.push(
            this.#finding(
              'spend',
              code,
              `${who}: ${what} ${money(spent)} of ${limit} ${this.#policy.fraud.currency}`,
              {
                ...detail,
                scope: who,
                spent: money(spent),
                limit,
              },
            ),
          )
      }
      spendOver('fraud.spend.day', 'spend today', settled.day + live, l.spend.perDay)
      spendOver('fraud.spend.month', 'spend this month', settled.month + live, l.spend.perMonth)
    }
  }

  /** The call was answered (2xx to the INVITE). */
  answered(id: string, time: number): void {
    const c = this.#calls.get(id)
    if (c !== undefined && c.answer === null) c.answer = time
  }

  /** The call is over, however it ended (BYE, CANCEL, failure, timeout): releases every counter
   * it took and books its cost. Idempotent; unknown ids are ignored. */
  ended(id: string, time: number): void {
    const c = this.#calls.get(id)
    if (c === undefined) return
    this.#calls.delete(id)
    const cost = this.#liveCost(c, Math.max(time, c.answer ?? time))
    for (const { scope } of c.scopes) {
      scope.calls.delete(c)
      if (c.intl) scope.activeIntl--
      if (c.premium) scope.activePremium--
      if (cost > 0) {
        this.#settled(scope, time, c.profile.timezone)
        scope.spendDay += cost
        scope.spendMonth += cost
      }
    }
    // touch the account so that an account that just went idle is the last one evicted
    this.#accounts.get(c.accountKey)
  }

  /** Calls in progress to end now: max duration, per-call / day / month spend including the live
   * cost of calls still up, suspended accounts, calls ringing for too long. A finding whose
   * action is `alert` is reported once and the call goes on; every other call in the list is to
   * be ended (the gateway sends BYE / CANCEL and then calls ended()). */
  tick(now: number = this.#now()): Array<{ id: string; finding: FraudFinding }> {
    const out: Array<{ id: string; finding: FraudFinding }> = []
    const touched = new Map<Scope, { limits: LimitSet; tz: string }>()
    const stale: string[] = []
    const report = (c: ActiveCall, f: FraudFinding): void => {
      if (f.action === 'alert') {
        c.alerted ??= new Set()
        if (c.alerted.has(f.code)) return
        c.alerted.add(f.code)
      } else {
        c.ending = now
        if (f.action === 'suspend') this.#suspend(c.accountKey, now, f)
      }
      out.push({ id: c.id, finding: f })
    }
    for (const c of this.#calls.values()) {
      if (c.ending !== null) {
        if (now - c.ending >= this.#endGraceMs) stale.push(c.id)
        continue
      }
      const susp = this.#suspension(c.accountKey, now)
      if (susp !== null) {
        report(
          c,
          this.#finding(
            'barred',
            'fraud.account.suspended',
            `account suspended (${susp.finding.code})`,
            { ...callDetail(c), cause: susp.finding.code },
            { action: 'reject' },
          ),
        )
        continue
      }
      if (c.answer === null) {
        if (now - c.start >= this.#maxRingMs)
          report(
            c,
            this.#finding(
              'duration',
              'fraud.duration.ringing',
              `call unanswered after ${Math.round((now - c.start) / 1000)} s`,
              { ...callDetail(c), ringMs: now - c.start },
              { action: 'reject' },
            ),
          )
        continue
      }
      const talk = now - c.answer
      let maxMs: number | null = null
      let perCall: number | null = null
      for (const { scope, limits } of c.scopes) {
        if (limits.maxCallDurationMs !== null) maxMs = Math.min(maxMs ?? Infinity, limits.maxCallDurationMs)
        if (limits.spend.perCall !== null) perCall = Math.min(perCall ?? Infinity, limits.spend.perCall)
        if (limits.spend.perDay !== null || limits.spend.perMonth !== null)
          touched.set(scope, { limits, tz: c.profile.timezone })
      }
      if (maxMs !== null && talk >= maxMs) {
        report(
          c,
          this.#finding(
            'duration',
            'fraud.duration',
            `call up for ${Math.round(talk / 1000)} s, limit ${Math.round(maxMs / 1000)} s`,
            { ...callDetail(c), durationMs: talk, limitMs: maxMs },
          ),
        )
        if (c.ending !== null) continue
      }
      if (perCall !== null) {
        const cost = this.#liveCost(c, now)
        if (cost >= perCall)
          report(
            c,
            this.#finding(
              'spend',
              'fraud.spend.call',
              `call cost ${money(cost)} of ${perCall} ${this.#policy.fraud.currency}`,
              { ...callDetail(c), spent: money(cost), limit: perCall },
            ),
          )
      }
    }
    if (this.#rates !== null)
      for (const [scope, { limits, tz }] of touched) {
        const settled = this.#settled(scope, now, tz)
        const live = this.#scopeLive(scope, now)
        const which =
          limits.spend.perDay !== null && settled.day + live >= limits.spend.perDay
            ? {
                code: 'fraud.spend.day',
                spent: settled.day + live,
                limit: limits.spend.perDay,
                what: 'spend today',
              }
            : limits.spend.perMonth !== null && settled.month + live >= limits.spend.perMonth
              ? {
                  code: 'fraud.spend.month',
                  spent: settled.month + live,
                  limit: limits.spend.perMonth,
                  what: 'spend this month',
                }
              : null
        if (which === null) continue
        const who = scope.key.startsWith('tenant\u0000') ? `tenant ${scope.key.slice(7)}` : 'account'
        const f = this.#finding(
          'spend',
          which.code,
          `${who}: ${which.what} ${money(which.spent)} of ${which.limit} ${this.#policy.fraud.currency} (calls in progress included)`,
          {
            scope: who,
            spent: money(which.spent),
            limit: which.limit,
          },
        )
        for (const c of scope.calls) if (c.ending === null) report(c, f)
      }
    for (const id of stale) this.ended(id, now)
    return out
  }

  /** True while the account is suspended (by a rule whose action is suspend). */
  isSuspended(account: string, now: number = this.#now(), tenant?: string | null): boolean {
    return this.#suspension(this.#accountKey({ account, tenant: tenant ?? null }), now) !== null
  }

  /** Lifts a suspension early (admin action). Returns whether there was one. */
  unsuspend(account: string, tenant?: string | null): boolean {
    return this.#suspended.delete(this.#accountKey({ account, tenant: tenant ?? null }))
  }

  /** Settled spend of an account (calls that ended) for its current calendar day and month, as
   * the gateway persists it (src/proxy/fraud-hooks.ts); null when the account has no counters. */
  spendOf(account: string, tenant?: string | null, now: number = this.#now()): SpendSnapshot | null {
    const key = this.#accountKey({ account, tenant: tenant ?? null })
    const s = this.#accounts.peek(key)
    if (s === undefined) return null
    const tz = this.#profileOf({ id: '', account, tenant: tenant ?? null, dialled: '', time: now }).timezone
    const t = this.#settled(s, now, tz)
    return { day: s.spendDayKey, spendDay: t.day, month: s.spendMonthKey, spendMonth: t.month }
  }

  /** Puts back counters persisted before a restart: the settled spend (kept only when its day /
   * month is still the current one) and the calls of the last 24 hours (all, international,
   * premium), which count in the day windows from `now` on. Applied to the account and to its
   * tenant when the tenant has limits (a tenant's counters are the sum of its accounts).
   * Concurrency is never restored: calls in progress die with the process. */
  restore(r: CounterSnapshot, now: number = this.#now()): void {
    const tenant = r.tenant ?? null
    const profile = this.#profileOf({ id: '', account: r.account, tenant, dialled: '', time: now })
    const scopes = [this.#accountScope(this.#accountKey({ account: r.account, tenant }), true)!]
    if (profile.tenant?.limits !== undefined) scopes.push(this.#tenantScope(profile.tenant.name))
    const n = (v: number | undefined) => Math.min(Math.max(0, Math.floor(v ?? 0)), 100_000)
    const amount = (v: number) => (Number.isFinite(v) && v > 0 ? v : 0)
    for (const s of scopes) {
      this.#settled(s, now, profile.timezone)
      if (r.spend !== undefined) {
        if (r.spend.day === s.spendDayKey) s.spendDay += amount(r.spend.spendDay)
        if (r.spend.month === s.spendMonthKey) s.spendMonth += amount(r.spend.spendMonth)
      }
      for (let i = n(r.callsDay); i > 0; i--) s.day.add(now)
      for (let i = n(r.internationalDay); i > 0; i--) (s.intlDay ??= new BucketWindow(DAY, 24)).add(now)
      for (let i = n(r.premiumDay); i > 0; i--) (s.premDay ??= new BucketWindow(DAY, 24)).add(now)
    }
  }

  stats(): { activeCalls: number; accountsTracked: number; suspended: number } {
    return {
      activeCalls: this.#calls.size,
      accountsTracked: this.#accounts.size,
      suspended: this.#suspended.size,
    }
  }

  /** Calls up and counters of one account (for the admin API and tests). */
  accountState(
    account: string,
    tenant?: string | null,
  ): { calls: number; international: number; premium: number } | null {
    const s = this.#accounts.peek(this.#accountKey({ account, tenant: tenant ?? null }))
    return s === undefined
      ? null
      : { calls: s.calls.size, international: s.activeIntl, premium: s.activePremium }
  }
}
