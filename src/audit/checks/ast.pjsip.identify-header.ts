import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.pjsip.identify-header',
  pbx: 'asterisk',
  severity: 'high',
  title: 'Endpoint without auth identified by a SIP header or request URI',
  rationale: 'Headers and the request URI are chosen by the sender; matching on them identifies nobody.',
  remediation: 'Identify by source IP and require auth=.',
  run(m) {
    const out: FindingDraft[] = []
    for (const idf of m.conf('pjsip.conf').ofType('identify')) {
      const by = get(idf, 'match_header') ?? get(idf, 'match_request_uri')
      const epName = get(idf, 'endpoint')?.value
      if (!by || !epName) continue
      const ep = m.pjsipEndpoints.find((e) => e.name === epName)
      if (ep && (get(ep, 'auth')?.value ?? '') !== '') continue
      out.push({
        message: `endpoint [${epName}] is identified by ${by.key} and has no auth`,
        evidence: [evVar(by)],
      })
    }
    return out
  },
}
