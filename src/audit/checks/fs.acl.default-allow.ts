import type { FreeswitchModel } from '../freeswitch/model.js'
import type { Check, FindingDraft } from '../types.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.acl.default-allow',
  pbx: 'freeswitch',
  severity: 'high',
  title: 'ACL list allows by default and is in use',
  rationale:
    'A <list> with no default= allows everything (FreeSWITCH ACL docs); used by a profile or ESL it gates nothing.',
  remediation: 'default="deny" plus explicit allow nodes.',
  run(m) {
    const used = new Set<string>()
    for (const p of m.profiles)
      for (const k of ['apply-inbound-acl', 'apply-register-acl', 'apply-proxy-acl', 'apply-candidate-acl']) {
        const v = p.params.get(k)?.value
        if (v) for (const n of v.split(/[,:]/)) used.add(n.trim())
      }
    const esl = m.settings('event_socket.conf').get('apply-inbound-acl')?.value
    if (esl) used.add(esl)
    const out: FindingDraft[] = []
    for (const l of m.acls.values()) {
      if (!used.has(l.name)) continue
      if (l.defaultPolicy !== undefined && l.defaultPolicy.toLowerCase() !== 'allow') continue
      out.push({
        message: `ACL list "${l.name}" ${l.defaultPolicy === undefined ? 'has no default= (implicit allow)' : 'is default="allow"'} and is used`,
        evidence: [
          {
            loc: l.loc,
            excerpt: `<list name="${l.name}"${l.defaultPolicy ? ` default="${l.defaultPolicy}"` : ''}>`,
          },
        ],
      })
    }
    return out
  },
}
