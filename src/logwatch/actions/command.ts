// A custom ban command, given as an argument vector with placeholders, run without a shell:
//   ["/usr/local/sbin/block", "{ip}", "{ttl}"]
// Placeholders: {ip} {ttl} (seconds) {rule} {count} {family} (4 or 6). The address has been
// validated as a literal IP by the parser; nothing else from the log reaches the argv.
// Commands run one at a time, in order; a backlog beyond `maxQueue` is dropped and reported.
import { ErrorCodes, SgwError } from '../../errors.js'
import type { BanDecision, BanSink } from '../types.js'
import { type Runner, runArgv } from './run.js'

export interface CommandOptions {
  readonly argv: readonly string[]
  readonly maxQueue?: number
  readonly run?: Runner
  readonly onError?: (message: string) => void
}

export function expandArgv(template: readonly string[], d: BanDecision): string[] {
  const values: Record<string, string> = {
    ip: d.ip,
    ttl: String(Math.max(1, Math.ceil(d.ttlMs / 1000))),
    rule: d.rule,
    count: String(d.count),
    family: d.ip.includes(':') ? '6' : '4',
  }
  return template.map((a) => a.replace(/\{(ip|ttl|rule|count|family)\}/g, (_, k: string) => values[k]!))
}

export class CommandSink implements BanSink {
  readonly #argv: readonly string[]
  readonly #max: number
  readonly #run: Runner
  readonly #onError: (message: string) => void
  #pending = 0
  #chain: Promise<void> = Promise.resolve()
  dropped = 0

  constructor(opts: CommandOptions) {
    if (opts.argv.length === 0 || opts.argv.some((a) => typeof a !== 'string') || opts.argv[0] === '')
      throw new SgwError(ErrorCodes.LOGWATCH_OPTIONS, 'the ban command must be a non-empty array of strings')
    this.#argv = [...opts.argv]
    this.#max = opts.maxQueue ?? 10_000
    this.#run = opts.run ?? runArgv
    this.#onError = opts.onError ?? (() => {})
  }

  ban(d: BanDecision): void {
    if (this.#pending >= this.#max) {
      this.dropped++
      this.#onError(`ban command backlog full; ban of ${d.ip} not applied`)
      return
    }
    this.#pending++
    const [file, ...args] = expandArgv(this.#argv, d)
    this.#chain = this.#chain.then(async () => {
      const r = await this.#run(file!, args)
      this.#pending--
      if (r.code !== 0) this.#onError(`ban command for ${d.ip} failed (exit ${r.code}): ${r.stderr.trim()}`)
    })
  }

  flush(): Promise<void> {
    return this.#chain
  }

  close(): Promise<void> {
    return this.#chain
  }
}
