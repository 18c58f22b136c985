// Types shared by the log watcher: what a format parser extracts from one log line, and what
// the detector decides. Kept free of the store and event bus so that the core stays pure: the
// store, the events and the firewall actions are `BanSink`s (bans.ts, events.ts, actions/).

/**
 * What a log line says happened, from the point of view of the source address.
 * - `auth-failed`: a known account, wrong credentials (chan_sip "Wrong password", PJSIP
 *   "Failed to authenticate", ChallengeResponseFailed, FreeSWITCH "SIP auth failure", IAX2, AMI).
 * - `unknown-account`: the account does not exist ("No matching peer/endpoint", InvalidAccountID,
 *   FreeSWITCH "Can't find user").
 * - `acl-refused`: the source is not allowed (Device does not match ACL, FailedACL, "Rejected by acl").
 * - `unknown-extension`: a call to an extension that does not exist (INVITE scanning).
 * - `challenge`: a digest challenge was sent. Legitimate clients trigger it on every REGISTER, so
 *   the default rules do not count it (fail2ban's freeswitch "ddos" mode does).
 * - `malformed`: the PBX rejected a malformed request (Kamailio sanity check).
 * - `pbx-block`: the PBX itself already decided the source is hostile (Kamailio pike, Yate banbrutes).
 */
export type EventKind =
  | 'auth-failed'
  | 'unknown-account'
  | 'acl-refused'
  | 'unknown-extension'
  | 'challenge'
  | 'malformed'
  | 'pbx-block'

export const EVENT_KINDS: readonly EventKind[] = [
  'auth-failed',
  'unknown-account',
  'acl-refused',
  'unknown-extension',
  'challenge',
  'malformed',
  'pbx-block',
]

/** One security-relevant fact taken from one log line. */
export interface LogEvent {
  readonly kind: EventKind
  /** Normalised source address (IPv4 dotted quad, IPv6 RFC 5952); always the socket-derived one. */
  readonly ip: string
  /** Epoch ms of the line, or NaN when the line carries no date (the caller supplies one). */
  readonly time: number
  /** Account / extension / user name the attempt was for, when the line names one (attacker-controlled). */
  readonly account: string | undefined
  /** Short machine name of the message that matched, e.g. `chan_sip:Wrong password`. */
  readonly what: string
  /**
   * Attempts this line stands for: 1, or N for PJSIP's rate-limited notice
   * `… No matching endpoint found after N tries in X ms` (counting lines would under-count).
   */
  readonly weight: number
}

/**
 * Result of parsing one line. `null` = nothing of interest. `AMBIGUOUS` = the line is of a
 * known attack kind but attacker-controlled text makes the source address ambiguous; it is
 * never attributed to anyone (counted, so that it shows in the summary).
 */
export const AMBIGUOUS = Symbol('ambiguous')
export type ParseResult = LogEvent | typeof AMBIGUOUS | null

export interface LineParser {
  readonly format: FormatName
  /** Parse one line (without its line terminator). */
  parse(line: string): ParseResult
  /**
   * Optional cheap test on the line `s[start, end)` inside a larger decoded string: false only
   * when `parse` would certainly return null. Lets the reader skip slicing out ordinary traffic.
   */
  readonly prefilter?: (s: string, start: number, end: number) => boolean
}

export const FORMAT_NAMES = ['asterisk', 'asterisk-security', 'freeswitch', 'kamailio', 'yate'] as const
export type FormatName = (typeof FORMAT_NAMES)[number]

/** A ban decided by the detector. */
export interface BanDecision {
  readonly ip: string
  /** Epoch ms of the line that tripped the rule. */
  readonly time: number
  readonly rule: string
  /** Events (or distinct accounts, for enumeration rules) counted in the window when it tripped. */
  readonly count: number
  readonly ttlMs: number
  /** `time + ttlMs` */
  readonly until: number
  /** The kind of the event that tripped the rule. */
  readonly kind: EventKind
  /** 1 for the first ban of this address that the detector (or the store) remembers, 2 for the next, … */
  readonly nth: number
  /** Account named by the line that tripped the rule (attacker-controlled text), if any. */
  readonly account?: string | undefined
  /** Machine name of that line's message, e.g. `chan_sip:Wrong password`. */
  readonly what?: string | undefined
}

/** Where ban decisions go: the replay printer, the store, the events, a firewall action. */
export interface BanSink {
  ban(decision: BanDecision): void | Promise<void>
  /** Flush buffered work (batched firewall updates). */
  flush?(): void | Promise<void>
  close?(): void | Promise<void>
}

/**
 * Why a ban is being lifted: `unban` (an operator lifted it early), `expire` (its time is up;
 * actions whose kernel sets expire elements themselves ignore this), `evict` (the store's ban
 * table was full).
 */
export type UnbanReason = 'unban' | 'expire' | 'evict'

/** A firewall action: applies bans (batched), lifts them, and is set up once at start. */
export interface BanAction extends BanSink {
  readonly name: string
  /** Create what the action needs (nftables table and sets, ipsets); idempotent. */
  setup?(): Promise<void>
  unban?(ip: string, reason: UnbanReason): void
}
