import type { Check, FindingDraft } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { yget } from '../yate/reader.js'
import { evY } from './yate-util.js'

export const check: Check<YateModel> = {
  id: 'yate.reg.empty-password',
  pbx: 'yate',
  severity: 'critical',
  title: 'regfile user with an empty password authenticates anybody',
  rationale: 'regfile.conf.sample: "if password exists and is empty will blindly authenticate anybody".',
  remediation: 'Set a strong password.',
  run(m) {
    const out: FindingDraft[] = []
    for (const s of m.conf('regfile.conf').sections) {
      if (s.name === 'general') continue
      const p = yget(s, 'password')
      if (p && p.value === '')
        out.push({
          message: `user [${s.name}] has password= (empty): anybody authenticates as it`,
          evidence: [evY(p)],
        })
    }
    return out
  },
}
