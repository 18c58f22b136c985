// auth-guard: counts refused digest credentials in the PBX's replies, per source and per
// account. A failure is a 401/407 to a request that carried credentials, or a 403; a first
// challenge (401/407 to a request without credentials) is not a failure. After perSource.maxFailures in the
// window the source is banned (escalating for repeat offenders); after perAccount.maxFailures
// from any sources the account is locked (requests for it are refused with 403) and an alert
// event is published. Locks are kept in the store (a set of locked accounts with per-member TTL
// and the lock's end per account), so a restart keeps them.
import type { SipContext } from '../context.js'
import type { StageDeps } from '../deps.js'
import { ban, CONTINUE, type Outcome, reply, type Stage } from '../stage.js'

const LOCKED = reply(403, 'Forbidden', 'auth.account-locked')
const LOCKS_KEY = 'auth:locks'
/** bound on remembered locks (account names are chosen by the attacker) */
const MAX_LOCKS = 100_000

export function createAuthGuardStage(deps: StageDeps): Stage {
  const a = deps.policy.gateway.authGuard
  const b = deps.policy.bans
  const store = deps.store
  const esc = b.escalation.enabled ? b.escalation.factor : 1
  const banSource = ban('auth.brute-force', a.perSource.banTtlMs ?? b.defaultTtlMs, esc)
  // in-process lock cache: the hot path must not wait for the store
  const locked = new Map<string, number>()

  // locks taken before a restart, read back once (asynchronously with an async store)
  const restore = (members: string[]): void => {
    for (const acc of members.slice(0, MAX_LOCKS)) {
      const until = store.get(`auth:lock:${acc}`)
      const take = (v: string | undefined): void => {
        const t = Number(v)
        if (v !== undefined && Number.isFinite(t) && t > Date.now()) locked.set(acc, t)
      }
      if (until instanceof Promise) void until.then(take, () => {})
      else take(until)
    }
  }
  try {
    const members = store.smembers(LOCKS_KEY)
    if (members instanceof Promise) void members.then(restore, () => {})
    else restore(members)
  } catch {
    // a store that cannot answer now: locks start empty (the counters still work)
  }

  function isLocked(account: string, now: number): boolean {
    const until = locked.get(account)
    if (until === undefined) return false
    if (until > now) return true
    locked.delete(account)
    return false
  }

  function onReply(ctx: SipContext): Outcome {
    const r = ctx.request
    if (r === null) return CONTINUE
    const st = ctx.message!.status!
    const failure = st === 403 || ((st === 401 || st === 407) && r.hadCredentials)
    if (!failure || deps.isTrusted(r.address)) return CONTINUE
    if (r.account !== null) {
      const account = r.account
      const n = store.hit(`auth:account:${account}`, a.perAccount.windowMs)
      const check = (count: number): void => {
        if (count === a.perAccount.maxFailures) lock(account, r.address, r.port, count, ctx.now)
      }
      if (typeof n === 'number') check(n)
      else n.then(check, () => {})
    }
    const address = r.address
    const n = store.hit(`auth:source:${address}`, a.perSource.windowMs)
    if (typeof n === 'number') {
      if (n < a.perSource.maxFailures) return CONTINUE
      void store.resetCounter(`auth:source:${address}`)
      return banSource
    }
    // an asynchronous store (Redis) answers later: the ban follows the reply
    n.then(
      (count) => {
        if (count < a.perSource.maxFailures) return
        void Promise.resolve(store.resetCounter(`auth:source:${address}`)).catch(() => {})
        deps.banLater?.(address, banSource, 'auth-guard')
      },
      () => {},
    )
    return CONTINUE
  }

  function lock(account: string, address: string, port: number, failures: number, now: number): void {
    locked.set(account, now + a.perAccount.lockMs)
    if (locked.size > MAX_LOCKS) locked.delete(locked.keys().next().value!)
    void Promise.resolve(
      store.set(`auth:lock:${account}`, String(now + a.perAccount.lockMs), a.perAccount.lockMs),
    ).catch(() => {})
    void Promise.resolve(store.sadd(LOCKS_KEY, account, a.perAccount.lockMs)).catch(() => {})
    deps.publish({
      time: now,
      address,
      port,
      account,
      code: 'auth.account-locked',
      stage: 'auth-guard',
      action: 'lock',
      severity: 'critical',
      detail: { failures, windowMs: a.perAccount.windowMs, lockMs: a.perAccount.lockMs },
    })
  }

  return Object.freeze({
    name: 'auth-guard',
    phases: Object.freeze(['request', 'reply'] as const),
    onInternalError: 'open' as const,
    run(ctx: SipContext): Outcome {
      if (ctx.phase === 'reply') return onReply(ctx)
      if (ctx.fromUpstream || locked.size === 0) return CONTINUE
      const m = ctx.message!
      const acc = (m.method === 'REGISTER' ? m.to()?.uri?.user : m.from()?.uri?.user) ?? null
      return acc !== null && isLocked(acc, ctx.now) ? LOCKED : CONTINUE
    },
  })
}
