// Kamailio / OpenSIPS. Neither logs authentication failures by itself (the routing script does,
// with xlog, in site-specific words). What the stock configuration and the pike module print:
//   pike module   `WARNING: pike [pike_funcs.c:151]: pike_check_req(): PIKE - BLOCKing ip %s, node=%p`
//   default cfg   `ALERT: <script>: pike blocking $rm from $fu (IP:$si:$sp)`
//   default cfg   `… <script>: Malformed SIP request from $si:$sp`
// optionally under a syslog header (`Mmm dd HH:MM:SS host /usr/sbin/kamailio[pid]: `) or the
// `-E` stderr form (` 0(1234) `). Each pattern is anchored at the start of the line: an xlog line
// that prints an attacker-controlled header cannot start a fake pike message.
import { parseAddrColonPort, parseIp } from '../address.js'
import { LogClock, syslogHeaderEnd } from '../time.js'
import type { LineParser, ParseResult } from '../types.js'
import { Hit, type ParserOptions } from './common.js'

const LEAD = String.raw`^\s*(?:\d+\(\d+\) )?`
const PIKE_BLOCK = new RegExp(
  `${LEAD}(?:[A-Z]+: ?)?pike(?: \\[pike_funcs\\.c:\\d+\\])?: (?:\\w+\\(\\): )?PIKE - BLOCKing ip ([0-9a-fA-F.:]+), node=`,
)
const PIKE_ALERT = new RegExp(
  `${LEAD}(?:[A-Z]+: )?(?:<script>: )?pike blocking \\S+ from .* \\(IP:(\\S+)\\)$`,
)
const MALFORMED = new RegExp(`${LEAD}(?:[A-Z]+: )?<script>: Malformed SIP request from (\\S+)$`)

export class KamailioParser implements LineParser {
  readonly format = 'kamailio' as const
  readonly #clock: LogClock
  readonly #now: () => number
  readonly #hit = new Hit()
  #lastTime = Number.NaN

  constructor(opts: ParserOptions = {}) {
    this.#clock = new LogClock(opts.referenceYear)
    this.#now = opts.now ?? Date.now
  }

  parse(line: string): ParseResult {
    // cheap prefilter: every pattern contains one of these words
    if (line.indexOf('pike') === -1 && line.indexOf('Malformed SIP') === -1) return null
    const h = syslogHeaderEnd(line)
    const body = h > 0 ? line.slice(h) : line
    let ok = false
    const block = PIKE_BLOCK.exec(body)
    const alert = block === null ? PIKE_ALERT.exec(body) : null
    const malformed = block === null && alert === null ? MALFORMED.exec(body) : null
    if (block !== null) {
      const ip = parseIp(block[1]!)
      ok = ip !== null && this.#hit.set('pbx-block', ip, undefined, 'pike:blocking')
    } else if (alert !== null) {
      const ip = parseAddrColonPort(alert[1]!, 0, alert[1]!.length)
      ok = ip !== null && this.#hit.set('pbx-block', ip, undefined, 'pike:blocking')
    } else if (malformed !== null) {
      const ip = parseAddrColonPort(malformed[1]!, 0, malformed[1]!.length)
      ok = ip !== null && this.#hit.set('malformed', ip, undefined, 'sanity:malformed request')
    }
    if (!ok) return null
    if (h > 0) {
      const t = this.#clock.parseAt(line, 0)
      if (!Number.isNaN(t)) this.#lastTime = t
    }
    return this.#hit.event(Number.isNaN(this.#lastTime) ? this.#now() : this.#lastTime)
  }
}
