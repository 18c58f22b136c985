import type { FreeswitchModel } from '../freeswitch/model.js'
import type { Check, FindingDraft } from '../types.js'
import { isFalseFs } from './fs-util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.dir.empty-password',
  pbx: 'freeswitch',
  severity: 'critical',
  title: 'Directory user authenticates without a password',
  rationale:
    'sofia_reg.c: a user with no <params> is AUTH_OK, and an empty password with no a1-hash is accepted while ' +
    'allow-empty-password is true (the default).',
  remediation: 'Set a password or a1-hash for every user; allow-empty-password=false.',
  run(m) {
    const out: FindingDraft[] = []
    for (const u of m.users) {
      if (u.el.attrs.get('type') === 'pointer') continue
      const pw = u.params.get('password')?.value ?? ''
      const a1 = u.params.get('a1-hash')?.value ?? ''
      const allowEmpty = u.params.get('allow-empty-password') ?? u.inherited.get('allow-empty-password')
      if (!u.hasParams) {
        out.push({
          message: `user ${u.id} has no <params>: registration and calls are accepted without auth`,
          evidence: [{ loc: u.loc, excerpt: `<user id="${u.id}">` }],
        })
      } else if (pw === '' && a1 === '' && !isFalseFs(allowEmpty?.value)) {
        out.push({
          message: `user ${u.id} has no password and allow-empty-password is not false`,
          evidence: [{ loc: u.loc, excerpt: `<user id="${u.id}">` }],
        })
      }
    }
    return out
  },
}
