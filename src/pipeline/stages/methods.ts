// methods: the method allow-list (gateway.methods). A method not in `allow` is refused with
// 405 and an Allow header listing the allowed methods, or dropped (`onDisallowed: drop`); code
// `methods.not-allowed`. The allow-list applies to every source but the upstream (admin networks
// included: it says what the PBX is offered at all).
//
// Methods in `requireKnownSourceFor` (default SUBSCRIBE, NOTIFY, MESSAGE, PUBLISH, REFER) are
// accepted out of dialog only from known sources: admin networks, trunks, account networks, or
// a source that recently authenticated (a 2xx from the PBX to a request that carried
// credentials; this stage records those in the reply phase, see known-sources.ts). Others get
// 403 (or a drop), code `methods.unknown-source`. In-dialog requests (To tag) are never refused
// by this rule: they belong to a dialog the PBX accepted.
import type { SipContext } from '../context.js'
import type { StageDeps } from '../deps.js'
import { KnownSources, policySources } from '../known-sources.js'
import { CONTINUE, drop, type Outcome, reply, type Stage } from '../stage.js'

export function createMethodsStage(deps: StageDeps, known: KnownSources = new KnownSources()): Stage {
  const cfg = deps.policy.gateway.methods
  const allow: ReadonlySet<string> = new Set(cfg.allow)
  const knownOnly: ReadonlySet<string> = new Set(cfg.requireKnownSourceFor)
  const silent = cfg.onDisallowed === 'drop'
  const notAllowed = silent
    ? drop('methods.not-allowed')
    : reply(405, 'Method Not Allowed', 'methods.not-allowed', [`Allow: ${[...allow].join(', ')}`])
  const unknownSource = silent
    ? drop('methods.unknown-source')
    : reply(403, 'Forbidden', 'methods.unknown-source')
  const sources = policySources(deps.policy)
  const hasTrunks = sources.trunks.length > 0

  function isKnown(address: string, now: number): boolean {
    return (
      deps.isTrusted(address) ||
      sources.accountNetworks.has(address) ||
      known.has(address, now) ||
      (hasTrunks && sources.trunkOf(address) !== null)
    )
  }

  function onReply(ctx: SipContext): Outcome {
    // a 2xx of the PBX to credentials: the request's source is an authenticated phone
    const r = ctx.request
    if (r === null || !r.hadCredentials || !ctx.fromUpstream) return CONTINUE
    const st = ctx.message!.status!
    if (st >= 200 && st < 300) known.add(r.address, ctx.now)
    return CONTINUE
  }

  return Object.freeze({
    name: 'methods',
    phases: Object.freeze(['request', 'reply'] as const),
    onInternalError: 'open' as const,
    run(ctx: SipContext): Outcome {
      if (ctx.phase === 'reply') return onReply(ctx)
      if (ctx.fromUpstream) return CONTINUE
      const m = ctx.message!
      const method = m.method!
      if (!allow.has(method)) return notAllowed
      if (knownOnly.has(method) && m.toTag() === null && !isKnown(ctx.address, ctx.now)) return unknownSource
      return CONTINUE
    },
  })
}
