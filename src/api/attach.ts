// What `sipwarden gateway` starts beside the proxy: the kernel ban mirror and the admin API
// with its metrics. Neither may stop the gateway: without the privilege for nftables the
// in-process ban check holds; an admin API that cannot listen (port taken) is logged as an
// error and the gateway serves SIP without it.
import type { Logger } from 'pino'
import { VERSION } from '../cli/version.js'
import type { Policy } from '../config/schema.js'
import { SgwError } from '../errors.js'
import type { EventBus } from '../events/bus.js'
import type { SecurityEvent } from '../events/event.js'
import type { Gateway } from '../proxy/gateway.js'
import { KernelBans, kernelBanOptions } from '../firewall/kernel-bans.js'
import type { Store } from '../state/store.js'
import { createGatewayMetrics, type GatewayMetrics } from './metrics.js'
import { type ApiServer, startApiServer } from './server.js'
import { resolveApiToken } from './token.js'

export interface GatewayExtras {
  readonly kernel: KernelBans | null
  readonly api: ApiServer | null
  close(): Promise<void>
}

export async function startGatewayExtras(opts: {
  policy: Policy
  store: Store
  gw: Gateway
  logger: Logger
  bus?: EventBus
}): Promise<GatewayExtras> {
  const { policy, store, gw, logger } = opts
  let kernel: KernelBans | null = null
  if (policy.bans.kernel.enabled) {
    const k = new KernelBans({
      store,
      ...kernelBanOptions(policy),
      logger,
      exempt: (a) => gw.isTrusted(a),
    })
    if ((await k.start()) !== null) kernel = k
  }
  let api: ApiServer | null = null
  let metrics: GatewayMetrics | null = null
  if (policy.api.enabled) {
    try {
      const t = resolveApiToken(policy)
      if (t.created) logger.info({ file: t.file }, 'admin API token created (mode 0600)')
      metrics = policy.api.metrics ? createGatewayMetrics({ source: gw, store }) : null
      api = await startApiServer({
        policy,
        store,
        token: t.token,
        gateway: gw,
        metrics,
        isTrusted: (a) => gw.isTrusted(a),
        version: VERSION,
        ...(opts.bus !== undefined ? { publish: (e: SecurityEvent) => opts.bus!.publish(e) } : {}),
        extraStats: () => ({ kernel: { active: kernel?.active ?? false, mirrored: kernel?.mirrored ?? 0 } }),
      })
      logger.info({ url: api.url, metrics: metrics !== null }, 'admin API listening')
    } catch (err) {
      metrics?.close()
      metrics = null
      const msg = err instanceof SgwError ? err.message : String(err)
      logger.error(`${msg}; the gateway runs without its admin API`)
    }
  }
  return {
    kernel,
    api,
    async close() {
      await api?.close()
      metrics?.close()
      await kernel?.stop()
    },
  }
}
