// Yate. Its SIP channel reports failed digest authentication only as an internal message
// (`user.authfail`); no stock log line carries the address. What the log does carry is the ban
// decision of Yate's own banner, share/scripts/banbrutes.php (10 failures in a row):
//   `banbrutes: iptables -I INPUT -s %s -j DROP` (and ip6tables), printed by Yate::Output,
// optionally after a Yate timestamp (-Dt/-Dn/-De) or a syslog header. The unban (`-D INPUT`) is
// not an event. The line is anchored at the start.
import { parseIp } from '../address.js'
import { LogClock, syslogHeaderEnd } from '../time.js'
import type { LineParser, ParseResult } from '../types.js'
import { Hit, type ParserOptions } from './common.js'

const BANBRUTES =
  /^(?:(\d{4}-\d\d-\d\d[_ T]\d\d:\d\d:\d\d(?:\.\d+)?|\d{14}(?:\.\d+)?|\d{9,11}\.\d+) )?(?:<[^>]*> )?banbrutes: (?:\S*\/)?ip6?tables -I INPUT -s ([0-9a-fA-F.:]+) -j DROP$/

export class YateParser implements LineParser {
  readonly format = 'yate' as const
  readonly #clock: LogClock
  readonly #now: () => number
  readonly #hit = new Hit()
  #lastTime = Number.NaN

  constructor(opts: ParserOptions = {}) {
    this.#clock = new LogClock(opts.referenceYear)
    this.#now = opts.now ?? Date.now
  }

  parse(line: string): ParseResult {
    const b = line.indexOf('banbrutes: ')
    if (b === -1) return null
    const h = b > 0 ? syslogHeaderEnd(line) : -1
    const r = BANBRUTES.exec(h > 0 ? line.slice(h) : line)
    if (r === null) return null
    const ip = parseIp(r[2]!)
    if (ip === null) return null
    this.#hit.set('pbx-block', ip, undefined, 'banbrutes:ban')
    let t = Number.NaN
    if (h > 0) t = this.#clock.parseAt(line, 0)
    else if (r[1] !== undefined) t = yateTime(this.#clock, r[1])
    if (!Number.isNaN(t)) this.#lastTime = t
    return this.#hit.event(Number.isNaN(this.#lastTime) ? this.#now() : this.#lastTime)
  }
}

function yateTime(clock: LogClock, s: string): number {
  if (s.length >= 19 && s.charCodeAt(4) === 45) return clock.parseAt(s.replace('_', ' '), 0)
  if (s.length >= 14 && s.charCodeAt(8) !== 46 && s.indexOf('.') !== 10) {
    // YYYYMMDDhhmmss[.uuuuuu]
    const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)} ${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}`
    return clock.parseAt(iso, 0)
  }
  return Number(s) * 1000 // seconds since the epoch
}
