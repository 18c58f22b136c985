// Options of the log watcher, with their defaults in one place. The policy file's `logwatch`
// section is mapped onto these by the caller (src/config owns the policy schema).
import { ErrorCodes, SgwError } from '../errors.js'
import { EVENT_KINDS, type EventKind } from './types.js'

export interface RuleOptions {
  /** Appears in every ban decision (`rule`). */
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
  /** Most bans remembered (for repeat-ban escalation); the oldest are forgotten first. */
  readonly maxBans: number
  /** The n-th ban of an address lasts `banTtlMs * repeatBanFactor^(n-1)`; 1 disables escalation. */
  readonly repeatBanFactor: number
  readonly maxBanTtlMs: number
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE

const FAILURES: readonly EventKind[] = [
  'auth-failed',
  'unknown-account',
  'acl-refused',
  'unknown-extension',
  'malformed',
]

/**
 * Defaults. `failures` is fail2ban's asterisk/freeswitch jail (any failure, 10 in 10 min), so
 * nothing fail2ban bans is missed; the narrower rules catch bursts sooner (CrowdSec's
 * asterisk_bf: a burst of 6 in 10 s; PJSIP itself: 5 unidentified in 5 s); `enumeration` is
 * CrowdSec's asterisk_user_enum; `pbx-block` follows a ban the PBX itself decided (Kamailio pike,
 * Yate banbrutes). Challenges are not counted: every legitimate REGISTER gets one.
 */
export const DEFAULT_RULES: readonly RuleOptions[] = Object.freeze([
  // first match wins when one event trips several rules: the most telling name first
  rule('enumeration', ['auth-failed', 'unknown-account'], 5, 10 * MINUTE, true),
  rule('failed-auth', ['auth-failed'], 5, MINUTE),
  rule('unknown-account', ['unknown-account'], 5, MINUTE),
  rule('acl', ['acl-refused'], 5, MINUTE),
  rule('scan', ['unknown-extension'], 5, MINUTE),
  rule('failures', FAILURES, 10, 10 * MINUTE),
  rule('pbx-block', ['pbx-block'], 1, 1000),
])

function rule(
  name: string,
  kinds: readonly EventKind[],
  threshold: number,
  windowMs: number,
  distinctAccounts = false,
): RuleOptions {
  return Object.freeze({
    name,
    kinds: Object.freeze([...kinds]),
    threshold,
    windowMs,
    distinctAccounts,
    banTtlMs: HOUR,
  })
}

export const DEFAULT_DETECTOR_OPTIONS: DetectorOptions = Object.freeze({
  rules: DEFAULT_RULES,
  allow: Object.freeze(['127.0.0.0/8', '::1/128']),
  maxSources: 100_000,
  maxBans: 100_000,
  repeatBanFactor: 2,
  maxBanTtlMs: 7 * 24 * HOUR,
})

/** Bounds that keep one source's state small: a ring of `threshold` times per rule. */
export const MAX_THRESHOLD = 1000
export const MAX_WINDOW_MS = 7 * 24 * HOUR

function fail(message: string): never {
  throw new SgwError(ErrorCodes.LOGWATCH_OPTIONS, message)
}

function positiveInt(v: number, what: string, max: number): void {
  if (!Number.isInteger(v) || v < 1 || v > max) fail(`${what} must be an integer from 1 to ${max} (got ${v})`)
}

/** Merge partial options over the defaults, validate, freeze. Throws SgwError naming the key. */
export function resolveDetectorOptions(partial: Partial<DetectorOptions> = {}): DetectorOptions {
  const o = { ...DEFAULT_DETECTOR_OPTIONS, ...partial }
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
    positiveInt(r.banTtlMs, `${at}.banTtlMs`, MAX_WINDOW_MS * 52)
  }
  positiveInt(o.maxSources, 'maxSources', 100_000_000)
  positiveInt(o.maxBans, 'maxBans', 100_000_000)
  positiveInt(o.maxBanTtlMs, 'maxBanTtlMs', MAX_WINDOW_MS * 52)
  if (!(o.repeatBanFactor >= 1 && o.repeatBanFactor <= 100)) fail('repeatBanFactor must be from 1 to 100')
  return Object.freeze({
    ...o,
    rules: Object.freeze(
      o.rules.map((r) => Object.freeze({ ...r, distinctAccounts: r.distinctAccounts === true })),
    ),
    allow: Object.freeze([...o.allow]),
  })
}
