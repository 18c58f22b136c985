import type { AsteriskModel } from '../asterisk/model.js'
import { get, isFalse } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evCat, evVar, tollRaise } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.pjsip.transfer-on-trunk',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Trunk accepts REFER into a context that reaches a toll route',
  rationale:
    "allow_transfer defaults to yes: a REFER from the far end of a trunk call is executed in the trunk's " +
    'context, so if that context reaches an outbound route the carrier side can place toll calls.',
  remediation: 'allow_transfer=no on trunk endpoints (or a context that only routes DIDs).',
  run(m) {
    const out: FindingDraft[] = []
    const endpoints = new Set(m.pjsipEndpoints)
    for (const e of m.entries) {
      const ep = e.source
      if (!ep || !endpoints.has(ep) || (get(ep, 'auth')?.value ?? '') !== '') continue
      if (!m.identified.has(ep.name) && !get(ep, 'outbound_auth')) continue
      const at = get(ep, 'allow_transfer')
      if (at && isFalse(at.value)) continue
      const raise = tollRaise(m, e, e.context)
      if (!raise) continue
      out.push({
        message: `trunk [${ep.name}] allows transfers in [${e.context}], which reaches a toll route`,
        evidence: [at ? evVar(at) : evCat(ep, 'allow_transfer unset (default yes)')],
        path: raise.path,
      })
    }
    return out
  },
}
