// Options of the log watcher's detector. The policy schema (src/config/schema.ts) is the one
// source of truth for the defaults: thresholds, windows, ban times, escalation and bounds are
// read from the schema's own defaults (what an empty `logwatch`/`bans` section gives), and a
// policy file is mapped onto the same options by `detectorOptionsFromPolicy`. This file only
// says what each policy rule *means* (which event kinds it counts, in which order rules are
// tried) and how an address is allow-listed.
import type { Policy } from '../config/schema.js'
import { ErrorCodes, SgwError } from '../errors.js'
import { isCidr } from '../net/cidr.js'
import { watchDefaults } from './defaults.js'
import { EVENT_KINDS, type EventKind } from './types.js'

export interface RuleOptions {
  /** Appears in every ban decision (`rule`) and in the event code `logwatch.<name>`. */
  readonly name: string
  /** Event kinds this rule counts. */
  readonly kinds: readonly EventKind[]
  /** Ban when this many events (or distinct accounts) fall within `windowMs`. 1 = ban at once. */
  readonly threshold: number
  readonly windowMs: number
  /** Count distinct accounts named by the events instead of events (enumeration). */
  readonly distinctAccounts: boolean
  /** Ban duration for a first ban; repeat bans are longer (see `repeatBanFactor`). */
  readonly banTtlMs: number
}

export interface DetectorOptions {
  readonly rules: readonly RuleOptions[]
  /** Networks never banned (CIDR or address, IPv4 and IPv6). */
  readonly allow: readonly string[]
  /** Most sources tracked at once; the least recently seen are forgotten first. */
  readonly maxSources: number
  /** Most bans remembered (for repeat-ban escalation); the least recently banned are forgotten first. */
  readonly maxBans: number
  /** The n-th ban of an address lasts `banTtlMs * repeatBanFactor^(n-1)`; 1 disables escalation. */
  readonly repeatBanFactor: number
  /** No ban (first or escalated) lasts longer. */
  readonly maxBanTtlMs: number
  /** A past ban counts as an offence for this long after it ended. */
  readonly offenceMemoryMs: number
}

/** The parts of a policy the log watcher reads. */
export type WatchPolicy = Pick<Policy, 'adminNetworks' | 'trunks' | 'bans' | 'logwatch'>
type PolicyRules = Policy['logwatch']['rules']

/** Bounds that keep one source's state small: a ring of `threshold` times per rule. The schema
 * has the same bounds, so every policy that `sipwarden check` accepts runs. */
export const MAX_THRESHOLD = 1000
export const MAX_WINDOW_MS = 7 * 24 * 3_600_000
export const MAX_BAN_TTL_MS = 365 * 24 * 3_600_000

/** Loopback is never banned (the policy's `adminNetworks`: "Loopback is always included"). */
export const LOOPBACK: readonly string[] = Object.freeze(['127.0.0.0/8', '::1/128'])

const FAILURES: readonly EventKind[] = [
  'auth-failed',
  'unknown-account',
  'acl-refused',
  'unknown-extension',
  'malformed',
]

/**
 * What each rule of `logwatch.rules` counts, in the order rules are tried (first match wins
 * when one event trips several: the most telling name first). The rule name is the policy key
 * in kebab case. `anyFailure` is fail2ban's asterisk/freeswitch jail (any failure), so nothing
 * fail2ban bans is missed; the narrower rules catch bursts sooner; `enumeration` is CrowdSec's
 * asterisk_user_enum; `pbxBlock` follows a ban the PBX itself decided (Kamailio pike, Yate
 * banbrutes). Challenges are never counted: every legitimate REGISTER gets one.
 */
export const RULE_MEANINGS: readonly {
  readonly key: keyof PolicyRules
  readonly name: string
  readonly kinds: readonly EventKind[]
  readonly distinctAccounts: boolean
}[] = Object.freeze([
  {
    key: 'enumeration',
    name: 'enumeration',
    kinds: ['auth-failed', 'unknown-account'],
    distinctAccounts: true,
  },
  { key: 'authFailure', name: 'auth-failure', kinds: ['auth-failed'], distinctAccounts: false },
  { key: 'unknownAccount', name: 'unknown-account', kinds: ['unknown-account'], distinctAccounts: false },
  { key: 'aclRefused', name: 'acl-refused', kinds: ['acl-refused'], distinctAccounts: false },
  {
    key: 'unknownExtension',
    name: 'unknown-extension',
    kinds: ['unknown-extension'],
    distinctAccounts: false,
  },
  { key: 'anyFailure', name: 'any-failure', kinds: FAILURES, distinctAccounts: false },
  { key: 'pbxBlock', name: 'pbx-block', kinds: ['pbx-block'], distinctAccounts: false },
])

/** Rules from the policy's `logwatch.rules` (disabled rules left out). */
export function rulesFromPolicy(rules: PolicyRules, defaultBanTtlMs: number): RuleOptions[] {
  const out: RuleOptions[] = []
  for (const m of RULE_MEANINGS) {
    const r = rules[m.key]
    if (!r.enabled) continue
    out.push({
      name: m.name,
      kinds: m.kinds,
      threshold: 'maxDistinctAccounts' in r ? r.maxDistinctAccounts : r.maxEvents,
      windowMs: r.windowMs,
      distinctAccounts: m.distinctAccounts,
      banTtlMs: r.banTtlMs ?? defaultBanTtlMs,
    })
  }
  return out
}

/**
 * Networks never banned: loopback, `adminNetworks`, `logwatch.ignoreNetworks` and the trunks'
 * addresses that are IPs or CIDR blocks (trunk host names are not resolved by the watcher).
 */
export function allowListFromPolicy(p: Pick<Policy, 'adminNetworks' | 'trunks' | 'logwatch'>): string[] {
  const trunks = p.trunks.flatMap((t) => t.addresses.filter((a) => isCidr(a)))
  return [...new Set([...LOOPBACK, ...p.adminNetworks, ...p.logwatch.ignoreNetworks, ...trunks])]
}

/** The detector options a (validated) policy describes. */
export function detectorOptionsFromPolicy(p: WatchPolicy): DetectorOptions {
  const b = p.bans
  return resolveDetectorOptions(
    {
      rules: rulesFromPolicy(p.logwatch.rules, b.defaultTtlMs),
      allow: allowListFromPolicy(p),
      maxSources: p.logwatch.maxSources,
      maxBans: b.maxEntries,
      repeatBanFactor: b.escalation.enabled ? b.escalation.factor : 1,
      maxBanTtlMs: b.maxTtlMs,
      offenceMemoryMs: b.escalation.memoryMs,
    },
    null,
  )
}

/** The sections the watcher reads, as an empty policy gives them: the schema's defaults. */
export function defaultWatchPolicy(): WatchPolicy {
  const d = watchDefaults()
  return { adminNetworks: [], trunks: [], bans: d.bans, logwatch: d.logwatch }
}

/** Defaults: the schema's (see the file comment). */
export const DEFAULT_DETECTOR_OPTIONS: DetectorOptions = detectorOptionsFromPolicy(defaultWatchPolicy())
export const DEFAULT_RULES: readonly RuleOptions[] = DEFAULT_DETECTOR_OPTIONS.rules

function fail(message: string): never {
  throw new SgwError(ErrorCodes.LOGWATCH_OPTIONS, message)
}

function positiveInt(v: number, what: string, max: number): void {
  if (!Number.isInteger(v) || v < 1 || v > max) fail(`${what} must be an integer from 1 to ${max} (got ${v})`)
}

/**
 * Merge partial options over `base` (default: the defaults), validate, freeze. Throws SgwError
 * naming the key. The n-th ban lasts `min(banTtlMs * repeatBanFactor^(n-1), maxBanTtlMs)`.
 */
export function resolveDetectorOptions(
  partial: Partial<DetectorOptions> = {},
  base: DetectorOptions | null = DEFAULT_DETECTOR_OPTIONS,
): DetectorOptions {
  const o = { ...base, ...partial } as DetectorOptions
  for (const k of [
    'rules',
    'allow',
    'maxSources',
    'maxBans',
    'repeatBanFactor',
    'maxBanTtlMs',
    'offenceMemoryMs',
  ])
    if ((o as unknown as Record<string, unknown>)[k] === undefined) fail(`${k} is required`)
  const names = new Set<string>()
  for (const [i, r] of o.rules.entries()) {
    const at = `rules[${i}]`
    if (typeof r.name !== 'string' || r.name === '') fail(`${at}.name must be a non-empty string`)
    if (names.has(r.name)) fail(`${at}.name '${r.name}' is used twice`)
    names.add(r.name)
    if (!Array.isArray(r.kinds) || r.kinds.length === 0) fail(`${at}.kinds must list at least one event kind`)
    for (const k of r.kinds) {
      if (!EVENT_KINDS.includes(k))
        fail(`${at}.kinds: unknown event kind '${k}' (known: ${EVENT_KINDS.join(', ')})`)
    }
    positiveInt(r.threshold, `${at}.threshold`, MAX_THRESHOLD)
    positiveInt(r.windowMs, `${at}.windowMs`, MAX_WINDOW_MS)
    positiveInt(r.banTtlMs, `${at}.banTtlMs`, MAX_BAN_TTL_MS)
  }
  positiveInt(o.maxSources, 'maxSources', Number.MAX_SAFE_INTEGER)
  positiveInt(o.maxBans, 'maxBans', Number.MAX_SAFE_INTEGER)
  positiveInt(o.maxBanTtlMs, 'maxBanTtlMs', MAX_BAN_TTL_MS)
  positiveInt(o.offenceMemoryMs, 'offenceMemoryMs', 10 * MAX_BAN_TTL_MS)
  if (!(o.repeatBanFactor >= 1 && o.repeatBanFactor <= 100)) fail('repeatBanFactor must be from 1 to 100')
  return Object.freeze({
    ...o,
    rules: Object.freeze(
      o.rules.map((r) =>
        Object.freeze({
          ...r,
          kinds: Object.freeze([...r.kinds]),
          distinctAccounts: r.distinctAccounts === true,
        }),
      ),
    ),
    allow: Object.freeze([...o.allow]),
  })
}

/** TTL of the `nth` ban of an address under a rule: the same formula as the state store's
 * escalation (`ttlMs * escalate^(offences-1)`, clamped), so both agree. */
export function escalatedTtl(banTtlMs: number, factor: number, nth: number, maxBanTtlMs: number): number {
  return Math.min(Math.round(banTtlMs * factor ** (nth - 1)), maxBanTtlMs)
}
