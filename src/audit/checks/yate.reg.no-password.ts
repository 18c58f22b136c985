import type { Check, FindingDraft } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { yget } from '../yate/reader.js'
import { evSect } from './yate-util.js'

export const check: Check<YateModel> = {
  id: 'yate.reg.no-password',
  pbx: 'yate',
  severity: 'high',
  title: 'regfile user without a password',
  rationale:
    'regfile.conf.sample: "if password is missing the module will only register but not authenticate".',
  remediation: 'Add a password.',
  run(m) {
    const out: FindingDraft[] = []
    for (const s of m.conf('regfile.conf').sections) {
      if (s.name === 'general' || yget(s, 'password')) continue
      out.push({ message: `user [${s.name}] has no password key`, evidence: [evSect(s)] })
    }
    return out
  },
}
