// flood: per-source, per-method token buckets (REGISTER, INVITE, OPTIONS, other). Requests
// within a dialog (To tag) are not limited: they belong to calls already admitted. The defaults
// let an office of 100+ phones behind one NAT address register at once (test/gateway).
import { createCidrMatcher } from '../../net/cidr.js'
import { type BucketSpec, TokenBuckets } from '../bucket.js'
import type { SipContext } from '../context.js'
import type { StageDeps } from '../deps.js'
import { ban, CONTINUE, drop, type Outcome, type Stage } from '../stage.js'

interface Limit {
  readonly spec: BucketSpec
  readonly outcome: Outcome
}

export function createFloodStage(deps: StageDeps): Stage {
  const f = deps.policy.gateway.flood
  const ttl = deps.policy.bans.defaultTtlMs
  const esc = deps.policy.bans.escalation.enabled ? deps.policy.bans.escalation.factor : 1
  const limit = (name: string, c: typeof f.register): Limit => ({
    spec: { burst: c.burst, perWindow: c.maxRequestsPerWindow, windowMs: c.windowMs },
    outcome: c.action === 'ban' ? ban(`flood.${name}`, ttl, esc) : drop(`flood.${name}`),
  })
  const register = limit('register', f.register)
  const invite = limit('invite', f.invite)
  const options = limit('options', f.options)
  const other = limit('other', f.other)
  const exempt = createCidrMatcher(f.exemptNetworks)
  const buckets = new TokenBuckets(100_000)
  return Object.freeze({
    name: 'flood',
    phases: Object.freeze(['request'] as const),
    onInternalError: 'open' as const,
    run(ctx: SipContext): Outcome {
      const m = ctx.message!
      if (ctx.fromUpstream || m.to()?.tag) return CONTINUE
      if (deps.isTrusted(ctx.address) || exempt.has(ctx.address)) return CONTINUE
      const method = m.method
      const l =
        method === 'REGISTER'
          ? register
          : method === 'INVITE'
            ? invite
            : method === 'OPTIONS'
              ? options
              : other
      if (method === 'ACK' || method === 'CANCEL') return CONTINUE
      return buckets.take(
        `${ctx.address}|${method === 'REGISTER' || method === 'INVITE' || method === 'OPTIONS' ? method : '*'}`,
        l.spec,
        ctx.now,
      )
        ? CONTINUE
        : l.outcome
    },
  })
}
