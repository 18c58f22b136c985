// Asterisk log lines: the prefix (date, level, lwp, call id, source) is parsed positionally from
// the start of the line, then the message is dispatched on its first characters. Only NOTICE,
// WARNING and SECURITY lines can carry an attack (fail2ban's `log_prefix`); every other line
// is rejected after a few character comparisons, which is what keeps ordinary traffic cheap.
//
// Prefixes (main/logger.c):
//   file, default formatter  [date] LEVEL[lwp][C-xxxxxxxx] file.c: message
//   file, plain / console    [date] LEVEL[lwp][C-…]: file.c:123 function: message
//   syslog                   Mmm dd HH:MM:SS host asterisk[pid]: LEVEL[lwp][C-…]: file.c:123 in function: message
//   journald                 LEVEL[lwp]: file.c:123 function: message   (optionally after `[date] `)
//   [json] formatter         {"hostname":…,"timestamp":"<date>","identifiers":{"lwp":…,"callid":…},
//                             "logmsg":{"location":{…},"level":"NOTICE","message":"…"}}
// dates: `%b %e %T` (default), `%F %T` (FreePBX), with optional fraction.
import { parseHostPort, parseIp } from '../address.js'
import { LogClock, syslogHeaderEnd } from '../time.js'
import { AMBIGUOUS, type EventKind, type LineParser, type ParseResult } from '../types.js'
import { account, Hit, hasColours, type ParserOptions, soleAddress, stripColours, uriUser } from './common.js'

/** chan_sip `Registration from '%s' failed for '%s' - %s` reasons (channels/chan_sip.c). */
const REGISTRATION_REASONS = new Map<string, EventKind>([
  ['Wrong password', 'auth-failed'],
  ['Username/auth name mismatch', 'auth-failed'],
  ['No matching peer found', 'unknown-account'],
  ['Not a local domain', 'unknown-account'],
  ['Device does not match ACL', 'acl-refused'],
  ['Peer is not supposed to register', 'acl-refused'],
  ['ACL error (permit/deny)', 'acl-refused'],
])

/** PJSIP `log_failed_request()` reasons (res/res_pjsip/pjsip_distributor.c). */
const PJSIP_REASONS: readonly (readonly [string, EventKind])[] = [
  [') - No matching endpoint found', 'unknown-account'],
  [') - Failed to authenticate', 'auth-failed'],
  [') - Error to authenticate', 'auth-failed'],
  [') - Not match Endpoint ACL', 'acl-refused'],
  [') - Not match Endpoint Contact ACL', 'acl-refused'],
]

/**
 * Security event names that are failures (main/security_events.c), as the security log writes
 * them (`SecurityEvent="…"`) and AMI sends them (`Event: …`).
 */
export const SECURITY_EVENTS: ReadonlyMap<string, EventKind> = new Map<string, EventKind>([
  ['FailedACL', 'acl-refused'],
  ['InvalidAccountID', 'unknown-account'],
  ['ChallengeResponseFailed', 'auth-failed'],
  ['InvalidPassword', 'auth-failed'],
  // a challenge is not a failure (fail2ban #2532); reported so a rule may count it if asked to
  ['ChallengeSent', 'challenge'],
])

const REGISTRATION = "Registration from '"
const REQUEST_FROM = "Request from '"
const FAILED_FOR = "' failed for '"
const REJECTED_CONTEXT = "' rejected because extension not found in context '"
const SECURITY_EVENT = 'SecurityEvent="'
const REMOTE_ADDRESS = ',RemoteAddress="'
const ACCOUNT_ID = ',AccountID="'
const REJECTING = '"Rejecting unknown SIP connection from '
const NO_REGISTRATION = "No registration for peer '"
const HACKING = "hacking attempt detected '"
const IAX2_AUTH = ' failed to authenticate as '
const IAX2_MD5 = " failed MD5 authentication for '"
const AMI_AUTH = " failed to authenticate as '"
const AMI_NOUSER = " tried to authenticate with nonexistent user '"
const TRIES = / after (\d{1,9}) tries in [\d.]+ ms$/

// #parse outcomes besides a hit (true) or AMBIGUOUS
const Level = { None: 0, Unknown: 2 } as const
type Level = (typeof Level)[keyof typeof Level]

/**
 * Prefilter for the file form `[date] LEVEL…`: only NOTICE, WARNING and SECURITY lines (and
 * anything not in that form, e.g. syslog or colour codes) go on to be sliced out and parsed.
 */
export function asteriskPrefilter(s: string, start: number, end: number): boolean {
  if (s.charCodeAt(start) !== 91) return true
  const stop = Math.min(end, start + 48)
  let p = start + 1
  while (p < stop && s.charCodeAt(p) !== 93) p++
  if (p === stop) return true
  p++
  while (s.charCodeAt(p) === 32) p++
  const c = s.charCodeAt(p)
  return c === 78 || c === 87 || c === 83 || c < 65 || c > 90
}

export class AsteriskParser implements LineParser {
  readonly prefilter = asteriskPrefilter
  readonly format: 'asterisk' | 'asterisk-security'
  readonly #securityOnly: boolean
  readonly #challenges: boolean
  readonly #clock: LogClock
  readonly #now: () => number
  readonly #hit = new Hit()
  // last dated line, parsed lazily: dateless lines (journald) take the time of the line before
  #datedLine = ''
  #datePos = -1
  #lastTime = Number.NaN

  constructor(opts: ParserOptions & { securityOnly?: boolean } = {}) {
    this.#securityOnly = opts.securityOnly === true
    this.#challenges = opts.challenges === true
    this.format = this.#securityOnly ? 'asterisk-security' : 'asterisk'
    this.#clock = new LogClock(opts.referenceYear)
    this.#now = opts.now ?? Date.now
  }

  parse(line: string): ParseResult {
    const r = this.#parse(line)
    if (r === Level.Unknown && hasColours(line)) return this.#result(this.#parse(stripColours(line)))
    return this.#result(r)
  }

  #result(r: Level | typeof AMBIGUOUS | true): ParseResult {
    if (r === true) return this.#hit.event(this.#time())
    return r === AMBIGUOUS ? AMBIGUOUS : null
  }

  #time(): number {
    if (this.#datePos >= 0) {
      const t = this.#clock.parseAt(this.#datedLine, this.#datePos)
      this.#datePos = -1
      if (!Number.isNaN(t)) this.#lastTime = t
    }
    return Number.isNaN(this.#lastTime) ? this.#now() : this.#lastTime
  }

  /** true = hit in this.#hit; Level.None = nothing; Level.Unknown = prefix not understood. */
  #parse(line: string): Level | typeof AMBIGUOUS | true {
    if (line.charCodeAt(0) === 123 /* { */) return this.#json(line)
    let p = 0
    let datePos = -1
    if (line.charCodeAt(0) === 91 /* [ */) {
      const close = line.indexOf(']', 1)
      if (close === -1) return Level.Unknown
      datePos = 1
      p = close + 1
      while (line.charCodeAt(p) === 32) p++
    } else {
      const h = syslogHeaderEnd(line)
      if (h > 0) {
        datePos = 0
        p = h
        if (line.charCodeAt(p) === 91) {
          // journald with the extra Asterisk timestamp (fail2ban gh-2383)
          const close = line.indexOf(']', p + 1)
          if (close === -1) return Level.Unknown
          datePos = p + 1
          p = close + 1
          while (line.charCodeAt(p) === 32) p++
        }
      }
    }
    // LEVEL
    const ls = p
    while (p < line.length) {
      const c = line.charCodeAt(p)
      if (c < 65 || c > 90) break
      p++
    }
    const level = p - ls
    if (level === 0) return Level.Unknown
    if (level === 6) {
      if (!line.startsWith('NOTICE', ls)) return Level.None
    } else if (level === 7) {
      if (!line.startsWith('WARNING', ls)) return Level.None
    } else if (level === 8) {
      if (!line.startsWith('SECURITY', ls)) return Level.None
    } else return Level.None
    if (this.#securityOnly && level !== 8) return Level.None
    // [lwp][C-xxxxxxxx]:
    while (line.charCodeAt(p) === 32) p++
    if (line.charCodeAt(p) !== 91) return Level.Unknown
    p = line.indexOf(']', p) + 1
    if (p === 0) return Level.Unknown
    if (line.startsWith('[C-', p)) {
      p = line.indexOf(']', p) + 1
      if (p === 0) return Level.Unknown
    }
    if (line.charCodeAt(p) === 58) p++
    if (line.charCodeAt(p) !== 32) return Level.Unknown
    p++
    // source: `file.c:` | `file.c:123 function:` | `file.c:123 in function:` | `Ext. s:6 in @ ctx:`
    const colon = line.indexOf(':', p)
    if (colon === -1) return Level.Unknown
    let m = colon + 1
    const d = line.charCodeAt(m)
    if (d >= 48 && d <= 57) {
      while (m < line.length && line.charCodeAt(m) >= 48 && line.charCodeAt(m) <= 57) m++
      if (line.charCodeAt(m) !== 32) return Level.Unknown
      const f = line.indexOf(':', m + 1)
      if (f === -1) return Level.Unknown
      m = f + 1
    }
    while (line.charCodeAt(m) === 32) m++
    if (datePos >= 0) {
      this.#datedLine = line
      this.#datePos = datePos
    }
    const r = this.#message(line, m)
    return r === false ? Level.None : r
  }

  // logger.conf `messages => [json]notice,warning,security`: one JSON object per line. The level
  // and message are fields, so nothing in the message can pose as the prefix. Lines without an
  // interesting level name anywhere are rejected before JSON.parse.
  #json(line: string): Level | typeof AMBIGUOUS | true {
    if (line.indexOf('NOTICE') === -1 && line.indexOf('WARNING') === -1 && line.indexOf('SECURITY') === -1)
      return Level.None
    let o: unknown
    try {
      o = JSON.parse(line)
    } catch {
      return Level.Unknown
    }
    const logmsg = isRecord(o) ? o['logmsg'] : undefined
    if (!isRecord(o) || !isRecord(logmsg)) return Level.Unknown
    const level = logmsg['level']
    const message = logmsg['message']
    if (typeof level !== 'string' || typeof message !== 'string') return Level.Unknown
    if (level !== 'NOTICE' && level !== 'WARNING' && level !== 'SECURITY') return Level.None
    if (this.#securityOnly && level !== 'SECURITY') return Level.None
    const ts = o['timestamp']
    if (typeof ts === 'string' && ts !== '') {
      this.#datedLine = ts
      this.#datePos = 0
    }
    // the formatter keeps the message's own trailing newline
    let end = message.length
    while (end > 0 && (message.charCodeAt(end - 1) === 10 || message.charCodeAt(end - 1) === 13)) end--
    const r = this.#message(end === message.length ? message : message.slice(0, end), 0)
    return r === false ? Level.None : r
  }

  #message(line: string, m: number): boolean | typeof AMBIGUOUS {
    const c = line.charCodeAt(m)
    if (this.#securityOnly) return c === 83 && this.#security(line, m)
    switch (c) {
      case 83 /* S */:
        return this.#security(line, m)
      case 82 /* R */:
        if (line.startsWith(REGISTRATION, m)) return this.#registration(line, m)
        if (line.startsWith('Request ', m)) return this.#request(line, m)
        return false
      case 67 /* C */:
        if (line.startsWith("Call from '", m)) return this.#callFrom(line, m, "' (")
        return false
      case 72 /* H */:
        return line.startsWith('Host ', m) && this.#iax2Host(line, m + 5)
      case 78 /* N */:
        return line.startsWith(NO_REGISTRATION, m) && this.#noRegistration(line, m)
      case 104 /* h */:
        return line.startsWith(HACKING, m) && this.#hacking(line, m)
      case 34 /* " */:
        return line.startsWith(REJECTING, m) && this.#rejecting(line, m)
      default: {
        // AMI (main/manager.c): `%s failed to authenticate as '%s'` with the address first
        if ((c >= 48 && c <= 58) || c === 91 || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)) {
          if (this.#manager(line, m)) return true
        }
        // PJSIP session: `%s: Call (%s:%s) to extension '%s' rejected because …`
        const call = line.indexOf(': Call (', m)
        return call !== -1 && this.#callFrom(line, call, 'Call (')
      }
    }
  }

  // chan_sip: Registration from '<To header>' failed for '<addr>' - <reason>. The header comes
  // first and the reason is a fixed text at the end, so the last "' failed for '" is the real one.
  #registration(line: string, m: number): boolean {
    const dash = line.lastIndexOf("' - ")
    if (dash < m) return false
    const kind = REGISTRATION_REASONS.get(line.slice(dash + 4))
    if (kind === undefined) return false
    const ff = line.lastIndexOf(FAILED_FOR, dash)
    if (ff < m + REGISTRATION.length - 1) return false
    const ip = parseHostPort(line, ff + FAILED_FOR.length, dash)
    if (ip === null) return false
    const who = uriUser(line, m + REGISTRATION.length, ff)
    return this.#hit.set(kind, ip, who, `chan_sip:${line.slice(dash + 4)}`)
  }

  // PJSIP: Request ['METHOD' ]from '<name-addr>' failed for '<addr>' (callid: <Call-ID>) - <reason>
  // [after N tries in X ms]. The From and the Call-ID are both attacker-controlled, on both sides
  // of the address. The From is a name-addr re-printed by pjsip, where a space (needed by a fake
  // "' failed for '…' (callid: ") can only occur inside a quoted display name; so the real
  // address is the first candidate preceded by balanced quotes. Any later one is in the Call-ID.
  #request(line: string, m: number): boolean | typeof AMBIGUOUS {
    let end = line.length
    let weight = 1
    const after = line.lastIndexOf(' after ')
    if (after > m) {
      const t = TRIES.exec(line.slice(after))
      if (t !== null) {
        end = after
        weight = Math.max(1, Number(t[1]))
      }
    }
    let kind: EventKind | undefined
    let reasonAt = -1
    for (const [text, k] of PJSIP_REASONS) {
      const at = end - text.length
      if (at > m && line.startsWith(text, at)) {
        kind = k
        reasonAt = at
        break
      }
    }
    if (kind === undefined) return false
    let fromStart: number
    if (line.startsWith(REQUEST_FROM, m)) fromStart = m + REQUEST_FROM.length
    else if (line.charCodeAt(m + 8) === 39) {
      const f = line.indexOf("' from '", m + 9)
      if (f === -1 || f >= reasonAt || line.lastIndexOf(' ', f) >= m + 8) return false // method is a token
      fromStart = f + 8
    } else return false
    let quotes = 0
    let scanned = fromStart
    let candidates = 0
    let i = line.indexOf(FAILED_FOR, fromStart)
    while (i !== -1 && i < reasonAt) {
      for (; scanned < i; scanned++) {
        if (line.charCodeAt(scanned) === 34 && line.charCodeAt(scanned - 1) !== 92) quotes++
      }
      const a = i + FAILED_FOR.length
      const close = line.indexOf("' (callid: ", a)
      if (close === -1 || close > reasonAt) break
      const ip = parseHostPort(line, a, close)
      if (ip !== null) {
        candidates++
        if ((quotes & 1) === 0) {
          const reason = line.slice(reasonAt + 4, end)
          return this.#hit.set(kind, ip, uriUser(line, fromStart, i), `pjsip:${reason}`, weight)
        }
      }
      i = line.indexOf(FAILED_FOR, i + 1)
    }
    return candidates > 0 ? AMBIGUOUS : false
  }

  // chan_sip `Call from '%s' (%s) to extension '%s' rejected because extension not found in
  // context '%s'.` and PJSIP `%s: Call (%s:%s) to extension …`. The caller name comes before and
  // the extension after the address; both are attacker-controlled, so every candidate must agree.
  #callFrom(line: string, m: number, open: string): boolean | typeof AMBIGUOUS {
    const tail = line.lastIndexOf(REJECTED_CONTEXT)
    if (tail < m) return false
    const ip = soleAddress(line, m, tail, open, ") to extension '")
    if (ip === null) return false
    if (ip === AMBIGUOUS) return AMBIGUOUS
    return this.#hit.set('unknown-extension', ip, undefined, 'call:extension not found')
  }

  // chan_iax2: `Host %s failed to authenticate as %s`, `Host %s failed MD5 authentication for '%s' (…)`
  #iax2Host(line: string, a: number): boolean {
    const sp = line.indexOf(' ', a)
    if (sp === -1) return false
    let who: string | undefined
    if (line.startsWith(IAX2_AUTH, sp)) {
      who = account(line, sp + IAX2_AUTH.length, line.length)?.replace(/^'|'$/g, '')
    } else if (line.startsWith(IAX2_MD5, sp)) {
      const q = line.indexOf("'", sp + IAX2_MD5.length)
      who = account(line, sp + IAX2_MD5.length, q === -1 ? line.length : q)
    } else return false
    const ip = parseHostPort(line, a, sp)
    return ip !== null && this.#hit.set('auth-failed', ip, who, 'iax2:failed to authenticate')
  }

  // AMI: `%s failed to authenticate as '%s'`, `%s tried to authenticate with nonexistent user '%s'`
  #manager(line: string, m: number): boolean {
    const sp = line.indexOf(' ', m)
    if (sp === -1) return false
    let kind: EventKind
    let u: number
    if (line.startsWith(AMI_AUTH, sp)) {
      kind = 'auth-failed'
      u = sp + AMI_AUTH.length
    } else if (line.startsWith(AMI_NOUSER, sp)) {
      kind = 'unknown-account'
      u = sp + AMI_NOUSER.length
    } else return false
    const ip = parseHostPort(line, m, sp)
    if (ip === null) return false
    const q = line.lastIndexOf("'")
    return this.#hit.set(kind, ip, account(line, u, q > u ? q : line.length), 'ami:failed to authenticate')
  }

  // chan_iax2: `No registration for peer '%s' (from %s)` — anchored at the end
  #noRegistration(line: string, m: number): boolean {
    if (line.charCodeAt(line.length - 1) !== 41) return false
    const f = line.lastIndexOf(' (from ')
    if (f < m) return false
    const ip = parseHostPort(line, f + 7, line.length - 1)
    const q = line.lastIndexOf("'", f)
    const who = account(line, m + NO_REGISTRATION.length, q)
    return ip !== null && this.#hit.set('unknown-account', ip, who, 'iax2:no registration for peer')
  }

  // old chan_sip: `hacking attempt detected '%s'`
  #hacking(line: string, m: number): boolean {
    if (line.charCodeAt(line.length - 1) !== 39) return false
    const ip = parseHostPort(line, m + HACKING.length, line.length - 1)
    return ip !== null && this.#hit.set('auth-failed', ip, undefined, 'chan_sip:hacking attempt')
  }

  // FreePBX dialplan Log(): `"Rejecting unknown SIP connection from %s"` — anchored at the end
  #rejecting(line: string, m: number): boolean {
    if (line.charCodeAt(line.length - 1) !== 34) return false
    const ip = parseHostPort(line, m + REJECTING.length, line.length - 1)
    return ip !== null && this.#hit.set('acl-refused', ip, undefined, 'freepbx:rejecting unknown connection')
  }

  // res_security_log: SecurityEvent="Name",Key="Value",… The SessionID (a Call-ID) and the
  // AccountID are attacker-controlled and come before RemoteAddress (fail2ban fixture FA28 puts a
  // fake RemoteAddress in the SessionID), so the LAST RemoteAddress is the real one, and what
  // follows it must be well-formed `,Key="value"` pairs (the values after it are quoted strings
  // in SIP, which cannot carry a bare `"`).
  #security(line: string, m: number): boolean | typeof AMBIGUOUS {
    if (!line.startsWith(SECURITY_EVENT, m)) return false
    const nameStart = m + SECURITY_EVENT.length
    const q = line.indexOf('"', nameStart)
    if (q === -1) return false
    const kind = SECURITY_EVENTS.get(line.slice(nameStart, q))
    if (kind === undefined || (kind === 'challenge' && !this.#challenges)) return false
    const ra = line.lastIndexOf(REMOTE_ADDRESS)
    if (ra < q) return false
    const vs = ra + REMOTE_ADDRESS.length
    const ve = line.indexOf('"', vs)
    if (ve === -1) return false
    // tail: (,Key="value")* to the end of the line
    let t = ve + 1
    while (t < line.length) {
      if (line.charCodeAt(t) !== 44) return AMBIGUOUS
      const eq = line.indexOf('="', t + 1)
      if (eq === -1 || eq === t + 1) return AMBIGUOUS
      for (let k = t + 1; k < eq; k++) {
        const c = line.charCodeAt(k)
        if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95))
          return AMBIGUOUS
      }
      const close = line.indexOf('"', eq + 2)
      if (close === -1) return AMBIGUOUS
      t = close + 1
    }
    const ip = securityAddress(line, vs, ve)
    if (ip === null) return false
    let who: string | undefined
    const acc = line.indexOf(ACCOUNT_ID, q)
    if (acc !== -1 && acc < ra) {
      const as = acc + ACCOUNT_ID.length
      who = account(line, as, line.indexOf('"', as))
    }
    return this.#hit.set(kind, ip, who, `security:${line.slice(nameStart, q)}`)
  }
}

/**
 * The address of a security event's `RemoteAddress`/`LocalAddress` value in `s[start, end)`:
 * `IPV4/UDP/1.2.3.4/5060`, `IPV6/TLS/2001:db8::1/5061` (brackets allowed). Normalised, or null.
 */
export function securityAddress(s: string, start: number, end: number): string | null {
  if (!s.startsWith('IPV', start)) return null
  const s1 = s.indexOf('/', start)
  const s2 = s1 === -1 ? -1 : s.indexOf('/', s1 + 1)
  const s3 = s.lastIndexOf('/', end - 1)
  if (s2 === -1 || s3 <= s2 || s2 >= end) return null
  let host = s.slice(s2 + 1, s3)
  if (host.charCodeAt(0) === 91 && host.charCodeAt(host.length - 1) === 93) host = host.slice(1, -1)
  return parseIp(host)
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
