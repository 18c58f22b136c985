import type { AsteriskModel } from '../asterisk/model.js'
import { get, isFalse } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evCat } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.ari.no-acl',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'ARI user without an IP restriction',
  rationale:
    'ari_doc.xml: "If no restriction is defined for a given user, no IPs will be blocked by Asterisk (legacy ' +
    'behavior)"; the password is then the only barrier to full call control.',
  remediation: 'deny=0.0.0.0/0.0.0.0 then permit=<application host> (or acl=<named ACL>) per ARI user.',
  run(m) {
    const ari = m.conf('ari.conf')
    if (isFalse(get(ari.sections('general')[0], 'enabled')?.value)) return []
    const out: FindingDraft[] = []
    for (const u of ari.ofType('user')) {
      if (u.vars.some((v) => ['permit', 'deny', 'acl'].includes(v.key.toLowerCase()))) continue
      out.push({ message: `ARI user [${u.name}] has no permit/deny/acl`, evidence: [evCat(u)] })
    }
    return out
  },
}
