import { evParam, type FreeswitchModel } from '../freeswitch/model.js'
import type { Check, FindingDraft } from '../types.js'
import { aclPermissive } from './fs-util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.sofia.inbound-acl-permissive',
  pbx: 'freeswitch',
  severity: 'critical',
  title: 'Sofia apply-inbound-acl admits too much (ACL pass = authenticated)',
  rationale:
    'An ACL pass "applies the user\'s variables and parameters as if digest authentication had succeeded".',
  remediation: 'Narrow lists with default="deny" and exact allow nodes.',
  run(m) {
    const out: FindingDraft[] = []
    for (const p of m.profiles) {
      const acl = p.params.get('apply-inbound-acl')
      if (!acl) continue
      const list = acl.value.split(':')[0] ?? ''
      const why = aclPermissive(m, list, false)
      if (why) out.push({ message: `profile ${p.name} apply-inbound-acl: ${why}`, evidence: evParam(acl) })
    }
    return out
  },
}
