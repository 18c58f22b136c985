import { assessPassword } from '../../passwd/strength.js'
import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evVar, weakText } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.ari.weak-password',
  pbx: 'asterisk',
  severity: 'high',
  title: 'Weak ARI password',
  rationale: 'An ARI user has full call control over HTTP.',
  remediation: 'A random password; password_format=crypt.',
  run(m) {
    const out: FindingDraft[] = []
    for (const u of m.conf('ari.conf').ofType('user')) {
      const pw = get(u, 'password')
      if (!pw || (get(u, 'password_format')?.value ?? 'plain').toLowerCase() === 'crypt') continue
      const r = assessPassword(pw.value, { identities: [u.name] })
      if (r.verdict === 'ok' || r.verdict === 'default-known') continue
      out.push({ message: `ARI user [${u.name}] password is ${weakText(r)}`, evidence: [evVar(pw)] })
    }
    return out
  },
}
