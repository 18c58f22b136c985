// The one security event type. Every decision of the gateway, every ban of the log watcher
// and every alert of the toll-fraud engine becomes one of these; sinks (log, JSON lines,
// store, later webhook/syslog) and the dashboard consume them.
//
// Producers inside sipwarden build events directly (typed); `validateEvent` and
// `normalizeEvent` are for everything that crosses a trust boundary: log-watcher parsers,
// the admin API, JSON lines read back from disk.

import { isIP } from 'node:net'
import { ErrorCodes, SgwError } from '../errors.js'

export const EVENT_ACTIONS = ['forward', 'reply', 'drop', 'ban', 'unban', 'alert', 'lock', 'log'] as const
export type EventAction = (typeof EVENT_ACTIONS)[number]

export const EVENT_SEVERITIES = ['info', 'warning', 'critical'] as const
export type EventSeverity = (typeof EVENT_SEVERITIES)[number]

export const EVENT_TRANSPORTS = ['udp', 'tcp', 'tls', 'ws', 'wss'] as const
export type EventTransport = (typeof EVENT_TRANSPORTS)[number]

export interface SecurityEvent {
  /** when it happened, ms since the epoch */
  readonly time: number
  /** source IP address (the socket's, never one taken from a header) */
  readonly address: string
  readonly port?: number
  readonly transport?: EventTransport
  /** account (SIP user / extension) involved, when known; attacker-controlled text */
  readonly account?: string
  /** stable reason code, dotted lower case: `scanner.user-agent`, `flood.register`, `auth.failure` */
  readonly code: string
  /** pipeline stage or component that decided (`scanner`, `auth-guard`, `logwatch`) */
  readonly stage?: string
  readonly action: EventAction
  readonly severity?: EventSeverity
  /** small JSON-serialisable object with the evidence (counts, thresholds, user agent…) */
  readonly detail?: Readonly<Record<string, unknown>>
}

/** Codes are stable identifiers: lower case words joined by `.` (and `-` inside a word). */
export const EVENT_CODE_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)*$/
export const MAX_CODE_LENGTH = 64
export const MAX_STAGE_LENGTH = 64
/** Longer accounts are truncated by `normalizeEvent` (the text comes from the attacker). */
export const MAX_ACCOUNT_LENGTH = 256
/** A `detail` whose JSON is longer is replaced by `normalizeEvent` with a truncation note. */
export const MAX_DETAIL_JSON_LENGTH = 4096

export interface EventIssue {
  /** field name, e.g. `time`, `detail` */
  readonly path: string
  readonly message: string
}

export type EventValidation =
  | { readonly ok: true; readonly event: SecurityEvent }
  | { readonly ok: false; readonly issues: readonly EventIssue[] }

const ACTIONS: ReadonlySet<string> = new Set(EVENT_ACTIONS)
const SEVERITIES: ReadonlySet<string> = new Set(EVENT_SEVERITIES)
const TRANSPORTS: ReadonlySet<string> = new Set(EVENT_TRANSPORTS)
const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'time',
  'address',
  'port',
  'transport',
  'account',
  'code',
  'stage',
  'action',
  'severity',
  'detail',
])

/**
 * Checks that `input` is a SecurityEvent as it stands (no coercion). Unknown fields are an
 * issue: a typo such as `acount` must not silently lose the account.
 */
export function validateEvent(input: unknown): EventValidation {
  const issues: EventIssue[] = []
  if (!isPlainObject(input)) {
    return { ok: false, issues: [{ path: '', message: 'an event must be a plain object' }] }
  }
  const o = input as Record<string, unknown>
  for (const k of Object.keys(o)) {
    if (!KNOWN_FIELDS.has(k) && o[k] !== undefined) issues.push({ path: k, message: 'unknown field' })
  }
  const time = o['time']
  if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) {
    issues.push({ path: 'time', message: 'must be a finite, non-negative number of ms since the epoch' })
  }
  const address = o['address']
  if (typeof address !== 'string' || isIP(address) === 0) {
    issues.push({ path: 'address', message: 'must be an IPv4 or IPv6 address' })
  }
  const code = o['code']
  if (typeof code !== 'string' || code.length > MAX_CODE_LENGTH || !EVENT_CODE_PATTERN.test(code)) {
    issues.push({
      path: 'code',
      message: `must be a dotted lower-case code such as 'flood.register' (at most ${MAX_CODE_LENGTH} characters)`,
    })
  }
  const action = o['action']
  if (typeof action !== 'string' || !ACTIONS.has(action)) {
    issues.push({ path: 'action', message: `must be one of ${EVENT_ACTIONS.join(', ')}` })
  }
  const port = o['port']
  if (port !== undefined && !(Number.isInteger(port) && (port as number) >= 0 && (port as number) <= 65535)) {
    issues.push({ path: 'port', message: 'must be an integer from 0 to 65535' })
  }
  const transport = o['transport']
  if (transport !== undefined && (typeof transport !== 'string' || !TRANSPORTS.has(transport))) {
    issues.push({ path: 'transport', message: `must be one of ${EVENT_TRANSPORTS.join(', ')}` })
  }
  const account = o['account']
  if (account !== undefined && (typeof account !== 'string' || account.length > MAX_ACCOUNT_LENGTH)) {
    issues.push({ path: 'account', message: `must be a string of at most ${MAX_ACCOUNT_LENGTH} characters` })
  }
  const stage = o['stage']
  if (
    stage !== undefined &&
    (typeof stage !== 'string' || stage.length === 0 || stage.length > MAX_STAGE_LENGTH)
  ) {
    issues.push({
      path: 'stage',
      message: `must be a non-empty string of at most ${MAX_STAGE_LENGTH} characters`,
    })
  }
  const severity = o['severity']
  if (severity !== undefined && (typeof severity !== 'string' || !SEVERITIES.has(severity))) {
    issues.push({ path: 'severity', message: `must be one of ${EVENT_SEVERITIES.join(', ')}` })
  }
  const detail = o['detail']
  if (detail !== undefined && !isPlainObject(detail)) {
    issues.push({ path: 'detail', message: 'must be a plain object' })
  }
  if (issues.length > 0) return { ok: false, issues }
  return { ok: true, event: input as unknown as SecurityEvent }
}

/** Throws SgwError(EVENT_INVALID) naming every issue; returns the event unchanged otherwise. */
export function assertEvent(input: unknown): SecurityEvent {
  const r = validateEvent(input)
  if (r.ok) return r.event
  throw new SgwError(ErrorCodes.EVENT_INVALID, `invalid security event: ${formatIssues(r.issues)}`)
}

export interface NormalizeOptions {
  /** clock used when the input has no time */
  readonly now?: () => number
}

/**
 * Turns loosely typed input (parsed log lines, API bodies, JSON read back) into a valid,
 * frozen SecurityEvent:
 * - `time` may be a number, a Date or an ISO string; missing means now;
 * - `address` is trimmed, lower-cased, and an IPv4-mapped IPv6 address becomes plain IPv4;
 * - `transport`, `severity`, `action`, `code` are trimmed and lower-cased;
 * - `port` may be a numeric string;
 * - an over-long `account` is truncated, an over-long `detail` is replaced by a note;
 * - undefined fields are dropped.
 * Throws SgwError(EVENT_INVALID) when the result still is not a valid event.
 */
export function normalizeEvent(input: unknown, opts: NormalizeOptions = {}): SecurityEvent {
  if (!isPlainObject(input)) {
    throw new SgwError(ErrorCodes.EVENT_INVALID, 'invalid security event: an event must be a plain object')
  }
  const o = input as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(o)) {
    const v = o[k]
    if (v !== undefined && v !== null) out[k] = v
  }
  const t = out['time']
  if (t === undefined) out['time'] = (opts.now ?? Date.now)()
  else if (t instanceof Date) out['time'] = t.getTime()
  else if (typeof t === 'string') out['time'] = /^\d+$/.test(t) ? Number(t) : Date.parse(t)
  if (typeof out['address'] === 'string') out['address'] = normalizeIp(out['address'] as string)
  for (const k of ['transport', 'severity', 'action', 'code'] as const) {
    if (typeof out[k] === 'string') out[k] = (out[k] as string).trim().toLowerCase()
  }
  if (typeof out['stage'] === 'string') out['stage'] = (out['stage'] as string).trim()
  if (typeof out['port'] === 'string' && /^\d{1,5}$/.test(out['port'] as string)) {
    out['port'] = Number(out['port'])
  }
  const account = out['account']
  if (typeof account === 'number') out['account'] = String(account)
  else if (typeof account === 'string' && account.length > MAX_ACCOUNT_LENGTH) {
    out['account'] = `${account.slice(0, MAX_ACCOUNT_LENGTH - 1)}…`
  }
  const detail = out['detail']
  if (isPlainObject(detail)) {
    let json: string | undefined
    try {
      json = JSON.stringify(detail)
    } catch {
      json = undefined
    }
    if (json === undefined) out['detail'] = { unserialisable: true }
    else if (json.length > MAX_DETAIL_JSON_LENGTH)
      out['detail'] = { truncated: true, jsonLength: json.length }
  }
  return Object.freeze(assertEvent(out))
}

/**
 * Canonical text form of an IP address as the store and the events use it: lower case,
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket reports) as plain IPv4.
 * Returns the trimmed input unchanged when it is not an IP (the validator then rejects it).
 */
export function normalizeIp(address: string): string {
  let a = address.trim().toLowerCase()
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1)
  if (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7)
  return a
}

export function formatIssues(issues: readonly EventIssue[]): string {
  return issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ')
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}
