import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { evAt } from './util.js'

const INTERNAL_NAMES =
  /(internal|users|phones|employees|staff|office|^default$|outbound|outgoing|^local$|long|international|features|demo|from-internal)/i

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.inbound-includes-internal',
  pbx: 'asterisk',
  severity: 'high',
  title: 'Inbound (trunk/DID) context includes an internal context',
  rationale: 'Exposes features, voicemail and outbound routes to callers from outside.',
  remediation: 'Route DIDs explicitly with Goto to specific extensions; do not include user contexts.',
  run(m) {
    const out: FindingDraft[] = []
    const inbound = new Set(
      m.entries
        .filter((e) => ['trunk', 'inbound-name', 'insecure-peer', 'anonymous', 'guest'].includes(e.kind))
        .map((e) => e.context),
    )
    const userContexts = new Set(m.entries.filter((e) => e.kind === 'user').map((e) => e.context))
    for (const name of inbound) {
      const ctx = m.dialplan.contexts.get(name)
      if (!ctx) continue
      for (const inc of ctx.includes) {
        if (inbound.has(inc.name)) continue
        if (!userContexts.has(inc.name) && !INTERNAL_NAMES.test(inc.name)) continue
        out.push({
          message: `inbound context [${name}] includes [${inc.name}]${userContexts.has(inc.name) ? ', the context of authenticated phones' : ''}`,
          evidence: [evAt(inc.loc, `include => ${inc.name}`)],
        })
      }
    }
    return out
  },
}
