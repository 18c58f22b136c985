// Bans through a running sipwarden gateway's admin API, for hosts where the gateway (not the
// kernel) enforces bans. The contract (docs/logwatch.md, "Gateway ban API"):
//
//   POST   <url>/api/bans            {"address": "203.0.113.7", "ttlMs": 3600000, "reason": "…"}
//   DELETE <url>/api/bans/<address>  (an early unban; 404 = nothing to lift)
//   Authorization: Bearer <token>    (when the policy gives logwatch.action.token)
//
// Any 2xx is success. Requests are bounded: at most 4 in flight, a queue of 10,000 (beyond,
// bans are dropped and reported), a 5 s time limit, one retry after a network error or a 5xx,
// and redirects are refused (the token must not follow one elsewhere).
import { isIP } from 'node:net'
import { ErrorCodes, SgwError } from '../../errors.js'
import type { BanAction, BanDecision, UnbanReason } from '../types.js'

export interface GatewayOptions {
  /** Base URL of the admin API, e.g. http://127.0.0.1:9060 (policy `logwatch.action.url`). */
  readonly url: string
  readonly token?: string | undefined
  readonly timeoutMs?: number
  readonly concurrency?: number
  readonly maxQueue?: number
  readonly retryDelayMs?: number
  readonly onError?: (message: string) => void
}

interface Job {
  readonly method: 'POST' | 'DELETE'
  readonly path: string
  readonly body?: string
  readonly what: string
}

export class GatewaySink implements BanAction {
  readonly name = 'gateway'
  readonly #base: string
  readonly #token: string | undefined
  readonly #timeoutMs: number
  readonly #concurrency: number
  readonly #maxQueue: number
  readonly #retryDelayMs: number
  readonly #onError: (message: string) => void
  readonly #queue: Job[] = []
  #active = 0
  #idle: (() => void)[] = []
  dropped = 0
  sent = 0

  constructor(opts: GatewayOptions) {
    let u: URL
    try {
      u = new URL(opts.url)
    } catch {
      throw new SgwError(ErrorCodes.LOGWATCH_OPTIONS, `gateway API url is not a URL: ${opts.url}`)
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new SgwError(
        ErrorCodes.LOGWATCH_OPTIONS,
        `gateway API url must be http:// or https://: ${opts.url}`,
      )
    if (u.username !== '' || u.password !== '')
      throw new SgwError(
        ErrorCodes.LOGWATCH_OPTIONS,
        'put the gateway API token in the policy, not in the url',
      )
    this.#base = `${u.origin}${u.pathname.replace(/\/+$/, '')}`
    this.#token = opts.token
    this.#timeoutMs = opts.timeoutMs ?? 5000
    this.#concurrency = opts.concurrency ?? 4
    this.#maxQueue = opts.maxQueue ?? 10_000
    this.#retryDelayMs = opts.retryDelayMs ?? 1000
    this.#onError = opts.onError ?? (() => {})
  }

  ban(d: BanDecision): void {
    if (isIP(d.ip) === 0) {
      this.#onError(`not an IP address, not banned: ${JSON.stringify(d.ip)}`)
      return
    }
    const reason = `logwatch.${d.rule}: ${d.count} ${d.kind} event(s)`
    this.#enqueue({
      method: 'POST',
      path: '/api/bans',
      body: JSON.stringify({ address: d.ip, ttlMs: Math.max(1, Math.round(d.ttlMs)), reason }),
      what: `ban of ${d.ip}`,
    })
  }

  /** The gateway expires its bans itself: only an early unban or an eviction is sent. */
  unban(ip: string, reason: UnbanReason): void {
    if (reason === 'expire' || isIP(ip) === 0) return
    this.#enqueue({ method: 'DELETE', path: `/api/bans/${encodeURIComponent(ip)}`, what: `unban of ${ip}` })
  }

  #enqueue(job: Job): void {
    if (this.#queue.length >= this.#maxQueue) {
      this.dropped++
      this.#onError(`gateway API backlog full; ${job.what} not sent`)
      return
    }
    this.#queue.push(job)
    this.#pump()
  }

  #pump(): void {
    while (this.#active < this.#concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift()!
      this.#active++
      void this.#send(job).finally(() => {
        this.#active--
        this.#pump()
        if (this.#active === 0 && this.#queue.length === 0) {
          const waiting = this.#idle
          this.#idle = []
          for (const w of waiting) w()
        }
      })
    }
  }

  async #send(job: Job): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let retry: boolean
      let problem: string
      try {
        const headers: Record<string, string> = { accept: 'application/json' }
        if (job.body !== undefined) headers['content-type'] = 'application/json'
        if (this.#token !== undefined) headers['authorization'] = `Bearer ${this.#token}`
        const res = await fetch(this.#base + job.path, {
          method: job.method,
          headers,
          body: job.body,
          redirect: 'error',
          signal: AbortSignal.timeout(this.#timeoutMs),
        })
        await res.arrayBuffer().catch(() => undefined)
        if (res.ok || (job.method === 'DELETE' && res.status === 404)) {
          this.sent++
          return
        }
        retry = res.status >= 500
        problem = `HTTP ${res.status}`
      } catch (err) {
        retry = true
        problem = (err as Error).message
      }
      if (!retry || attempt >= 1) {
        this.#onError(`gateway API: ${job.what} failed: ${problem}`)
        return
      }
      await new Promise((r) => setTimeout(r, this.#retryDelayMs))
    }
  }

  /** Resolves when everything queued so far has been sent (or has failed). */
  flush(): Promise<void> {
    if (this.#active === 0 && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  close(): Promise<void> {
    return this.flush()
  }
}
