import { type AsteriskModel, contextOf, identifyBy } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evCat, evVar, tollRaise } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.pjsip.endpoint-unauth-username-ident',
  pbx: 'asterisk',
  severity: 'high',
  title: 'PJSIP endpoint without auth is identified by username',
  rationale:
    'identify_by defaults to "username,ip": an endpoint with no auth= is matched by the From user alone, ' +
    'so anyone who sends From: <sip:NAME@…> is that endpoint and is never challenged.',
  remediation:
    'Give the endpoint auth=; for IP trunks set identify_by=ip and add a narrow [identify] with the provider addresses.',
  run(m) {
    const out: FindingDraft[] = []
    for (const ep of m.pjsipEndpoints) {
      if (ep.name === 'anonymous' || (get(ep, 'auth')?.value ?? '') !== '') continue
      const ident = identifyBy(ep)
      if (!ident.includes('username')) continue
      const ib = get(ep, 'identify_by')
      const entry = m.entries.find((e) => e.source === ep)
      const raise = tollRaise(m, entry, contextOf(ep, 'default').context)
      out.push({
        message:
          `endpoint [${ep.name}] has no auth and is identified by username` +
          (raise ? '; its context reaches a toll route' : ''),
        evidence: ib ? [evCat(ep), evVar(ib)] : [evCat(ep, 'identify_by unset → default username,ip')],
        ...raise,
      })
    }
    return out
  },
}
