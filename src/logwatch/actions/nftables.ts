// Bans into nftables sets with per-element timeouts, so the kernel expires them itself. Own
// table and chain at hook priority -10, i.e. before the usual filter/conntrack rules at 0: a
// banned UDP source is dropped even when a `ct state established accept` rule would let its
// 5-tuple through (fail2ban #2503, #732). The table and set names are the policy's
// `bans.kernel` ones, shared with the gateway.
//
// Every batch is one `nft -f -` run: the script goes to nft's standard input (never a shell),
// and nft applies it as one transaction. Restoring 10,000 bans at start is one process, not
// 10,000. Removing an element that is not there fails a whole nft transaction, so an unban is
// written `add element … ; delete element …` (the add is a no-op when the element exists).
import { isIP } from 'node:net'
import { ErrorCodes, SgwError } from '../../errors.js'
import type { BanAction, BanDecision, UnbanReason } from '../types.js'
import { type Runner, runArgv } from './run.js'
import { BatchQueue } from './batch.js'

export interface NftablesOptions {
  readonly nft?: string
  /** Table (family inet) and sets: the policy's `bans.kernel.table`, `setV4`, `setV6`. */
  readonly table: string
  readonly set4: string
  readonly set6: string
  /** Collect bans for this long before applying them (default 200 ms). */
  readonly batchMs?: number
  /** Arguments put before `-f -`, e.g. a test runs nft inside a network namespace through
   * `nft: 'ip', prefix: ['netns', 'exec', NAME, 'nft']`. */
  readonly prefix?: readonly string[]
  readonly run?: Runner
  readonly onError?: (message: string) => void
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/
/** elements per `add element` statement (one script holds any number of statements) */
const CHUNK = 1000

type Op =
  | { readonly add: true; readonly ip: string; readonly ttlS: number }
  | { readonly add: false; readonly ip: string }

export class NftablesSink implements BanAction {
  readonly name = 'nftables'
  readonly #nft: string
  readonly #prefix: readonly string[]
  readonly #table: string
  readonly #set4: string
  readonly #set6: string
  readonly #run: Runner
  readonly #onError: (message: string) => void
  readonly #batch: BatchQueue<Op>
  #setUp = false
  /** nft runs so far (for tests and the restore figure) */
  runs = 0

  constructor(opts: NftablesOptions) {
    this.#nft = opts.nft ?? 'nft'
    this.#prefix = opts.prefix ?? []
    this.#table = opts.table
    this.#set4 = opts.set4
    this.#set6 = opts.set6
    for (const n of [this.#table, this.#set4, this.#set6]) {
      if (typeof n !== 'string' || !NAME.test(n))
        throw new SgwError(ErrorCodes.LOGWATCH_OPTIONS, `invalid nftables name '${n}'`)
    }
    this.#batch = new BatchQueue(opts.batchMs ?? 200, (batch) => this.#applyBatch(batch))
    this.#run = opts.run ?? runArgv
    this.#onError = opts.onError ?? (() => {})
  }

  /** The script that creates the table, sets and chain (idempotent: the chain is flushed). */
  setupScript(): string {
    const t = `inet ${this.#table}`
    return [
      `add table ${t}`,
      `add set ${t} ${this.#set4} { type ipv4_addr; flags timeout; }`,
      `add set ${t} ${this.#set6} { type ipv6_addr; flags timeout; }`,
      `add chain ${t} input { type filter hook input priority -10; policy accept; }`,
      `flush chain ${t} input`,
      `add rule ${t} input ip saddr @${this.#set4} drop`,
      `add rule ${t} input ip6 saddr @${this.#set6} drop`,
      '',
    ].join('\n')
  }

  async setup(): Promise<void> {
    const r = await this.#exec(this.setupScript())
    if (r.code !== 0) {
      throw new SgwError(
        ErrorCodes.LOGWATCH_ACTION,
        `nft: cannot create table inet ${this.#table} (exit ${r.code}): ${r.stderr.trim()}`,
      )
    }
    this.#setUp = true
  }

  /** The script for these operations, in order: bans as `add element` statements of up to
   * 1000 elements with their timeouts, unbans as add-then-delete. */
  script(ops: readonly Op[]): string {
    const lines: string[] = []
    const t = `inet ${this.#table}`
    let run: string[] = []
    let runSet = ''
    const end = (): void => {
      if (run.length > 0) lines.push(`add element ${t} ${runSet} { ${run.join(', ')} }`)
      run = []
    }
    for (const op of ops) {
      const set = op.ip.includes(':') ? this.#set6 : this.#set4
      if (op.add) {
        if (set !== runSet || run.length >= CHUNK) end()
        runSet = set
        run.push(`${op.ip} timeout ${op.ttlS}s`)
      } else {
        end()
        lines.push(
          `add element ${t} ${set} { ${op.ip} timeout 1s }`,
          `delete element ${t} ${set} { ${op.ip} }`,
        )
      }
    }
    end()
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`
  }

  ban(d: BanDecision): void {
    this.addElement(d.ip, d.ttlMs)
  }

  /** Queues an element with its timeout (the gateway's kernel ban mirror uses these two). */
  addElement(ip: string, ttlMs: number): void {
    if (isIP(ip) === 0) {
      this.#onError(`not an IP address, not banned: ${JSON.stringify(ip)}`)
      return
    }
    this.#batch.push({ add: true, ip, ttlS: Math.max(1, Math.ceil(ttlMs / 1000)) })
  }

  /** Queues the removal of an element (no error when it is not there). */
  removeElement(ip: string): void {
    if (isIP(ip) !== 0) this.#batch.push({ add: false, ip })
  }

  /** Runs nft with these arguments (e.g. `-j list set …`), through the same prefix. */
  command(args: readonly string[]): ReturnType<Runner> {
    this.runs++
    return this.#run(this.#nft, [...this.#prefix, ...args])
  }

  /** Kernel elements expire by themselves: only an early unban or an eviction is applied. */
  unban(ip: string, reason: UnbanReason): void {
    if (reason === 'expire' || isIP(ip) === 0) return
    this.#batch.push({ add: false, ip })
  }

  flush(): Promise<void> {
    return this.#batch.flush()
  }

  async #applyBatch(batch: Op[]): Promise<void> {
    const script = this.script(batch)
    let r = await this.#exec(script)
    if (r.code !== 0 && this.#setUp) {
      // the table or a set was removed under us (`nft flush ruleset`): recreate, retry once
      const s = await this.#exec(this.setupScript())
      if (s.code === 0) r = await this.#exec(script)
    }
    if (r.code !== 0)
      this.#onError(`nft -f - (${batch.length} element(s)) failed (exit ${r.code}): ${r.stderr.trim()}`)
  }

  close(): Promise<void> {
    return this.flush()
  }

  #exec(script: string) {
    this.runs++
    return this.#run(this.#nft, [...this.#prefix, '-f', '-'], { input: script })
  }
}
