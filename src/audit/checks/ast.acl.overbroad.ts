import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { aclLists } from './acl-items.js'
import { evVar, prefixLength } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.acl.overbroad',
  pbx: 'asterisk',
  severity: 'high',
  title: 'Privileged ACL permits the world or a huge range',
  rationale: 'permit=0.0.0.0/0 (or wider than /8) on AMI, ARI or a named ACL is the same as having no ACL.',
  remediation: 'Narrow the permit= lines to the administration hosts.',
  run(m) {
    const out: FindingDraft[] = []
    for (const list of aclLists(m)) {
      if (!list.privileged) continue
      for (const r of list.rules) {
        if (!r.key.toLowerCase().endsWith('permit')) continue
        const len = prefixLength(r.value)
        const v6 = r.value.includes(':')
        if (len !== undefined && (v6 ? len < 16 : len < 8))
          out.push({
            message: `${list.what}: permit=${r.value} admits (almost) every address`,
            evidence: [evVar(r)],
          })
      }
    }
    return out
  },
}
