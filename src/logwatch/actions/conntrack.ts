// After a kernel ban, the banned source's connection-tracking entries are deleted
// (`conntrack -D -s ADDR`): the ban chain runs before conntrack's accept rules, but entries that
// outlive the ban decision keep NAT mappings and `ct state established` shortcuts of other rule
// sets alive until they time out (fail2ban users meet this as "banned but still talking").
// One deletion at a time, a bounded queue (a burst of bans must not fork a burst of processes);
// `conntrack` exits 1 when nothing matched, which is not an error.
import type { BanDecision, BanSink } from '../types.js'
import { type Runner, runArgv } from './run.js'

export interface ConntrackOptions {
  readonly conntrack?: string
  /** arguments before `-D`, e.g. a test runs it inside a namespace: ['netns', 'exec', NAME, 'conntrack'] */
  readonly prefix?: readonly string[]
  readonly maxQueue?: number
  readonly run?: Runner
  readonly onError?: (message: string) => void
}

export class ConntrackSink implements BanSink {
  readonly name = 'conntrack'
  readonly #file: string
  readonly #prefix: readonly string[]
  readonly #max: number
  readonly #run: Runner
  readonly #onError: (message: string) => void
  readonly #queue: string[] = []
  /** queued or being deleted: a ban repeated meanwhile adds nothing */
  readonly #pending = new Set<string>()
  #running: Promise<void> | null = null
  /** deletions run, and bans whose deletion was skipped because the queue was full */
  runs = 0
  skipped = 0

  constructor(opts: ConntrackOptions = {}) {
    this.#file = opts.conntrack ?? 'conntrack'
    this.#prefix = opts.prefix ?? []
    this.#max = opts.maxQueue ?? 1024
    this.#run = opts.run ?? runArgv
    this.#onError = opts.onError ?? (() => {})
  }

  ban(d: BanDecision): void {
    if (this.#pending.has(d.ip)) return
    if (this.#queue.length >= this.#max) {
      this.skipped++
      return
    }
    this.#pending.add(d.ip)
    this.#queue.push(d.ip)
    this.#running ??= this.#drain().finally(() => (this.#running = null))
  }

  async #drain(): Promise<void> {
    for (let ip = this.#queue.shift(); ip !== undefined; ip = this.#queue.shift()) {
      this.runs++
      const family = ip.includes(':') ? 'ipv6' : 'ipv4'
      const r = await this.#run(this.#file, [...this.#prefix, '-D', '-f', family, '-s', ip])
      this.#pending.delete(ip)
      if (r.code !== 0 && r.code !== 1)
        this.#onError(`conntrack -D -s ${ip} (exit ${r.code}): ${r.stderr.trim()}`)
    }
  }

  async flush(): Promise<void> {
    while (this.#running !== null) await this.#running
  }

  async close(): Promise<void> {
    await this.flush()
  }
}
