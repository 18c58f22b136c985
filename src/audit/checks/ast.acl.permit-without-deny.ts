import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { aclLists } from './acl-items.js'
import { evVar, isWorldSpec } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.acl.permit-without-deny',
  pbx: 'asterisk',
  severity: 'high',
  title: 'ACL permits without a preceding deny-all (restricts nothing)',
  rationale:
    'ast_apply_ha starts from ALLOW and the last matching rule wins, so permit= lines alone allow every ' +
    'address (acl.conf.sample whitelisting note).',
  remediation: 'Put deny=0.0.0.0/0.0.0.0 (and ::/0 for IPv6) first, then the permit= lines.',
  run(m) {
    const out: FindingDraft[] = []
    for (const list of aclLists(m)) {
      const firstPermit = list.rules.findIndex((r) => r.key.toLowerCase().endsWith('permit'))
      if (firstPermit === -1) continue
      const denyAll = list.rules
        .slice(0, firstPermit)
        .some((r) => r.key.toLowerCase().endsWith('deny') && isWorldSpec(r.value))
      if (denyAll) continue
      out.push({
        message: `${list.what}: permit= without an earlier deny of everything, so every address is allowed`,
        evidence: [evVar(list.rules[firstPermit]!)],
      })
    }
    return out
  },
}
