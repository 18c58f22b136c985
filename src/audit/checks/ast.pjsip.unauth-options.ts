import type { AsteriskModel } from '../asterisk/model.js'
import { get, isTrue } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.pjsip.unauth-options',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'PJSIP answers OPTIONS without authentication',
  rationale:
    'PJXML allow_unauthenticated_options: "an external party could enumerate and find the endpoint name by ' +
    'sending OPTIONS requests" (svwar, sippts exten).',
  remediation: 'Leave allow_unauthenticated_options at its default (no).',
  run(m) {
    const out: FindingDraft[] = []
    for (const ep of m.pjsipEndpoints) {
      const v = get(ep, 'allow_unauthenticated_options')
      if (v && isTrue(v.value))
        out.push({ message: `endpoint [${ep.name}] answers unauthenticated OPTIONS`, evidence: [evVar(v)] })
    }
    return out
  },
}
