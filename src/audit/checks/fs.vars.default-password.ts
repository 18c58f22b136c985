import { assessPassword } from '../../passwd/strength.js'
import { evParam, type FreeswitchModel } from '../freeswitch/model.js'
import type { Check, FindingDraft } from '../types.js'
import { weakText } from './util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.vars.default-password',
  pbx: 'freeswitch',
  severity: 'critical',
  title: 'default_password is weak and used by directory users',
  rationale:
    'vars.xml: "YOU SHOULD CHANGE THIS default_password value if you don\'t want to be subject to any toll fraud"; ' +
    'vanilla users 1000–1019 register with $${default_password}, a four-digit sample value.',
  remediation:
    'Give every user a unique strong password (or a1-hash); do not reference $${default_password}.',
  run(m) {
    const v = m.vars.get('default_password')
    if (!v || v.dynamic) return []
    const r = assessPassword(v.value)
    if (r.verdict === 'ok') return []
    const users = m.users.filter((u) =>
      u.params.get('password')?.expansions.some((x) => x.name === 'default_password'),
    )
    const out: FindingDraft[] = [
      {
        message: `default_password is ${weakText(r)}; ${users.length} user(s) use it as their SIP password`,
        evidence: [
          { loc: v.loc, excerpt: `<X-PRE-PROCESS cmd="set" data="default_password=<masked>"/>` },
          ...users.slice(0, 5).flatMap((u) => evParam(u.params.get('password')!, `user ${u.id}`).slice(0, 1)),
        ],
        severity: users.length === 0 ? 'medium' : undefined,
      },
    ]
    return out
  },
}
