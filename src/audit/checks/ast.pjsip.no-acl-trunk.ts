import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evCat, evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.pjsip.no-acl-trunk',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'IP-identified trunk without an ACL',
  rationale:
    'A trunk matched by source address and not challenged trusts the identify match alone; ISC-NET and ' +
    'pjsip.conf.sample advise restricting access to the networks you trust with an ACL as a second barrier.',
  remediation: 'On the endpoint: deny=0.0.0.0/0.0.0.0, permit=<provider address> (or a global type=acl).',
  run(m) {
    const pj = m.conf('pjsip.conf')
    if (pj.ofType('acl').length > 0) return []
    const out: FindingDraft[] = []
    for (const ep of m.pjsipEndpoints) {
      const idf = m.identified.get(ep.name)
      if (!idf || (get(ep, 'auth')?.value ?? '') !== '') continue
      if (ep.vars.some((v) => ['acl', 'permit', 'deny'].includes(v.key.toLowerCase()))) continue
      const match = get(idf[0], 'match') ?? get(idf[0], 'match_header')
      out.push({
        message: `trunk endpoint [${ep.name}] is matched by an identify section, has no auth and no acl/permit/deny`,
        evidence: [evCat(ep), ...(match ? [evVar(match, 'identified here')] : [])],
      })
    }
    return out
  },
}
