import type { FreeswitchModel } from '../freeswitch/model.js'
import type { Check, FindingDraft } from '../types.js'
import { prefixLength } from './util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.dir.cidr-auth-broad',
  pbx: 'freeswitch',
  severity: 'high',
  title: 'Directory user authenticated by a broad address range',
  rationale:
    'A user cidr= (through a domain= ACL node) or auth-acl authenticates every caller from the range.',
  remediation: 'Exact host addresses only.',
  run(m) {
    const out: FindingDraft[] = []
    for (const u of m.users) {
      const specs: Array<[string, string]> = []
      const cidr = u.el.attrs.get('cidr')
      if (cidr) for (const c of cidr.split(',')) specs.push(['cidr', c.trim()])
      const aa = u.params.get('auth-acl')
      if (aa && /[/:.]\d/.test(aa.value))
        for (const c of aa.value.split(',')) specs.push(['auth-acl', c.trim()])
      for (const [k, s] of specs) {
        const len = prefixLength(s)
        if (len !== undefined && len < (s.includes(':') ? 48 : 24))
          out.push({
            message: `user ${u.id} ${k}=${s} authenticates a /${len} range`,
            evidence: [{ loc: k === 'cidr' ? u.loc : aa!.loc, excerpt: `<user id="${u.id}" ${k}="${s}">` }],
          })
      }
    }
    return out
  },
}
