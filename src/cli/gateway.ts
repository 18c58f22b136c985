// `sipwarden gateway`: the SIP security proxy in front of the PBX. `--listen` (repeatable) and
// `--upstream` override the policy; without `--policy` the schema defaults plus the flags are
// used. SIGINT/SIGTERM stop the listeners, then flush the event sinks and close the store.
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Command } from 'commander'
import { pino } from 'pino'
import { loadPolicy, parsePolicy } from '../config/load.js'
import { DEFAULT_STATE_FILE, type Policy } from '../config/schema.js'
import { ErrorCodes, SgwError } from '../errors.js'
import { createEventBus } from '../events/bus.js'
import { attachSink, type EventSink } from '../events/sink.js'
import { createAlertSinks } from '../events/sinks/alerts.js'
import { createJsonlSink } from '../events/sinks/jsonl.js'
import { createLogSink } from '../events/sinks/log.js'
import { createStoreSink } from '../events/sinks/store.js'
import { startGatewayExtras } from '../api/attach.js'
import { DEFAULT_CDR_FILE } from '../cdr/store.js'
import { FraudHooks } from '../proxy/fraud-hooks.js'
import { Gateway } from '../proxy/gateway.js'
import { createStore, openStore as openAnyStore, type Store } from '../state/store.js'
import { fmt } from '../transport/udp.js'

interface GatewayFlags {
  policy?: string
  listen?: string[]
  upstream?: string
  state?: string
  dataDir?: string
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

export function resolveGatewayPolicy(flags: GatewayFlags): Policy {
  const overrides: Record<string, unknown> = {}
  if (flags.listen !== undefined && flags.listen.length > 0) overrides['listen'] = flags.listen
  if (flags.upstream !== undefined) overrides['upstream'] = flags.upstream
  if (flags.state !== undefined) {
    if (flags.state !== 'memory' && flags.state !== 'sqlite')
      throw new SgwError(ErrorCodes.CLI_INPUT, `--state must be memory or sqlite, not ${flags.state}`)
    overrides['state'] = { adapter: flags.state }
  }
  if (flags.dataDir !== undefined) overrides['site'] = { dataDir: flags.dataDir }
  if (flags.policy !== undefined) return loadPolicy(flags.policy, { overrides })
  if (overrides['upstream'] === undefined)
    throw new SgwError(ErrorCodes.CLI_INPUT, 'give --policy FILE or at least --upstream udp:HOST:PORT')
  return parsePolicy('version: 1\n', '<flags>', { overrides })
}

async function openStore(policy: Policy): Promise<Store> {
  const s = policy.state
  const limits = {
    maxBans: policy.bans.maxEntries,
    maxBanTtlMs: policy.bans.maxTtlMs,
    eventRetentionMs: s.eventRetentionMs,
  }
  if (s.adapter === 'memory') return createStore({ adapter: 'memory', limits })
  // several gateway nodes sharing bans, counters, gauges and spend; an unreachable server
  // fails the start with "cannot connect to redis at URL: …" (exit 2)
  if (s.adapter === 'redis')
    return openAnyStore({ adapter: 'redis', url: s.url ?? '', keyPrefix: s.keyPrefix, limits })
  const path = s.path ?? join(policy.site.dataDir, DEFAULT_STATE_FILE)
  mkdirSync(dirname(path), { recursive: true })
  return createStore({ adapter: 'sqlite', path, limits })
}

async function run(flags: GatewayFlags): Promise<void> {
  const policy = resolveGatewayPolicy(flags)
  const logger = pino(
    { level: policy.events.logLevel, base: { cmd: 'gateway' } },
    pino.destination({ fd: 2, sync: true }),
  )
  const store = await openStore(policy)
  const bus = createEventBus()
  const sinks: EventSink[] = [createLogSink({ logger }), createStoreSink({ store })]
  if (policy.events.jsonl.enabled) {
    const path = policy.events.jsonl.path ?? join(policy.site.dataDir, 'events.jsonl')
    mkdirSync(dirname(path), { recursive: true })
    sinks.push(createJsonlSink({ path }))
  }
  // webhook, email, syslog: de-duplicated and rate limited (src/events/sinks/throttle.ts)
  sinks.push(...createAlertSinks(policy, logger))
  for (const s of sinks) attachSink(bus, s)
  let fraud: FraudHooks | null = null
  let gw: Gateway
  try {
    // the toll-fraud engine, its CDRs (<dataDir>/cdr.db) and the counters kept across restarts
    if (policy.fraud.enabled)
      fraud = await FraudHooks.open({
        policy,
        store,
        cdrPath: join(policy.site.dataDir, DEFAULT_CDR_FILE),
        logger,
      })
    gw = new Gateway({ policy, store, bus, logger, ...(fraud !== null ? { fraud } : {}) })
    await gw.start()
  } catch (err) {
    fraud?.close()
    await Promise.all(sinks.map((s) => s.close()))
    await store.close()
    throw err
  }
  const extras = await startGatewayExtras({ policy, store, gw, logger, bus })
  logger.info(
    {
      listen: [...gw.listeners, ...gw.tcpListeners].map((l) => `${l.transport}:${fmt(l.address, l.port)}`),
      upstream: `${policy.upstream.transport}:${fmt(policy.upstream.host, policy.upstream.port)}`,
      state: policy.state.adapter,
    },
    'gateway started',
  )
  await new Promise<void>((resolve) => {
    let stopping = false
    const stop = (signal: string): void => {
      if (stopping) return
      stopping = true
      logger.info({ signal }, 'stopping')
      process.off('SIGHUP', onHup)
      void (async () => {
        await gw.stop()
        fraud?.close()
        await extras.close()
        await Promise.all(sinks.map((s) => s.close()))
        await store.close()
        logger.info({ stats: gw.stats }, 'stopped')
        resolve()
      })()
    }
    const onHup = (): void => reload(flags, gw, logger)
    process.on('SIGHUP', onHup)
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
}

/** Policy keys read once at start: a change is logged as needing a restart. */
const RESTART_KEYS = ['listen', 'upstream', 'tls', 'state', 'site', 'api', 'events', 'fraud'] as const

/** SIGHUP: re-read and validate the policy; swap the stage plan, or keep the running one. */
function reload(flags: GatewayFlags, gw: Gateway, logger: pino.Logger): void {
  const prev = gw.policy
  let next: Policy
  try {
    next = resolveGatewayPolicy(flags)
    gw.reload(next)
  } catch (err) {
    const msg = err instanceof SgwError ? `${err.message} [${err.code}]` : String(err)
    logger.error({ policy: flags.policy ?? null }, `reload refused, the running policy stays: ${msg}`)
    return
  }
  const changed: string[] = RESTART_KEYS.filter((k) => JSON.stringify(prev[k]) !== JSON.stringify(next[k]))
  if (JSON.stringify(prev.gateway.proxy) !== JSON.stringify(next.gateway.proxy)) changed.push('gateway.proxy')
  if (JSON.stringify(prev.bans.kernel) !== JSON.stringify(next.bans.kernel)) changed.push('bans.kernel')
  logger.info({ policy: flags.policy ?? null }, 'policy reloaded: new stage plan in use')
  if (changed.length > 0)
    logger.warn({ keys: changed }, `changes to ${changed.join(', ')} take effect after a restart`)
}

export function register(program: Command): void {
  program
    .command('gateway')
    .description(
      'Run the SIP security gateway in front of the PBX (udp, tcp and tls listeners and upstream; see docs/gateway.md).',
    )
    .option('--policy <file>', 'policy file (without it: schema defaults plus the flags)')
    .option(
      '--listen <endpoint>',
      'listener, e.g. udp:127.0.0.1:5060, tcp:127.0.0.1:5060, tls:0.0.0.0:5061 (needs the policy tls section) or udp:[::1]:5060 (repeatable; replaces the policy listen)',
      collect,
    )
    .option(
      '--upstream <endpoint>',
      'the PBX, e.g. udp:127.0.0.1:5080 or tcp:10.0.0.5:5060 (replaces the policy upstream)',
    )
    .option('--state <adapter>', 'memory | sqlite (replaces the policy state.adapter)')
    .option('--data-dir <dir>', 'replaces the policy site.dataDir (state and event log)')
    .action(async (flags: GatewayFlags) => {
      await run(flags)
    })
}
