import { isKnownDefault, knownDefaults } from '../../passwd/strength.js'
import type { AsteriskModel } from '../asterisk/model.js'
import { type AstVar, get, isTrue } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evAt, evVar } from './util.js'

/** Secrets that equal a published default (data/passwords/pbx-defaults.tsv). */
export const check: Check<AsteriskModel> = {
  id: 'ast.creds.default',
  pbx: 'asterisk',
  severity: 'critical',
  title: 'Secret equals a published default',
  rationale:
    'Default secrets from sample configs and vendor images (data/passwords/pbx-defaults.tsv) are in every ' +
    'attack dictionary (README-SERIOUSLY.bestpractices "Secure Passwords").',
  remediation: 'Rotate to random secrets of 16+ characters (`sipwarden passwd generate`).',
  run(m) {
    const out: FindingDraft[] = []
    const flag = (v: AstVar | undefined, what: string) => {
      if (!v || !isKnownDefault(v.value)) return
      out.push({
        message: `${what} uses a published default secret (${knownDefaults().get(v.value) || 'known default'})`,
        evidence: [evVar(v)],
      })
    }
    for (const a of m.conf('pjsip.conf').ofType('auth')) flag(get(a, 'password'), `pjsip auth [${a.name}]`)
    for (const f of ['sip.conf', 'iax.conf'] as const)
      for (const p of m.conf(f).sections()) {
        flag(get(p, 'secret'), `${f} [${p.name}]`)
        for (const r of p.vars.filter((v) => v.key.toLowerCase() === 'register')) {
          const pass = /^[^:@]+:([^:@/]+)[@:]/.exec(r.value)?.[1]
          if (pass !== undefined && isKnownDefault(pass))
            out.push({ message: `${f} register => line uses a default secret`, evidence: [evVar(r)] })
        }
      }
    const manager = m.conf('manager.conf')
    if (isTrue(get(manager.sections('general')[0], 'enabled')?.value))
      for (const u of manager.sections())
        if (u.name !== 'general') flag(get(u, 'secret'), `AMI user [${u.name}]`)
    for (const u of m.conf('ari.conf').ofType('user'))
      if ((get(u, 'password_format')?.value ?? 'plain').toLowerCase() !== 'crypt')
        flag(get(u, 'password'), `ARI user [${u.name}]`)
    for (const ctx of m.conf('voicemail.conf').sections()) {
      if (ctx.name === 'general' || ctx.name === 'zonemessages') continue
      for (const v of ctx.vars) {
        const pin = (v.value.split(',')[0] ?? '').trim().replace(/^-/, '')
        if (pin !== '' && isKnownDefault(pin))
          out.push({
            message: `voicemail mailbox ${v.key} in [${ctx.name}] uses a published default PIN`,
            evidence: [evAt(v.loc, `${v.key} => <PIN masked>,…`)],
          })
      }
    }
    return out
  },
}
