import { assessPassword } from '../../passwd/strength.js'
import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { ami } from './ami.js'
import { evCat, evVar, weakText } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.ami.weak-secret',
  pbx: 'asterisk',
  severity: 'critical',
  title: 'Weak AMI secret',
  rationale: 'AMI login gives call origination and often system commands; sippts astami brute-forces it.',
  remediation: 'A random secret of 16+ characters per AMI user.',
  run(m) {
    const a = ami(m)
    if (!a.enabled) return []
    const out: FindingDraft[] = []
    for (const u of a.users) {
      const s = get(u, 'secret')
      if (!s) {
        out.push({ message: `AMI user [${u.name}] has no secret`, evidence: [evCat(u)] })
        continue
      }
      const r = assessPassword(s.value, { identities: [u.name] })
      if (r.verdict === 'ok' || r.verdict === 'default-known') continue
      out.push({ message: `AMI user [${u.name}] secret is ${weakText(r)}`, evidence: [evVar(s)] })
    }
    return out
  },
}
