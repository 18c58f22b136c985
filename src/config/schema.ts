// The policy file schema: one source of truth for the types, the defaults and the help text
// that editors show (style-by-example habit 3). Every object is strict: an unknown key is an
// error. Keys are named by behaviour with the unit in the name (`windowMs`, `banTtlMs`,
// `maxMessageBytes`); durations and sizes may also be written with units (`30s`, `64KiB`).
//
// Only `version` and `upstream` are required. Everything else has a secure default.
//
// Cross-field rules live in `superRefine` on the smallest object that holds all the fields
// involved, so they run even when an unrelated part of the file has errors. The few that
// span sections (tls listener ↔ tls section, trunk → tenant) run once the rest is valid.

import { join } from 'node:path'
import { z } from 'zod'
import { isLoopbackIp, isUnspecifiedIp, parseCidr, parseIp } from '../net/cidr.js'
import { defaultPort, formatEndpoint, isHostname, parseEndpoint, TRANSPORTS } from '../net/endpoint.js'
import {
  COMMAND_PLACEHOLDERS,
  DEFAULT_DATA_DIR,
  DEFAULT_EVENTS_FILE,
  DEFAULT_STATE_FILE,
} from './constants.js'
import { BYTE_SIZE_PATTERN, DURATION_PATTERN, formatDuration, parseByteSize, parseDuration } from './units.js'

// ---------------------------------------------------------------------------------------
// Named constants (exported so that code and docs use the same lists)

/** User-Agent fragments of SIP scanners and attack tools (case-insensitive substring match).
 * From Kamailio's default cfg regex and secfilter's documented list; SDK names that real
 * products use (Ozeki, PortSIP, Conaito) are left out on purpose. */
export const DEFAULT_SCANNER_USER_AGENTS = Object.freeze([
  'friendly-scanner',
  'sipvicious',
  'sipsak',
  'sundayddr',
  'iWar',
  'sip-scan',
  'sipscan',
  'VaxSIPUserAgent',
  'sipcli',
  'pplsip',
  'smap',
  'VoIPSec',
  'UsaAirport',
  'Nmap NSE',
  'zxcvfdf11',
  'fdgddfg546df4g8d5f',
] as const)

/** Methods relayed by default (RFC 3261, 3262, 3265, 3311, 3428, 3515, 3903, 6086). */
export const DEFAULT_ALLOWED_METHODS = Object.freeze([
  'REGISTER',
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'PRACK',
  'UPDATE',
  'INFO',
  'REFER',
  'SUBSCRIBE',
  'NOTIFY',
  'MESSAGE',
  'PUBLISH',
] as const)

/** Methods accepted only from known sources (authenticated accounts, account networks,
 * trunks, admin networks): outsiders use them to probe and to spam. */
export const DEFAULT_KNOWN_SOURCE_METHODS = Object.freeze([
  'SUBSCRIBE',
  'NOTIFY',
  'MESSAGE',
  'PUBLISH',
  'REFER',
] as const)

/** Destination classes a dialled number is sorted into by the toll-fraud engine. */
export const DESTINATION_CLASSES = Object.freeze([
  'emergency',
  'internal',
  'toll-free',
  'fixed',
  'mobile',
  'voip',
  'shared-cost',
  'premium',
  'personal',
  'pager',
  'uan',
  'voicemail',
  'satellite',
  'international',
  'unknown',
] as const)
export type DestinationClass = (typeof DESTINATION_CLASSES)[number]

/** Classes allowed when nothing else is said: national fixed and mobile, free and
 * emergency numbers, internal extensions. International, premium, satellite: opt in. */
export const DEFAULT_ALLOWED_DESTINATIONS = Object.freeze([
  'emergency',
  'internal',
  'toll-free',
  'fixed',
  'mobile',
] as const satisfies readonly DestinationClass[])

export const LOG_FORMATS = Object.freeze([
  'asterisk',
  'asterisk-security',
  'freeswitch',
  'kamailio',
  'yate',
] as const)
export const SEVERITIES = Object.freeze(['info', 'warning', 'critical'] as const)
export const LOG_LEVELS = Object.freeze([
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
] as const)
export const WEEKDAYS = Object.freeze(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const)
export type Weekday = (typeof WEEKDAYS)[number]

export { COMMAND_PLACEHOLDERS, DEFAULT_DATA_DIR, DEFAULT_EVENTS_FILE, DEFAULT_STATE_FILE }

/** Key paths whose values are secrets: never printed (see `redactPolicy`). */
export const SECRET_PATHS = Object.freeze([
  'api.token',
  'state.url',
  'alerting.email.smtp.password',
  'alerting.webhooks[].url',
  'alerting.webhooks[].headers',
  'logwatch.action.token',
  'logwatch.sources[].ami.secret',
] as const)

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** `${env:NAME}`, spelled without tripping the template-string lint. */
const envRef = (name: string) => `$\{env:${name}}`

// ---------------------------------------------------------------------------------------
// Field helpers

/** Duration in ms: a number of milliseconds or a string with units (`30s`, `10m`, `1h30m`, `7d`). */
function duration(opts: { min?: number; max?: number } = {}) {
  const min = opts.min ?? 0
  const max = opts.max ?? 400 * DAY
  return z
    .union([
      z.number().int('a number of milliseconds must be a whole number').nonnegative(),
      z
        .string()
        .regex(new RegExp(DURATION_PATTERN), 'a duration needs a unit, e.g. 500ms, 30s, 10m, 1h, 7d')
        .transform((s, ctx) => {
          const ms = parseDuration(s)
          if (ms === undefined) {
            ctx.issues.push({
              code: 'custom',
              message: `"${s}" is not a whole number of milliseconds`,
              input: s,
            })
            return z.NEVER
          }
          return ms
        }),
    ])
    .pipe(
      z
        .number()
        .min(min, `must be at least ${formatDuration(min)}`)
        .max(max, `must be at most ${formatDuration(max)}`),
    )
}

/** Size in bytes: a number or a string with units (`512B`, `16KiB`, `1MiB`). */
function byteSize(opts: { min: number; max: number }) {
  return z
    .union([
      z.number().int().nonnegative(),
      z
        .string()
        .regex(new RegExp(BYTE_SIZE_PATTERN), 'a size needs a unit, e.g. 512B, 16KiB, 1MiB')
        .transform((s) => parseByteSize(s) ?? Number.NaN),
    ])
    .pipe(
      z
        .number()
        .min(opts.min, `must be at least ${opts.min} bytes`)
        .max(opts.max, `must be at most ${opts.max} bytes`),
    )
}

/** A count limit: a whole number, or `unlimited` (normalised to null). */
function limit() {
  return z
    .union([z.number().int().nonnegative(), z.literal('unlimited')])
    .transform((v) => (v === 'unlimited' ? null : v))
}

/** Money amount in `fraud.currency`, or `unlimited` (null). */
function amount() {
  return z
    .union([z.number().nonnegative(), z.literal('unlimited')])
    .transform((v) => (v === 'unlimited' ? null : v))
}

const port = () =>
  z.number().int('a port is a whole number').min(1, 'ports are 1..65535').max(65535, 'ports are 1..65535')

/** Identifier used to name and reference things (tenants, trunks, webhooks). */
const ident = () =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
      'use 1..64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    )

const filePath = () =>
  z
    .string()
    .min(1, 'a path must not be empty')
    .refine((s) => !s.includes('\0'), 'a path must not contain NUL')

const secret = () => z.string().min(1, 'must not be empty')

/** An IP address (IPv4 or IPv6), normalised (IPv4-mapped IPv6 becomes IPv4). */
const ipAddress = () =>
  z.string().transform((s, ctx) => {
    const ip = parseIp(s)
    if (ip === null) {
      ctx.issues.push({ code: 'custom', message: `"${s}" is not an IP address`, input: s })
      return z.NEVER
    }
    return ip.text
  })

/** An address or CIDR block (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`), normalised. */
const cidr = () =>
  z
    .string()
    .transform((s, ctx) => {
      const r = parseCidr(s.trim())
      if (!r.ok) {
        ctx.issues.push({ code: 'custom', message: r.reason, input: s })
        return z.NEVER
      }
      return r.value.text
    })
    .describe('IPv4/IPv6 address or CIDR block, e.g. 192.0.2.0/24, 2001:db8::/32, 203.0.113.7')

const networks = () => z.array(cidr())

/** An IP address, a CIDR block or a DNS host name. */
const hostOrNetwork = () =>
  z
    .string()
    .transform((s, ctx) => {
      const t = s.trim()
      const r = parseCidr(t)
      if (r.ok) return r.value.text
      if (!/^[0-9.:/[\]]+$/.test(t) && isHostname(t)) return t.toLowerCase()
      ctx.issues.push({
        code: 'custom',
        message: `${r.reason}; expected an IP address, a CIDR block or a host name`,
        input: s,
      })
      return z.NEVER
    })
    .describe('IP address, CIDR block or DNS host name')

const hostName = () =>
  z.string().transform((s, ctx) => {
    const ip = parseIp(s)
    if (ip !== null) return ip.text
    if (!/^[0-9.]+$/.test(s) && isHostname(s)) return s.toLowerCase()
    ctx.issues.push({ code: 'custom', message: `"${s}" is neither an IP address nor a host name`, input: s })
    return z.NEVER
  })

/** Digit strings such as dialling prefixes. YAML reads `00` as the number 0, so the loader
 * keeps numbers with leading zeros or a leading `+` as written; plain numbers are accepted. */
function digitString(re: RegExp, message: string) {
  return z
    .union([z.string(), z.number().int().nonnegative()])
    .transform(String)
    .pipe(z.string().regex(re, message))
}

const prefixDigits = () => digitString(/^[0-9*#]{1,10}$/, 'use 1..10 digits (and * or #), quoted: "00"')

/** E.164 number or prefix with a leading +, e.g. "+44871", "+8816". */
const e164Prefix = () =>
  digitString(/^\+[1-9]\d{0,14}$/, 'use E.164 with a leading +, e.g. "+44871" (quote it in YAML)')

/** An exact E.164 DID, or a block written as a prefix ending in `*`. */
const didPattern = () =>
  digitString(/^\+[1-9]\d{0,14}\*?$/, 'use an E.164 number like "+4930123456" or a block like "+49301234*"')

const countryCode = () =>
  z
    .string()
    .transform((s) => s.toUpperCase())
    .superRefine((s, ctx) => {
      if (!isCountryCode(s)) {
        const hint = s === 'UK' ? ' (the ISO code of the United Kingdom is GB)' : ''
        ctx.addIssue({ code: 'custom', message: `"${s}" is not an ISO 3166-1 alpha-2 country code${hint}` })
      }
    })
    .describe('ISO 3166-1 alpha-2 country code, e.g. DE, US, GB')

const timeZone = () =>
  z
    .string()
    .superRefine((s, ctx) => {
      if (!isTimeZone(s))
        ctx.addIssue({ code: 'custom', message: `"${s}" is not an IANA time zone (e.g. Europe/Berlin, UTC)` })
    })
    .describe('IANA time zone, e.g. Europe/Berlin, America/New_York, UTC')

const sipMethod = () =>
  z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.string().regex(/^[A-Z][A-Z0-9_-]{0,31}$/, 'a SIP method is a token like INVITE'))

const destinationClass = () => z.enum(DESTINATION_CLASSES)

const NOT_COUNTRIES = new Set(['ZZ', 'EU', 'EZ', 'UN', 'UK', 'QO', 'XA', 'XB'])
let regionNames: Intl.DisplayNames | null | undefined

function isCountryCode(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code) || NOT_COUNTRIES.has(code)) return false
  if (regionNames === undefined) {
    try {
      regionNames = new Intl.DisplayNames(['en'], { type: 'region' })
    } catch {
      regionNames = null
    }
  }
  // Without ICU region data, fall back to the shape check.
  if (regionNames === null) return true
  const name = regionNames.of(code)
  return name !== undefined && name !== code
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

function duplicates<T>(items: readonly T[], key: (t: T) => string): Map<string, number[]> {
  const seen = new Map<string, number[]>()
  items.forEach((item, i) => {
    const k = key(item)
    seen.set(k, [...(seen.get(k) ?? []), i])
  })
  return new Map([...seen].filter(([, idx]) => idx.length > 1))
}

// ---------------------------------------------------------------------------------------
// Site, listeners, TLS, upstream, admin API

const SiteSchema = z
  .strictObject({
    name: ident()
      .prefault('sipwarden')
      .describe('Name of this site; shown in alerts, reports and the dashboard.'),
    dataDir: filePath()
      .prefault(DEFAULT_DATA_DIR)
      .describe(
        'Directory for state (SQLite), the event log and learned baselines. Relative paths in the policy are ' +
          'resolved against the directory of the policy file.',
      ),
    timezone: timeZone()
      .prefault('UTC')
      .describe('Time zone for schedules and daily reports unless a tenant sets its own.'),
  })
  .describe('The site this policy describes.')

const ListenerObjectSchema = z
  .strictObject({
    transport: z.enum(TRANSPORTS).prefault('udp').describe('udp, tcp or tls.'),
    address: ipAddress().describe('IP address to bind: 0.0.0.0 or :: for all interfaces, or one address.'),
    port: port().optional().describe('Port; default 5060 (udp, tcp) or 5061 (tls).'),
  })
  .transform((l) => ({
    transport: l.transport,
    address: l.address,
    port: l.port ?? defaultPort(l.transport),
  }))

const ListenerStringSchema = z
  .string()
  .transform((s, ctx) => {
    const r = parseEndpoint(s, { requireIp: true })
    if (!r.ok) {
      ctx.issues.push({ code: 'custom', message: r.reason, input: s })
      return z.NEVER
    }
    return { transport: r.value.transport, address: r.value.host, port: r.value.port }
  })
  .describe('transport:address:port, e.g. udp:0.0.0.0:5060, tls:[::]:5061')

const ListenerSchema = z
  .union([ListenerStringSchema, ListenerObjectSchema])
  .describe('A socket the gateway listens on: "udp:0.0.0.0:5060" or {transport, address, port}.')

const DEFAULT_LISTEN = [
  { transport: 'udp' as const, address: '0.0.0.0', port: 5060 },
  { transport: 'tcp' as const, address: '0.0.0.0', port: 5060 },
]

const TlsSchema = z
  .strictObject({
    certFile: filePath().describe('PEM certificate chain for TLS listeners.'),
    keyFile: filePath().describe('PEM private key for certFile.'),
    caFile: filePath()
      .optional()
      .describe('PEM CA bundle to verify client certificates (and the upstream when it uses TLS).'),
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).prefault('TLSv1.2').describe('Oldest TLS version accepted.'),
    requireClientCertificate: z
      .boolean()
      .prefault(false)
      .describe('Refuse TLS clients without a certificate signed by caFile.'),
  })
  .superRefine((t, ctx) => {
    if (t.requireClientCertificate && t.caFile === undefined)
      ctx.addIssue({ code: 'custom', path: ['caFile'], message: 'requireClientCertificate needs caFile' })
  })
  .describe('Certificate and key for TLS listeners. Required when a listener uses tls.')

const UpstreamObjectSchema = z
  .strictObject({
    transport: z.enum(TRANSPORTS).prefault('udp').describe('Transport to the PBX.'),
    host: hostName().describe('PBX address or host name.'),
    port: port().optional().describe('PBX port; default 5060 (udp, tcp) or 5061 (tls).'),
    transactionTimeoutMs: duration({ min: SECOND, max: 5 * MINUTE })
      .prefault(32 * SECOND)
      .describe('How long to wait for the PBX to answer a request (RFC 3261 Timer B/F is 32s).'),
    connectTimeoutMs: duration({ min: 100, max: MINUTE })
      .prefault(5 * SECOND)
      .describe('TCP/TLS connection timeout to the PBX.'),
    retryAfterMs: duration({ min: SECOND, max: HOUR })
      .prefault(30 * SECOND)
      .describe('Retry-After sent with the 503 answered while the PBX does not respond.'),
    healthCheckIntervalMs: duration({ max: HOUR })
      .prefault(30 * SECOND)
      .describe('Interval of OPTIONS pings to the PBX; 0 disables them.'),
  })
  .transform((u) => ({ ...u, port: u.port ?? defaultPort(u.transport) }))

const UpstreamStringSchema = z
  .string()
  .transform((s, ctx) => {
    const r = parseEndpoint(s)
    if (!r.ok) {
      ctx.issues.push({ code: 'custom', message: r.reason, input: s })
      return z.NEVER
    }
    const parsed: z.input<typeof UpstreamObjectSchema> = {
      transport: r.value.transport,
      host: r.value.host,
      port: r.value.port,
    }
    return parsed
  })
  .pipe(UpstreamObjectSchema)
  .describe('transport:host:port, e.g. udp:127.0.0.1:5080')

const UpstreamSchema = z
  .union([UpstreamStringSchema, UpstreamObjectSchema])
  .describe('The PBX behind the gateway, as "udp:127.0.0.1:5080" or {transport, host, port, ...}. Required.')

const ApiSchema = z
  .strictObject({
    enabled: z.boolean().prefault(true).describe('Serve the admin API, metrics and dashboard.'),
    listen: z
      .string()
      .prefault('127.0.0.1:9060')
      .transform((s, ctx) => {
        const r = parseEndpoint(s, { requireIp: true, defaultTransport: 'tcp' })
        if (!r.ok || r.value.transport !== 'tcp') {
          ctx.issues.push({ code: 'custom', message: r.ok ? 'use address:port' : r.reason, input: s })
          return z.NEVER
        }
        return { address: r.value.host, port: r.value.port }
      })
      .describe('address:port of the admin HTTP server. Bound to loopback by default.'),
    token: secret()
      .optional()
      .describe(
        `Bearer token for the API (secret: write ${envRef('NAME')}). Required when listen is not a loopback ` +
          'address; on loopback without a token the gateway creates one in <dataDir>/api-token.',
      ),
    metrics: z.boolean().prefault(true).describe('Expose Prometheus metrics at /metrics.'),
  })
  .superRefine((a, ctx) => {
    if (a.enabled && !isLoopbackIp(a.listen.address) && a.token === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: `the API listens on ${a.listen.address}, beyond loopback: set a token`,
      })
  })
  .describe('Admin API and dashboard. Only admin networks and loopback may connect.')

// ---------------------------------------------------------------------------------------
// Calling rights, limits, schedules (used at fraud.defaults, tenant, account and trunk level)

/** With defaults (D = true) a key gets `prefault` (the default is written like an input,
 * "unlimited" or "4h", and parsed; objects get their own defaults filled in); without (the
 * override variants used by tenants, accounts and trunks) it is optional, so that an unset
 * key can inherit. The conditional type keeps the two variants apart for TypeScript. */
type Defaulted<D extends boolean, T extends z.ZodType> = D extends true ? z.ZodPrefault<T> : z.ZodOptional<T>

function defaulter<D extends boolean>(withDefaults: D) {
  // the description is applied here: `.describe()` on the deferred conditional type would
  // widen it to the union of both variants
  const d = <T extends z.ZodType>(schema: T, value: z.input<T>, description: string): Defaulted<D, T> =>
    (withDefaults ? schema.prefault(value as never) : schema.optional()).describe(description) as Defaulted<
      D,
      T
    >
  const dp = <T extends z.ZodType>(schema: T, description: string): Defaulted<D, T> =>
    (withDefaults ? schema.prefault({} as never) : schema.optional()).describe(description) as Defaulted<D, T>
  return { d, dp }
}

function callingRightsShape<D extends boolean>(withDefaults: D) {
  const { d, dp } = defaulter(withDefaults)
  return {
    allow: d(
      z.array(destinationClass()),
      [...DEFAULT_ALLOWED_DESTINATIONS],
      'Destination classes this caller may dial. "international" is needed for any call abroad; premium, ' +
        'satellite and the rest must be listed to be allowed. A list replaces the inherited one.',
    ),
    countries: dp(
      z.strictObject({
        allow: d(z.array(countryCode()), [], 'If not empty, international calls only to these countries.'),
        deny: d(z.array(countryCode()), [], 'Countries never called, even when allowed above.'),
      }),
      'Country allow/deny lists for international calls.',
    ),
    numbers: dp(
      z.strictObject({
        allow: d(z.array(e164Prefix()), [], 'E.164 prefixes always allowed (exceptions to the class rules).'),
        deny: d(z.array(e164Prefix()), [], 'E.164 prefixes always refused; wins over everything.'),
      }),
      'Explicit number prefix exceptions, longest prefix wins, deny beats allow.',
    ),
    highRiskRanges: d(
      z.enum(['deny', 'alert', 'allow']),
      'deny',
      'What to do with numbers in the high-risk ranges list (fraud.highRiskRangesFile).',
    ),
  }
}

const CallingRightsSchema = z
  .strictObject(callingRightsShape(true))
  .meta({ id: 'CallingRights', description: 'Which destinations may be dialled.' })
const PartialCallingRightsSchema = z.strictObject(callingRightsShape(false)).meta({
  id: 'CallingRightsOverrides',
  description:
    'Calling rights that override the inherited ones; unset keys are inherited (see CallingRights).',
})

function limitsShape<D extends boolean>(withDefaults: D) {
  const { d, dp } = defaulter(withDefaults)
  const limitField = (value: number | 'unlimited', text: string) => d(limit(), value, text)
  return {
    concurrentCalls: limitField(4, 'Calls up at the same time.'),
    callsPerMinute: limitField(10, 'New outbound calls per minute.'),
    callsPerHour: limitField(100, 'New outbound calls per hour.'),
    callsPerDay: limitField(500, 'New outbound calls per day.'),
    international: dp(
      z.strictObject({
        concurrentCalls: d(limit(), 2, 'International calls up at the same time.'),
        callsPerHour: d(limit(), 10, 'New international calls per hour.'),
        callsPerDay: d(limit(), 30, 'New international calls per day.'),
      }),
      'Separate, tighter limits for international calls.',
    ),
    premium: dp(
      z.strictObject({
        concurrentCalls: d(limit(), 1, 'Premium calls up at the same time.'),
        callsPerHour: d(limit(), 2, 'New premium calls per hour.'),
        callsPerDay: d(limit(), 5, 'New premium calls per day.'),
      }),
      'Limits for premium, shared-cost and satellite destinations (when allowed at all).',
    ),
    maxCallDurationMs: d(
      duration({ min: SECOND, max: 2 * DAY }),
      4 * HOUR,
      'Longest call; the gateway ends longer calls with BYE to both sides.',
    ),
    spend: dp(
      z.strictObject({
        perCall: d(amount(), 'unlimited', 'Cost of one call (the call is ended when it reaches this).'),
        perDay: d(amount(), 'unlimited', 'Spend per calendar day (site or tenant time zone).'),
        perMonth: d(amount(), 'unlimited', 'Spend per calendar month.'),
      }),
      'Spend limits in fraud.currency, priced by fraud.rateTableFile; calls in progress count.',
    ),
  }
}

const LimitsSchema = z
  .strictObject(limitsShape(true))
  .meta({ id: 'Limits', description: 'Call limits. Counts accept "unlimited".' })
const PartialLimitsSchema = z.strictObject(limitsShape(false)).meta({
  id: 'LimitsOverrides',
  description: 'Call limits that override the inherited ones; unset keys are inherited (see Limits).',
})

const TIME_RE = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/

function minutesOfDay(t: string): number {
  const [h, m] = t.split(':')
  return Number(h) * 60 + Number(m)
}

function expandDays(spec: string | readonly string[]): Weekday[] | string {
  const out = new Set<Weekday>()
  const parts = typeof spec === 'string' ? spec.split(',') : spec
  for (const raw of parts) {
    const part = raw.trim().toLowerCase()
    const range = /^([a-z]{3})\s*-\s*([a-z]{3})$/.exec(part)
    if (range) {
      const from = WEEKDAYS.indexOf(range[1] as Weekday)
      const to = WEEKDAYS.indexOf(range[2] as Weekday)
      if (from < 0 || to < 0) return `"${raw}" is not a day range like mon-fri`
      for (let i = from; ; i = (i + 1) % 7) {
        out.add(WEEKDAYS[i]!)
        if (i === to) break
      }
    } else {
      const i = WEEKDAYS.indexOf(part.slice(0, 3) as Weekday)
      if (i < 0 || !/^[a-z]{3,9}$/.test(part)) return `"${raw}" is not a day (mon, tue, … sun)`
      out.add(WEEKDAYS[i]!)
    }
  }
  return WEEKDAYS.filter((d) => out.has(d))
}

const ScheduleWindowSchema = z
  .strictObject({
    days: z
      .union([z.string(), z.array(z.string())])
      .prefault('mon-sun')
      .transform((v, ctx) => {
        const days = expandDays(v)
        if (typeof days === 'string') {
          ctx.issues.push({ code: 'custom', message: days, input: v })
          return z.NEVER
        }
        return days
      })
      .describe('Days: "mon-fri", "sat,sun" or a list; default every day.'),
    from: z.string().regex(TIME_RE, 'use HH:MM (24h), e.g. 08:00').describe('Start time HH:MM.'),
    to: z
      .string()
      .regex(TIME_RE, 'use HH:MM (24h); 24:00 is the end of the day')
      .describe('End time HH:MM; may be earlier than from to span midnight.'),
  })
  .superRefine((w, ctx) => {
    if (minutesOfDay(w.from) === minutesOfDay(w.to))
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'from and to are equal: the window is empty' })
  })

const ScheduleSchema = z
  .strictObject({
    timezone: timeZone()
      .optional()
      .describe("Time zone of the windows; default the tenant's, then site.timezone."),
    windows: z
      .array(ScheduleWindowSchema)
      .min(1, 'list at least one window')
      .describe('Business hours: when the full calling rights apply.'),
    outsideWindows: z
      .strictObject({
        allow: z
          .array(destinationClass())
          .prefault(['emergency', 'internal', 'toll-free'])
          .describe('Destination classes still allowed outside the windows.'),
      })
      .prefault({})
      .describe('Calling rights outside business hours (nights and weekends are when fraud pumps calls).'),
  })
  .meta({ id: 'Schedule', description: 'Time-of-day and day-of-week windows for outbound calling.' })

// ---------------------------------------------------------------------------------------
// Tenants, accounts, trunks

const AccountSchema = z
  .strictObject({
    name: digitString(
      /^[A-Za-z0-9][A-Za-z0-9._~+@-]{0,63}$/,
      'an account name is a SIP user name: letters, digits and . _ ~ + @ -',
    ).describe('SIP user name (digest username / extension) as the PBX knows it.'),
    extension: digitString(/^[0-9*#]{1,15}$/, 'an extension is digits (and * or #)')
      .optional()
      .describe('Dialable extension when it differs from name.'),
    description: z.string().max(200).optional(),
    enabled: z.boolean().prefault(true).describe('A disabled account is refused by the gateway.'),
    networks: networks()
      .optional()
      .describe(
        'Source networks this account may be used from; a request from elsewhere is refused even with the right ' +
          'password. Default: tenants[].defaults.networks; empty or unset means anywhere.',
      ),
    callingRights: PartialCallingRightsSchema.optional(),
    limits: PartialLimitsSchema.optional(),
    schedule: ScheduleSchema.optional(),
  })
  .describe('An account (extension) of a tenant.')

const TenantSchema = z
  .strictObject({
    name: ident().describe('Unique tenant name (customer, office).'),
    description: z.string().max(200).optional(),
    domains: z
      .array(z.string().refine(isHostname, 'not a domain name'))
      .prefault([])
      .describe(
        'SIP domains (From/To host, digest realm) that belong to this tenant; needed when several tenants share one PBX.',
      ),
    country: countryCode().describe(
      'Country of the tenant: numbers are normalised and classified from here.',
    ),
    timezone: timeZone().optional().describe('Time zone for schedules and reports; default site.timezone.'),
    numbering: z
      .strictObject({
        nationalPrefix: prefixDigits()
          .optional()
          .describe(
            'Trunk prefix for national calls ("0" in most of Europe, "1" in NANP); default from the country.',
          ),
        internationalPrefixes: z
          .array(prefixDigits())
          .optional()
          .describe('International access codes, e.g. ["00"] or ["011"]; default from the country.'),
        outsideLinePrefix: prefixDigits()
          .optional()
          .describe('Digit(s) dialled to get an outside line, e.g. "9" or "0".'),
        technicalPrefixes: z
          .array(prefixDigits())
          .prefault([])
          .describe(
            'Prefixes stripped before classification (caller-ID suppression, carrier selection), e.g. "*31#".',
          ),
        maxExtensionDigits: z
          .number()
          .int()
          .min(1)
          .max(10)
          .prefault(6)
          .describe('Numbers up to this many digits that match no other rule are internal extensions.'),
      })
      .prefault({})
      .describe('How people of this tenant dial.'),
    defaults: z
      .strictObject({
        networks: networks().optional().describe('Default permitted networks of the accounts.'),
        callingRights: PartialCallingRightsSchema.optional(),
        limits: PartialLimitsSchema.optional(),
        schedule: ScheduleSchema.optional(),
      })
      .prefault({})
      .describe('Defaults for every account of the tenant (over fraud.defaults).'),
    limits: PartialLimitsSchema.optional().describe(
      'Limits for the tenant as a whole (sum over its accounts).',
    ),
    accounts: z.array(AccountSchema).prefault([]).describe('Accounts (extensions) of this tenant.'),
  })
  .superRefine((t, ctx) => {
    for (const [name, idx] of duplicates(t.accounts, (a) => a.name))
      for (const i of idx.slice(1))
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', i, 'name'],
          message: `account "${name}" is listed twice in this tenant`,
        })
    // an extension (or a numeric account name without one) is dialled: two accounts cannot share
    // it; accounts already reported as listed twice are left out
    const firstOfName = new Set(
      t.accounts.map((a) => a.name).map((n, i, all) => (all.indexOf(n) === i ? i : -1)),
    )
    const dialable = t.accounts.flatMap((a, i) => {
      if (!firstOfName.has(i)) return []
      if (a.extension !== undefined) return [{ n: a.extension, i, key: 'extension' }]
      return /^[0-9*#]+$/.test(a.name) ? [{ n: a.name, i, key: 'name' }] : []
    })
    for (const [n, idx] of duplicates(dialable, (d) => d.n))
      for (const j of idx.slice(1)) {
        const d = dialable[j]!
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', d.i, d.key],
          message: `extension ${n} is used by two accounts`,
        })
      }
  })
  .describe('A tenant: a customer or office with its accounts, numbering plan and defaults.')

const TrunkSchema = z
  .strictObject({
    name: ident().describe('Unique trunk name.'),
    description: z.string().max(200).optional(),
    addresses: z
      .array(hostOrNetwork())
      .min(1, "list the provider's signalling addresses")
      .describe('Provider signalling addresses: IPs, CIDR blocks or host names (resolved at start).'),
    transport: z.enum(TRANSPORTS).prefault('udp').describe('Transport the provider uses.'),
    tenant: ident().optional().describe('Tenant the trunk belongs to (its DIDs reach this tenant).'),
    direction: z
      .enum(['inbound', 'outbound', 'both'])
      .prefault('both')
      .describe('Which way calls go over this trunk.'),
    dids: z
      .array(
        z.union([
          didPattern().transform((number) => ({ number, tenant: undefined as string | undefined })),
          z.strictObject({
            number: didPattern(),
            tenant: ident().optional().describe("Tenant this number belongs to; default the trunk's tenant."),
          }),
        ]),
      )
      .prefault([])
      .describe(
        'Numbers delivered by this trunk: "+4930123456", a block "+49301234*", or {number, tenant} when one ' +
          'trunk carries the numbers of several tenants.',
      ),
    trustedForInbound: z
      .boolean()
      .prefault(true)
      .describe(
        'Calls from these addresses to the DIDs are accepted without digest auth (IP-authenticated trunk).',
      ),
    limits: PartialLimitsSchema.optional().describe('Limits for calls over this trunk (unset: unlimited).'),
    callingRights: PartialCallingRightsSchema.optional().describe('Outbound calling rights over this trunk.'),
  })
  .transform((t) => ({ ...t, dids: t.dids.map((d) => ({ number: d.number, tenant: d.tenant ?? t.tenant })) }))
  .describe('A SIP trunk (provider).')

// ---------------------------------------------------------------------------------------
// Gateway stages

function rateLimiter(
  defaults: { windowMs: number; max: number; burst: number; action: 'drop' | 'ban' },
  what: string,
) {
  return z
    .strictObject({
      windowMs: duration({ min: 100, max: DAY })
        .prefault(defaults.windowMs)
        .describe(`Window over which the ${what} rate is measured.`),
      maxRequestsPerWindow: z
        .number()
        .int()
        .min(1)
        .prefault(defaults.max)
        .describe(`Sustained ${what} allowed per window (the refill rate of the bucket).`),
      burst: z
        .number()
        .int()
        .min(1)
        .prefault(defaults.burst)
        .describe(`${what[0]!.toUpperCase()}${what.slice(1)} that may arrive at once (the bucket size).`),
      action: z
        .enum(['drop', 'ban'])
        .prefault(defaults.action)
        .describe('drop: drop the excess only; ban: ban the source (bans.defaultTtlMs, escalating).'),
    })
    .prefault({})
}

const IngressSchema = z
  .strictObject({
    maxMessageBytes: byteSize({ min: 1024, max: 65535 })
      .prefault(16 * 1024)
      .describe(
        'Largest SIP message accepted (UDP datagram or framed TCP/TLS message); larger ones are dropped unparsed.',
      ),
    packetBudget: z
      .strictObject({
        enabled: z.boolean().prefault(true),
        windowMs: duration({ min: 100, max: HOUR })
          .prefault(10 * SECOND)
          .describe('Measurement window.'),
        maxPacketsPerWindow: z
          .number()
          .int()
          .min(1)
          .prefault(5000)
          .describe('Sustained packets per source per window.'),
        burst: z.number().int().min(1).prefault(2000).describe('Packets a source may send at once.'),
        action: z.enum(['drop', 'ban']).prefault('ban').describe('What happens to a source over budget.'),
      })
      .prefault({})
      .describe('Per-source packet budget before parsing: the cheap first defence against floods.'),
  })
  .prefault({})
  .describe('Checks on raw packets, cheapest first, before any parsing.')

const SanitySchema = z
  .strictObject({
    enabled: z.boolean().prefault(true),
    maxRequestUriBytes: byteSize({ min: 64, max: 8192 }).prefault(1024).describe('Longest Request-URI.'),
    maxHeaderBytes: byteSize({ min: 256, max: 65535 }).prefault(8192).describe('Longest single header line.'),
    maxHeaders: z.number().int().min(8).max(1024).prefault(128).describe('Most header lines in a message.'),
    maxViaHeaders: z
      .number()
      .int()
      .min(1)
      .max(256)
      .prefault(32)
      .describe('Most Via entries (loop and amplification guard).'),
    maxForwards: z
      .number()
      .int()
      .min(1)
      .max(255)
      .prefault(70)
      .describe('Max-Forwards above this is lowered to it (RFC 3261 recommends 70).'),
    onMalformed: z
      .enum(['reply', 'drop'])
      .prefault('reply')
      .describe('reply: answer 400/505/513/483 as RFC 3261 asks; drop: stay silent.'),
    banAfterMalformed: z
      .strictObject({
        count: z
          .number()
          .int()
          .min(1)
          .prefault(20)
          .describe('Malformed messages from one source in the window.'),
        windowMs: duration({ min: SECOND, max: DAY }).prefault(MINUTE),
      })
      .prefault({})
      .describe('Ban a source that keeps sending malformed messages.'),
  })
  .prefault({})
  .describe('Malformed or inconsistent messages are answered or dropped, never relayed.')

const ScannerSchema = z
  .strictObject({
    enabled: z.boolean().prefault(true),
    userAgents: z
      .array(z.string().min(2).max(200))
      .prefault([...DEFAULT_SCANNER_USER_AGENTS])
      .describe(
        'User-Agent fragments of scanners (case-insensitive substring). Replaces the default list; use extraUserAgents to add.',
      ),
    extraUserAgents: z
      .array(z.string().min(2).max(200))
      .prefault([])
      .describe('More User-Agent fragments, added to userAgents.'),
    fingerprints: z
      .boolean()
      .prefault(true)
      .describe(
        'Also detect scanners by wire fingerprints (tag, branch, Call-ID shapes) that do not trust the User-Agent.',
      ),
    banTtlMs: duration({ min: MINUTE, max: 365 * DAY })
      .prefault(DAY)
      .describe('Ban time for a detected scanner.'),
    enumeration: z
      .strictObject({
        enabled: z.boolean().prefault(true),
        windowMs: duration({ min: SECOND, max: DAY }).prefault(5 * MINUTE),
        maxFailedAccounts: z
          .number()
          .int()
          .min(2)
          .prefault(10)
          .describe(
            'Distinct accounts tried from one source without success (unknown, refused) before it is an enumeration.',
          ),
        maxUnknownDestinations: z
          .number()
          .int()
          .min(2)
          .prefault(20)
          .describe('Distinct refused INVITE destinations from one source (dial-plan scanning).'),
      })
      .prefault({})
      .describe(
        'One source trying many accounts is enumerating. Only failures count, so 50 phones behind one NAT address are fine.',
      ),
  })
  .prefault({})
  .describe('Scanners are dropped silently and banned.')

const FloodSchema = z
  .strictObject({
    enabled: z.boolean().prefault(true),
    exemptNetworks: networks()
      .prefault([])
      .describe('Sources never rate limited (admin networks, trunks and the upstream are exempt anyway).'),
    register: rateLimiter(
      { windowMs: MINUTE, max: 1200, burst: 400, action: 'drop' },
      'REGISTER requests',
    ).describe(
      'REGISTER per source address. The defaults let 100+ phones behind one NAT address re-register at once.',
    ),
    invite: rateLimiter(
      { windowMs: MINUTE, max: 600, burst: 200, action: 'ban' },
      'INVITE requests',
    ).describe('INVITE per source address.'),
    options: rateLimiter(
      { windowMs: MINUTE, max: 600, burst: 200, action: 'drop' },
      'OPTIONS requests',
    ).describe('OPTIONS per source address.'),
    other: rateLimiter(
      { windowMs: MINUTE, max: 3000, burst: 2000, action: 'drop' },
      'other requests',
    ).describe('All other methods per source address (SUBSCRIBE storms after an outage are large).'),
  })
  .prefault({})
  .describe(
    'Per-source, per-method rate limits: token buckets of size burst refilled at maxRequestsPerWindow per windowMs.',
  )

const AclSchema = z
  .strictObject({
    unknownSources: z
      .enum(['allow', 'drop'])
      .prefault('allow')
      .describe(
        'Requests from addresses outside every account network, trunk and admin network: allow (they still have to ' +
          'authenticate) or drop. Use drop when all phones are on known networks.',
      ),
    deny: networks().prefault([]).describe('Sources always dropped (static block list).'),
    enforceAccountNetworks: z
      .boolean()
      .prefault(true)
      .describe('Refuse an account used from outside its networks, even with the right password.'),
    trunkOnlyDids: z
      .boolean()
      .prefault(true)
      .describe("Unauthenticated calls to trunk DIDs are accepted only from the trunk's addresses."),
  })
  .prefault({})
  .describe('Who may talk to the PBX.')

const MethodsSchema = z
  .strictObject({
    allow: z
      .array(sipMethod())
      .min(1)
      .prefault([...DEFAULT_ALLOWED_METHODS])
      .describe('Methods relayed; others are refused.'),
    requireKnownSourceFor: z
      .array(sipMethod())
      .prefault([...DEFAULT_KNOWN_SOURCE_METHODS])
      .describe(
        'Methods accepted only from known sources (authenticated accounts, account networks, trunks, admin networks).',
      ),
    onDisallowed: z
      .enum(['reply', 'drop'])
      .prefault('reply')
      .describe('reply: 405 Method Not Allowed; drop: silent.'),
  })
  .prefault({})
  .describe('Method allow-list.')

const AuthGuardSchema = z
  .strictObject({
    enabled: z.boolean().prefault(true),
    perSource: z
      .strictObject({
        maxFailures: z
          .number()
          .int()
          .min(1)
          .prefault(20)
          .describe(
            'Refused credentials from one source in the window before it is banned. A first challenge is not a failure.',
          ),
        windowMs: duration({ min: SECOND, max: DAY }).prefault(10 * MINUTE),
        banTtlMs: duration({ min: MINUTE, max: 365 * DAY })
          .optional()
          .describe('Ban time; default bans.defaultTtlMs (escalating for repeat offenders).'),
      })
      .prefault({})
      .describe('Brute force from one address.'),
    perAccount: z
      .strictObject({
        maxFailures: z
          .number()
          .int()
          .min(1)
          .prefault(50)
          .describe(
            'Refused credentials for one account from any sources in the window before it is locked.',
          ),
        windowMs: duration({ min: SECOND, max: DAY }).prefault(HOUR),
        lockMs: duration({ min: MINUTE, max: 30 * DAY })
          .prefault(30 * MINUTE)
          .describe('How long the account stays locked.'),
      })
      .prefault({})
      .describe('Distributed brute force against one account: lock it and alert.'),
  })
  .prefault({})
  .describe("Counts failed digest authentication in the PBX's replies.")

const AntiEnumerationSchema = z
  .strictObject({
    enabled: z.boolean().prefault(true),
    realm: z
      .string()
      .min(1)
      .optional()
      .describe("Realm for the gateway's own challenges; default: learned from the PBX's challenges."),
  })
  .prefault({})
  .describe('Outsiders cannot tell an existing account from a missing one: answers are made identical.')

const IdentitySchema = z
  .strictObject({
    requireFromUserMatchesAuthUser: z
      .boolean()
      .prefault(true)
      .describe('The From user of an authenticated request must equal the digest username.'),
    validateCallerId: z
      .boolean()
      .prefault(true)
      .describe('Caller-ID numbers may only contain digits, +, *, # and A-D.'),
  })
  .prefault({})
  .describe('Identity checks on authenticated requests.')

const TopologyHidingSchema = z
  .strictObject({
    enabled: z.boolean().prefault(true),
    removeVersionHeaders: z
      .boolean()
      .prefault(true)
      .describe("Strip product and version from Server/User-Agent of the PBX's messages."),
    versionHeaderReplacement: z
      .string()
      .max(100)
      .optional()
      .describe('If set, Server/User-Agent are replaced by this value instead of being removed.'),
    hideInternalAddresses: z
      .boolean()
      .prefault(true)
      .describe("Hide the PBX's internal addresses (Via, Record-Route, Contact) from outside."),
  })
  .prefault({})
  .describe('What the outside learns about the PBX.')

const ProxySchema = z
  .strictObject({
    timerT1Ms: duration({ min: 100, max: 10 * SECOND })
      .prefault(500)
      .describe('RFC 3261 T1 (retransmission base).'),
    maxTransactions: z.number().int().min(100).prefault(50_000).describe('Bound on transactions in memory.'),
    maxDialogs: z.number().int().min(10).prefault(20_000).describe('Bound on dialogs (calls) tracked.'),
    earlyDialogTimeoutMs: duration({ min: 10 * SECOND, max: HOUR })
      .prefault(3 * MINUTE)
      .describe('Unanswered call lifetime.'),
    dialogTimeoutMs: duration({ min: MINUTE, max: 7 * DAY })
      .prefault(12 * HOUR)
      .describe('Established dialog lifetime without any in-dialog request.'),
    tcpIdleTimeoutMs: duration({ min: SECOND, max: DAY })
      .prefault(10 * MINUTE)
      .describe('Idle TCP/TLS connections are closed.'),
    maxConnections: z.number().int().min(1).prefault(10_000).describe('Bound on TCP/TLS connections.'),
    maxConnectionsPerSource: z
      .number()
      .int()
      .min(1)
      .prefault(128)
      .describe('TCP/TLS connections per source address.'),
  })
  .prefault({})
  .describe('Proxy core bounds and timers.')

const GatewaySchema = z
  .strictObject({
    ingress: IngressSchema,
    proxy: ProxySchema,
    sanity: SanitySchema,
    scanner: ScannerSchema,
    flood: FloodSchema,
    acl: AclSchema,
    methods: MethodsSchema,
    authGuard: AuthGuardSchema,
    antiEnumeration: AntiEnumerationSchema,
    identity: IdentitySchema,
    topologyHiding: TopologyHidingSchema,
  })
  .prefault({})
  .describe('The SIP security gateway: its stages in pipeline order.')

// ---------------------------------------------------------------------------------------
// Bans

const BansSchema = z
  .strictObject({
    defaultTtlMs: duration({ min: MINUTE, max: 365 * DAY })
      .prefault(HOUR)
      .describe('Ban time of a first offence.'),
    maxTtlMs: duration({ min: MINUTE, max: 365 * DAY })
      .prefault(7 * DAY)
      .describe('Escalation never exceeds this.'),
    escalation: z
      .strictObject({
        enabled: z.boolean().prefault(true),
        factor: z
          .number()
          .min(1)
          .max(100)
          .prefault(2)
          .describe('Each repeat ban lasts factor times the previous one.'),
        memoryMs: duration({ min: HOUR, max: 365 * DAY })
          .prefault(7 * DAY)
          .describe('How long past bans count as previous offences.'),
      })
      .prefault({})
      .describe('Repeat offenders are banned for longer.'),
    maxEntries: z.number().int().min(100).prefault(100_000).describe('Bound on active bans kept.'),
    kernel: z
      .strictObject({
        enabled: z
          .boolean()
          .prefault(true)
          .describe(
            'Mirror bans into an nftables set when privileged; the in-process ban check holds either way.',
          ),
        table: z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/)
          .prefault('sipwarden')
          .describe('nftables table (family inet).'),
        setV4: z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/)
          .prefault('banned_v4')
          .describe('Set of banned IPv4 addresses.'),
        setV6: z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/)
          .prefault('banned_v6')
          .describe('Set of banned IPv6 addresses.'),
      })
      .prefault({})
      .describe('Kernel ban sets, so banned floods cost no user-space CPU.'),
  })
  .prefault({})
  .superRefine((b, ctx) => {
    if (b.defaultTtlMs > b.maxTtlMs)
      ctx.addIssue({
        code: 'custom',
        path: ['defaultTtlMs'],
        message: 'defaultTtlMs is longer than maxTtlMs',
      })
  })
  .describe('Bans shared by the gateway and the log watcher. Admin networks are never banned.')

// ---------------------------------------------------------------------------------------
// Toll fraud

function ruleAction(action: 'alert' | 'reject' | 'suspend', severity: 'warning' | 'critical', text: string) {
  return z
    .strictObject({
      action: z
        .enum(['alert', 'reject', 'suspend'])
        .prefault(action)
        .describe(
          'alert: let the call through and alert; reject: refuse the call; suspend: refuse and suspend the account.',
        ),
      severity: z.enum(['warning', 'critical']).prefault(severity).describe('Alert severity.'),
    })
    .prefault({})
    .describe(text)
}

const FraudSchema = z
  .strictObject({
    enabled: z.boolean().prefault(true),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'use an ISO 4217 code, e.g. EUR')
      .prefault('EUR')
      .describe('Currency of the rate table and the spend limits.'),
    rateTableFile: filePath()
      .optional()
      .describe(
        'CSV of prefix,price per minute (longest prefix wins). Without it spend limits cannot be priced.',
      ),
    blacklistFiles: z
      .array(filePath())
      .prefault([])
      .describe('Known-bad number lists (CSV or one number/prefix per line), reloaded on change.'),
    highRiskRangesFile: filePath()
      .optional()
      .describe(
        'High-risk ranges list; default: the list shipped with sipwarden (+881, +882, +883, +870, +979, …).',
      ),
    defaults: z
      .strictObject({
        callingRights: CallingRightsSchema.prefault({}),
        limits: LimitsSchema.prefault({}),
        schedule: ScheduleSchema.optional(),
      })
      .prefault({})
      .describe('Site-wide defaults for every account; tenants and accounts override them key by key.'),
    detection: z
      .strictObject({
        sequentialSameNumber: z
          .number()
          .int()
          .min(2)
          .prefault(10)
          .describe('Calls in a row to the same number within the window.'),
        prefixProbing: z
          .number()
          .int()
          .min(2)
          .prefault(3)
          .describe('The same number tried with this many different international/technical prefixes.'),
        numberWalking: z
          .number()
          .int()
          .min(2)
          .prefault(5)
          .describe('Calls to this many consecutive numbers (…01, …02, …03).'),
        windowMs: duration({ min: MINUTE, max: DAY }).prefault(10 * MINUTE),
      })
      .prefault({})
      .describe('Dialling patterns of fraud tests and pumping.'),
    rules: z
      .strictObject({
        barred: ruleAction('reject', 'warning', 'A destination not allowed by calling rights.'),
        schedule: ruleAction('reject', 'warning', 'A call outside the schedule windows.'),
        concurrency: ruleAction('reject', 'warning', 'Too many calls at once.'),
        velocity: ruleAction('reject', 'critical', 'Too many calls per minute/hour/day.'),
        duration: ruleAction('reject', 'warning', 'A call reaching maxCallDurationMs is ended.'),
        spend: ruleAction('reject', 'critical', 'A spend limit is reached; calls in progress are ended.'),
        sequential: ruleAction('alert', 'warning', 'Sequential dialling of the same number.'),
        probing: ruleAction('suspend', 'critical', 'Prefix probing or number walking.'),
        learned: ruleAction('alert', 'warning', 'A call or burst that departs from the learned pattern.'),
        blacklist: ruleAction('reject', 'critical', 'A number on a blacklist.'),
      })
      .prefault({})
      .describe('What each kind of rule does when it fires.'),
    reject: z
      .strictObject({
        status: z.number().int().min(400).max(699).prefault(403).describe('SIP status of a refused call.'),
        reason: z
          .string()
          .min(1)
          .max(100)
          .prefault('Forbidden')
          .describe('Reason phrase, also sent in a Reason header.'),
      })
      .prefault({})
      .describe('How refused calls are answered.'),
    suspendMs: duration({ min: MINUTE, max: 365 * DAY })
      .prefault(HOUR)
      .describe('How long a suspend action suspends the account.'),
    learning: z
      .strictObject({
        enabled: z.boolean().prefault(true),
        minHistoryMs: duration({ min: DAY, max: 365 * DAY })
          .prefault(14 * DAY)
          .describe('History needed before learned patterns raise alerts.'),
        volumeFactor: z
          .number()
          .min(1.5)
          .max(100)
          .prefault(4)
          .describe(
            "Alert when an hour's calls exceed this many times the learned norm for that hour of the week.",
          ),
        alertOnNewCountry: z
          .boolean()
          .prefault(true)
          .describe('Alert on the first call to a country never called before.'),
      })
      .prefault({})
      .describe('Per-account patterns learned from CDR history.'),
    cdr: z
      .strictObject({
        enabled: z.boolean().prefault(true).describe('Write a CDR for every call.'),
        retentionMs: duration({ min: DAY, max: 3650 * DAY })
          .prefault(400 * DAY)
          .describe('CDRs older than this are purged.'),
      })
      .prefault({})
      .describe('Call detail records written by the gateway.'),
  })
  .prefault({})
  .describe('The toll-fraud engine: classification, calling rights, limits, learned patterns.')

// ---------------------------------------------------------------------------------------
// Alerting

const severity = (d: (typeof SEVERITIES)[number]) =>
  z.enum(SEVERITIES).prefault(d).describe('Lowest severity sent to this destination.')

const WebhookSchema = z
  .strictObject({
    name: ident().optional(),
    url: z
      .url({ protocol: /^https?$/, error: 'use an http(s) URL' })
      .describe(
        `Endpoint receiving a JSON POST per alert (secret when it embeds a token: ${envRef('NAME')}).`,
      ),
    format: z
      .enum(['json', 'slack'])
      .prefault('json')
      .describe("json: sipwarden's alert object; slack: a Slack-compatible {text, blocks}."),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]+$/, 'not a header name'), z.string())
      .prefault({})
      .describe('Extra HTTP headers.'),
    minSeverity: severity('warning'),
    timeoutMs: duration({ min: 100, max: MINUTE }).prefault(5 * SECOND),
  })
  .describe('A webhook destination.')

const EmailSchema = z
  .strictObject({
    smtp: z
      .strictObject({
        host: hostName().describe('SMTP server.'),
        port: port().prefault(587),
        security: z
          .enum(['starttls', 'tls', 'none'])
          .prefault('starttls')
          .describe('starttls (port 587), tls (port 465) or none (local relays only).'),
        username: z.string().min(1).optional(),
        password: secret()
          .optional()
          .describe(`SMTP password (secret: write ${envRef('SMTP_PASSWORD')}).`),
      })
      .superRefine((s, ctx) => {
        if (s.password !== undefined && s.username === undefined)
          ctx.addIssue({ code: 'custom', path: ['username'], message: 'a password needs a username' })
      }),
    from: z.email('not an email address').describe('Sender address.'),
    to: z
      .array(z.email('not an email address'))
      .min(1, 'list at least one recipient')
      .describe('Recipients.'),
    minSeverity: severity('critical'),
  })
  .describe('Email alerts over SMTP.')

const SyslogSchema = z
  .strictObject({
    transport: z
      .enum(['udp', 'tcp', 'unix'])
      .prefault('unix')
      .describe('unix: the local socket at path; udp/tcp: host:port.'),
    path: filePath().prefault('/dev/log').describe('Socket path for transport unix.'),
    host: hostName().prefault('127.0.0.1'),
    port: port().prefault(514),
    facility: z
      .enum([
        'auth',
        'authpriv',
        'daemon',
        'user',
        'local0',
        'local1',
        'local2',
        'local3',
        'local4',
        'local5',
        'local6',
        'local7',
      ])
      .prefault('authpriv'),
    appName: z
      .string()
      .regex(/^[!-~]{1,48}$/)
      .prefault('sipwarden'),
    minSeverity: severity('warning'),
  })
  .describe('Alerts to syslog.')

const AlertingSchema = z
  .strictObject({
    webhooks: z.array(WebhookSchema).prefault([]).describe('Webhook destinations.'),
    email: EmailSchema.optional(),
    syslog: SyslogSchema.optional(),
    dedupWindowMs: duration({ max: DAY })
      .prefault(10 * MINUTE)
      .describe('The same alert (rule, source, account) is sent once per window.'),
    rateLimit: z
      .strictObject({
        maxAlertsPerWindow: z.number().int().min(1).prefault(30),
        windowMs: duration({ min: MINUTE, max: DAY }).prefault(HOUR),
      })
      .prefault({})
      .describe('Cap per destination, so that an attack does not become a mail storm; a summary follows.'),
  })
  .prefault({})
  .describe('Where alerts go.')

// ---------------------------------------------------------------------------------------
// State, events

const StateSchema = z
  .strictObject({
    adapter: z
      .enum(['sqlite', 'memory', 'redis'])
      .prefault('sqlite')
      .describe(
        'sqlite (default, survives restarts), memory (single process, lost on exit), redis (shared by several gateways).',
      ),
    path: filePath()
      .optional()
      .describe('SQLite file; default <site.dataDir>/sipwarden.db. Only for adapter sqlite.'),
    url: secret()
      .optional()
      .describe(
        `redis:// or rediss:// URL (secret when it has a password: ${envRef('REDIS_URL')}). Only for adapter redis.`,
      ),
    keyPrefix: z.string().min(1).max(64).prefault('sipwarden:').describe('Key prefix for adapter redis.'),
    maxEntries: z
      .number()
      .int()
      .min(1000)
      .prefault(1_000_000)
      .describe('Bound on entries of adapter memory.'),
    eventRetentionMs: duration({ min: HOUR, max: 3650 * DAY })
      .prefault(30 * DAY)
      .describe('Security events older than this are purged.'),
  })
  .prefault({})
  .superRefine((s, ctx) => {
    if (s.adapter === 'redis') {
      if (s.url === undefined)
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'adapter redis needs a url' })
      else if (!/^rediss?:\/\//.test(s.url))
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'use a redis:// or rediss:// URL' })
    } else if (s.url !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: `url is only for adapter redis (adapter is ${s.adapter})`,
      })
    }
    if (s.adapter !== 'sqlite' && s.path !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['path'],
        message: `path is only for adapter sqlite (adapter is ${s.adapter})`,
      })
  })
  .describe('Where bans, counters, events, CDRs and baselines are kept.')

const EventsSchema = z
  .strictObject({
    logLevel: z.enum(LOG_LEVELS).prefault('info').describe('Process log level.'),
    jsonl: z
      .strictObject({
        enabled: z.boolean().prefault(true),
        path: filePath().optional().describe('Default <site.dataDir>/events.jsonl.'),
      })
      .prefault({})
      .describe('Security events as JSON lines.'),
  })
  .prefault({})
  .describe('Security events and the process log.')

// ---------------------------------------------------------------------------------------
// Log watcher

/** Manager-protocol text: one line, so a value cannot smuggle in another header. */
const amiText = () =>
  z
    .string()
    .min(1, 'must not be empty')
    .refine((v) => !/[\r\n]/.test(v), 'must not contain a line break')

const AmiSourceSchema = z
  .strictObject({
    host: hostName().describe('Asterisk host (IP address or host name).'),
    port: port().prefault(5038).describe('AMI port (5038; TLS usually 5039).'),
    username: amiText().describe('manager.conf user with `read = security`.'),
    secret: amiText().describe(`Its secret (secret: write ${envRef('AMI_SECRET')}).`),
    tls: z
      .boolean()
      .prefault(false)
      .describe('Connect with TLS (manager.conf tlsenable), certificate verified.'),
  })
  .describe('An Asterisk Manager Interface connection.')

const LogSourceSchema = z
  .strictObject({
    name: ident().optional(),
    path: filePath().optional().describe('Log file or glob, followed across rotation.'),
    journald: z
      .string()
      .regex(/^[A-Za-z0-9@._:-]+$/, 'not a systemd unit name')
      .optional()
      .describe('systemd unit to follow through journald instead of a file.'),
    ami: AmiSourceSchema.optional().describe(
      "Asterisk Manager Interface: follow its security events live instead of a log (manager.conf user with 'read = security').",
    ),
    format: z
      .enum(LOG_FORMATS)
      .optional()
      .describe('Log format; required with path and journald, ignored with ami.'),
  })
  .superRefine((s, ctx) => {
    const set = [s.path, s.journald, s.ami].filter((v) => v !== undefined).length
    if (set !== 1)
      ctx.addIssue({ code: 'custom', path: [], message: 'set exactly one of path, journald and ami' })
    else if (s.ami === undefined && s.format === undefined)
      ctx.addIssue({ code: 'custom', path: ['format'], message: 'a path or journald source needs a format' })
  })
  .describe('A PBX log (or AMI connection) to watch.')

function watchRule(maxEvents: number, windowMs: number, text: string) {
  return z
    .strictObject({
      enabled: z.boolean().prefault(true),
      maxEvents: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .prefault(maxEvents)
        .describe('Events from one source within the window before a ban.'),
      windowMs: duration({ min: SECOND, max: 7 * DAY }).prefault(windowMs),
      banTtlMs: duration({ min: MINUTE, max: 365 * DAY })
        .optional()
        .describe('Ban time; default bans.defaultTtlMs, escalating.'),
    })
    .prefault({})
    .describe(text)
}

const placeholderCheck = (argv: readonly string[], ctx: z.RefinementCtx, key: string) => {
  argv.forEach((arg, i) => {
    for (const m of arg.matchAll(/\{[^}]*\}/g))
      if (!(COMMAND_PLACEHOLDERS as readonly string[]).includes(m[0]))
        ctx.addIssue({
          code: 'custom',
          path: [key, i],
          message: `unknown placeholder ${m[0]} (use ${COMMAND_PLACEHOLDERS.join(', ')})`,
        })
  })
}

const argv = () => z.array(z.string().min(1)).min(1, 'give the program and its arguments as a list')

const LogwatchActionSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('nftables').describe('Add to the nftables sets of bans.kernel (default).'),
    }),
    z.strictObject({
      type: z.literal('ipset'),
      setV4: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9_-]{0,30}$/)
        .prefault('sipwarden_v4'),
      setV6: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9_-]{0,30}$/)
        .prefault('sipwarden_v6'),
    }),
    z.strictObject({
      type: z.literal('gateway'),
      url: z
        .url({ protocol: /^https?$/ })
        .describe('Admin API of a running gateway, e.g. http://127.0.0.1:9060.'),
      token: secret()
        .optional()
        .describe(`API token (secret: ${envRef('NAME')}).`),
    }),
    z
      .strictObject({
        type: z.literal('command'),
        ban: argv().describe(
          'argv run to ban, e.g. ["/usr/local/bin/ban", "{ip}", "{ttlSeconds}"]; never through a shell.',
        ),
        unban: argv().optional().describe('argv run when a ban expires.'),
      })
      .superRefine((c, ctx) => {
        placeholderCheck(c.ban, ctx, 'ban')
        if (c.unban) placeholderCheck(c.unban, ctx, 'unban')
      }),
  ])
  .prefault({ type: 'nftables' })
  .describe("How the log watcher bans: nftables (default), ipset, the gateway's ban API, or a command.")

const LogwatchSchema = z
  .strictObject({
    sources: z.array(LogSourceSchema).prefault([]).describe('Logs to watch.'),
    ignoreNetworks: networks()
      .prefault([])
      .describe('Sources never banned by the log watcher (admin networks and trunks are ignored anyway).'),
    maxSources: z
      .number()
      .int()
      .min(100)
      .prefault(100_000)
      .describe('Bound on source addresses tracked at once; the least recently seen are forgotten first.'),
    rules: z
      .strictObject({
        authFailure: watchRule(5, MINUTE, 'Failed authentication (wrong password).'),
        unknownAccount: watchRule(5, MINUTE, 'Requests for accounts that do not exist.'),
        enumeration: z
          .strictObject({
            enabled: z.boolean().prefault(true),
            maxDistinctAccounts: z
              .number()
              .int()
              .min(2)
              .max(1000)
              .prefault(5)
              .describe('Distinct accounts failing from one source within the window.'),
            windowMs: duration({ min: SECOND, max: 7 * DAY }).prefault(10 * MINUTE),
            banTtlMs: duration({ min: MINUTE, max: 365 * DAY })
              .optional()
              .describe('Ban time; default bans.defaultTtlMs, escalating.'),
          })
          .prefault({})
          .describe('One source trying many accounts.'),
        aclRefused: watchRule(5, MINUTE, "Requests refused by the PBX's ACL."),
        unknownExtension: watchRule(5, MINUTE, 'Calls to extensions that do not exist (INVITE scanning).'),
        anyFailure: watchRule(
          10,
          10 * MINUTE,
          "Any of the failures above together (fail2ban's asterisk jail: 10 in 10 minutes), so nothing fail2ban bans is missed.",
        ),
        pbxBlock: watchRule(
          1,
          SECOND,
          'A block the PBX decided itself (Kamailio pike, Yate banbrutes): ban at once.',
        ),
      })
      .prefault({})
      .describe('Detection rules (sliding windows per source address). Challenges are never counted.'),
    action: LogwatchActionSchema,
  })
  .prefault({})
  .describe('The log watcher: bans from PBX logs, for PBXs without the gateway in front.')

// ---------------------------------------------------------------------------------------
// Host firewall

const FirewallSchema = z
  .strictObject({
    sshPort: z
      .union([port(), z.literal(false)])
      .prefault(22)
      .describe('SSH port, open to admin networks only; false when the host has no SSH.'),
    rtpPorts: z
      .strictObject({
        min: port().prefault(10000),
        max: port().prefault(20000),
      })
      .prefault({})
      .superRefine((r, ctx) => {
        if (r.min >= r.max)
          ctx.addIssue({
            code: 'custom',
            path: ['max'],
            message: `max (${r.max}) must be above min (${r.min})`,
          })
      })
      .describe('UDP port range for media (Asterisk rtp.conf default 10000-20000).'),
    webPorts: z
      .array(port())
      .prefault([])
      .describe('TCP ports of the PBX web interface; open to admin networks only, rate limited.'),
    webConnectionsPerMinute: z
      .number()
      .int()
      .min(1)
      .prefault(60)
      .describe('New connections per source per minute to the web ports and a non-loopback admin API.'),
    sipLimits: z
      .strictObject({
        registerPerMinute: z
          .number()
          .int()
          .min(1)
          .prefault(1200)
          .describe('REGISTER hits per source per minute in the kernel.'),
        invitePerMinute: z
          .number()
          .int()
          .min(1)
          .prefault(600)
          .describe('INVITE hits per source per minute in the kernel.'),
        packetsPerSecond: z
          .number()
          .int()
          .min(1)
          .prefault(500)
          .describe('SIP packets per source per second.'),
        dropScannerStrings: z
          .boolean()
          .prefault(true)
          .describe('Drop packets containing scanner User-Agent strings.'),
      })
      .prefault({})
      .describe("Kernel limits on SIP ports; keep them above the gateway's flood limits."),
    icmp: z
      .strictObject({
        allowEcho: z.boolean().prefault(true),
        echoPerSecond: z.number().int().min(1).prefault(5),
      })
      .prefault({}),
    antiSpoof: z.boolean().prefault(true).describe('Drop packets from bogon or own-address sources.'),
    publicInterfaces: z
      .array(
        z
          .string()
          .regex(
            /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}\*?$/,
            'an interface name such as eth0 (at most 15 characters; a trailing * matches a prefix)',
          ),
      )
      .prefault([])
      .describe(
        'Interfaces facing the internet (e.g. eth0). With antiSpoof, packets arriving on them from private, ' +
          'shared (CGNAT), IPv4 link-local or documentation addresses are dropped, except networks the policy names ' +
          '(admin networks, trunks, account networks). Empty: only sources invalid everywhere are dropped.',
      ),
    rejectWith: z
      .enum(['drop', 'reject'])
      .prefault('drop')
      .describe('What the default policy does with refused packets.'),
    logPerMinute: z
      .number()
      .int()
      .min(0)
      .prefault(10)
      .describe('Rate limit for logging refused packets (0: no log).'),
    ipv6: z
      .boolean()
      .prefault(true)
      .describe('true: the same rules for IPv6; false: IPv6 dropped except loopback.'),
  })
  .prefault({})
  .superRefine((f, ctx) => {
    for (const [p, idx] of duplicates(f.webPorts, String))
      for (const i of idx.slice(1))
        ctx.addIssue({ code: 'custom', path: ['webPorts', i], message: `port ${p} is listed twice` })
    if (f.sshPort !== false && f.webPorts.includes(f.sshPort))
      ctx.addIssue({
        code: 'custom',
        path: ['webPorts', f.webPorts.indexOf(f.sshPort)],
        message: 'this is the SSH port',
      })
  })
  .describe('The host firewall rendered by `sipwarden firewall`.')

// ---------------------------------------------------------------------------------------
// The policy

const PolicyObjectSchema = z.strictObject({
  version: z
    .literal(1, { error: 'must be 1 (the only policy format so far)' })
    .describe('Policy format version. Required; always 1.'),
  site: SiteSchema.prefault({}),
  listen: z
    .array(ListenerSchema)
    .min(1, 'list at least one listener')
    .prefault(() => DEFAULT_LISTEN.map((l) => ({ ...l })))
    .describe('Sockets of the gateway. Default: udp and tcp on 0.0.0.0:5060.'),
  tls: TlsSchema.optional(),
  upstream: UpstreamSchema,
  adminNetworks: networks()
    .prefault([])
    .describe(
      'Networks of the operators: never banned, may use the admin API and SSH. The log watcher and the firewall always add loopback; the gateway trusts only the networks listed here (and the upstream PBX), so that local tests and local attackers can still be banned.',
    ),
  api: ApiSchema.prefault({}),
  trunks: z.array(TrunkSchema).prefault([]).describe('SIP trunks.'),
  tenants: z.array(TenantSchema).prefault([]).describe('Tenants (customers or offices) with their accounts.'),
  gateway: GatewaySchema,
  bans: BansSchema,
  fraud: FraudSchema,
  alerting: AlertingSchema,
  state: StateSchema,
  events: EventsSchema,
  logwatch: LogwatchSchema,
  firewall: FirewallSchema,
})

type PolicyObject = z.output<typeof PolicyObjectSchema>

function crossCheck(p: PolicyObject, ctx: z.RefinementCtx): void {
  p.listen.forEach((l, i) => {
    if (l.transport === 'tls' && p.tls === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['listen', i],
        message: 'a tls listener needs the tls section (certFile, keyFile)',
      })
  })
  for (const [, idx] of duplicates(p.listen, (l) =>
    formatEndpoint({ transport: l.transport, host: l.address, port: l.port }),
  ))
    for (const i of idx.slice(1))
      ctx.addIssue({ code: 'custom', path: ['listen', i], message: 'this listener is listed twice' })

  const u = p.upstream
  p.listen.forEach((l, i) => {
    const sameSocket =
      l.port === u.port &&
      l.transport === u.transport &&
      (l.address === u.host || (isUnspecifiedIp(l.address) && isLoopbackIp(u.host)))
    if (sameSocket)
      ctx.addIssue({
        code: 'custom',
        path: ['upstream'],
        message: `the upstream is the gateway's own listener listen[${i}]: requests would loop`,
      })
  })

  for (const [name, idx] of duplicates(p.tenants, (t) => t.name))
    for (const i of idx.slice(1))
      ctx.addIssue({
        code: 'custom',
        path: ['tenants', i, 'name'],
        message: `tenant "${name}" is defined twice`,
      })
  const domains = p.tenants.flatMap((t, ti) => t.domains.map((d, di) => ({ d: d.toLowerCase(), ti, di })))
  for (const [d, idx] of duplicates(domains, (x) => x.d))
    for (const j of idx.slice(1)) {
      const x = domains[j]!
      ctx.addIssue({
        code: 'custom',
        path: ['tenants', x.ti, 'domains', x.di],
        message: `domain ${d} belongs to two tenants`,
      })
    }

  const tenantNames = new Set(p.tenants.map((t) => t.name))
  for (const [name, idx] of duplicates(p.trunks, (t) => t.name))
    for (const i of idx.slice(1))
      ctx.addIssue({
        code: 'custom',
        path: ['trunks', i, 'name'],
        message: `trunk "${name}" is defined twice`,
      })
  const unknownTenant = (name: string) =>
    tenantNames.size === 0
      ? `no tenant "${name}": the policy has no tenants`
      : `no tenant "${name}" (tenants: ${[...tenantNames].join(', ')})`
  p.trunks.forEach((t, i) => {
    if (t.tenant !== undefined && !tenantNames.has(t.tenant))
      ctx.addIssue({ code: 'custom', path: ['trunks', i, 'tenant'], message: unknownTenant(t.tenant) })
    t.dids.forEach((d, di) => {
      if (d.tenant !== undefined && d.tenant !== t.tenant && !tenantNames.has(d.tenant))
        ctx.addIssue({
          code: 'custom',
          path: ['trunks', i, 'dids', di, 'tenant'],
          message: unknownTenant(d.tenant),
        })
    })
  })
  const dids = p.trunks.flatMap((t, ti) => t.dids.map((d, di) => ({ d: d.number, ti, di })))
  for (const [d, idx] of duplicates(dids, (x) => x.d))
    for (const j of idx.slice(1)) {
      const x = dids[j]!
      ctx.addIssue({
        code: 'custom',
        path: ['trunks', x.ti, 'dids', x.di],
        message: `DID ${d} is listed twice`,
      })
    }

  const sipPorts = new Set(p.listen.filter((l) => l.transport === 'udp').map((l) => l.port))
  const { min, max } = p.firewall.rtpPorts
  for (const sp of sipPorts)
    if (sp >= min && sp <= max)
      ctx.addIssue({
        code: 'custom',
        path: ['firewall', 'rtpPorts'],
        message: `the RTP range ${min}-${max} includes the SIP port ${sp}`,
      })
}

/** Fills defaults that depend on other keys (paths under site.dataDir). */
function deriveDefaults(p: PolicyObject) {
  const dataDir = p.site.dataDir
  return {
    ...p,
    state: {
      ...p.state,
      path: p.state.adapter === 'sqlite' ? (p.state.path ?? join(dataDir, DEFAULT_STATE_FILE)) : undefined,
    },
    events: {
      ...p.events,
      jsonl: { ...p.events.jsonl, path: p.events.jsonl.path ?? join(dataDir, DEFAULT_EVENTS_FILE) },
    },
  }
}

export const PolicySchema = PolicyObjectSchema.superRefine(crossCheck)
  .transform(deriveDefaults)
  .meta({
    title: 'sipwarden policy',
    description:
      'The one policy file of a sipwarden site: gateway, toll-fraud engine, log watcher, firewall. ' +
      'Required: version and upstream. Durations accept 500ms, 30s, 10m, 1h, 7d; sizes accept 16KiB. ' +
      `Strings may reference environment variables as ${envRef('NAME')}.`,
  })

// ---------------------------------------------------------------------------------------
// Types

type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T

/** A validated, normalised policy with every default filled in. Deep-frozen at run time. */
export type Policy = DeepReadonly<z.output<typeof PolicySchema>>
/** What may be written in the policy file (before defaults and normalisation). */
export type PolicyInput = z.input<typeof PolicySchema>

export type Listener = Policy['listen'][number]
export type Upstream = Policy['upstream']
export type Tenant = Policy['tenants'][number]
export type Account = Tenant['accounts'][number]
export type Trunk = Policy['trunks'][number]
export type CallingRights = DeepReadonly<z.output<typeof CallingRightsSchema>>
export type PartialCallingRights = DeepReadonly<z.output<typeof PartialCallingRightsSchema>>
export type Limits = DeepReadonly<z.output<typeof LimitsSchema>>
export type PartialLimits = DeepReadonly<z.output<typeof PartialLimitsSchema>>
export type Schedule = DeepReadonly<z.output<typeof ScheduleSchema>>
export type RateLimiter = Policy['gateway']['flood']['register']
export type LogSource = Policy['logwatch']['sources'][number]
export type LogwatchAction = Policy['logwatch']['action']
export type DestinationClassList = readonly DestinationClass[]
