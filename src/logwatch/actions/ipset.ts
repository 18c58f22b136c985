// Bans into ipsets with per-entry timeouts (for hosts that filter with iptables, as fail2ban's
// iptables-ipset actions do). The sets are created if missing:
//   ipset create sipwarden_v4 hash:ip family inet  timeout 0 maxelem N -exist
//   ipset create sipwarden_v6 hash:ip family inet6 timeout 0 maxelem N -exist
// (`timeout 0`: entries carry their own timeout). One ban is one argv run,
//   ipset add SET ADDR timeout SECONDS -exist
// (`-exist` refreshes the timeout of an entry already there); a batch of several (a burst, the
// restore at start) is one `ipset restore -exist` run with the commands on its standard input.
// The watcher does not add the iptables rule that drops the set's members; see docs/logwatch.md.
import { isIP } from 'node:net'
import { ErrorCodes, SgwError } from '../../errors.js'
import type { BanAction, BanDecision, UnbanReason } from '../types.js'
import { type Runner, runArgv } from './run.js'
import { BatchQueue } from './batch.js'

export interface IpsetOptions {
  readonly ipset?: string
  /** Set names: the policy's `logwatch.action.setV4` / `setV6`. */
  readonly set4: string
  readonly set6: string
  /** maxelem of the sets when they are created (default 65536, ipset's own default). */
  readonly maxElements?: number
  readonly batchMs?: number
  /** Arguments put before the ipset arguments (tests: `ip netns exec NAME ipset`). */
  readonly prefix?: readonly string[]
  readonly run?: Runner
  readonly onError?: (message: string) => void
}

/** ipset's largest timeout (seconds). */
export const IPSET_MAX_TIMEOUT_S = 2_147_483
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,30}$/

type Op =
  | { readonly add: true; readonly ip: string; readonly ttlS: number }
  | { readonly add: false; readonly ip: string }

export class IpsetSink implements BanAction {
  readonly name = 'ipset'
  readonly #ipset: string
  readonly #prefix: readonly string[]
  readonly #set4: string
  readonly #set6: string
  readonly #maxElements: number
  readonly #run: Runner
  readonly #onError: (message: string) => void
  readonly #batch: BatchQueue<Op>
  runs = 0

  constructor(opts: IpsetOptions) {
    this.#ipset = opts.ipset ?? 'ipset'
    this.#prefix = opts.prefix ?? []
    this.#set4 = opts.set4
    this.#set6 = opts.set6
    for (const n of [this.#set4, this.#set6]) {
      if (typeof n !== 'string' || !NAME.test(n))
        throw new SgwError(ErrorCodes.LOGWATCH_OPTIONS, `invalid ipset name '${n}'`)
    }
    this.#maxElements = Math.max(65_536, opts.maxElements ?? 0)
    this.#batch = new BatchQueue(opts.batchMs ?? 200, (batch) => this.#applyBatch(batch))
    this.#run = opts.run ?? runArgv
    this.#onError = opts.onError ?? (() => {})
  }

  /** argv of the set creation commands (idempotent with -exist). */
  setupCommands(): string[][] {
    const create = (set: string, family: string) => [
      'create',
      set,
      'hash:ip',
      'family',
      family,
      'timeout',
      '0',
      'maxelem',
      String(this.#maxElements),
      '-exist',
    ]
    return [create(this.#set4, 'inet'), create(this.#set6, 'inet6')]
  }

  async setup(): Promise<void> {
    for (const args of this.setupCommands()) {
      const r = await this.#exec(args)
      if (r.code !== 0)
        throw new SgwError(
          ErrorCodes.LOGWATCH_ACTION,
          `ipset ${args.slice(0, 2).join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`,
        )
    }
  }

  #set(ip: string): string {
    return ip.includes(':') ? this.#set6 : this.#set4
  }

  /** argv of one operation. */
  commandFor(op: Op): string[] {
    return op.add
      ? ['add', this.#set(op.ip), op.ip, 'timeout', String(op.ttlS), '-exist']
      : ['del', this.#set(op.ip), op.ip, '-exist']
  }

  ban(d: BanDecision): void {
    if (isIP(d.ip) === 0) {
      this.#onError(`not an IP address, not banned: ${JSON.stringify(d.ip)}`)
      return
    }
    const ttlS = Math.min(IPSET_MAX_TIMEOUT_S, Math.max(1, Math.ceil(d.ttlMs / 1000)))
    this.#batch.push({ add: true, ip: d.ip, ttlS })
  }

  /** Entries expire by themselves: only an early unban or an eviction is applied. */
  unban(ip: string, reason: UnbanReason): void {
    if (reason === 'expire' || isIP(ip) === 0) return
    this.#batch.push({ add: false, ip })
  }

  flush(): Promise<void> {
    return this.#batch.flush()
  }

  async #applyBatch(batch: Op[]): Promise<void> {
    if (batch.length === 1) {
      const args = this.commandFor(batch[0]!)
      const r = await this.#exec(args)
      if (r.code !== 0) this.#onError(`ipset ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`)
      return
    }
    const input = `${batch.map((op) => this.commandFor(op).slice(0, -1).join(' ')).join('\n')}\n`
    const r = await this.#exec(['restore', '-exist'], input)
    if (r.code !== 0)
      this.#onError(`ipset restore (${batch.length} entries) failed (exit ${r.code}): ${r.stderr.trim()}`)
  }

  close(): Promise<void> {
    return this.flush()
  }

  #exec(args: readonly string[], input?: string) {
    this.runs++
    return this.#run(this.#ipset, [...this.#prefix, ...args], input === undefined ? {} : { input })
  }
}
