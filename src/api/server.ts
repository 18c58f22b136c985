// The admin HTTP API served by the gateway (fastify). A consumer of the store and the
// gateway's counters, never in the packet path: nothing here is awaited by a packet.
//
// Access, in this order, for every request:
//   1. the client address must be loopback or in `adminNetworks`, else 403;
//   2. `Authorization: Bearer <token>` must match (constant time), else 401 — except
//      GET /api/health, a liveness probe that reveals nothing.
//
//   GET    /api/health                      {"status":"ok", ...}
//   GET    /api/bans                        {"bans":[...]}  active bans, newest first
//   POST   /api/bans                        {"address","ttlMs"?,"reason"?} → 201 {"ban":{...}}
//   DELETE /api/bans/:address               200 {"ban":{...}} | 404 nothing to lift
//   GET    /api/events?since=&until=&limit=&code=&address=   {"events":[...]}
//   GET    /api/stats                       gateway, store and kernel-set counters
//   GET    /metrics                         Prometheus text (when api.metrics)
//
// Errors are JSON: {"error": "<short code>", "message": "<one line>"}.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Policy } from '../config/schema.js'
import { ErrorCodes, SgwError } from '../errors.js'
import { createCidrMatcher, explainInvalidIp, isLoopbackIp, normalizeIp } from '../net/cidr.js'
import type { SecurityEvent } from '../events/event.js'
import type { EventQuery, Store } from '../state/store.js'
import { MAX_EVENT_QUERY_LIMIT } from '../state/store.js'
import type { GatewayMetrics } from './metrics.js'
import { tokenMatches } from './token.js'
import { API_BAN_CODE, API_SOURCE, API_UNBAN_CODE, banView } from './view.js'

export { API_BAN_CODE, API_SOURCE, API_UNBAN_CODE, banView } from './view.js'

export interface ApiStatsSource {
  readonly stats: object
  readonly transactionCount: number
  readonly receivedBy?: object
}

export interface ApiOptions {
  readonly policy: Policy
  readonly store: Store
  readonly token: string
  /** the gateway (stats); null when the API runs without one (tests) */
  readonly gateway?: ApiStatsSource | null
  readonly metrics?: GatewayMetrics | null
  /** addresses that are never banned (the gateway's isTrusted: admin networks and the upstream) */
  readonly isTrusted?: (address: string) => boolean
  /** extra counters for /api/stats (e.g. the kernel ban sets) */
  readonly extraStats?: () => Record<string, unknown>
  readonly version?: string
  readonly now?: () => number
  /** publishes the security event of an operator's ban or unban (the gateway's event bus) */
  readonly publish?: (event: SecurityEvent) => void
}

function problem(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ error, message })
}

const BanBody = z.strictObject({
  address: z.string().min(1).max(64),
  ttlMs: z.number().int().min(1000).optional(),
  reason: z.string().max(500).optional(),
})

const timeParam = z
  .string()
  .max(40)
  .transform((s, ctx) => {
    const n = /^\d+$/.test(s) ? Number(s) : Date.parse(s)
    if (!Number.isFinite(n)) {
      ctx.issues.push({
        code: 'custom',
        message: `"${s}" is neither ms since the epoch nor an ISO time`,
        input: s,
      })
      return z.NEVER
    }
    return n
  })

const EventsQuery = z.strictObject({
  since: timeParam.optional(),
  until: timeParam.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_EVENT_QUERY_LIMIT).optional(),
  code: z.string().max(100).optional(),
  address: z.string().max(64).optional(),
  account: z.string().max(256).optional(),
})

function zodMessage(err: z.ZodError): string {
  return err.issues
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ')
}

/** The fastify app (not listening; `app.inject` in tests, `startApiServer` for real). */
export function buildApi(opts: ApiOptions): FastifyInstance {
  const { policy, store, token } = opts
  const now = opts.now ?? Date.now
  const admin = createCidrMatcher(policy.adminNetworks)
  const isTrusted = opts.isTrusted ?? ((a: string) => admin.has(a))
  const maxTtl = policy.bans.maxTtlMs
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    connectionTimeout: 10_000,
    keepAliveTimeout: 5_000,
    requestTimeout: 10_000,
    return503OnClosing: true,
    // the only client address that counts is the socket's: no X-Forwarded-For
    trustProxy: false,
  })

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const remote = normalizeIp(req.socket.remoteAddress ?? '') ?? ''
    if (!isLoopbackIp(remote) && !admin.has(remote))
      return problem(reply, 403, 'forbidden', `${remote || 'this address'} is not in adminNetworks`)
    if (req.method === 'GET' && req.url === '/api/health') return undefined
    const h = req.headers.authorization
    const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null
    if (m === null || !tokenMatches(m[1]!, token)) {
      void reply.header('www-authenticate', 'Bearer realm="sipwarden"')
      return problem(
        reply,
        401,
        'unauthorized',
        m === null ? 'missing bearer token (Authorization: Bearer <token>)' : 'wrong token',
      )
    }
    return undefined
  })

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status =
      err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
    if (status === 500) return problem(reply, 500, 'internal', 'internal error')
    return problem(
      reply,
      status,
      status === 413 ? 'too-large' : 'bad-request',
      err.message.replace(/\s+/g, ' '),
    )
  })
  app.setNotFoundHandler((req, reply) =>
    problem(reply, 404, 'not-found', `no route ${req.method} ${req.url.split('?')[0]}`),
  )

  app.get('/api/health', async () => ({
    status: 'ok',
    version: opts.version ?? null,
    time: new Date(now()).toISOString(),
  }))

  app.get('/api/bans', async () => {
    const t = now()
    return { bans: (await store.listBans()).map((b) => banView(b, t)) }
  })

  app.post('/api/bans', async (req, reply) => {
    const body = BanBody.safeParse(req.body)
    if (!body.success) return problem(reply, 400, 'bad-request', zodMessage(body.error))
    const address = normalizeIp(body.data.address)
    if (address === null) return problem(reply, 400, 'bad-address', explainInvalidIp(body.data.address))
    if (isTrusted(address))
      return problem(
        reply,
        409,
        'admin-address',
        `${address} is in adminNetworks (or is the upstream): admin addresses are never banned`,
      )
    const ttlMs = Math.min(body.data.ttlMs ?? policy.bans.defaultTtlMs, maxTtl)
    const rec = await store.ban({
      address,
      ttlMs,
      code: API_BAN_CODE,
      source: API_SOURCE,
      ...(body.data.reason !== undefined ? { reason: body.data.reason } : {}),
    })
    opts.publish?.({
      time: now(),
      address,
      code: API_BAN_CODE,
      stage: 'api',
      action: 'ban',
      severity: 'warning',
      detail: {
        ttlMs: rec.expiresAt - rec.updatedAt,
        ...(body.data.reason !== undefined ? { reason: body.data.reason } : {}),
      },
    })
    return reply.code(201).send({ ban: banView(rec, now()) })
  })

  app.delete<{ Params: { address: string } }>('/api/bans/:address', async (req, reply) => {
    const raw = req.params.address
    const address = normalizeIp(raw)
    if (address === null) return problem(reply, 400, 'bad-address', explainInvalidIp(raw))
    const rec = await store.unban(address)
    if (rec === undefined) return problem(reply, 404, 'not-banned', `${address} is not banned`)
    opts.publish?.({
      time: now(),
      address,
      code: API_UNBAN_CODE,
      stage: 'api',
      action: 'unban',
      severity: 'info',
    })
    return { ban: banView(rec, now()) }
  })

  app.get('/api/events', async (req, reply) => {
    const q = EventsQuery.safeParse(req.query)
    if (!q.success) return problem(reply, 400, 'bad-request', zodMessage(q.error))
    const query: EventQuery = {
      ...(q.data.since !== undefined ? { since: q.data.since } : {}),
      ...(q.data.until !== undefined ? { until: q.data.until } : {}),
      ...(q.data.code !== undefined ? { code: q.data.code } : {}),
      ...(q.data.address !== undefined ? { address: q.data.address } : {}),
      ...(q.data.account !== undefined ? { account: q.data.account } : {}),
      limit: q.data.limit ?? 100,
    }
    return { events: await store.queryEvents(query) }
  })

  app.get('/api/stats', async () => {
    const gw = opts.gateway ?? null
    return {
      gateway:
        gw === null
          ? null
          : { ...gw.stats, transactionsHeld: gw.transactionCount, receivedBy: gw.receivedBy ?? null },
      store: await store.stats(),
      ...(opts.extraStats?.() ?? {}),
    }
  })

  app.get('/metrics', async (_req, reply) => {
    const m = opts.metrics ?? null
    if (m === null || !policy.api.metrics)
      return problem(reply, 404, 'not-found', 'metrics are disabled (api.metrics)')
    return reply.type(m.contentType).send(await m.render())
  })

  return app
}

export interface ApiServer {
  readonly app: FastifyInstance
  readonly address: string
  readonly port: number
  /** http://address:port */
  readonly url: string
  close(): Promise<void>
}

/** Listens on `api.listen` (or `listen`, e.g. port 0 in tests). */
export async function startApiServer(
  opts: ApiOptions & { listen?: { address: string; port: number } },
): Promise<ApiServer> {
  const app = buildApi(opts)
  const where = opts.listen ?? opts.policy.api.listen
  try {
    await app.listen({ host: where.address, port: where.port })
  } catch (err) {
    await app.close().catch(() => undefined)
    const code = (err as NodeJS.ErrnoException).code
    const why =
      code === 'EADDRINUSE'
        ? 'the port is already in use'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EADDRNOTAVAIL'
            ? 'the address is not on this host'
            : (err as Error).message
    const host = where.address.includes(':') ? `[${where.address}]` : where.address
    throw new SgwError(ErrorCodes.API_START, `admin API cannot listen on ${host}:${where.port}: ${why}`)
  }
  const a = app.server.address()
  const port = typeof a === 'object' && a !== null ? a.port : where.port
  const host = where.address.includes(':') ? `[${where.address}]` : where.address
  return {
    app,
    address: where.address,
    port,
    url: `http://${host}:${port}`,
    close: () => app.close(),
  }
}
