// Bans in the state store (live mode). `StoreBans` is both the detector's ban book (is this
// source banned? how many offences?) and the first sink of its decisions: decisions are
// queued and written with one `banMany` per batch (one SQLite transaction, ~5 µs a ban, instead
// of one commit of ~100 µs each), then handed on — with the TTL, expiry and offence count the
// store actually recorded — to the printer, the security events and the firewall action.
// Escalation is the store's: the first ban lasts the rule's `banTtlMs`, the n-th
// `banTtlMs * factor^(n-1)`, clamped to the store's `maxBanTtlMs`, offences remembered for its
// `offenceMemoryMs`.
//
// `restoreBans` re-applies the watcher's active bans to the action at start, with their
// remaining time, in one batch.
import type { BanChange, BanRecord, SyncStore } from '../state/store.js'
import type { RuleOptions } from './options.js'
import type { BanBook } from './rules.js'
import { type BanAction, type BanDecision, type BanSink, EVENT_KINDS, type EventKind } from './types.js'

/** `source` of the bans the log watcher writes to the store. */
export const WATCH_SOURCE = 'watch'

export interface StoreBansOptions {
  readonly rules: readonly RuleOptions[]
  /** escalation factor (1: none) */
  readonly escalate: number
  /** where persisted decisions go next */
  readonly downstream: BanSink
  readonly onError?: (message: string) => void
}

export class StoreBans implements BanBook, BanSink {
  readonly #store: SyncStore
  readonly #ttlByRule: ReadonlyMap<string, number>
  readonly #escalate: number
  readonly #downstream: BanSink
  readonly #onError: (message: string) => void
  /** decided, not yet written: banned already as far as the detector is concerned */
  readonly #pending = new Map<string, BanDecision>()
  #queue: BanDecision[] = []
  #scheduled: NodeJS.Immediate | null = null
  persisted = 0

  constructor(store: SyncStore, opts: StoreBansOptions) {
    this.#store = store
    this.#ttlByRule = new Map(opts.rules.map((r) => [r.name, r.banTtlMs]))
    this.#escalate = opts.escalate
    this.#downstream = opts.downstream
    this.#onError = opts.onError ?? (() => {})
  }

  // ---- BanBook: the store's view, plus what is decided but not yet written ----

  isBanned(ip: string, _time: number): boolean {
    if (this.#pending.has(ip)) return true
    try {
      return this.#store.isBanned(ip)
    } catch {
      return false // a closed or broken store: count the events, ban if they say so
    }
  }

  offences(ip: string, _time: number): number {
    const p = this.#pending.get(ip)
    if (p !== undefined) return p.nth
    try {
      return this.#store.offences(ip)
    } catch {
      return 0
    }
  }

  record(d: BanDecision): void {
    this.#pending.set(d.ip, d)
  }

  // ---- BanSink ----

  ban(d: BanDecision): void {
    this.#queue.push(d)
    // lines are read in chunks: write everything one chunk decided in one transaction
    this.#scheduled ??= setImmediate(() => {
      this.#scheduled = null
      this.#persist()
    })
  }

  /** Write what is queued now, then flush the downstream sinks. */
  async flush(): Promise<void> {
    if (this.#scheduled !== null) {
      clearImmediate(this.#scheduled)
      this.#scheduled = null
    }
    this.#persist()
    await this.#downstream.flush?.()
  }

  async close(): Promise<void> {
    await this.flush()
    await this.#downstream.close?.()
  }

  #persist(): void {
    const batch = this.#queue
    if (batch.length === 0) return
    this.#queue = []
    let records: BanRecord[] | null = null
    try {
      records = this.#store.banMany(
        batch.map((d) => ({
          address: d.ip,
          ttlMs: this.#ttlByRule.get(d.rule) ?? d.ttlMs,
          code: `logwatch.${d.rule}`,
          source: WATCH_SOURCE,
          reason: `${d.count} ${d.kind} event(s) within the window of rule ${d.rule}`,
          detail: { rule: d.rule, count: d.count, kind: d.kind, lineTime: d.time },
          escalate: this.#escalate,
        })),
      )
      this.persisted += records.length
    } catch (err) {
      // the ban is applied even when it cannot be remembered
      this.#onError(`cannot write ${batch.length} ban(s) to the state store: ${(err as Error).message}`)
    }
    for (const [i, d] of batch.entries()) {
      this.#pending.delete(d.ip)
      const r = records?.[i]
      const final =
        r === undefined
          ? d
          : { ...d, ttlMs: Math.max(1, r.expiresAt - r.updatedAt), until: r.expiresAt, nth: r.offences }
      try {
        const p = this.#downstream.ban(final)
        if (p instanceof Promise)
          p.catch((err: unknown) => this.#onError(`ban sink: ${(err as Error).message}`))
      } catch (err) {
        this.#onError(`ban sink: ${(err as Error).message}`)
      }
    }
  }
}

function isKind(k: unknown): k is EventKind {
  return typeof k === 'string' && (EVENT_KINDS as readonly string[]).includes(k)
}

/** A stored ban as a decision to re-apply (remaining TTL from `now`). */
export function decisionOfRecord(r: BanRecord, now: number): BanDecision {
  const detail = r.detail ?? {}
  const rule = typeof detail['rule'] === 'string' ? detail['rule'] : r.code.replace(/^logwatch\./, '')
  const count = typeof detail['count'] === 'number' ? detail['count'] : 0
  const kind = isKind(detail['kind']) ? detail['kind'] : 'pbx-block'
  return {
    ip: r.address,
    time: r.createdAt,
    rule,
    count,
    ttlMs: Math.max(1, r.expiresAt - now),
    until: r.expiresAt,
    kind,
    nth: r.offences,
  }
}

export interface RestoreResult {
  /** active bans of the watcher found in the store */
  readonly bans: number
  /** ms to read them from the store */
  readonly listMs: number
  /** ms to apply them to the action (one batch) */
  readonly applyMs: number
}

/**
 * Re-applies the watcher's active bans (source `watch`) to the action, each with the time it
 * has left, as one batch (nftables: one `nft -f -` run; ipset: one `ipset restore`).
 */
export async function restoreBans(
  store: SyncStore,
  action: BanAction,
  now: () => number = Date.now,
): Promise<RestoreResult> {
  const t0 = performance.now()
  const bans = store.listBans().filter((b) => b.source === WATCH_SOURCE)
  const t1 = performance.now()
  const at = now()
  for (const b of bans) if (b.expiresAt > at) action.ban(decisionOfRecord(b, at))
  await action.flush?.()
  return { bans: bans.length, listMs: t1 - t0, applyMs: performance.now() - t1 }
}

/**
 * Lifts the watcher's bans from the action when the store says they ended: lifted early by an
 * operator (any process sharing the store), expired, or evicted because the table was full.
 * Returns the unsubscribe function.
 */
export function mirrorUnbans(store: SyncStore, action: BanAction): () => void {
  if (action.unban === undefined) return () => {}
  const unban = action.unban.bind(action)
  return store.onBanChange((c: BanChange) => {
    if (c.ban.source !== WATCH_SOURCE) return
    if (c.kind === 'unban' || c.kind === 'expire' || c.kind === 'evict') unban(c.ban.address, c.kind)
  })
}
