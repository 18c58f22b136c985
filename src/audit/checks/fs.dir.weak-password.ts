import { assessPassword } from '../../passwd/strength.js'
import { evParam, type FreeswitchModel } from '../freeswitch/model.js'
import type { Check, FindingDraft } from '../types.js'
import { weakText } from './util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.dir.weak-password',
  pbx: 'freeswitch',
  severity: 'high',
  title: 'Weak directory user password',
  rationale: 'SIP passwords are brute-forced online; user-id-equal and short numeric passwords fall first.',
  remediation: 'Random 16+ character passwords, or a1-hash.',
  run(m) {
    const out: FindingDraft[] = []
    for (const u of m.users) {
      const p = u.params.get('password')
      if (!p || p.value === '') continue
      // $${default_password} users are reported once by fs.vars.default-password
      if (p.expansions.some((x) => x.name === 'default_password')) continue
      const r = assessPassword(p.value, { identities: [u.id] })
      if (r.verdict === 'ok') continue
      out.push({
        message: `user ${u.id} password is ${weakText(r)}`,
        evidence: evParam(p),
        severity: r.verdict === 'default-known' ? 'critical' : undefined,
      })
    }
    return out
  },
}
