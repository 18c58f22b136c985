// The gateway: listeners → ingress stages → lazy parse → request/reply stages → transaction-
// stateful relay between the phones and the upstream PBX (docs/gateway.md).
//
// Direction is decided by the source: packets from the upstream address go toward the phones
// (Route, else the Request-URI, through the contacts learned from REGISTER), everything else
// goes to the upstream. Forwarding edits the received bytes (sip/edit.ts).

import { createSocket } from 'node:dgram'
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import type { Logger } from 'pino'
import type { Policy } from '../config/schema.js'
import { SgwError } from '../errors.js'
import type { EventBus } from '../events/bus.js'
import type { SecurityEvent } from '../events/event.js'
import { createCidrMatcher } from '../net/cidr.js'
import { buildStages, compilePlan, type Plan } from '../pipeline/compile.js'
import { type RequestInfo, SipContext } from '../pipeline/context.js'
import type { StageDeps } from '../pipeline/deps.js'
import { KnownSources } from '../pipeline/known-sources.js'
import { runStages, setStageErrorHandler } from '../pipeline/run.js'
import { type BanOutcome, CONTINUE, type Outcome, type Stage } from '../pipeline/stage.js'
import { BANNED } from '../pipeline/stages/ingress.js'
import { BRANCH_PREFIX } from '../pipeline/stages/sanity.js'
import {
  hideRecordRoutes,
  hideResponseRecordRoutes,
  hideVias,
  restoreRoutes,
  restoreVias,
  unsealRecordRoutes,
} from '../pipeline/stages/topology-hiding.js'
import { applyEdits, type SipEdit } from '../sip/edit.js'
import type { SipMessage } from '../sip/message.js'
import { type ParseOptions, parseMessage } from '../sip/parse.js'
import { parseUri } from '../sip/uri.js'
import type { Store } from '../state/store.js'
import { hostPort, type Sender } from '../transport/sender.js'
import { TcpConnection, TcpListener } from '../transport/tcp.js'
import { tlsClientOptions, tlsServerOptions } from '../transport/tls.js'
import { fmt, UdpListener } from '../transport/udp.js'
import { UpstreamConnection } from '../transport/upstream.js'
import { Dialog, type DialogSide, DialogTable } from './dialog.js'
import type { FraudHooks } from './fraud-hooks.js'
import { buildResponse, buildResponseFromRaw } from './response.js'
import { COMPLETED, LocalRequest, PROCEEDING, TRYING, Transaction } from './transaction.js'
import { TimerWheel } from './wheel.js'

export interface GatewayOptions {
  readonly policy: Policy
  readonly store: Store
  readonly bus: EventBus
  readonly logger: Logger
  /** stages instead of the policy's (tests) */
  readonly stages?: (deps: StageDeps) => Stage[]
  readonly now?: () => number
  /** the toll-fraud engine's wiring (src/proxy/fraud-hooks.ts): the toll-fraud stage, dialog
   * answer/end, calls ended live, CDRs; absent: no toll-fraud stage */
  readonly fraud?: FraudHooks
}

export interface GatewayStats {
  received: number
  relayedRequests: number
  relayedResponses: number
  absorbed: number
  decisions: number
  transactions: number
}

const EVENT_REPEAT_MS = 10_000
const MAX_CONTACTS = 100_000
const TICK_MS = 100
const MAX_LOCAL_REQUESTS = 10_000
/** RFC 3261 T2: the cap of the retransmission interval of non-INVITE requests */
const T2_MS = 4000

interface Contact {
  address: string
  port: number
  expires: number
  /** the TCP connection the phone registered over (null: udp) */
  conn: TcpConnection | null
}

export class Gateway {
  /** replaced by reload() */
  policy: Policy
  readonly store: Store
  readonly #bus: EventBus
  readonly #log: Logger
  readonly #now: () => number
  /** `branch|address:port` of INVITEs a stage refused → when (their ACKs are absorbed) */
  readonly #refusedInvites = new Map<string, number>()
  readonly #listeners: UdpListener[] = []
  readonly #tcp: TcpListener[] = []
  #plan!: Plan
  readonly #stagesFor: (deps: StageDeps) => Stage[]
  readonly #byServer = new Map<string, Transaction>()
  readonly #byClient = new Map<string, Transaction>()
  readonly #wheel: TimerWheel<Transaction | Dialog | LocalRequest>
  /** requests of our own being retransmitted, by branch (bounded by MAX_LOCAL_REQUESTS) */
  readonly #local = new Map<string, LocalRequest>()
  /** the calls relayed now (docs/gateway.md "Dialogs") */
  readonly dialogs: DialogTable
  /** the toll-fraud wiring (null: none) */
  readonly fraud: FraudHooks | null
  /** the connection to a tcp/tls upstream (null: udp) */
  #upstreamConn: UpstreamConnection | null = null
  readonly #contacts = new Map<string, Contact>()
  readonly #eventSeen = new Map<string, number>()
  #trusted: ReturnType<typeof createCidrMatcher>
  readonly #parseOpts: ParseOptions
  readonly #streamParseOpts: ParseOptions
  readonly #ownAddresses = new Set<string>()
  /** sources that recently authenticated (acl, methods); kept across plan reloads */
  readonly knownSources = new KnownSources()
  #upstreamAddress = ''
  #upstreamPort = 0
  #branchPrefix = ''
  #branchSeq = 0
  #maxTx: number
  #lingerMs: number
  #started = false
  /** Read by the admin API at scrape time (plain numbers: nothing is built per packet).
   * Received messages per transport: [from the phones, from the upstream]. */
  readonly receivedBy: Record<string, [number, number]> = { udp: [0, 0], tcp: [0, 0], tls: [0, 0] }
  /** decisions per stage, then per code (bounded: stage codes are constants) */
  readonly decisionsBy = new Map<string, Map<string, number>>()
  /** when set: called with the seconds from a request's arrival to its relay upstream */
  onRelayLatency: ((seconds: number) => void) | null = null
  #rxCtx: SipContext | null = null
  #rxAt = 0
  readonly stats: GatewayStats = {
    received: 0,
    relayedRequests: 0,
    relayedResponses: 0,
    absorbed: 0,
    decisions: 0,
    transactions: 0,
  }

  constructor(opts: GatewayOptions) {
    this.policy = opts.policy
    this.store = opts.store
    this.#bus = opts.bus
    this.#log = opts.logger
    this.#now = opts.now ?? Date.now
    this.#stagesFor = opts.stages ?? buildStages
    this.fraud = opts.fraud ?? null
    const p = opts.policy
    this.#trusted = createCidrMatcher(p.adminNetworks)
    this.#maxTx = p.gateway.proxy.maxTransactions
    this.#lingerMs = 64 * p.gateway.proxy.timerT1Ms
    this.#wheel = new TimerWheel<Transaction | Dialog | LocalRequest>(
      TICK_MS,
      1024,
      onTxTimer.bind(null, this),
      this.#now,
    )
    this.dialogs = new DialogTable(p.gateway.proxy.maxDialogs, (d) => this.#wheel.cancel(d))
    this.dialogs.setEnder((d, detail) => this.#endDialog(d, detail))
    const s = p.gateway.sanity
    this.#parseOpts = {
      mode: 'lazy',
      maxMessageBytes: p.gateway.ingress.maxMessageBytes,
      maxHeaders: s.maxHeaders,
      maxHeaderLineBytes: s.maxHeaderBytes,
      maxVias: s.maxViaHeaders,
    }
    this.#streamParseOpts = { ...this.#parseOpts, framing: 'stream' }
    this.#branchPrefix = `${BRANCH_PREFIX}${Math.floor(Math.random() * 0xffffffff).toString(36)}.`
  }

  get listeners(): readonly UdpListener[] {
    return this.#listeners
  }

  /** TCP and TLS listeners */
  get tcpListeners(): readonly TcpListener[] {
    return this.#tcp
  }

  /** The connection to a tcp/tls upstream (null for udp). */
  get upstreamConnection(): UpstreamConnection | null {
    return this.#upstreamConn
  }

  /**
   * Swaps in a new stage plan built from `policy` (SIGHUP). Stage sections, bans and
   * adminNetworks take effect at once; listeners, upstream, state and proxy bounds need a
   * restart. Counters kept in stage memory (token buckets, enumeration) start afresh.
   */
  reload(policy: Policy): void {
    if (!this.#started) throw new SgwError('SGW_ERR_GATEWAY_PLAN', 'the gateway is not running')
    const trusted = createCidrMatcher(policy.adminNetworks)
    const deps: StageDeps = {
      policy,
      store: this.store,
      ownAddresses: this.#ownAddresses,
      knownSources: this.knownSources,
      isTrusted: (a) => this.isTrusted(a),
      publish: (e) => this.#publish(e),
      banLater: (a, o, stage) => this.#ban(a, o, stage, this.#now(), {}),
      ...(this.fraud !== null ? { fraud: this.fraud } : {}),
    }
    const plan = compilePlan(this.#stagesFor(deps)) // throws before anything is swapped
    this.#trusted = trusted
    this.policy = policy
    this.#plan = plan
  }

  #countDecision(stage: string, code: string): void {
    let byCode = this.decisionsBy.get(stage)
    if (byCode === undefined) {
      if (this.decisionsBy.size >= 64) return
      byCode = new Map()
      this.decisionsBy.set(stage, byCode)
    }
    const n = byCode.get(code)
    if (n !== undefined) byCode.set(code, n + 1)
    else if (byCode.size < 256) byCode.set(code, 1)
  }

  #relayLatency(ctx: SipContext): void {
    // exact for the synchronous path; a request that waited for an async stage is timed in ms
    const s = this.#rxCtx === ctx ? (performance.now() - this.#rxAt) / 1000 : (this.#now() - ctx.now) / 1000
    this.onRelayLatency?.(s)
  }

  get transactionCount(): number {
    return this.#byServer.size
  }

  async start(): Promise<void> {
    const p = this.policy
    const up = p.upstream
    this.#upstreamAddress = isIP(up.host) ? up.host : (await lookup(up.host)).address
    this.#upstreamPort = up.port
    const px = p.gateway.proxy
    const tcpLimits = {
      maxConnections: px.maxConnections,
      maxConnectionsPerSource: px.maxConnectionsPerSource,
      idleTimeoutMs: px.tcpIdleTimeoutMs,
      maxMessageBytes: p.gateway.ingress.maxMessageBytes,
      refuse: (a: string) => this.store.isBanned(a),
    }
    let upTls: ConnectionOptions | undefined
    try {
      // read (and check) certificate and key once, before anything listens
      const tlsOpts = p.listen.some((l) => l.transport === 'tls') ? tlsServerOptions(p.tls!) : undefined
      upTls = up.transport === 'tls' ? tlsClientOptions(p.tls, up.host) : undefined
      for (const l of p.listen) {
        if (l.transport === 'udp') {
          const listener = new UdpListener(l.address, l.port, onPacket.bind(null, this))
          await listener.bind()
          this.#listeners.push(listener)
        } else {
          const listener = new TcpListener(
            l.address,
            l.port,
            tcpLimits,
            onPacket.bind(null, this),
            l.transport === 'tls' ? tlsOpts : undefined,
          )
          await listener.bind()
          this.#tcp.push(listener)
        }
      }
      if (this.#listeners.length === 0 && up.transport === 'udp')
        throw new SgwError(
          'SGW_ERR_GATEWAY_LISTEN',
          'listen needs a udp listener (the upstream is reached over udp)',
        )
    } catch (err) {
      await Promise.all([...this.#listeners, ...this.#tcp].map((x) => x.close()))
      this.#listeners.length = 0
      this.#tcp.length = 0
      throw err
    }
    for (const l of [...this.#listeners, ...this.#tcp]) {
      l.advertised = await this.#advertised(l)
      this.#ownAddresses.add(`${l.advertised}:${l.port}`)
      this.#ownAddresses.add(`${l.address}:${l.port}`)
    }
    if (up.transport !== 'udp') this.#openUpstream(up.transport, up.connectTimeoutMs, upTls)
    const deps: StageDeps = {
      policy: p,
      store: this.store,
      ownAddresses: this.#ownAddresses,
      knownSources: this.knownSources,
      isTrusted: (a) => this.isTrusted(a),
      publish: (e) => this.#publish(e),
      banLater: (a, o, stage) => this.#ban(a, o, stage, this.#now(), {}),
      ...(this.fraud !== null ? { fraud: this.fraud } : {}),
    }
    this.#plan = compilePlan(this.#stagesFor(deps))
    setStageErrorHandler((stage, error) => this.#log.error({ stage: stage.name, err: error }, 'stage failed'))
    this.#wheel.start()
    this.fraud?.attach({ dialogs: this.dialogs, publish: (e) => this.#publish(e) })
    this.#started = true
  }

  async stop(): Promise<void> {
    this.fraud?.detach() // calls still up are booked as ended (CDR, spend)
    this.#wheel.stop()
    const up = this.#upstreamConn !== null ? [this.#upstreamConn] : []
    await Promise.all([...this.#listeners, ...this.#tcp, ...up].map((l) => l.close()))
    this.#upstreamConn = null
    this.dialogs.clear()
    this.#local.clear()
    this.#started = false
  }

  /** The persistent connection to a tcp/tls upstream. Our Via and Record-Route on that side name
   * a listener of the same transport when there is one (the PBX can connect back), else the
   * first listener. */
  #openUpstream(
    transport: 'tcp' | 'tls',
    connectTimeoutMs: number,
    tls: ConnectionOptions | undefined,
  ): void {
    const p = this.policy
    const conn = new UpstreamConnection(
      {
        transport,
        host: this.policy.upstream.host,
        address: this.#upstreamAddress,
        port: this.#upstreamPort,
        connectTimeoutMs,
        maxMessageBytes: p.gateway.ingress.maxMessageBytes,
        ...(tls !== undefined ? { tls } : {}),
      },
      {
        onMessage: onPacket.bind(null, this),
        onDown: (why) => this.#upstreamDown(conn, why),
      },
    )
    const same = this.#tcp.find((l) => l.transport === transport && l.family === conn.family)
    const any = this.#listeners.find((l) => l.family === conn.family) ?? this.#listeners[0]
    if (same !== undefined) {
      conn.viaSentBy = `${transport.toUpperCase()} ${hostPort(same.advertised, same.port)}`
      conn.recordRouteUri = `sip:${hostPort(same.advertised, same.port)};transport=${transport};lr`
    } else if (any !== undefined) {
      conn.viaSentBy = `${transport.toUpperCase()} ${hostPort(any.advertised, any.port)}`
      conn.recordRouteUri = any.recordRouteUri
    }
    this.#upstreamConn = conn
    conn.start()
  }

  /** The upstream connection failed (or closed under requests): requests still waiting for
   * their first answer get 503 + Retry-After now rather than at their timeout. */
  #upstreamDown(conn: UpstreamConnection, why: string): void {
    this.#log.warn({ upstream: fmt(this.#upstreamAddress, this.#upstreamPort) }, why)
    const now = this.#now()
    for (const tx of [...this.#byServer.values()])
      if (tx.nextListener === conn && tx.state === TRYING) this.onTimer(tx, now)
  }

  /** Admin networks and the upstream: never rate limited, never banned. */
  isTrusted(address: string): boolean {
    return address === this.#upstreamAddress || this.#trusted.has(address)
  }

  /** The address to write into Via / Record-Route: the bound one, or for 0.0.0.0 / :: the local
   * address that routes to the upstream. */
  async #advertised(l: { address: string; family: 4 | 6 }): Promise<string> {
    if (l.address !== '0.0.0.0' && l.address !== '::') return l.address
    return new Promise<string>((resolve) => {
      const s = createSocket(l.family === 6 ? 'udp6' : 'udp4')
      s.on('error', () => {
        s.close()
        resolve(l.family === 6 ? '::1' : '127.0.0.1')
      })
      s.connect(this.#upstreamPort, this.#upstreamAddress, () => {
        const addr = s.address().address
        s.close()
        resolve(addr)
      })
    })
  }

  #hideInternal(): boolean {
    const t = this.policy.gateway.topologyHiding
    return t.enabled && t.hideInternalAddresses
  }

  #upstreamListener(): Sender {
    if (this.#upstreamConn !== null) return this.#upstreamConn
    const fam = this.#upstreamAddress.includes(':') ? 6 : 4
    return this.#listeners.find((l) => l.family === fam) ?? this.#listeners[0]!
  }

  // -------------------------------------------------------------------------------------
  // packets

  handlePacket(buf: Buffer, address: string, port: number, listener: Sender): void {
    if (!this.#started) return
    this.stats.received++
    // with a tcp/tls upstream, any connection from the PBX's address is the PBX (its source port
    // is ephemeral); over udp the port must match as well
    const fromUpstream =
      address === this.#upstreamAddress &&
      (port === this.#upstreamPort || (this.#upstreamConn !== null && listener.transport !== 'udp'))
    const rb = this.receivedBy[listener.transport]
    if (rb !== undefined) rb[fromUpstream ? 1 : 0]++
    const ctx = new SipContext(buf, address, port, listener.transport, this.#now(), fromUpstream)
    if (this.onRelayLatency !== null) {
      this.#rxCtx = ctx
      this.#rxAt = performance.now()
    }
    const plan = this.#plan
    const ing = runStages(plan.ingress, ctx)
    if (ing !== CONTINUE) {
      this.#settle(ing, ctx, listener)
      return
    }
    const r = parseMessage(buf, listener.transport !== 'udp' ? this.#streamParseOpts : this.#parseOpts)
    if (!r.ok) {
      if (r.error.code === 'SGW_ERR_SIP_EMPTY') return // keep-alive
      ctx.parseError = r.error
      ctx.phase = isResponseBytes(buf) ? 'reply' : 'request'
    } else {
      ctx.message = r.message
      ctx.phase = r.message.isRequest ? 'request' : 'reply'
    }
    if (ctx.phase === 'reply' && ctx.message !== null)
      ctx.request = this.#matchResponse(ctx.message)?.info ?? null
    const out = runStages(ctx.phase === 'reply' ? plan.reply : plan.request, ctx)
    this.#settle(out, ctx, listener)
  }

  #settle(out: Outcome | Promise<Outcome>, ctx: SipContext, listener: Sender): void {
    if (out instanceof Promise) {
      out.then(
        (o) => this.#settle(o, ctx, listener),
        (err: unknown) => this.#log.error({ err }, 'pipeline failed'),
      )
      return
    }
    if (out === CONTINUE) {
      if (ctx.message === null) return // a parse failure always ends in sanity; never relayed
      if (ctx.phase === 'reply') this.#relayResponse(ctx.message, ctx, listener)
      else this.#relayRequest(ctx.message, ctx, listener)
      return
    }
    this.stats.decisions++
    this.#countDecision(ctx.decidedBy ?? 'gateway', out.kind === 'continue' ? '' : out.code)
    if (out === BANNED) return
    const target = ctx.phase === 'reply' ? (ctx.request?.address ?? null) : ctx.address
    switch (out.kind) {
      case 'drop':
        this.#event(ctx, out.code, 'drop', target)
        return
      case 'reply': {
        const m = ctx.message
        if (ctx.phase !== 'request' || m?.method === 'ACK') {
          this.#event(ctx, out.code, 'drop', target)
          return
        }
        const res =
          m !== null
            ? buildResponse(m, out.status, out.reason, out.headers)
            : buildResponseFromRaw(ctx.buf, out.status, out.reason)
        if (res !== null) listener.send(res, ctx.port, ctx.address)
        if (res !== null && m?.method === 'INVITE' && out.status >= 300) this.#rememberRefusal(m, ctx)
        this.#event(ctx, out.code, res !== null ? 'reply' : 'drop', target, { status: out.status })
        return
      }
      case 'respond': {
        // a response built by the stage, sent as is (anti-enumeration's challenges)
        const ok = ctx.phase === 'request' && ctx.message?.method !== 'ACK'
        if (ok) listener.send(out.bytes, ctx.port, ctx.address)
        if (ok && ctx.message?.method === 'INVITE' && out.status >= 300)
          this.#rememberRefusal(ctx.message, ctx)
        this.#event(ctx, out.code, ok ? 'reply' : 'drop', target, { status: out.status })
        return
      }
      case 'ban': {
        if (target === null) return
        if (this.isTrusted(target)) {
          this.#event(ctx, out.code, 'drop', target, { trusted: true })
          return
        }
        this.#ban(target, out, ctx.decidedBy ?? 'gateway', ctx.now, {
          ...(target === ctx.address ? { port: ctx.port, transport: ctx.transport } : {}),
          ...accountOf(ctx),
        })
        return
      }
    }
  }

  /** An INVITE refused by a stage: its ACK (same branch, RFC 3261 17.1.1.3) is absorbed, not
   * relayed to a PBX that never saw the INVITE. Bounded; entries older than 64×T1 go first. */
  #rememberRefusal(m: SipMessage, ctx: SipContext): void {
    const branch = m.topVia()?.branch
    if (branch == null) return
    const map = this.#refusedInvites
    if (map.size >= 10_000) {
      for (const [k, t] of map) {
        if (ctx.now - t < 64 * this.policy.gateway.proxy.timerT1Ms && map.size < 10_000) break
        map.delete(k)
      }
    }
    map.set(`${branch}|${ctx.address}:${ctx.port}`, ctx.now)
  }

  /** Bans `target` in the store and publishes the ban (trusted sources are never banned). */
  #ban(
    target: string,
    out: BanOutcome,
    stage: string,
    now: number,
    extra: Pick<SecurityEvent, 'port' | 'transport' | 'account'>,
  ): void {
    if (this.isTrusted(target)) return
    void Promise.resolve(
      this.store.ban({
        address: target,
        ttlMs: out.ttlMs,
        code: out.code,
        source: 'gateway',
        escalate: out.escalate ?? 1,
        detail: { stage },
      }),
    ).then(
      (rec) =>
        this.#publish({
          time: now,
          address: target,
          ...extra,
          code: out.code,
          stage,
          action: 'ban',
          severity: 'warning',
          detail: { ttlMs: rec.expiresAt - rec.updatedAt, offences: rec.offences },
        }),
      (err: unknown) => this.#log.error({ err }, 'ban failed'),
    )
  }

  #event(
    ctx: SipContext,
    code: string,
    action: SecurityEvent['action'],
    target: string | null,
    detail?: Record<string, unknown>,
  ): void {
    if (!this.#bus.hasSubscribers || target === null) return
    // one event per source and code per 10 s: a flood of bad packets must not become a flood of events
    const key = `${target}|${code}`
    const last = this.#eventSeen.get(key)
    if (last !== undefined && ctx.now - last < EVENT_REPEAT_MS) return
    if (this.#eventSeen.size >= 10_000) this.#eventSeen.clear()
    this.#eventSeen.set(key, ctx.now)
    this.#publish({
      time: ctx.now,
      address: target,
      ...(target === ctx.address ? { port: ctx.port, transport: ctx.transport } : {}),
      ...accountOf(ctx),
      code,
      stage: ctx.decidedBy ?? 'gateway',
      action,
      severity: 'info',
      ...(detail !== undefined ? { detail } : {}),
    })
  }

  #publish(e: SecurityEvent): void {
    if (this.#bus.hasSubscribers) this.#bus.publish(e)
  }

  // -------------------------------------------------------------------------------------
  // requests

  #relayRequest(m: SipMessage, ctx: SipContext, listener: Sender): void {
    const method = m.method!
    const via = m.topVia()!
    const branch = via.branch ?? ''
    const cseq = m.cseq()!
    const src = `${ctx.address}:${ctx.port}`
    // in-dialog activity keeps a dialog alive and tells us its CSeq numbers
    const dialog = m.toTag() !== null ? this.#touchDialog(m, method, cseq.seq, ctx.now) : null

    if (method === 'ACK') {
      const tx = this.#byServer.get(`${branch}|INVITE|${src}`)
      if (tx !== undefined && tx.lastStatus >= 300) {
        this.stats.absorbed++ // hop-by-hop ACK of a non-2xx: we sent our own upstream
        return
      }
      if (this.#refusedInvites.delete(`${branch}|${src}`)) {
        this.stats.absorbed++ // the ACK of a refusal by a stage: the PBX never saw the INVITE
        return
      }
      this.#forwardStateless(m, ctx, listener)
      return
    }
    if (method === 'CANCEL') {
      this.#cancel(m, ctx, listener, `${branch}|INVITE|${src}`)
      return
    }
    const key = `${branch}|${method}|${src}`
    const existing = this.#byServer.get(key)
    if (existing !== undefined) {
      this.stats.absorbed++
      if (existing.lastResponse !== null) listener.send(existing.lastResponse, ctx.port, ctx.address)
      else if (existing.state === TRYING && existing.nextListener.transport === 'udp')
        existing.nextListener.send(existing.forwarded, existing.nextPort, existing.nextAddress)
      return
    }
    if (this.#byServer.size >= this.#maxTx) {
      listener.send(
        buildResponse(m, 503, 'Service Unavailable', [`Retry-After: ${retryAfterSeconds(this.policy)}`]),
        ctx.port,
        ctx.address,
      )
      this.#event(ctx, 'proxy.overload', 'reply', ctx.address, { transactions: this.#byServer.size })
      return
    }
    const creating = method === 'INVITE' && dialog === null && m.toTag() === null
    if (creating && this.dialogs.full) {
      listener.send(
        buildResponse(m, 503, 'Service Unavailable', [`Retry-After: ${retryAfterSeconds(this.policy)}`]),
        ctx.port,
        ctx.address,
      )
      this.#event(ctx, 'proxy.dialog-overload', 'reply', ctx.address, { dialogs: this.dialogs.count })
      return
    }
    const next = this.#nextHop(m, ctx)
    if (next === null) {
      listener.send(buildResponse(m, 404, 'Not Found'), ctx.port, ctx.address)
      return
    }
    if (next.listener instanceof UpstreamConnection && !next.listener.accepting) {
      // a tcp/tls upstream that cannot be reached now: answer at once, never queue without bound
      listener.send(
        buildResponse(m, 503, 'Service Unavailable', [`Retry-After: ${retryAfterSeconds(this.policy)}`]),
        ctx.port,
        ctx.address,
      )
      this.#event(ctx, 'proxy.upstream-unavailable', 'reply', ctx.address)
      return
    }
    if (method === 'INVITE') listener.send(buildResponse(m, 100, 'Trying'), ctx.port, ctx.address)
    const clientBranch = `${this.#branchPrefix}${(this.#branchSeq++).toString(36)}`
    const { edits, routes } = this.#requestEdits(m, ctx, next.listener, clientBranch, true, listener)
    // topology hiding: the PBX's Vias stay here and go back on the answer
    const hiddenVias = ctx.fromUpstream && this.#hideInternal() ? hideVias(m, edits) : null
    if (hiddenVias !== null) hideRecordRoutes(m, edits)
    const out = applyEdits(m, edits)
    const info: RequestInfo = {
      address: ctx.address,
      port: ctx.port,
      method,
      account: (method === 'REGISTER' ? m.to()?.uri?.user : m.from()?.uri?.user) ?? null,
      hadCredentials: m.hasHeader('Authorization') || m.hasHeader('Proxy-Authorization'),
      outOfDialog: m.to()?.tag == null,
      destination: method === 'INVITE' ? (m.uri()?.user ?? null) : null,
    }
    const tx = new Transaction({
      serverKey: key,
      clientKey: `${clientBranch}|${method}`,
      clientBranch,
      method,
      info,
      sourceAddress: ctx.address,
      sourcePort: ctx.port,
      listener,
      nextAddress: next.address,
      nextPort: next.port,
      nextListener: next.listener,
      forwarded: out,
      requestUri: m.requestUri!,
      fromValue: m.header('From')!,
      toValue: m.header('To')!,
      callId: m.callId()!,
      cseq: cseq.seq,
      routes,
      fromUpstream: ctx.fromUpstream,
    })
    tx.hiddenVias = hiddenVias
    this.#byServer.set(key, tx)
    this.#byClient.set(tx.clientKey, tx)
    this.stats.transactions++
    this.#wheel.schedule(tx, ctx.now + this.policy.upstream.transactionTimeoutMs)
    if (creating) this.#createDialog(m, ctx, listener, tx)
    else if (method === 'BYE' && dialog !== null) {
      tx.dialog = dialog
      dialog.byeFrom = m.fromTag() === dialog.caller.tag ? 'caller' : 'callee'
    }
    if (method === 'REGISTER' && !ctx.fromUpstream) this.#learnContacts(m, ctx, listener)
    next.listener.send(out, next.port, next.address)
    this.stats.relayedRequests++
    if (this.onRelayLatency !== null && !ctx.fromUpstream) this.#relayLatency(ctx)
  }

  /** ACK for a 2xx (its own transaction) and other requests we keep no state for. */
  #forwardStateless(m: SipMessage, ctx: SipContext, listener: Sender): void {
    const next = this.#nextHop(m, ctx)
    if (next === null) return
    const { edits } = this.#requestEdits(
      m,
      ctx,
      next.listener,
      `${this.#branchPrefix}${(this.#branchSeq++).toString(36)}`,
      false,
      listener,
    )
    if (ctx.fromUpstream && this.#hideInternal()) hideVias(m, edits)
    next.listener.send(applyEdits(m, edits), next.port, next.address)
    this.stats.relayedRequests++
  }

  #cancel(m: SipMessage, ctx: SipContext, listener: Sender, inviteKey: string): void {
    const tx = this.#byServer.get(inviteKey)
    if (tx === undefined) {
      listener.send(buildResponse(m, 481, 'Call/Transaction Does Not Exist'), ctx.port, ctx.address)
      return
    }
    listener.send(buildResponse(m, 200, 'OK'), ctx.port, ctx.address)
    if (tx.state === COMPLETED) return
    if (tx.dialog !== null) tx.dialog.cancelled = true
    this.#sendCancel(tx)
  }

  #nextHop(m: SipMessage, ctx: SipContext): { address: string; port: number; listener: Sender } | null {
    if (!ctx.fromUpstream)
      return { address: this.#upstreamAddress, port: this.#upstreamPort, listener: this.#upstreamListener() }
    // toward a phone: the first Route that is not us, else the Request-URI
    let target: string | null = null
    for (const r of m.routes() ?? []) {
      const u = r.uri
      if (u === null || u.host == null) continue
      if (this.#isOwn(u.host, u.port ?? 5060)) continue
      target = `${u.host}:${u.port ?? 5060}`
      break
    }
    if (target === null) {
      const u = m.uri()
      if (u === null || u.host == null) return null
      target = `${u.host}:${u.port ?? 5060}`
    }
    const c = this.#contacts.get(target)
    if (c !== undefined && c.expires > ctx.now) {
      const conn = c.conn !== null && !c.conn.socket.destroyed ? c.conn : null
      const l = conn ?? this.#listenerFor(c.address)
      return l !== undefined ? { address: c.address, port: c.port, listener: l } : null
    }
    const i = target.lastIndexOf(':')
    const host = target.slice(0, i).replace(/^\[|\]$/g, '')
    const l = this.#listenerFor(host)
    if (isIP(host) === 0 || l === undefined) return null
    return { address: host, port: Number(target.slice(i + 1)), listener: l }
  }

  /** A UDP listener of the address's family (undefined: the gateway has no udp listener). */
  #listenerFor(address: string): UdpListener | undefined {
    const fam = address.includes(':') ? 6 : 4
    return this.#listeners.find((l) => l.family === fam) ?? this.#listeners[0]
  }

  #isOwn(host: string, port: number): boolean {
    return this.#ownAddresses.has(`${host.replace(/^\[|\]$/g, '')}:${port}`)
  }

  #learnContacts(m: SipMessage, ctx: SipContext, from: Sender): void {
    const ttl = 3_600_000
    for (const c of m.contacts() ?? []) {
      const u = c.uri
      if (u === null || u.host == null) continue
      const key = `${u.host}:${u.port ?? 5060}`
      if (this.#contacts.size >= MAX_CONTACTS && !this.#contacts.has(key)) {
        const oldest = this.#contacts.keys().next().value
        if (oldest !== undefined) this.#contacts.delete(oldest)
      }
      this.#contacts.set(key, {
        address: ctx.address,
        port: ctx.port,
        expires: ctx.now + ttl,
        conn: from instanceof TcpConnection ? from : null,
      })
    }
  }

  /** Via (ours on top; received/rport on the sender's), Route (ours removed), Record-Route, Max-Forwards. */
  #requestEdits(
    m: SipMessage,
    ctx: SipContext,
    out: Sender,
    clientBranch: string,
    recordRoute: boolean,
    from: Sender,
  ): { edits: SipEdit[]; routes: string[] } {
    const edits: SipEdit[] = []
    const lines = m.headerLines()
    let firstVia = -1
    let firstRR = -1
    let mfLine = -1
    const routes: string[] = []
    for (const hl of lines) {
      const name = m.lineName(hl.index).toLowerCase()
      if ((name === 'via' || name === 'v') && firstVia < 0) firstVia = hl.index
      else if (name === 'record-route' && firstRR < 0) firstRR = hl.index
      else if (name === 'max-forwards') mfLine = hl.index
      else if (name === 'route') {
        const value = m.lineValue(hl.index)
        // every Route of ours at the top goes (two when we record-routed twice across transports)
        if (routes.length === 0 && isOwnRoute(value, (h, p) => this.#isOwn(h, p))) {
          // only a line holding just our Route is removed; a combined line keeps the rest
          const comma = topLevelComma(value)
          // topology hiding: the PBX's routes sealed in our entry come back in its place
          const back = ctx.fromUpstream ? null : restoreRoutes(comma < 0 ? value : value.slice(0, comma))
          if (back !== null) routes.push(...back)
          if (comma < 0) {
            if (back === null) edits.push({ op: 'remove', line: hl.index })
            else edits.push({ op: 'replaceValue', line: hl.index, value: back.join(', ') })
          } else {
            const rest = value.slice(comma + 1).trim()
            const v = back === null ? rest : [rest, ...back].join(', ')
            edits.push({ op: 'replaceValue', line: hl.index, value: v })
            routes.unshift(rest)
          }
        } else routes.push(value)
      }
    }
    const via = m.topVia()!
    const top = m.lineValue(firstVia)
    const comma = topLevelComma(top)
    if (comma < 0) {
      let v = top
      if (via.hasRport && via.rport === null) v = v.replace(/;\s*rport(?=\s*(;|$))/i, `;rport=${ctx.port}`)
      if (via.host.replace(/^\[|\]$/g, '') !== ctx.address && via.received === null)
        v += `;received=${ctx.address}`
      if (v !== top) edits.push({ op: 'replaceValue', line: firstVia, value: v })
    }
    edits.push({
      op: 'insertBefore',
      line: firstVia,
      text: `Via: SIP/2.0/${out.viaSentBy};branch=${clientBranch};rport`,
    })
    const method = m.method!
    if (
      recordRoute &&
      m.to()?.tag == null &&
      (method === 'INVITE' || method === 'SUBSCRIBE' || method === 'REFER' || method === 'NOTIFY')
    ) {
      // one entry per side when the transports differ (double record-routing, RFC 5658)
      const rr =
        out.transport === from.transport
          ? `Record-Route: <${out.recordRouteUri}>`
          : `Record-Route: <${out.recordRouteUri}>, <${from.recordRouteUri}>`
      if (firstRR >= 0) edits.push({ op: 'insertBefore', line: firstRR, text: rr })
      else edits.push({ op: 'append', text: rr })
    }
    const cap = this.policy.gateway.sanity.maxForwards
    if (mfLine >= 0) {
      const mf = m.maxForwards()
      edits.push({
        op: 'replaceValue',
        line: mfLine,
        value: String(Math.max(0, Math.min(cap, mf ?? cap) - 1)),
      })
    } else edits.push({ op: 'append', text: `Max-Forwards: ${cap}` })
    return { edits, routes }
  }

  // -------------------------------------------------------------------------------------
  // responses

  #matchResponse(m: SipMessage): Transaction | null {
    const b = m.topVia()?.branch
    const method = m.cseq()?.method
    if (b == null || method === undefined || !b.startsWith(BRANCH_PREFIX)) return null
    return this.#byClient.get(`${b}|${method}`) ?? null
  }

  #relayResponse(m: SipMessage, ctx: SipContext, _listener: Sender): void {
    const via = m.topVia()!
    if (via.branch === null || !via.branch.startsWith(BRANCH_PREFIX)) {
      this.#event(ctx, 'proxy.response-not-ours', 'drop', ctx.address)
      return
    }
    const method = m.cseq()!.method
    if (method === 'CANCEL') {
      this.stats.absorbed++ // the answer to our own CANCEL
      return
    }
    const local = this.#local.get(via.branch)
    if (local !== undefined) {
      // the answer to a request of our own (endDialog's BYE): stop retransmitting
      if ((m.status ?? 0) >= 200) {
        this.#wheel.cancel(local)
        this.#local.delete(via.branch)
      }
      this.stats.absorbed++
      return
    }
    const status = m.status!
    const tx = this.#matchResponse(m)
    const edits = tx?.hiddenVias != null ? restoreVias(m, tx.hiddenVias) : popViaEdits(m)
    if (tx?.hiddenVias != null) unsealRecordRoutes(m, edits)
    if (tx !== null && !tx.fromUpstream && ctx.fromUpstream && status < 300 && this.#hideInternal())
      hideResponseRecordRoutes(m, edits, (e) => isOwnRoute(e, (h, p) => this.#isOwn(h, p)))
    if (tx === null) {
      // e.g. a retransmitted 2xx of an INVITE after the transaction ended: route by Via
      const vias = m.vias()
      const nextVia = vias?.[1]
      if (nextVia === undefined) return
      const host = (nextVia.received ?? nextVia.host).replace(/^\[|\]$/g, '')
      const port = nextVia.rport ?? nextVia.port ?? 5060
      const l = this.#listenerFor(host)
      if (isIP(host) === 0 || l === undefined) return
      l.send(applyEdits(m, edits), port, host)
      this.stats.relayedResponses++
      return
    }
    if (tx.state === COMPLETED) {
      // a retransmitted final response: answer with the ACK again, relay nothing new
      if (tx.ack !== null) tx.nextListener.send(tx.ack, tx.nextPort, tx.nextAddress)
      else if (status >= 300 && tx.method === 'INVITE') {
        // the final answer to an INVITE we answered ourselves (408/487 after a CANCEL): ACK it
        tx.ack = this.#buildAck(tx, m)
        tx.nextListener.send(tx.ack, tx.nextPort, tx.nextAddress)
      } else if (status >= 200 && status < 300 && tx.method === 'INVITE') {
        tx.listener.send(applyEdits(m, edits), tx.sourcePort, tx.sourceAddress)
      }
      this.stats.absorbed++
      return
    }
    if (status === 100) return // hop by hop; ours was sent already for INVITE
    const out = applyEdits(m, edits)
    tx.listener.send(out, tx.sourcePort, tx.sourceAddress)
    this.stats.relayedResponses++
    if (tx.dialog !== null) this.#dialogResponse(tx, tx.dialog, m, status, ctx.now)
    if (status < 200) {
      tx.state = PROCEEDING
      if (tx.method === 'INVITE')
        this.#wheel.schedule(tx, ctx.now + this.policy.gateway.proxy.earlyDialogTimeoutMs)
      return
    }
    tx.state = COMPLETED
    tx.lastResponse = out
    tx.lastStatus = status
    if (tx.method === 'INVITE' && status >= 300) {
      tx.ack = this.#buildAck(tx, m)
      tx.nextListener.send(tx.ack, tx.nextPort, tx.nextAddress)
    }
    // A 2xx ends an INVITE transaction (RFC 3261 17.2.1: its retransmissions and the ACK are end to
    // end and relayed without it); kept INVITE_2XX_LINGER_MS for a late INVITE retransmission rather
    // than 64×T1, else the table caps the sustained call rate at maxTransactions / (2 × 64×T1).
    const linger = tx.method === 'INVITE' && status < 300 ? INVITE_2XX_LINGER_MS : this.#lingerMs
    this.#wheel.schedule(tx, ctx.now + linger)
  }

  #buildAck(tx: Transaction, res: SipMessage): Buffer {
    const lines = [
      `ACK ${tx.requestUri} SIP/2.0`,
      `Via: SIP/2.0/${tx.nextListener.viaSentBy};branch=${tx.clientBranch};rport`,
      ...tx.routes.map((r) => `Route: ${r}`),
      'Max-Forwards: 70',
      `From: ${tx.fromValue}`,
      `To: ${res.header('To') ?? tx.toValue}`,
      `Call-ID: ${tx.callId}`,
      `CSeq: ${tx.cseq} ACK`,
      'Content-Length: 0',
      '',
      '',
    ]
    return Buffer.from(lines.join('\r\n'))
  }

  /** Timer of a transaction (no answer in time: 503 / 408, or the end of its linger) or of a
   * dialog (no in-dialog activity within gateway.proxy.dialogTimeoutMs). */
  onTimer(tx: Transaction | Dialog | LocalRequest, now: number): void {
    if (tx instanceof LocalRequest) {
      if (now >= tx.giveUpAt) {
        this.#local.delete(tx.branch)
        return
      }
      tx.sender.send(tx.buf, tx.port, tx.address)
      tx.interval = Math.min(tx.interval * 2, T2_MS)
      this.#wheel.schedule(tx, now + tx.interval)
      return
    }
    if (tx instanceof Dialog) {
      this.#log.info({ callId: tx.callId, state: tx.state }, 'dialog timed out without in-dialog activity')
      this.dialogs.end(tx, now, 'timeout')
      return
    }
    if (tx.state === COMPLETED) {
      this.#forget(tx)
      return
    }
    // upstream silence: answer the sender ourselves, never queue
    const status = tx.state === TRYING ? 503 : 408
    const reason = status === 503 ? 'Service Unavailable' : 'Request Timeout'
    if (tx.method !== 'ACK') {
      const extra = status === 503 ? [`Retry-After: ${retryAfterSeconds(this.policy)}`] : undefined
      this.#answerLocally(tx, status, reason, extra)
      if (tx.state === PROCEEDING && tx.method === 'INVITE') this.#sendCancel(tx)
    }
    this.#log.warn(
      { method: tx.method, callId: tx.callId, upstream: fmt(tx.nextAddress, tx.nextPort) },
      status === 503 ? 'no answer from the next hop: 503 sent' : 'no final answer: 408 sent',
    )
    tx.state = COMPLETED
    tx.lastStatus = status
    this.#wheel.schedule(tx, now + this.#lingerMs)
    const d = tx.dialog
    if (d !== null) {
      if (tx.method === 'BYE') this.dialogs.end(d, now, d.byeFrom === 'callee' ? 'bye-callee' : 'bye-caller')
      else if (d.invite === tx) this.dialogs.end(d, now, d.cancelled ? 'cancel' : 'timeout')
    }
  }

  /** A final answer of our own to the request of `tx`, sent to its source and kept for retransmissions. */
  #answerLocally(tx: Transaction, status: number, reason: string, extra?: string[]): void {
    const r = parseMessage(tx.forwarded, this.#parseOpts)
    if (!r.ok) return
    const p2 = parseMessage(buildResponse(r.message, status, reason, extra), this.#parseOpts)
    if (!p2.ok) return
    const pop = tx.hiddenVias !== null ? restoreVias(p2.message, tx.hiddenVias) : popViaEdits(p2.message)
    const answer = applyEdits(p2.message, pop)
    tx.listener.send(answer, tx.sourcePort, tx.sourceAddress)
    tx.lastResponse = answer
  }

  #sendCancel(tx: Transaction): void {
    const cancel = [
      `CANCEL ${tx.requestUri} SIP/2.0`,
      `Via: SIP/2.0/${tx.nextListener.viaSentBy};branch=${tx.clientBranch};rport`,
      ...tx.routes.map((r) => `Route: ${r}`),
      'Max-Forwards: 70',
      `From: ${tx.fromValue}`,
      `To: ${tx.toValue}`,
      `Call-ID: ${tx.callId}`,
      `CSeq: ${tx.cseq} CANCEL`,
      'Content-Length: 0',
      '',
      '',
    ]
    tx.nextListener.send(Buffer.from(cancel.join('\r\n')), tx.nextPort, tx.nextAddress)
  }

  // -------------------------------------------------------------------------------------
  // dialogs

  #createDialog(m: SipMessage, ctx: SipContext, listener: Sender, tx: Transaction): void {
    const callId = m.callId()!
    const from = m.from()
    const fromTag = from?.tag ?? ''
    const id = DialogTable.key(callId, fromTag)
    const existing = this.dialogs.find(callId, fromTag, null)
    if (existing !== null) {
      // the same call again (e.g. with credentials after a 407): the new INVITE carries it on
      existing.invite = tx
      tx.dialog = existing
      return
    }
    const caller: DialogSide = {
      tag: fromTag,
      identity: tx.fromValue,
      target: m.contacts()?.[0]?.uriText ?? null,
      routes: [],
      cseq: tx.cseq,
      address: ctx.address,
      port: ctx.port,
      sender: listener,
    }
    const callee: DialogSide = {
      tag: null,
      identity: tx.toValue,
      target: null,
      routes: [],
      cseq: 0,
      address: tx.nextAddress,
      port: tx.nextPort,
      sender: tx.nextListener,
    }
    const d = new Dialog({
      id,
      callId,
      account: from?.uri?.user ?? null,
      dialled: m.uri()?.user ?? m.to()?.uri?.user ?? null,
      fromUpstream: ctx.fromUpstream,
      startTime: ctx.now,
      invite: tx,
      caller,
      callee,
    })
    tx.dialog = d
    this.dialogs.add(d)
  }

  /** An in-dialog request: the dialog it belongs to, kept alive; the sender's CSeq noted. */
  #touchDialog(m: SipMessage, method: string, cseq: number, now: number): Dialog | null {
    const fromTag = m.fromTag()
    const d = this.dialogs.find(m.callId(), fromTag, m.toTag())
    if (d === null) return null
    if (method !== 'ACK' && method !== 'CANCEL') {
      const side = fromTag === d.caller.tag ? d.caller : d.callee
      if (cseq > side.cseq) side.cseq = cseq
    }
    if (d.state === 'confirmed') this.#wheel.schedule(d, now + this.policy.gateway.proxy.dialogTimeoutMs)
    return d
  }

  /** A response relayed for a transaction that belongs to a dialog. */
  #dialogResponse(tx: Transaction, d: Dialog, m: SipMessage, status: number, now: number): void {
    if (tx.method === 'BYE') {
      if (status >= 200) this.dialogs.end(d, now, d.byeFrom === 'callee' ? 'bye-callee' : 'bye-caller')
      return
    }
    if (tx.method !== 'INVITE' || d.invite !== tx) return
    if (status < 200) {
      const tag = m.toTag()
      if (tag !== null && d.state === 'trying') {
        d.callee.tag = tag
        this.dialogs.setState(d, 'early', now)
      }
      return
    }
    if (status >= 300) {
      if (d.cancelled) this.dialogs.end(d, now, 'cancel')
      else this.dialogs.end(d, now, 'rejected', status)
      return
    }
    if (d.state === 'confirmed') return
    d.callee.tag = m.toTag()
    d.callee.identity = m.header('To') ?? d.callee.identity
    d.callee.target = m.contacts()?.[0]?.uriText ?? null
    // Record-Route: entries above ours lead to the callee (reversed), those below to the caller
    const rr = (m.recordRoutes() ?? []).map((r) => r.uriText)
    const own = rr.map((u) => {
      const p = parseUri(u)
      return p !== null && p.host != null && this.#isOwn(p.host, p.port ?? 5060)
    })
    const first = own.indexOf(true)
    const last = own.lastIndexOf(true)
    if (first >= 0) {
      d.callee.routes = rr.slice(0, first).map((u) => `<${u}>`)
      d.callee.routes.reverse()
      d.caller.routes = rr.slice(last + 1).map((u) => `<${u}>`)
    }
    this.dialogs.setState(d, 'confirmed', now)
    this.#wheel.schedule(d, now + this.policy.gateway.proxy.dialogTimeoutMs)
  }

  /** endDialog(): BYE to both sides of an answered call; CANCEL upstream and 487 to the caller
   * of an unanswered one. */
  #endDialog(d: Dialog, detail: string): boolean {
    const now = this.#now()
    if (d.state === 'confirmed') {
      this.#sendBye(d, d.callee, d.caller)
      this.#sendBye(d, d.caller, d.callee)
    } else {
      const tx = d.invite
      if (tx !== null && tx.state !== COMPLETED) {
        this.#answerLocally(tx, 487, 'Request Terminated')
        this.#sendCancel(tx)
        tx.state = COMPLETED
        tx.lastStatus = 487
        this.#wheel.schedule(tx, now + this.#lingerMs)
      }
    }
    this.#log.info({ callId: d.callId, reason: detail }, 'dialog ended by the gateway')
    return this.dialogs.end(d, now, 'ended-by-gateway', undefined, detail)
  }

  /** A BYE to `to`, as if sent by `as` (its identity, the next CSeq of its space). */
  #sendBye(d: Dialog, to: DialogSide, as: DialogSide): void {
    const target = to.target ?? d.invite?.requestUri
    if (target == null) return
    as.cseq++
    const branch = `${this.#branchPrefix}${(this.#branchSeq++).toString(36)}`
    const lines = [
      `BYE ${target} SIP/2.0`,
      `Via: SIP/2.0/${to.sender.viaSentBy};branch=${branch};rport`,
      ...to.routes.map((r) => `Route: ${r}`),
      'Max-Forwards: 70',
      `From: ${as.identity}`,
      `To: ${to.identity}`,
      `Call-ID: ${d.callId}`,
      `CSeq: ${as.cseq} BYE`,
      'Content-Length: 0',
      '',
      '',
    ]
    const buf = Buffer.from(lines.join('\r\n'))
    to.sender.send(buf, to.port, to.address)
    this.stats.relayedRequests++
    if (to.sender.transport === 'udp' && this.#local.size < MAX_LOCAL_REQUESTS) {
      const t1 = this.policy.gateway.proxy.timerT1Ms
      const now = this.#now()
      const lr = new LocalRequest(branch, buf, to.sender, to.port, to.address, t1, now + 64 * t1)
      this.#local.set(branch, lr)
      this.#wheel.schedule(lr, now + t1)
    }
  }

  #forget(tx: Transaction): void {
    this.#wheel.cancel(tx)
    if (this.#byServer.get(tx.serverKey) === tx) this.#byServer.delete(tx.serverKey)
    if (this.#byClient.get(tx.clientKey) === tx) this.#byClient.delete(tx.clientKey)
  }
}

/** How long an INVITE transaction answered 2xx is kept (T4, as Kamailio's tm wait timer). */
const INVITE_2XX_LINGER_MS = 5000

function onPacket(gw: Gateway, buf: Buffer, address: string, port: number, listener: Sender): void {
  gw.handlePacket(buf, address, port, listener)
}

function onTxTimer(gw: Gateway, tx: Transaction | Dialog | LocalRequest, now: number): void {
  gw.onTimer(tx, now)
}

function isResponseBytes(buf: Buffer): boolean {
  let i = 0
  while (i < buf.length && (buf[i] === 13 || buf[i] === 10)) i++
  return buf.subarray(i, i + 4).toString('latin1') === 'SIP/'
}

function retryAfterSeconds(p: Policy): number {
  return Math.max(1, Math.round(p.upstream.retryAfterMs / 1000))
}

function accountOf(ctx: SipContext): { account?: string } {
  const a =
    ctx.phase === 'reply' ? (ctx.request?.account ?? null) : ctx.message !== null ? ctx.account() : null
  return a !== null ? { account: a } : {}
}

/** Index of the first comma outside quotes and <>, or -1. */
function topLevelComma(s: string): number {
  let q = false
  let angle = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 34 /* " */ && s.charCodeAt(i - 1) !== 92) q = !q
    else if (q) continue
    else if (c === 60) angle++
    else if (c === 62) angle--
    else if (c === 44 && angle === 0) return i
  }
  return -1
}

function isOwnRoute(value: string, own: (host: string, port: number) => boolean): boolean {
  const lt = value.indexOf('<')
  const gt = value.indexOf('>', lt + 1)
  if (lt < 0 || gt < 0) return false
  const u = parseUri(value.slice(lt + 1, gt))
  return u !== null && u.host != null && own(u.host, u.port ?? 5060)
}

/** Removes the top Via (ours): the whole line, or its first value when the line holds several. */
function popViaEdits(m: SipMessage): SipEdit[] {
  for (const hl of m.headerLines()) {
    const name = m.lineName(hl.index).toLowerCase()
    if (name !== 'via' && name !== 'v') continue
    const v = m.lineValue(hl.index)
    const comma = topLevelComma(v)
    return comma < 0
      ? [{ op: 'remove', line: hl.index }]
      : [{ op: 'replaceValue', line: hl.index, value: v.slice(comma + 1).trim() }]
  }
  return []
}
