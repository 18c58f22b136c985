import { evParam, type FreeswitchModel } from '../freeswitch/model.js'
import type { Check, FindingDraft } from '../types.js'
import { aclPermissive } from './fs-util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.sofia.proxy-acl',
  pbx: 'freeswitch',
  severity: 'high',
  title: 'Sofia apply-proxy-acl admits too much',
  rationale: 'sofia_reg.c trusts the X-AUTH-IP header from sources that pass apply-proxy-acl.',
  remediation: 'List the exact proxy IPs with default="deny".',
  run(m) {
    const out: FindingDraft[] = []
    for (const p of m.profiles) {
      const acl = p.params.get('apply-proxy-acl')
      if (!acl) continue
      const why = aclPermissive(m, acl.value, true)
      if (why) out.push({ message: `profile ${p.name} apply-proxy-acl: ${why}`, evidence: evParam(acl) })
    }
    return out
  },
}
