// Learned per-account calling patterns (the `learned` rule). From CDR history each account
// gets: calls per hour of the week (168 buckets, local time of its tenant), the countries and
// destination classes it has called, and a histogram of talk times. Once an account has
// fraud.learning.minHistoryMs of history, a new call is checked against it:
// - fraud.learned.new-country: a country the account never called (alertOnNewCountry),
// - fraud.learned.new-class: a risky destination class (premium, satellite, …) never called,
// - fraud.learned.off-hours: a burst in an hour of the week in which it (almost) never calls,
// - fraud.learned.volume: an hour's calls above volumeFactor × the norm for that hour of week,
// - fraud.learned.long-call (on completion): talk time far above what the account is used to.
// Memory is bounded: fixed arrays per account, a capped country set, a capped account count.
// The hour being learned is kept apart until it is over, so that a burst does not raise its
// own norm while it is going on.
import type { Cdr } from '../cdr/types.js'
import { type ZoneClock, zoneClock } from '../cdr/time.js'
import { DESTINATION_CLASSES, type DestinationClass, type Policy } from '../config/schema.js'
import type { NumberInfo } from './classify.js'
import type { CallAttempt, FraudFinding, PatternChecker } from './engine.js'

const HOUR = 3_600_000
const WEEK = 168 * HOUR
/** the hour's calls needed before a burst counts (an off-hours call now and then is normal) */
export const MIN_BURST = 4
/** an hour of the week with fewer calls per week than this is off-hours for the account */
export const OFF_HOURS_NORM = 0.25
/** answered calls needed before talk times are judged */
const MIN_ANSWERED = 20
/** a call shorter than this is never "unusually long" */
const LONG_CALL_FLOOR_S = 1800
const DURATION_BINS = 24
/** classes whose first call is worth an alert */
const RISKY_CLASSES: ReadonlySet<DestinationClass> = new Set<DestinationClass>([
  'premium',
  'satellite',
  'shared-cost',
  'personal',
  'uan',
  'pager',
  'voicemail',
  'international',
])
const CLASS_BIT = new Map<string, number>(DESTINATION_CLASSES.map((c, i) => [c, 2 ** i]))

export interface PatternOptions {
  readonly minHistoryMs: number
  readonly volumeFactor: number
  readonly alertOnNewCountry: boolean
  readonly enabled?: boolean
  /** what a learned finding does (fraud.rules.learned) */
  readonly action?: FraudFinding['action']
  readonly severity?: FraudFinding['severity']
  /** time zone of a tenant (null: no tenant); default UTC */
  readonly timeZoneOf?: (tenant: string | null) => string
  /** accounts tracked at most; further accounts are not learned. Default 50 000. */
  readonly maxAccounts?: number
  /** countries remembered per account; beyond, new countries are no longer reported. Default 48. */
  readonly maxCountries?: number
}

/** The pattern options of a policy (fraud.learning, fraud.rules.learned, time zones). */
export function patternOptions(policy: Policy): PatternOptions {
  const zones = new Map<string, string>(
    policy.tenants.map((t) => [t.name, t.timezone ?? policy.site.timezone]),
  )
  return {
    ...policy.fraud.learning,
    action: policy.fraud.rules.learned.action,
    severity: policy.fraud.rules.learned.severity,
    timeZoneOf: (tenant) =>
      tenant !== null ? (zones.get(tenant) ?? policy.site.timezone) : policy.site.timezone,
  }
}

interface AccountPattern {
  readonly zone: ZoneClock
  first: number
  last: number
  /** calls per hour of week, committed (complete hours only) */
  readonly hours: Uint32Array
  /** the local hour (absolute) being learned, and its calls so far */
  learnHour: number
  learnCount: number
  readonly countries: Set<string>
  /** destination classes called, one bit per DESTINATION_CLASSES index */
  classes: number
  /** talk times: bin b counts calls of 2^b − 1 … 2^(b+1) − 2 seconds */
  readonly talk: Uint32Array
  answered: number
  /** cached 99th-percentile bin (−1: not computed) and the answered count it was computed at */
  p99Bin: number
  p99At: number
  // check-side state, not persisted
  checkHour: number
  checkCount: number
  /** bit 1: volume alert raised this hour, bit 2: off-hours alert raised this hour */
  alerted: number
  /** countries/classes reported and not learned yet (one alert each, not one per call of a burst) */
  reported: Set<string> | null
}

export interface PatternsSnapshot {
  readonly version: 1
  readonly accounts: ReadonlyArray<{
    readonly tenant: string | null
    readonly account: string
    readonly zone: string
    readonly first: number
    readonly last: number
    readonly hours: readonly number[]
    readonly countries: readonly string[]
    readonly classes: number
    readonly talk: readonly number[]
    readonly answered: number
  }>
}

export class LearnedPatterns implements PatternChecker {
  readonly #opts: Required<Omit<PatternOptions, 'timeZoneOf'>>
  readonly #zoneOf: (tenant: string | null) => string
  readonly #accounts = new Map<string, AccountPattern>()
  /** the same patterns by tenant ('' for none) and account: a lookup builds no key string */
  readonly #byTenant = new Map<string, Map<string, AccountPattern>>()
  /** accounts not learned because the table was full */
  notTracked = 0

  constructor(opts: PatternOptions) {
    this.#opts = {
      enabled: true,
      action: 'alert',
      severity: 'warning',
      maxAccounts: 50_000,
      maxCountries: 48,
      ...opts,
    }
    this.#zoneOf = opts.timeZoneOf ?? (() => 'UTC')
  }

  get size(): number {
    return this.#accounts.size
  }

  /** Learns from a finished call (any disposition: an attempt is a habit too). `tenant`
   * overrides the CDR's (an imported CDR gets its tenant from the policy). */
  learn(cdr: Cdr, number: NumberInfo, tenant: string | null = cdr.tenant): void {
    if (cdr.account === null || !this.#opts.enabled) return
    const p = this.#get(cdr.account, tenant, true)
    if (p === null) return
    if (cdr.start < p.first) p.first = cdr.start
    if (cdr.start > p.last) p.last = cdr.start
    const hour = Math.floor((cdr.start + p.zone.offsetAt(cdr.start)) / HOUR)
    if (hour !== p.learnHour) {
      commit(p)
      p.learnHour = hour
    }
    p.learnCount++
    if (number.country !== null && p.countries.size < this.#opts.maxCountries) p.countries.add(number.country)
    p.classes |= CLASS_BIT.get(number.cls) ?? 0
    if (p.reported !== null) {
      if (number.country !== null) p.reported.delete(`c:${number.country}`)
      p.reported.delete(`k:${number.cls}`)
    }
    if (cdr.answer !== null && cdr.billableMs > 0) {
      p.talk[talkBin(cdr.billableMs)]!++
      p.answered++
    }
  }

  /** Checks a new call against the account's pattern. */
  check(call: CallAttempt, number: NumberInfo): readonly FraudFinding[] {
    if (!this.#opts.enabled) return NONE
    const p = this.#get(call.account, call.tenant ?? null, false)
    if (p === null) return NONE
    const hour = Math.floor((call.time + p.zone.offsetAt(call.time)) / HOUR)
    if (hour !== p.checkHour) {
      p.checkHour = hour
      p.checkCount = 0
      p.alerted = 0
    }
    p.checkCount++
    const history = call.time - p.first
    if (history < this.#opts.minHistoryMs) return NONE
    let out: FraudFinding[] | null = null
    const add = (code: string, message: string, detail: Record<string, unknown>) => {
      ;(out ??= []).push({
        rule: 'learned',
        code,
        action: this.#opts.action,
        severity: this.#opts.severity,
        message,
        detail: { account: call.account, dialled: call.dialled, ...detail },
      })
    }
    // new country / new risky class: once per country until a call to it is learned
    const country = number.country
    if (
      this.#opts.alertOnNewCountry &&
      country !== null &&
      !p.countries.has(country) &&
      p.countries.size < this.#opts.maxCountries &&
      this.#firstReport(p, `c:${country}`)
    )
      add('fraud.learned.new-country', `first call to ${country} from ${call.account}`, { country })
    if (
      RISKY_CLASSES.has(number.cls) &&
      (p.classes & (CLASS_BIT.get(number.cls) ?? 0)) === 0 &&
      this.#firstReport(p, `k:${number.cls}`)
    )
      add('fraud.learned.new-class', `first ${number.cls} call from ${call.account}`, { cls: number.cls })
    // bursts against the norm of this hour of the week
    if (p.checkCount >= MIN_BURST) {
      const how = (((hour + 72) % 168) + 168) % 168
      const weeks = Math.max(1, (p.last - p.first) / WEEK)
      const norm = p.hours[how]! / weeks
      if (norm < OFF_HOURS_NORM) {
        if ((p.alerted & 2) === 0) {
          p.alerted |= 2
          add(
            'fraud.learned.off-hours',
            `${p.checkCount} calls from ${call.account} in an hour when it normally makes none`,
            { calls: p.checkCount, norm: round(norm), hourOfWeek: how },
          )
        }
      } else if (p.checkCount > this.#opts.volumeFactor * Math.max(norm, 1) && (p.alerted & 3) === 0) {
        p.alerted |= 1
        add(
          'fraud.learned.volume',
          `${p.checkCount} calls from ${call.account} this hour, ${this.#opts.volumeFactor}× above its norm of ${round(norm)}`,
          { calls: p.checkCount, norm: round(norm), hourOfWeek: how },
        )
      }
    }
    return out ?? NONE
  }

  /** Checks a finished call (talk time); call before learn(). */
  checkCompleted(cdr: Cdr, tenant: string | null = cdr.tenant): readonly FraudFinding[] {
    if (cdr.account === null || !this.#opts.enabled || cdr.billableMs <= 0) return NONE
    const p = this.#byTenant.get(tenant ?? '')?.get(cdr.account)
    if (p === undefined || p.answered < MIN_ANSWERED || cdr.start - p.first < this.#opts.minHistoryMs)
      return NONE
    const usual = 2 ** (p99Bin(p) + 1) - 1
    const limit = Math.max(LONG_CALL_FLOOR_S, this.#opts.volumeFactor * usual)
    const secs = Math.round(cdr.billableMs / 1000)
    if (secs <= limit) return NONE
    return [
      {
        rule: 'learned',
        code: 'fraud.learned.long-call',
        action: this.#opts.action,
        severity: this.#opts.severity,
        message: `${secs} s call from ${cdr.account}, its calls are normally under ${usual} s`,
        detail: { account: cdr.account, dialled: cdr.dialled, seconds: secs, usualSeconds: usual },
      },
    ]
  }

  /** The learned state, as plain JSON (complete hours and the hour being learned). */
  toJSON(): PatternsSnapshot {
    const accounts: Array<PatternsSnapshot['accounts'][number]> = []
    for (const [k, p] of this.#accounts) {
      const sep = k.indexOf('\u0000')
      const hours = Array.from(p.hours)
      if (p.learnHour >= 0) hours[(((p.learnHour + 72) % 168) + 168) % 168]! += p.learnCount
      accounts.push({
        tenant: sep > 0 ? k.slice(0, sep) : null,
        account: k.slice(sep + 1),
        zone: p.zone.timeZone,
        first: p.first,
        last: p.last,
        hours,
        countries: [...p.countries],
        classes: p.classes,
        talk: Array.from(p.talk),
        answered: p.answered,
      })
    }
    return { version: 1, accounts }
  }

  static fromJSON(json: unknown, opts: PatternOptions): LearnedPatterns {
    const lp = new LearnedPatterns(opts)
    const s = json as Partial<PatternsSnapshot> | null
    if (s === null || typeof s !== 'object' || s.version !== 1 || !Array.isArray(s.accounts))
      throw new TypeError('not a learned-patterns snapshot (version 1)')
    for (const a of s.accounts) {
      if (
        typeof a?.account !== 'string' ||
        !Array.isArray(a.hours) ||
        a.hours.length !== 168 ||
        !Array.isArray(a.talk) ||
        a.talk.length !== DURATION_BINS ||
        !Array.isArray(a.countries) ||
        !Number.isFinite(a.first) ||
        !Number.isFinite(a.last)
      )
        throw new TypeError(`bad learned pattern for account ${String(a?.account)}`)
      const p = lp.#get(a.account, a.tenant ?? null, true)
      if (p === null) break
      p.first = a.first
      p.last = a.last
      p.hours.set(a.hours)
      p.talk.set(a.talk)
      p.answered = a.answered
      p.classes = a.classes
      for (const c of a.countries.slice(0, lp.#opts.maxCountries)) p.countries.add(String(c))
    }
    return lp
  }

  #firstReport(p: AccountPattern, what: string): boolean {
    p.reported ??= new Set()
    if (p.reported.has(what)) return false
    if (p.reported.size >= 16) p.reported.clear()
    p.reported.add(what)
    return true
  }

  #get(account: string, tenant: string | null, create: boolean): AccountPattern | null {
    let p = this.#byTenant.get(tenant ?? '')?.get(account)
    if (p !== undefined) return p
    if (!create) return null
    if (this.#accounts.size >= this.#opts.maxAccounts) {
      this.notTracked++
      return null
    }
    p = {
      zone: zoneClock(this.#zoneOf(tenant)),
      first: Number.POSITIVE_INFINITY,
      last: Number.NEGATIVE_INFINITY,
      hours: new Uint32Array(168),
      learnHour: -1,
      learnCount: 0,
      countries: new Set(),
      classes: 0,
      talk: new Uint32Array(DURATION_BINS),
      answered: 0,
      p99Bin: -1,
      p99At: 0,
      checkHour: -1,
      checkCount: 0,
      alerted: 0,
      reported: null,
    }
    this.#accounts.set(key(account, tenant), p)
    let inTenant = this.#byTenant.get(tenant ?? '')
    if (inTenant === undefined) this.#byTenant.set(tenant ?? '', (inTenant = new Map()))
    inTenant.set(account, p)
    return p
  }
}

const NONE: readonly FraudFinding[] = Object.freeze([])

function key(account: string, tenant: string | null): string {
  return tenant !== null ? `${tenant}\u0000${account}` : `\u0000${account}`
}

function commit(p: AccountPattern): void {
  if (p.learnHour >= 0 && p.learnCount > 0) {
    const how = (((p.learnHour + 72) % 168) + 168) % 168
    p.hours[how] = p.hours[how]! + p.learnCount
  }
  p.learnCount = 0
}

/** the talk-time bin of the 99th percentile; recomputed when the history grew by 1/16 */
function p99Bin(p: AccountPattern): number {
  if (p.p99Bin >= 0 && p.answered - p.p99At <= p.answered >> 4) return p.p99Bin
  let rest = Math.max(1, Math.floor(p.answered / 100))
  let bin = DURATION_BINS - 1
  for (; bin > 0; bin--) {
    rest -= p.talk[bin]!
    if (rest < 0) break
  }
  p.p99Bin = bin
  p.p99At = p.answered
  return bin
}

function talkBin(ms: number): number {
  const b = Math.floor(Math.log2(ms / 1000 + 1))
  return b < 0 ? 0 : b >= DURATION_BINS ? DURATION_BINS - 1 : b
}

function round(x: number): number {
  return Math.round(x * 100) / 100
}
