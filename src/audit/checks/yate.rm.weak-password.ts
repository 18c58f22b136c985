import { assessPassword } from '../../passwd/strength.js'
import type { Check, FindingDraft } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { yget } from '../yate/reader.js'
import { weakText } from './util.js'
import { evY, rmListeners } from './yate-util.js'

export const check: Check<YateModel> = {
  id: 'yate.rm.weak-password',
  pbx: 'yate',
  severity: 'high',
  title: 'Weak rmanager password',
  rationale: 'rmanager has no lockout; a weak admin password is brute-forced over telnet.',
  remediation: 'Random 16+ character password and userpass.',
  run(m) {
    const out: FindingDraft[] = []
    for (const s of rmListeners(m))
      for (const k of ['password', 'userpass']) {
        const e = yget(s, k)
        if (!e || e.value === '') continue
        const r = assessPassword(e.value, { identities: ['admin', 'yate', s.name] })
        if (r.verdict !== 'ok')
          out.push({ message: `rmanager [${s.name}] ${k} is ${weakText(r)}`, evidence: [evY(e)] })
      }
    return out
  },
}
