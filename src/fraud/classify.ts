// Number classification: what a dialled number is, from the caller's tenant's point of view.
//
//   dialled "9 011 44 909 879 0000"  (US tenant, outside line 9)
//     → strip technical prefixes (*31#), recognise emergency numbers and internal extensions
//     → strip the outside-line prefix, then an international prefix (00, 011, …) or parse it
//       as a national number of the tenant's country (national prefix 0, 1, …)
//     → E.164 "+449098790000" → libphonenumber-js (max metadata): GB, PREMIUM_RATE → premium
//     → high-risk ranges and blacklists are looked up on the E.164 form
//
// It runs on every new call and on every imported CDR, so results are memoised in a bounded
// LRU keyed by (tenant, dialled).

import parsePhoneNumber, {
  Metadata,
  type CountryCode,
  type NumberType,
  type PhoneNumber,
} from 'libphonenumber-js/max'
import metadata from 'libphonenumber-js/metadata.max.json'
import { isAbsolute, resolve } from 'node:path'
import type { DestinationClass, Policy, Tenant } from '../config/schema.js'
import { Blacklist } from './blacklist.js'
import { GenerationalCache } from './lru-cache.js'
import { numberIsValid, numberType, reparsesToItself } from './number-type.js'
import { type HighRiskRanges, loadHighRiskRanges } from './ranges.js'

/** What a dialled number is. */
export interface NumberInfo {
  /** the number as dialled */
  readonly dialled: string
  /** normalised E.164 (+ and digits); null when it cannot be normalised (internal, emergency, garbage) */
  readonly e164: string | null
  /** ISO 3166 alpha-2 country of the number; null for non-geographic and unknown numbers */
  readonly country: string | null
  readonly cls: DestinationClass
  /** in the high-risk ranges list */
  readonly highRisk: boolean
  /** on a blacklist */
  readonly blacklisted: boolean
  /** technical / outside-line / international prefix that was stripped, null when none */
  readonly prefix: string | null
}

export interface Classifier {
  classify(dialled: string, tenant?: string | null): NumberInfo
}

export interface ClassifierOptions {
  /** directory against which relative data file paths are resolved (the policy file's directory) */
  readonly baseDir?: string
  /** memoised classifications (default 50 000) */
  readonly cacheSize?: number
  /** poll blacklist files for changes every this many ms (default: no reloading) */
  readonly watchIntervalMs?: number
  /** a blacklist reload failed (the previous list stays in force) */
  readonly onError?: (err: Error) => void
  /** ready-made data, mainly for tests and for sharing one load between engines */
  readonly ranges?: HighRiskRanges
  readonly blacklist?: Blacklist
}

/** A classifier that also owns data files (stop watching with close()). */
export interface FraudClassifier extends Classifier {
  readonly ranges: HighRiskRanges
  readonly blacklist: Blacklist
  /** home country of a tenant (null when the tenant is unknown and the policy has several) */
  homeCountry(tenant?: string | null): string | null
  /** memoises a classification computed by rawClassifier() for the same policy */
  prime(dialled: string, tenant: string | null, raw: RawClassification): void
  close(): void
}

/** True when the number is outside `home` (another country or a non-geographic code). */
export function isInternational(n: NumberInfo, home: string | null): boolean {
  if (n.e164 === null || n.cls === 'internal' || n.cls === 'emergency') return false
  if (n.country === null) return true
  return home === null ? false : n.country !== home
}

// ---------------------------------------------------------------------------------------
// Dialling plans

interface Plan {
  readonly tenant: string | null
  readonly country: CountryCode | null
  /** literal international prefixes, longest first */
  readonly intl: readonly string[]
  /** the country's international prefix pattern when none is configured (e.g. AU 0011, 0014, …) */
  readonly intlRe: RegExp | null
  readonly outsideLine: string | null
  /** longest first */
  readonly technical: readonly string[]
  readonly maxExtensionDigits: number
  readonly extensions: ReadonlySet<string>
  readonly emergency: ReadonlySet<string>
  readonly shortPremium: RegExp | null
}

interface NumberingPlanLike {
  IDDPrefix(): string | undefined
  defaultIDDPrefix(): string | undefined
  nationalPrefix(): string | undefined
  callingCode(): string
}

/** Emergency numbers by country (besides 112, which every country gets). */
const EMERGENCY: Readonly<Record<string, readonly string[]>> = {
  GB: ['999'],
  IE: ['999'],
  DE: ['110'],
  AT: ['122', '133', '144', '140', '141'],
  CH: ['117', '118', '144', '145', '1414'],
  FR: ['15', '17', '18', '114', '115', '119', '191', '196', '197'],
  IT: ['113', '115', '118'],
  ES: ['091', '092', '061', '080', '085', '088'],
  BE: ['100', '101'],
  PL: ['997', '998', '999'],
  AU: ['000', '106'],
  NZ: ['111'],
  JP: ['110', '119', '118'],
  IN: ['100', '101', '102', '108'],
  BR: ['190', '192', '193', '199'],
  CN: ['110', '119', '120', '122'],
  RU: ['101', '102', '103', '104'],
  ZA: ['10111', '10177'],
  MX: ['911'],
  HK: ['999'],
  SG: ['999', '995'],
  IL: ['100', '101', '102'],
}
/** Every NANP country (+1) uses 911. */
const NANP_EMERGENCY = ['911']

/** Premium-rate short codes that libphonenumber does not describe (directory enquiries 118xx). */
const SHORT_PREMIUM: Readonly<Record<string, RegExp>> = {
  GB: /^118\d{3}$/,
  IE: /^118\d{2}$/,
  DE: /^118\d{2,3}$/,
  AT: /^118\d{3}$/,
  FR: /^118\d{3}$/,
  ES: /^118\d{2}$/,
}

/** Non-geographic codes of satellite systems and international networks. */
const SATELLITE_CODES = new Set(['870', '881', '882', '883'])

function numberingPlanOf(country: CountryCode): NumberingPlanLike | null {
  const m = new Metadata()
  try {
    m.selectNumberingPlan(country)
  } catch {
    return null
  }
  return (m.numberingPlan as unknown as NumberingPlanLike | undefined) ?? null
}

function buildPlan(tenant: Tenant | null): Plan {
  if (tenant === null)
    return {
      tenant: null,
      country: null,
      intl: ['011', '00'],
      intlRe: null,
      outsideLine: null,
      technical: [],
      maxExtensionDigits: 6,
      extensions: new Set(),
      emergency: new Set(['112', '911']),
      shortPremium: null,
    }
  const country = tenant.country as CountryCode
  const np = numberingPlanOf(country)
  const configured = tenant.numbering.internationalPrefixes
  let intl: string[] = []
  let intlRe: RegExp | null = null
  if (configured !== undefined) intl = [...configured]
  else if (np !== null) {
    const idd = np.IDDPrefix()
    if (idd !== undefined && /^\d+$/.test(idd)) intl = [idd]
    else if (idd !== undefined) intlRe = new RegExp(`^(?:${idd})`)
    // the minified metadata stores "absent" as 0; RU writes 8~10 (~ = wait for dial tone)
    const raw: unknown = np.defaultIDDPrefix()
    const def = typeof raw === 'string' ? raw.replace(/~/g, '') : ''
    if (/^\d{2,}$/.test(def) && !intl.includes(def)) intl.push(def)
  }
  intl.sort((a, b) => b.length - a.length)
  const extensions = new Set<string>()
  for (const a of tenant.accounts) {
    if (a.extension !== undefined) extensions.add(a.extension)
    else if (/^[0-9*#]+$/.test(a.name)) extensions.add(a.name)
  }
  const callingCode = np?.callingCode() ?? null
  const emergency = new Set([
    '112',
    ...(EMERGENCY[country] ?? []),
    ...(callingCode === '1' ? NANP_EMERGENCY : []),
  ])
  return {
    tenant: tenant.name,
    country,
    intl,
    intlRe,
    outsideLine: tenant.numbering.outsideLinePrefix ?? null,
    technical: [...tenant.numbering.technicalPrefixes].sort((a, b) => b.length - a.length),
    maxExtensionDigits: tenant.numbering.maxExtensionDigits,
    extensions,
    emergency,
    shortPremium: SHORT_PREMIUM[country] ?? null,
  }
}

// ---------------------------------------------------------------------------------------
// Classification

type Raw = Omit<NumberInfo, 'highRisk' | 'blacklisted'>

function typeClass(type: NumberType): DestinationClass | null {
  switch (type) {
    case 'PREMIUM_RATE':
      return 'premium'
    case 'SHARED_COST':
      return 'shared-cost'
    case 'TOLL_FREE':
      return 'toll-free'
    case 'MOBILE':
      return 'mobile'
    case 'FIXED_LINE':
    case 'FIXED_LINE_OR_MOBILE':
      return 'fixed'
    case 'VOIP':
      return 'voip'
    case 'PERSONAL_NUMBER':
      return 'personal'
    case 'PAGER':
      return 'pager'
    case 'UAN':
      return 'uan'
    case 'VOICEMAIL':
      return 'voicemail'
    default:
      return null
  }
}

/** `parsed`: the number already parsed, when parsing `e164` again would give the same */
function classifyE164(
  dialled: string,
  e164: string,
  prefix: string | null,
  plan: Plan,
  parsed?: PhoneNumber,
): Raw {
  if (!/^\+[1-9]\d{1,14}$/.test(e164)) return { dialled, e164: null, country: null, cls: 'unknown', prefix }
  const p = parsed ?? parsePhoneNumber(e164)
  if (p === undefined) return { dialled, e164, country: null, cls: 'unknown', prefix }
  const code = p.countryCallingCode
  // an invalid number of a shared calling code has no country: take the code's main country
  // (+44 → GB, +7 → RU), which is what the caller's bill will say
  const main = metadata.country_calling_codes[code]?.[0]
  const country = p.country ?? (main !== undefined && /^[A-Z]{2}$/.test(main) ? main : null)
  let cls: DestinationClass
  if (SATELLITE_CODES.has(code)) cls = 'satellite'
  else if (code === '979') cls = 'premium'
  else {
    // a number with a type is valid (isValid() is getType() !== undefined when the metadata
    // has types, as the max metadata does): one type match instead of two for valid numbers
    const type = numberType(p)
    const t = type === undefined ? null : typeClass(type)
    if (type === undefined && !numberIsValid(p, type)) cls = 'unknown'
    else if (t !== null) cls = t
    else cls = country !== null && country === plan.country ? 'unknown' : 'international'
  }
  return { dialled, e164: p.number, country, cls, prefix }
}

function joinPrefix(parts: readonly string[]): string | null {
  return parts.length === 0 ? null : parts.join('')
}

/** Classifies one dialled string with one dialling plan (no lists, no memo). */
function classifyWith(dialled: string, plan: Plan): Raw {
  let rest = dialled.trim().replace(/^(?:tel|sip|sips):/i, '')
  rest = rest.replace(/[;@].*$/, '').replace(/[\s().-]/g, '')
  // a name (`alice`, `voicemail`, `service`) cannot reach the telephone network by itself: the PBX
  // routes it internally, so it is an internal destination, not an unknown number to bar
  if (/^[A-Za-z][A-Za-z0-9._~+-]*$/.test(rest) && !/^\+?[0-9]/.test(rest))
    return { dialled, e164: null, country: null, cls: 'internal', prefix: null }
  if (!/^\+?[0-9*#]+$/.test(rest)) return { dialled, e164: null, country: null, cls: 'unknown', prefix: null }
  const stripped: string[] = []
  for (let round = 0; round < 4; round++) {
    const tp = plan.technical.find((t) => rest.length > t.length && rest.startsWith(t))
    if (tp === undefined) break
    stripped.push(tp)
    rest = rest.slice(tp.length)
  }
  const ol = plan.outsideLine
  if (plan.emergency.has(rest))
    return { dialled, e164: null, country: plan.country, cls: 'emergency', prefix: joinPrefix(stripped) }
  if (ol !== null && rest.startsWith(ol) && plan.emergency.has(rest.slice(ol.length)))
    return {
      dialled,
      e164: null,
      country: plan.country,
      cls: 'emergency',
      prefix: joinPrefix([...stripped, ol]),
    }
  if (plan.extensions.has(rest))
    return { dialled, e164: null, country: null, cls: 'internal', prefix: joinPrefix(stripped) }
  if (plan.shortPremium !== null) {
    const short = ol !== null && rest.startsWith(ol) ? rest.slice(ol.length) : rest
    if (plan.shortPremium.test(short) || plan.shortPremium.test(rest))
      return { dialled, e164: null, country: plan.country, cls: 'premium', prefix: joinPrefix(stripped) }
  }
  if (!rest.startsWith('+') && rest.length <= plan.maxExtensionDigits) {
    // a feature code (*97) or a short number nothing else claims: an internal extension
    return { dialled, e164: null, country: null, cls: 'internal', prefix: joinPrefix(stripped) }
  }
  if (/[*#]/.test(rest))
    return { dialled, e164: null, country: null, cls: 'unknown', prefix: joinPrefix(stripped) }
  if (ol !== null && rest.startsWith(ol) && rest.length > ol.length) {
    stripped.push(ol)
    rest = rest.slice(ol.length)
  }
  if (rest.startsWith('+')) return classifyE164(dialled, rest, joinPrefix(stripped), plan)
  const ip =
    plan.intl.find((p) => rest.length > p.length && rest.startsWith(p)) ?? plan.intlRe?.exec(rest)?.[0]
  if (ip !== undefined && ip !== '' && rest.length > ip.length) {
    stripped.push(ip)
    return classifyE164(dialled, `+${rest.slice(ip.length)}`, joinPrefix(stripped), plan)
  }
  if (plan.country === null)
    return { dialled, e164: null, country: null, cls: 'unknown', prefix: joinPrefix(stripped) }
  const p = parsePhoneNumber(rest, plan.country)
  if (p === undefined)
    return { dialled, e164: null, country: plan.country, cls: 'unknown', prefix: joinPrefix(stripped) }
  return classifyE164(dialled, p.number, joinPrefix(stripped), plan, reparsesToItself(p) ? p : undefined)
}

/** The part of a classification that depends on the dialling plans only (not on the lists). */
export type RawClassification = Raw

/** Classifies by the policy's dialling plans only, without lists and memo: what a worker thread
 * computes ahead for PolicyClassifier.prime(). The same functions as classify(). */
export function rawClassifier(policy: Policy): (dialled: string, tenant: string | null) => RawClassification {
  const plans = new Map<string, Plan>()
  for (const t of policy.tenants) plans.set(t.name, buildPlan(t))
  const only = policy.tenants.length === 1 ? policy.tenants[0]! : null
  const defaultPlan = only !== null ? plans.get(only.name)! : buildPlan(null)
  return (dialled, tenant) =>
    classifyWith(
      dialled.length > 64 ? dialled.slice(0, 64) : dialled,
      (tenant !== null ? plans.get(tenant) : undefined) ?? defaultPlan,
    )
}

class PolicyClassifier implements FraudClassifier {
  readonly ranges: HighRiskRanges
  readonly blacklist: Blacklist
  readonly #plans = new Map<string, Plan>()
  readonly #defaultPlan: Plan
  readonly #memo: GenerationalCache<NumberInfo>
  #generation: number
  readonly #ownsBlacklist: boolean

  constructor(policy: Policy, opts: ClassifierOptions) {
    const at = (p: string) => (isAbsolute(p) || opts.baseDir === undefined ? p : resolve(opts.baseDir, p))
    this.ranges =
      opts.ranges ??
      (policy.fraud.highRiskRangesFile !== undefined
        ? loadHighRiskRanges(at(policy.fraud.highRiskRangesFile))
        : loadHighRiskRanges())
    this.#ownsBlacklist = opts.blacklist === undefined
    this.blacklist =
      opts.blacklist ??
      new Blacklist(policy.fraud.blacklistFiles.map(at), {
        ...(opts.watchIntervalMs !== undefined ? { watchIntervalMs: opts.watchIntervalMs } : {}),
        ...(opts.onError !== undefined ? { onError: opts.onError } : {}),
      })
    this.#generation = this.blacklist.generation
    for (const t of policy.tenants) this.#plans.set(t.name, buildPlan(t))
    const only = policy.tenants.length === 1 ? policy.tenants[0]! : null
    this.#defaultPlan = only !== null ? this.#plans.get(only.name)! : buildPlan(null)
    this.#memo = new GenerationalCache(Math.max(2, opts.cacheSize ?? 50_000))
  }

  #plan(tenant: string | null | undefined): Plan {
    return (tenant != null ? this.#plans.get(tenant) : undefined) ?? this.#defaultPlan
  }

  homeCountry(tenant?: string | null): string | null {
    return this.#plan(tenant).country
  }

  classify(dialled: string, tenant?: string | null): NumberInfo {
    if (this.blacklist.generation !== this.#generation) {
      this.#memo.clear()
      this.#generation = this.blacklist.generation
    }
    const plan = this.#plan(tenant)
    // the default plan's numbers are their own key (no string to build per lookup); the other
    // plans' keys start with NUL, which a default-plan key never does
    const key = this.#key(plan, dialled)
    const hit = this.#memo.get(key)
    if (hit !== undefined) return hit
    const raw = classifyWith(dialled.length > 64 ? dialled.slice(0, 64) : dialled, plan)
    return this.#remember(key, dialled, raw)
  }

  /** Memoises a classification computed elsewhere by rawClassifier() for the same policy (the
   * CDR analysis's look-ahead worker); the lists (high-risk ranges, blacklists) are applied here.
   * No-op when the number is already known. */
  prime(dialled: string, tenant: string | null, raw: RawClassification): void {
    const plan = this.#plan(tenant)
    const key = this.#key(plan, dialled)
    if (this.#memo.peek(key) === undefined) this.#remember(key, dialled, raw)
  }

  #key(plan: Plan, dialled: string): string {
    return plan === this.#defaultPlan && dialled.charCodeAt(0) !== 0
      ? dialled
      : `\u0000${plan.tenant ?? ''}\u0000${dialled}`
  }

  #remember(key: string, dialled: string, raw: RawClassification): NumberInfo {
    const info: NumberInfo = Object.freeze({
      dialled,
      e164: raw.e164,
      country: raw.country,
      cls: raw.cls,
      prefix: raw.prefix,
      highRisk: raw.e164 !== null && this.ranges.match(raw.e164) !== null,
      blacklisted: raw.e164 !== null && this.blacklist.match(raw.e164) !== null,
    })
    this.#memo.set(key, info)
    return info
  }

  close(): void {
    if (this.#ownsBlacklist) this.blacklist.close()
  }
}

/** A classifier for the policy's tenants: loads the high-risk ranges (shipped list unless
 * fraud.highRiskRangesFile) and fraud.blacklistFiles. Data file errors are SgwErrors with file:line. */
export function createClassifier(policy: Policy, opts: ClassifierOptions = {}): FraudClassifier {
  return new PolicyClassifier(policy, opts)
}
