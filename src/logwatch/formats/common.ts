// Helpers shared by the format parsers.
import { parseHostPort } from '../address.js'
import { AMBIGUOUS, type EventKind, type LogEvent } from '../types.js'

export interface ParserOptions {
  /** Year for dates printed without one; default: the current year. */
  readonly referenceYear?: number
  /** Time for lines when no dated line has been seen yet; default `Date.now`. */
  readonly now?: () => number
  /**
   * Report digest challenges (`challenge` events: Asterisk ChallengeSent, FreeSWITCH "SIP auth
   * challenge"). Off by default: every legitimate REGISTER is challenged, so no default rule
   * counts them, and skipping them early saves work.
   */
  readonly challenges?: boolean
}

/** Result slots a message parser fills (one allocation per matched line, not per tried rule). */
export class Hit {
  kind: EventKind = 'auth-failed'
  ip = ''
  account: string | undefined = undefined
  what = ''
  weight = 1

  set(kind: EventKind, ip: string, account: string | undefined, what: string, weight = 1): true {
    this.kind = kind
    this.ip = ip
    this.account = account
    this.what = what
    this.weight = weight
    return true
  }

  event(time: number): LogEvent {
    return { kind: this.kind, ip: this.ip, time, account: this.account, what: this.what, weight: this.weight }
  }
}

const MAX_ACCOUNT = 64

/** Account name, capped (attacker-controlled: used only to count distinct accounts). */
export function account(s: string, start: number, end: number): string | undefined {
  if (end <= start) return undefined
  const a = s.slice(start, Math.min(end, start + MAX_ACCOUNT))
  return a === '<unknown>' ? undefined : a
}

/** The user part of the first `sip:`/`sips:` URI in `s[start, end)`, if any. */
export function uriUser(s: string, start: number, end: number): string | undefined {
  let i = s.indexOf('sip:', start)
  if (i === -1 || i >= end) return undefined
  i += 4
  let j = i
  while (j < end) {
    const c = s.charCodeAt(j)
    if (c === 64 /* @ */) return account(s, i, j)
    if (c === 62 /* > */ || c === 59 /* ; */ || c === 32) return undefined
    j++
  }
  return undefined
}

/**
 * All addresses found between `open` and `close` in `s[from, to)`. One distinct address → it;
 * several different ones → AMBIGUOUS (attacker-controlled text on both sides of the real one);
 * none → null.
 */
export function soleAddress(
  s: string,
  from: number,
  to: number,
  open: string,
  close: string,
): string | typeof AMBIGUOUS | null {
  let found: string | null = null
  let i = s.indexOf(open, from)
  while (i !== -1 && i < to) {
    const a = i + open.length
    const j = s.indexOf(close, a)
    if (j === -1 || j > to) break
    const ip = parseHostPort(s, a, j)
    if (ip !== null) {
      if (found === null) found = ip
      else if (found !== ip) return AMBIGUOUS
    }
    i = s.indexOf(open, i + 1)
  }
  return found
}

/** Strip ANSI colour sequences, raw (`ESC[1;33m`) or as rsyslog escapes them (`#033[1;33m`). */
export function stripColours(line: string): string {
  return line.replace(/(?:\x1b|#033)\[[0-9;]*m/g, '')
}

export function hasColours(line: string): boolean {
  return line.indexOf('#033[') !== -1 || line.indexOf('\x1b[') !== -1
}
