// Ban decisions as `sipwarden watch` prints them on stdout: one JSON object per line (`--json`)
// or one line of text, buffered (one write per 64 KiB, not per ban).
import type { BanDecision, BanSink } from './types.js'

/** One ban decision as printed: JSON line or text. */
export function formatBan(d: BanDecision, json: boolean): string {
  if (json) {
    return JSON.stringify({
      ip: d.ip,
      time: new Date(d.time).toISOString(),
      rule: d.rule,
      count: d.count,
      kind: d.kind,
      ttl: Math.round(d.ttlMs / 1000),
      until: new Date(d.until).toISOString(),
      nth: d.nth,
    })
  }
  return `${new Date(d.time).toISOString()} ban ${d.ip} rule=${d.rule} count=${d.count} kind=${d.kind} ttl=${Math.round(d.ttlMs / 1000)}s`
}

export class PrintSink implements BanSink {
  readonly #json: boolean
  readonly #write: (text: string) => void
  #buf: string[] = []
  #size = 0

  constructor(json: boolean, write: (text: string) => void = (t) => process.stdout.write(t)) {
    this.#json = json
    this.#write = write
  }

  ban(d: BanDecision): void {
    const line = `${formatBan(d, this.#json)}\n`
    this.#buf.push(line)
    this.#size += line.length
    if (this.#size >= 65536) this.flush()
  }

  flush(): void {
    if (this.#buf.length === 0) return
    this.#write(this.#buf.join(''))
    this.#buf = []
    this.#size = 0
  }
}
