import { assessPassword } from '../../passwd/strength.js'
import type { Check, FindingDraft } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { yget } from '../yate/reader.js'
import { weakText } from './util.js'
import { evY } from './yate-util.js'

export const check: Check<YateModel> = {
  id: 'yate.reg.weak-password',
  pbx: 'yate',
  severity: 'high',
  title: 'Weak regfile password',
  rationale: 'Sample users have passwords like "test" and "p7"; SIP digests are brute-forced online.',
  remediation: 'Random 16+ character passwords.',
  run(m) {
    const out: FindingDraft[] = []
    for (const s of m.conf('regfile.conf').sections) {
      if (s.name === 'general') continue
      const p = yget(s, 'password')
      if (!p || p.value === '') continue
      const r = assessPassword(p.value, { identities: [s.name] })
      if (r.verdict !== 'ok')
        out.push({
          message: `user [${s.name}] password is ${weakText(r)}`,
          evidence: [evY(p)],
          severity: r.verdict === 'default-known' ? 'critical' : undefined,
        })
    }
    return out
  },
}
