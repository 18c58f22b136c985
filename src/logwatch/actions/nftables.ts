// Bans into nftables sets with per-element timeouts, so the kernel expires them itself. Own
// table and chain at hook priority -10, i.e. before the usual filter/conntrack rules at 0: a
// banned UDP source is dropped even when a `ct state established accept` rule would let its
// 5-tuple through (fail2ban #2503, #732). Bans are batched (one `nft` run per 200 addresses
// per family, as the CrowdSec bouncer does), and every argument is passed as argv.
import { ErrorCodes, SgwError } from '../../errors.js'
import type { BanDecision, BanSink } from '../types.js'
import { type Runner, runArgv } from './run.js'

export interface NftablesOptions {
  readonly nft?: string
  readonly table?: string
  readonly set4?: string
  readonly set6?: string
  /** Collect bans for this long before applying them (default 200 ms). */
  readonly batchMs?: number
  readonly run?: Runner
  readonly onError?: (message: string) => void
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/
const CHUNK = 200

export class NftablesSink implements BanSink {
  readonly #nft: string
  readonly #table: string
  readonly #set4: string
  readonly #set6: string
  readonly #batchMs: number
  readonly #run: Runner
  readonly #onError: (message: string) => void
  #queue: BanDecision[] = []
  #timer: NodeJS.Timeout | null = null
  #flushing: Promise<void> = Promise.resolve()

  constructor(opts: NftablesOptions = {}) {
    this.#nft = opts.nft ?? 'nft'
    this.#table = opts.table ?? 'sipwarden'
    this.#set4 = opts.set4 ?? 'banned4'
    this.#set6 = opts.set6 ?? 'banned6'
    for (const n of [this.#table, this.#set4, this.#set6]) {
      if (!NAME.test(n)) throw new SgwError(ErrorCodes.LOGWATCH_OPTIONS, `invalid nftables name '${n}'`)
    }
    this.#batchMs = opts.batchMs ?? 200
    this.#run = opts.run ?? runArgv
    this.#onError = opts.onError ?? (() => {})
  }

  /** The argv lists that create the table, sets and chain (idempotent: the chain is flushed). */
  setupCommands(): string[][] {
    const t = ['inet', this.#table]
    return [
      ['add', 'table', ...t],
      ['add', 'set', ...t, this.#set4, '{ type ipv4_addr; flags timeout; }'],
      ['add', 'set', ...t, this.#set6, '{ type ipv6_addr; flags timeout; }'],
      ['add', 'chain', ...t, 'input', '{ type filter hook input priority -10; policy accept; }'],
      ['flush', 'chain', ...t, 'input'],
      ['add', 'rule', ...t, 'input', 'ip', 'saddr', `@${this.#set4}`, 'drop'],
      ['add', 'rule', ...t, 'input', 'ip6', 'saddr', `@${this.#set6}`, 'drop'],
    ]
  }

  async setup(): Promise<void> {
    for (const args of this.setupCommands()) {
      const r = await this.#run(this.#nft, args)
      if (r.code !== 0) {
        throw new SgwError(
          ErrorCodes.LOGWATCH_ACTION,
          `nft ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`,
        )
      }
    }
  }

  /** argv lists that add these bans: one per family and chunk of 200. */
  banCommands(bans: readonly BanDecision[]): string[][] {
    const out: string[][] = []
    for (const [set, v6] of [
      [this.#set4, false],
      [this.#set6, true],
    ] as const) {
      const family = bans.filter((b) => b.ip.includes(':') === v6)
      for (let i = 0; i < family.length; i += CHUNK) {
        const elems = family
          .slice(i, i + CHUNK)
          .map((b) => `${b.ip} timeout ${Math.max(1, Math.ceil(b.ttlMs / 1000))}s`)
          .join(', ')
        out.push(['add', 'element', 'inet', this.#table, set, `{ ${elems} }`])
      }
    }
    return out
  }

  ban(d: BanDecision): void {
    this.#queue.push(d)
    if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null
        void this.flush()
      }, this.#batchMs)
    }
  }

  flush(): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer)
      this.#timer = null
    }
    const batch = this.#queue
    this.#queue = []
    if (batch.length === 0) return this.#flushing
    this.#flushing = this.#flushing.then(async () => {
      for (const args of this.banCommands(batch)) {
        const r = await this.#run(this.#nft, args)
        if (r.code !== 0)
          this.#onError(`nft ${args.slice(0, 5).join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`)
      }
    })
    return this.#flushing
  }

  close(): Promise<void> {
    return this.flush()
  }
}
