// One log stream through one parser into the detector; ban decisions go to a sink.
import type { Detector } from './rules.js'
import { AMBIGUOUS, type BanDecision, type BanSink, type LineParser } from './types.js'

export interface WatchCounters {
  /** lines handed to the parser (after the byte prefilter, if the format has one) */
  lines: number
  /** lines that yielded an event */
  events: number
  /** lines of a known attack kind whose source address attacker-controlled text made ambiguous */
  ambiguous: number
  bans: number
}

export class LogWatcher {
  readonly parser: LineParser
  readonly detector: Detector
  readonly counters: WatchCounters = { lines: 0, events: 0, ambiguous: 0, bans: 0 }
  readonly #sink: BanSink
  readonly #onSinkError: (err: unknown, d: BanDecision) => void

  constructor(
    parser: LineParser,
    detector: Detector,
    sink: BanSink,
    onSinkError: (err: unknown, d: BanDecision) => void = () => {},
  ) {
    this.parser = parser
    this.detector = detector
    this.#sink = sink
    this.#onSinkError = onSinkError
  }

  /** Feed one line (without its terminator). */
  line(text: string): void {
    this.counters.lines++
    const ev = this.parser.parse(text)
    if (ev === null) return
    if (ev === AMBIGUOUS) {
      this.counters.ambiguous++
      return
    }
    this.counters.events++
    const d = this.detector.observe(ev)
    if (d === null) return
    this.counters.bans++
    try {
      const r = this.#sink.ban(d)
      if (r instanceof Promise) r.catch((err: unknown) => this.#onSinkError(err, d))
    } catch (err) {
      this.#onSinkError(err, d)
    }
  }
}
