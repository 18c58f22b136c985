import type { AsteriskModel } from '../asterisk/model.js'
import type { AstConfig } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evVar } from './util.js'

const KEYS = new Set(['acl', 'contact_acl', 'contactacl'])

export const check: Check<AsteriskModel> = {
  id: 'ast.acl.named-undefined',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Named ACL is not defined in acl.conf',
  rationale:
    'acl=NAME refers to a section of acl.conf; when it does not exist the restriction silently fails to apply ' +
    '(or the object fails to load), so the owner believes an ACL protects it.',
  remediation: 'Define [NAME] in acl.conf with deny/permit lines, or fix the name.',
  run(m) {
    const defined = new Set(
      m
        .conf('acl.conf')
        .sections()
        .map((c) => c.name),
    )
    const out: FindingDraft[] = []
    const scan = (cfg: AstConfig, skipGeneral: boolean) => {
      for (const c of cfg.sections()) {
        if (skipGeneral && c.name === 'general') continue
        for (const v of c.vars) {
          if (!KEYS.has(v.key.toLowerCase())) continue
          for (const name of v.value.split(',').map((n) => n.trim()))
            if (name !== '' && !defined.has(name))
              out.push({
                message: `[${c.name}] ${v.key}=${name}: no [${name}] in acl.conf`,
                evidence: [evVar(v)],
              })
        }
      }
    }
    scan(m.conf('pjsip.conf'), false)
    scan(m.conf('sip.conf'), false)
    scan(m.conf('iax.conf'), false)
    scan(m.conf('manager.conf'), true)
    scan(m.conf('ari.conf'), false)
    return out
  },
}
