// Mirrors the gateway's bans into the kernel (nftables sets with per-element timeouts), so a
// banned flood is dropped before it costs user-space CPU. The sets, their table and the drop
// chain are the ones `sipwarden firewall` renders and the log watcher's nftables action
// creates (same statements, through the same NftablesSink): any of the three may create them
// first, none fights the others.
//
// At start: create the table/sets/chain (idempotent), then one nft transaction that adds
// every active ban of the store with its remaining time and removes kernel elements that have
// no ban any more. Then every store ban change is mirrored (batched, one `nft -f -` per
// batch): ban → add; extend → re-add with the new timeout; unban/evict → remove; expiry is
// the kernel's own (the element carries its timeout).
//
// Without the privilege (nft missing, EPERM, no table support) one warning is logged and
// nothing else happens: the in-process ban check (`store.isBanned`) holds either way.
// Loopback addresses are never put in the kernel set: a ban of 127.0.0.1 in the host's input
// hook would cut every local service (the PBX behind the gateway, the admin API).
import { isIP } from 'node:net'
import type { Logger } from 'pino'
import type { Policy } from '../config/schema.js'
import { NftablesSink } from '../logwatch/actions/nftables.js'
import type { Runner } from '../logwatch/actions/run.js'
import { isLoopbackIp } from '../net/cidr.js'
import type { BanChange, BanRecord, Store } from '../state/store.js'

export interface KernelBansOptions {
  readonly store: Store
  readonly table: string
  readonly set4: string
  readonly set6: string
  readonly logger: Pick<Logger, 'warn' | 'info' | 'error'>
  /** addresses never mirrored (besides loopback), e.g. the gateway's admin networks */
  readonly exempt?: (address: string) => boolean
  readonly nft?: string
  /** arguments before nft's own (tests: `nft: 'ip', prefix: ['netns', 'exec', NS, 'nft']`) */
  readonly prefix?: readonly string[]
  readonly run?: Runner
  /** collect changes for this long before one nft run (default 100 ms) */
  readonly batchMs?: number
  readonly now?: () => number
}

export interface KernelSyncResult {
  /** active bans written to the sets */
  readonly added: number
  /** kernel elements without a ban, removed */
  readonly removed: number
}

/** The nftables names of the policy's `bans.kernel`. */
export function kernelBanOptions(policy: Policy): Pick<KernelBansOptions, 'table' | 'set4' | 'set6'> {
  const k = policy.bans.kernel
  return { table: k.table, set4: k.setV4, set6: k.setV6 }
}

export class KernelBans {
  readonly #opts: KernelBansOptions
  readonly #sink: NftablesSink
  readonly #now: () => number
  #active = false
  #unsubscribe: (() => void) | null = null
  #errorsLogged = 0
  /** changes mirrored since start (tests, stats) */
  mirrored = 0

  constructor(opts: KernelBansOptions) {
    this.#opts = opts
    this.#now = opts.now ?? Date.now
    this.#sink = new NftablesSink({
      table: opts.table,
      set4: opts.set4,
      set6: opts.set6,
      batchMs: opts.batchMs ?? 100,
      ...(opts.nft !== undefined ? { nft: opts.nft } : {}),
      ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
      ...(opts.run !== undefined ? { run: opts.run } : {}),
      onError: (m) => this.#error(m),
    })
  }

  /** true when the sets are being kept in sync */
  get active(): boolean {
    return this.#active
  }

  /**
   * Creates the table and sets, synchronises them with the store, and follows its changes.
   * Returns null (after one warning) when the kernel sets cannot be managed.
   */
  async start(): Promise<KernelSyncResult | null> {
    try {
      await this.#sink.setup()
    } catch (err) {
      this.#opts.logger.warn(
        { table: this.#opts.table },
        `kernel ban sets disabled (${oneLine((err as Error).message)}); bans are enforced in process only`,
      )
      return null
    }
    // subscribe first: a change during the initial sync is applied after it (batches are ordered)
    this.#unsubscribe = this.#opts.store.onBanChange((c) => this.#onChange(c))
    this.#active = true
    const result = await this.sync()
    this.#opts.logger.info(
      { table: this.#opts.table, added: result.added, removed: result.removed },
      `kernel ban sets in sync: ${result.added} active ban(s), ${result.removed} stale element(s) removed`,
    )
    return result
  }

  /** One nft transaction: every active ban with its remaining time, stale elements removed. */
  async sync(): Promise<KernelSyncResult> {
    const bans = await this.#opts.store.listBans()
    const now = this.#now()
    const kernel = new Set([
      ...(await this.#elements(this.#opts.set4)),
      ...(await this.#elements(this.#opts.set6)),
    ])
    const wanted = new Set<string>()
    let added = 0
    for (const b of bans) {
      if (!this.#mirrors(b.address) || b.expiresAt <= now) continue
      wanted.add(b.address)
      // remove first: an element already there keeps its old timeout on older kernels
      if (kernel.has(b.address)) this.#sink.removeElement(b.address)
      this.#sink.addElement(b.address, b.expiresAt - now)
      added++
    }
    let removed = 0
    for (const ip of kernel) {
      if (wanted.has(ip)) continue
      this.#sink.removeElement(ip)
      removed++
    }
    await this.#sink.flush()
    return { added, removed }
  }

  /** Applies what is queued now. */
  flush(): Promise<void> {
    return this.#sink.flush()
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.()
    this.#unsubscribe = null
    await this.#sink.flush()
    this.#active = false
  }

  #mirrors(address: string): boolean {
    if (isIP(address) === 0 || isLoopbackIp(address)) return false
    return !(this.#opts.exempt?.(address) ?? false)
  }

  #onChange(c: BanChange): void {
    const b: BanRecord = c.ban
    if (!this.#mirrors(b.address)) return
    switch (c.kind) {
      case 'ban':
        this.#sink.addElement(b.address, Math.max(1000, b.expiresAt - this.#now()))
        break
      case 'extend':
        this.#sink.removeElement(b.address)
        this.#sink.addElement(b.address, Math.max(1000, b.expiresAt - this.#now()))
        break
      case 'unban':
      case 'evict':
        this.#sink.removeElement(b.address)
        break
      case 'expire':
        return // the element's own timeout
    }
    this.mirrored++
  }

  async #elements(set: string): Promise<string[]> {
    const r = await this.#sink.command(['-j', 'list', 'set', 'inet', this.#opts.table, set])
    if (r.code !== 0 || r.stdout === undefined) return []
    return parseSetElements(r.stdout)
  }

  #error(message: string): void {
    // bounded: a broken nft must not flood the log, one line per failed batch up to 20
    if (this.#errorsLogged >= 20) return
    this.#errorsLogged++
    this.#opts.logger.error({ table: this.#opts.table }, `kernel ban sets: ${oneLine(message)}`)
  }
}

/** The addresses in `nft -j list set` output (elements with or without timeouts). */
export function parseSetElements(json: string): string[] {
  let doc: unknown
  try {
    doc = JSON.parse(json)
  } catch {
    return []
  }
  const out: string[] = []
  const items = (doc as { nftables?: unknown }).nftables
  if (!Array.isArray(items)) return out
  for (const item of items as unknown[]) {
    const set = (item as { set?: { elem?: unknown } }).set
    if (set === undefined || !Array.isArray(set.elem)) continue
    for (const e of set.elem as unknown[]) {
      const v = typeof e === 'string' ? e : (e as { elem?: { val?: unknown } }).elem?.val
      if (typeof v === 'string' && isIP(v) !== 0) out.push(v)
    }
  }
  return out
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim()
}
