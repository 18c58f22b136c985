// ingress: checks on raw packets before any parsing, cheapest first (Kamailio's REQINIT):
// size cap → ban set → per-source packet budget. The upstream and admin networks are exempt
// from the budget.
import { TokenBuckets } from '../bucket.js'
import type { SipContext } from '../context.js'
import type { StageDeps } from '../deps.js'
import { ban, CONTINUE, drop, type Outcome, type Stage } from '../stage.js'

const TOO_LARGE = drop('ingress.too-large')
/** Banned sources are dropped without an event per packet (a banned flood would otherwise
 * write one event per packet); the ban itself was the event. */
export const BANNED = drop('ingress.banned')
const OVER_BUDGET = drop('ingress.packet-budget')

export function createIngressStage(deps: StageDeps): Stage {
  const cfg = deps.policy.gateway.ingress
  const maxBytes = cfg.maxMessageBytes
  const pb = cfg.packetBudget
  const spec = { burst: pb.burst, perWindow: pb.maxPacketsPerWindow, windowMs: pb.windowMs }
  const buckets = new TokenBuckets(100_000)
  const overBudget: Outcome =
    pb.action === 'ban' ? ban('ingress.packet-budget', deps.policy.bans.defaultTtlMs) : OVER_BUDGET
  const store = deps.store
  return Object.freeze({
    name: 'ingress',
    phases: Object.freeze(['ingress'] as const),
    onInternalError: 'open' as const,
    run(ctx: SipContext): Outcome {
      if (ctx.buf.length > maxBytes) return TOO_LARGE
      if (ctx.fromUpstream) return CONTINUE
      if (store.isBanned(ctx.address)) return BANNED
      if (pb.enabled && !deps.isTrusted(ctx.address) && !buckets.take(ctx.address, spec, ctx.now))
        return overBudget
      return CONTINUE
    },
  })
}
