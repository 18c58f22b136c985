// Live mode of `sipwarden watch`: follow the sources, detect, persist bans in the state store,
// publish security events, apply the action. Loaded by the CLI only in live mode (replay needs
// none of the store, the event sinks or the actions, and start-up time matters there).
//
//   sources ─► parser ─► Detector ─► StoreBans ──(banMany)──► printer, events, action
//                           ▲            │
//                           └─ isBanned, offences (the store)
//   store.onBanChange ─► action.unban (unban, expire, evict of the watcher's bans)
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { pino } from 'pino'
import type { Policy } from '../config/schema.js'
import { createEventBus } from '../events/bus.js'
import { attachSink, type EventSink } from '../events/sink.js'
import { createAlertSinks } from '../events/sinks/alerts.js'
import { createJsonlSink } from '../events/sinks/jsonl.js'
import { createLogSink } from '../events/sinks/log.js'
import { createStoreSink } from '../events/sinks/store.js'
import { KernelBans } from '../firewall/kernel-bans.js'
import { createStore, openStore as openAnyStore, type Store, type SyncStore } from '../state/store.js'
import { CommandSink } from './actions/command.js'
import { ConntrackSink } from './actions/conntrack.js'
import { GatewaySink } from './actions/gateway.js'
import { IpsetSink } from './actions/ipset.js'
import { NftablesSink } from './actions/nftables.js'
import { compileAllowList } from './allow-list.js'
import { mirrorUnbans, restoreBans, StoreBans, WATCH_SOURCE } from './bans.js'
import type { ActionConfig, WatchConfig } from './config.js'
import { EventsBanSink } from './events.js'
import { createParser } from './formats/index.js'
import { LineSplitter } from './line-splitter.js'
import { PrintSink } from './print.js'
import { Detector } from './rules.js'
import { AmiEventFeed, AmiSource } from './sources/ami.js'
import { FileFollower } from './sources/follow.js'
import { GlobFollower } from './sources/glob.js'
import { PositionStore } from './sources/positions.js'
import type { BanAction, BanDecision, BanSink, FormatName } from './types.js'
import { TrunkResolver } from './trunk-hosts.js'
import { LogWatcher } from './watcher.js'

export interface LiveOptions {
  /** decisions on stdout as JSON lines */
  readonly json: boolean
  /** read files seen for the first time from their start */
  readonly fromStart: boolean
  readonly referenceYear: number | undefined
  readonly pollMs?: number | undefined
  readonly rescanMs?: number | undefined
  /** resolves when the watcher should stop (default: SIGINT or SIGTERM) */
  readonly until?: Promise<void>
  /** the policy's alert destinations (webhook, email, syslog); none without a policy */
  readonly alerting?: Pick<Policy, 'alerting' | 'site'> | undefined
}

/** The firewall action a configuration names (null: none). */
export function createAction(a: ActionConfig, onError: (m: string) => void): BanAction | null {
  switch (a.type) {
    case 'none':
      return null
    case 'nftables':
      return new NftablesSink({ table: a.table, set4: a.set4, set6: a.set6, onError })
    case 'ipset':
      return new IpsetSink({ set4: a.set4, set6: a.set6, maxElements: a.maxElements, onError })
    case 'gateway':
      return new GatewaySink({ url: a.url, token: a.token, onError })
    case 'command':
      return new CommandSink({ argv: a.ban, unbanArgv: a.unban, onError })
  }
}

function storeLimits(config: WatchConfig) {
  const d = config.detector
  return {
    maxBans: d.maxBans,
    maxBanTtlMs: d.maxBanTtlMs,
    offenceMemoryMs: d.offenceMemoryMs,
    eventRetentionMs: config.events.retentionMs,
  }
}

/**
 * The store the configuration names, with the policy's ban bounds as its limits. With the
 * redis adapter this is the watcher's local ban book (memory), shared through openSharedStore.
 */
export function openStore(config: WatchConfig): SyncStore {
  const limits = storeLimits(config)
  return config.state.adapter === 'sqlite'
    ? createStore({ adapter: 'sqlite', path: config.state.path, limits })
    : createStore({ adapter: 'memory', limits })
}

export interface SharedStore {
  /** the Redis store (events go there) */
  readonly store: Store
  close(): Promise<void>
}

/**
 * `state.adapter: redis`: the detector asks its ban book synchronously and StoreBans writes it
 * in batches, so the book stays a local memory store, bridged to Redis: the book's bans are
 * written to Redis with the TTL the book gave them (the gateways enforce them), a lift made
 * elsewhere (an operator on a gateway's API) lifts the book's ban too (and so the action's),
 * and the watcher's bans active in Redis are loaded into the book at start (restoreBans then
 * re-applies them). Offence counts for escalation are the book's (this process's).
 */
export async function openSharedStore(
  config: WatchConfig,
  book: SyncStore,
  onError: (message: string) => void,
): Promise<SharedStore | null> {
  if (config.state.adapter !== 'redis') return null
  const { url, keyPrefix } = config.state
  const shared = await openAnyStore({ adapter: 'redis', url, keyPrefix, limits: storeLimits(config) })
  const report = (err: unknown): void => onError(`redis state store: ${(err as Error).message}`)
  try {
    const now = Date.now()
    const active = (await shared.listBans()).filter((b) => b.source === WATCH_SOURCE && b.expiresAt > now)
    book.banMany(active.map((b) => ({ ...b, ttlMs: b.expiresAt - now })))
  } catch (err) {
    await shared.close()
    throw err
  }
  const offBook = book.onBanChange((c) => {
    const b = c.ban
    if (c.kind === 'ban' || c.kind === 'extend') {
      const ttlMs = b.expiresAt - Date.now()
      if (ttlMs > 0) Promise.resolve(shared.ban({ ...b, ttlMs })).catch(report)
    } else if (c.kind === 'unban') {
      Promise.resolve(shared.unban(b.address)).catch(report)
    }
  })
  const offShared = shared.onBanChange((c) => {
    if (c.origin === 'peer' && c.kind === 'unban' && book.isBanned(c.ban.address)) book.unban(c.ban.address)
  })
  return {
    store: shared,
    async close() {
      offBook()
      offShared()
      await shared.close()
    },
  }
}

class TeeSink implements BanSink {
  readonly #sinks: readonly BanSink[]
  constructor(sinks: readonly BanSink[]) {
    this.#sinks = sinks
  }
  ban(d: BanDecision): void {
    for (const s of this.#sinks) void s.ban(d)
  }
  async flush(): Promise<void> {
    for (const s of this.#sinks) await s.flush?.()
  }
  async close(): Promise<void> {
    for (const s of this.#sinks) await s.close?.()
  }
}

function onPath(program: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, program)))
}

function signals(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

export async function runLive(config: WatchConfig, opts: LiveOptions): Promise<void> {
  // the process log (pino, JSON lines on stderr) at the policy's events.logLevel
  const logger = pino(
    { level: config.events.logLevel, base: { cmd: 'watch' } },
    pino.destination({ fd: 2, sync: true }),
  )
  const warn = (m: string): void => logger.warn(m)

  // state store and security events
  const store = openStore(config)
  let shared: SharedStore | null
  try {
    shared = await openSharedStore(config, store, warn)
  } catch (err) {
    store.close()
    throw err
  }
  // no SQLite file creates the data directory: the read positions need it
  if (shared !== null && config.positionsPath !== null)
    mkdirSync(dirname(config.positionsPath), { recursive: true, mode: 0o750 })
  const bus = createEventBus()
  const sinks: EventSink[] = [createLogSink({ logger }), createStoreSink({ store: shared?.store ?? store })]
  if (config.events.jsonl.enabled) sinks.push(createJsonlSink({ path: config.events.jsonl.path }))
  if (opts.alerting !== undefined) sinks.push(...createAlertSinks(opts.alerting, logger))
  const detach = sinks.map((s) => attachSink(bus, s))

  // the action, set up, with the watcher's active bans re-applied in one batch
  const action = createAction(config.action, (m) => warn(`${config.action.type}: ${m}`))
  if (action !== null) {
    try {
      await action.setup?.()
    } catch (err) {
      for (const s of sinks) await s.close()
      await shared?.close()
      store.close()
      throw err
    }
    const r = await restoreBans(store, action)
    logger.info(
      { restored: r.bans, listMs: Math.round(r.listMs), applyMs: Math.round(r.applyMs) },
      `restored ${r.bans} active ban(s) to ${action.name} in ${Math.round(r.listMs + r.applyMs)} ms`,
    )
    // kernel elements of bans lifted or expired early while the watcher was down: only a
    // persistent store (shared with the gateway by default) knows which elements are stale
    if (config.action.type === 'nftables' && config.state.adapter === 'sqlite') {
      const allow = compileAllowList(config.detector.allow)
      const kernel = new KernelBans({
        store,
        table: config.action.table,
        set4: config.action.set4,
        set6: config.action.set6,
        logger,
        exempt: (ip) => allow.has(ip),
      })
      await kernel.start()
      await kernel.stop()
    }
  }
  const unmirror = action !== null ? mirrorUnbans(store, action) : () => {}

  // detection: bans in the store, then printer, events and action
  const printer = new PrintSink(opts.json)
  // kernel bans also delete the source's conntrack entries, when the tool is there
  const conntrack =
    (config.action.type === 'nftables' || config.action.type === 'ipset') && onPath('conntrack')
      ? new ConntrackSink({ onError: (m) => warn(m) })
      : null
  const downstream = new TeeSink([
    printer,
    new EventsBanSink(bus),
    ...(action !== null ? [action] : []),
    ...(conntrack !== null ? [conntrack] : []),
  ])
  const bans = new StoreBans(store, {
    rules: config.detector.rules,
    escalate: config.escalate,
    downstream,
    onError: warn,
  })
  const detector = new Detector(config.detector, bans)
  const trunks = new TrunkResolver({
    hosts: config.trunkHosts,
    onUpdate: (ips) => detector.setResolvedAllow(ips),
    onError: warn,
  })
  if (config.trunkHosts.length > 0) {
    const ips = await trunks.start()
    logger.info(
      { trunkHosts: config.trunkHosts, addresses: [...ips] },
      `trunk host names resolved: ${ips.size} address(es) never banned`,
    )
  }
  const watcherFor = (format: FormatName) =>
    new LogWatcher(createParser(format, { referenceYear: opts.referenceYear }), detector, bans, (err) =>
      warn(`ban failed: ${(err as Error).message}`),
    )

  // sources: files and globs (one watcher per file: parsers keep per-stream state), journald
  const positions = new PositionStore(config.positionsPath)
  const opened = new Set<string>()
  const seen = (dev: number, ino: number) => opened.has(`${dev}:${ino}`) || positions.hasFile(dev, ino)
  const globs: GlobFollower[] = []
  const busy = (dev: number, ino: number) => globs.some((g) => g.isOpen(dev, ino))
  const journals: ChildProcess[] = []
  const amis: AmiSource[] = []
  for (const src of config.sources) {
    if (src.path !== undefined) {
      const pattern = src.path
      globs.push(
        new GlobFollower(pattern, {
          ...(opts.rescanMs !== undefined ? { rescanMs: opts.rescanMs } : {}),
          known: seen,
          busy,
          onError: (err) => warn(`${pattern}: ${(err as Error).message}`),
          follow: (path, isNew) => {
            const w = watcherFor(src.format)
            return new FileFollower(path, (l) => w.line(l), {
              positions,
              ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
              fromStart: opts.fromStart || isNew,
              seen,
              busy,
              onOpen: (dev, ino) => {
                if (opened.size >= 100_000) opened.clear()
                opened.add(`${dev}:${ino}`)
              },
              onError: (err) => warn(`${path}: ${(err as Error).message}`),
            })
          },
        }),
      )
    } else if (src.ami !== undefined) {
      // AMI security events, each fed to the detector as a parsed line would be
      const feed = new AmiEventFeed()
      const w = new LogWatcher(feed, detector, bans, (err) => warn(`ban failed: ${(err as Error).message}`))
      amis.push(
        new AmiSource({
          ...src.ami,
          onEvent: (r) => feed.push(w, r),
          onLog: (level, m) => (level === 'info' ? logger.info(m) : logger.warn(m)),
        }),
      )
    } else {
      const unit = src.journald!
      const w = watcherFor(src.format)
      const args = ['-f', '-o', 'short-iso', '-u', unit]
      if (config.positionsPath !== null) {
        const cursor = `${config.positionsPath}.${unit}.journal-cursor`
        if (!existsSync(cursor)) args.push('-n', '0')
        args.push(`--cursor-file=${cursor}`)
      } else args.push('-n', '0')
      const j = spawn('journalctl', args, { stdio: ['ignore', 'pipe', 'inherit'] })
      const splitter = new LineSplitter((l) => w.line(l))
      j.stdout?.on('data', (b: Buffer) => splitter.push(b))
      j.on('error', (err) => warn(`journalctl: ${err.message}`))
      journals.push(j)
    }
  }
  for (const g of globs) await g.start()
  for (const a of amis) a.start()
  const tick = setInterval(() => {
    printer.flush()
    void positions.save().catch((err: unknown) => warn(`cannot save positions: ${(err as Error).message}`))
  }, 1000)
  logger.info(
    {
      files: globs.flatMap((g) => g.files),
      journald: config.sources.flatMap((s) => (s.journald !== undefined ? [s.journald] : [])),
      ami: amis.map((a) => a.address),
      action: config.action.type,
      conntrack: conntrack !== null,
      state: config.state.adapter,
    },
    `watching ${globs.length} file source(s), ${journals.length} journald unit(s) and ${amis.length} AMI connection(s); action ${config.action.type}`,
  )

  await (opts.until ?? signals())

  clearInterval(tick)
  trunks.stop()
  for (const g of globs) await g.stop()
  for (const j of journals) j.kill('SIGTERM')
  for (const a of amis) await a.stop()
  await bans.close()
  unmirror()
  printer.flush()
  await positions.save()
  for (const d of detach) d()
  for (const s of sinks) await s.close()
  await shared?.close()
  store.close()
  logger.info('stopped')
}
