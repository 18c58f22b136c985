import { assessPassword } from '../../passwd/strength.js'
import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evVar, weakText } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.pjsip.weak-password',
  pbx: 'asterisk',
  severity: 'high',
  title: 'Weak PJSIP auth password',
  rationale:
    'SIP digest passwords are brute-forced online (svcrack, sippts rcrack); a password equal to the extension ' +
    '(password=1000) falls first (RSB "Proper Device Naming", "Secure Passwords": 12+ mixed characters).',
  remediation: 'Random 16+ character passwords (`sipwarden passwd generate`); prefer password_digest.',
  run(m) {
    const out: FindingDraft[] = []
    // auth name → endpoints that use it (one pass: 10,000 phones must not mean 10^8 lookups)
    const usersOf = new Map<string, string[]>()
    for (const e of m.pjsipEndpoints)
      for (const x of get(e, 'auth')?.value.split(',') ?? []) {
        const name = x.trim()
        if (name !== '') usersOf.set(name, [...(usersOf.get(name) ?? []), e.name])
      }
    for (const a of m.conf('pjsip.conf').ofType('auth')) {
      const pw = get(a, 'password')
      if (!pw || get(a, 'password_digest') || get(a, 'md5_cred')) continue
      const identities = [a.name, get(a, 'username')?.value ?? '', ...(usersOf.get(a.name) ?? [])]
      const r = assessPassword(pw.value, { identities })
      // published defaults are reported by ast.creds.default
      if (r.verdict === 'ok' || r.verdict === 'default-known') continue
      out.push({
        message: `auth [${a.name}] password is ${weakText(r)}`,
        evidence: [evVar(pw)],
        severity: r.verdict === 'empty' ? 'critical' : undefined,
      })
    }
    return out
  },
}
