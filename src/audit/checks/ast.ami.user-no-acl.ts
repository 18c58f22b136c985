import type { AsteriskModel } from '../asterisk/model.js'
import { getAll } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { ami } from './ami.js'
import { evCat } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.ami.user-no-acl',
  pbx: 'asterisk',
  severity: 'high',
  title: 'AMI user without an IP restriction',
  rationale: 'Without deny/permit/acl the user can log in from any address that reaches the port.',
  remediation: 'deny=0.0.0.0/0.0.0.0 then permit=<admin host>/32 for every manager user.',
  run(m) {
    const a = ami(m)
    if (!a.enabled) return []
    const out: FindingDraft[] = []
    for (const u of a.users) {
      if (getAll(u, 'deny').length + getAll(u, 'permit').length + getAll(u, 'acl').length > 0) continue
      out.push({
        message: `AMI user [${u.name}] has no deny/permit/acl${a.publicBind ? ' and the AMI listens publicly' : ''}`,
        evidence: [evCat(u)],
        severity: a.publicBind ? 'critical' : undefined,
      })
    }
    return out
  },
}
