// FreeSWITCH log lines (src/switch_log.c): `[uuid ]date[ cpu-idle%] [LEVEL] file.c:line[ func()] message`,
// optionally under a syslog header (then two timestamps), and the older `[WARN] [SOFIA] [file.c:line]`
// form. Only WARNING lines can carry an attack. The text before `[WARN` must be a prefix and
// nothing else (a DEBUG line that prints a SIP header could otherwise fake one). Some messages
// span several lines; the continuation lines carry no timestamp and are skipped.
import { parseIp } from '../address.js'
import { LogClock } from '../time.js'
import type { EventKind, LineParser, ParseResult } from '../types.js'
import { account, Hit, type ParserOptions } from './common.js'

// [uuid ][syslog header ]date[ NN.NN%]   — group 1 is the FreeSWITCH date (the inner one under syslog)
const PREFIX =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} )?(?:(?:\d{4}-\d\d-\d\d[ T]\S+|[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d) \S+ [^\s:]+: )?((?:\d{4}-)?\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?)(?: +\d{1,3}(?:\.\d+)?%)?$/

const AUTH_FAILURE = 'SIP auth failure ('
const AUTH_CHALLENGE = 'SIP auth challenge ('
const CANT_FIND_USER = "Can't find user ["
const FROM_IP = ' from ip '
const FROM = ' from '
// `Can't find user` is followed by these two lines (sofia_reg.c), without a prefix
const CONTINUATION_1 = "You must define a domain called '"
const CONTINUATION_2 = 'and you must configure your device to use the proper domain'

export class FreeswitchParser implements LineParser {
  readonly format = 'freeswitch' as const
  readonly #clock: LogClock
  readonly #now: () => number
  readonly #hit = new Hit()
  readonly #challenges: boolean
  #continuation = 0
  #lastTime = Number.NaN

  constructor(opts: ParserOptions = {}) {
    this.#clock = new LogClock(opts.referenceYear)
    this.#now = opts.now ?? Date.now
    this.#challenges = opts.challenges === true
  }

  parse(line: string): ParseResult {
    if (this.#continuation > 0) {
      this.#continuation--
      if (line.startsWith(CONTINUATION_1) || line.startsWith(CONTINUATION_2)) return null
      this.#continuation = 0
    }
    const lv = line.indexOf(' [WARN')
    if (lv === -1) return null
    let p: number
    if (line.startsWith('ING] ', lv + 6)) p = lv + 11
    else if (line.startsWith('] ', lv + 6)) p = lv + 8
    else return null
    const pre = PREFIX.exec(line.slice(0, lv))
    if (pre === null) return null
    // source: `sofia_reg.c:1533 ` | `[SOFIA] [sofia_reg.c:4130] `, then an optional `function() `
    if (line.startsWith('[SOFIA] ', p)) p += 8
    const bracket = line.charCodeAt(p) === 91
    const colon = line.indexOf(':', p)
    if (colon === -1) return null
    let m = line.indexOf(bracket ? '] ' : ' ', colon)
    if (m === -1) return null
    m += bracket ? 2 : 1
    const sp = line.indexOf(' ', m)
    if (sp > m + 2 && line.charCodeAt(sp - 1) === 41 && line.charCodeAt(sp - 2) === 40) m = sp + 1
    if (!this.#message(line, m)) return null
    const t = this.#clock.parseAt(pre[1]!, 0)
    if (!Number.isNaN(t)) this.#lastTime = t
    return this.#hit.event(Number.isNaN(this.#lastTime) ? this.#now() : this.#lastTime)
  }

  #message(line: string, m: number): boolean {
    const c = line.charCodeAt(m)
    if (c === 83 /* S */) {
      // SIP auth failure|challenge (%s) on sofia profile '%s' for [%s@%s] from ip %s   — anchored at the end
      let kind: EventKind
      if (line.startsWith(AUTH_FAILURE, m)) kind = 'auth-failed'
      else if (this.#challenges && line.startsWith(AUTH_CHALLENGE, m)) kind = 'challenge'
      else return false
      const f = line.lastIndexOf(FROM_IP)
      if (f < m) return false
      const ip = parseIp(line.slice(f + FROM_IP.length))
      if (ip === null) return false
      const u = line.indexOf(' for [', m)
      let who: string | undefined
      if (u !== -1 && u < f) {
        const at = line.indexOf('@', u)
        const end = line.indexOf(']', u)
        who = account(line, u + 6, at !== -1 && at < end ? at : end)
      }
      return this.#hit.set(
        kind,
        ip,
        who,
        kind === 'challenge' ? 'sofia:auth challenge' : 'sofia:auth failure',
      )
    }
    if (c === 67 /* C */) {
      // Can't find user [%s@%s] from %s   — anchored at the end
      if (!line.startsWith(CANT_FIND_USER, m)) return false
      const f = line.lastIndexOf(FROM)
      if (f < m) return false
      const ip = parseIp(line.slice(f + FROM.length))
      if (ip === null) return false
      const u = m + CANT_FIND_USER.length
      const at = line.indexOf('@', u)
      this.#continuation = 2
      return this.#hit.set(
        'unknown-account',
        ip,
        account(line, u, at !== -1 && at < f ? at : f),
        'sofia:unknown user',
      )
    }
    if (c === 73 /* I */) {
      // IP %s Rejected by acl "%s" | IP %s Rejected by register acl "%s"   — anchored at the start
      if (!line.startsWith('IP ', m)) return false
      const sp = line.indexOf(' ', m + 3)
      if (sp === -1 || !line.startsWith(' Rejected by ', sp)) return false
      if (!line.startsWith('acl', sp + 13) && !line.startsWith('register acl', sp + 13)) return false
      const ip = parseIp(line.slice(m + 3, sp))
      return ip !== null && this.#hit.set('acl-refused', ip, undefined, 'sofia:rejected by acl')
    }
    return false
  }
}
