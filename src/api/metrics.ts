// Prometheus metrics of the gateway (prom-client, a registry of our own). Nothing here is in
// the packet path: the gateway keeps plain counters (`stats`, `receivedBy`, `decisionsBy`)
// and the metrics read them when scraped. Two exceptions, both cheap: the relay latency
// histogram is filled by `gw.onRelayLatency` (a fixed bucket array, no allocation), and ban
// totals count the store's ban changes.
import { Counter, Gauge, type Metric, type MetricValue, Registry } from 'prom-client'
import type { BanChange, Store } from '../state/store.js'

/** What the metrics read from the gateway (structural: tests can pass a fake). */
export interface MetricsSource {
  readonly stats: { readonly received: number; readonly decisions: number }
  readonly receivedBy: Readonly<Record<string, readonly [number, number]>>
  readonly decisionsBy: ReadonlyMap<string, ReadonlyMap<string, number>>
  readonly transactionCount: number
  /** the dialog table, when the gateway tracks dialogs */
  readonly dialogs?: { readonly count: number } | null
  onRelayLatency: ((seconds: number) => void) | null
}

/** Seconds; a relay on loopback takes tens of microseconds. */
export const LATENCY_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
] as const

/** A histogram without labels whose observe() allocates nothing. */
export class LatencyHistogram {
  readonly counts = new Float64Array(LATENCY_BUCKETS.length + 1)
  sum = 0
  count = 0

  observe(seconds: number): void {
    let i = 0
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++
    this.counts[i]!++
    this.sum += seconds
    this.count++
  }
}

/** A prom-client metric rendering a LatencyHistogram. */
function histogramMetric(name: string, help: string, h: LatencyHistogram): Metric {
  const get = (): Promise<unknown> => {
    const values: MetricValue<string>[] = []
    let cumulative = 0
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      cumulative += h.counts[i]!
      values.push({
        metricName: `${name}_bucket`,
        labels: { le: LATENCY_BUCKETS[i]! },
        value: cumulative,
      } as never)
    }
    values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: h.count } as never)
    values.push({ metricName: `${name}_sum`, labels: {}, value: h.sum } as never)
    values.push({ metricName: `${name}_count`, labels: {}, value: h.count } as never)
    return Promise.resolve({ name, help, type: 'histogram', values, aggregator: 'sum' })
  }
  return { name, help, type: 'histogram', aggregator: 'sum', get } as unknown as Metric
}

const KNOWN_BAN_SOURCES = new Set(['gateway', 'api', 'watch', 'cli', 'import'])

export interface GatewayMetrics {
  readonly registry: Registry
  /** Prometheus text */
  render(): Promise<string>
  readonly contentType: string
  close(): void
}

export function createGatewayMetrics(opts: { source: MetricsSource | null; store: Store }): GatewayMetrics {
  const registry = new Registry()
  const { source, store } = opts
  new Counter({
    name: 'sipwarden_messages_received_total',
    help: 'SIP messages received by the gateway, by transport and direction (from the phones or from the upstream).',
    labelNames: ['transport', 'direction'],
    registers: [registry],
    collect() {
      if (source === null) return
      this.reset()
      for (const [transport, [phones, upstream]] of Object.entries(source.receivedBy)) {
        this.inc({ transport, direction: 'from_phones' }, phones)
        this.inc({ transport, direction: 'from_upstream' }, upstream)
      }
    },
  })
  new Counter({
    name: 'sipwarden_decisions_total',
    help: 'Pipeline decisions (drop, reply, ban) by stage and event code.',
    labelNames: ['stage', 'code'],
    registers: [registry],
    collect() {
      if (source === null) return
      this.reset()
      for (const [stage, byCode] of source.decisionsBy)
        for (const [code, n] of byCode) this.inc({ stage, code }, n)
    },
  })
  new Gauge({
    name: 'sipwarden_bans_active',
    help: 'Active bans in the state store.',
    registers: [registry],
    async collect() {
      this.set((await store.stats()).bans)
    },
  })
  const bansTotal = new Counter({
    name: 'sipwarden_bans_total',
    help: 'Bans started (new ban episodes) since the gateway started, by who banned.',
    labelNames: ['source'],
    registers: [registry],
  })
  for (const s of ['gateway', 'api']) bansTotal.inc({ source: s }, 0)
  const unsubscribe = store.onBanChange((c: BanChange) => {
    if (c.kind !== 'ban') return
    bansTotal.inc({ source: KNOWN_BAN_SOURCES.has(c.ban.source) ? c.ban.source : 'other' })
  })
  new Gauge({
    name: 'sipwarden_transactions',
    help: 'SIP transactions held by the gateway (including completed ones lingering to absorb retransmissions).',
    registers: [registry],
    collect() {
      if (source !== null) this.set(source.transactionCount)
    },
  })
  const dialogs = source !== null ? dialogCountOf(source) : null
  if (dialogs !== null)
    new Gauge({
      name: 'sipwarden_dialogs',
      help: 'Dialogs (calls) the gateway tracks.',
      registers: [registry],
      collect() {
        const n = dialogs()
        if (n !== null) this.set(n)
      },
    })
  if (source !== null) {
    const h = new LatencyHistogram()
    registry.registerMetric(
      histogramMetric(
        'sipwarden_relay_latency_seconds',
        'Time from a request arriving at the gateway to its relay upstream.',
        h,
      ),
    )
    source.onRelayLatency = (s) => h.observe(s)
  }
  return {
    registry,
    render: () => registry.metrics(),
    contentType: registry.contentType,
    close() {
      unsubscribe()
      if (source !== null) source.onRelayLatency = null
    },
  }
}

/** The gateway's dialog count (`dialogs.count`) when it tracks dialogs, else null. */
function dialogCountOf(source: MetricsSource): (() => number | null) | null {
  const d = source.dialogs
  if (d === undefined || d === null || typeof d.count !== 'number') return null
  return () => d.count
}
