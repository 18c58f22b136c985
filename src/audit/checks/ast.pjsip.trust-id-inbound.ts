import type { AsteriskModel } from '../asterisk/model.js'
import { get, isTrue } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.pjsip.trust-id-inbound',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Caller identity headers trusted from phones or unauthenticated endpoints',
  rationale:
    'PJXML trust_id_inbound: P-Asserted-Identity / Remote-Party-ID from the endpoint set the caller identity; ' +
    'a phone (or anyone, on an unauthenticated endpoint) can then present any number onward.',
  remediation: 'trust_id_inbound=yes only on trunks from trusted upstream proxies.',
  run(m) {
    const out: FindingDraft[] = []
    const endpoints = new Set(m.pjsipEndpoints)
    for (const e of m.entries) {
      const ep = e.source
      if (!ep || !endpoints.has(ep) || e.kind === 'trunk') continue
      const v = get(ep, 'trust_id_inbound')
      if (!v || !isTrue(v.value)) continue
      out.push({
        message: `endpoint [${ep.name}] (${e.kind === 'user' ? 'a phone with auth' : 'unauthenticated'}) trusts PAI/RPID`,
        evidence: [evVar(v)],
      })
    }
    return out
  },
}
