import type { Check, FindingDraft } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { ybool, yget } from '../yate/reader.js'
import { evY } from './yate-util.js'

export const check: Check<YateModel> = {
  id: 'yate.acc.relaxed-match',
  pbx: 'yate',
  severity: 'medium',
  title: 'Calls "from the registrar" matched loosely',
  rationale:
    "accfile.conf match_port=no or match_user=no accept inbound calls as coming from the account's registrar " +
    "when only the address (or less) matches: a spoofed source gets the account's routing.",
  remediation: 'Leave match_port and match_user at their defaults (yes).',
  run(m) {
    const out: FindingDraft[] = []
    for (const s of m.conf('accfile.conf').sections)
      for (const k of ['match_port', 'match_user']) {
        const e = yget(s, k)
        if (e && !ybool(e.value, true))
          out.push({ message: `account [${s.name}] ${k}=${e.value}`, evidence: [evY(e)] })
      }
    return out
  },
}
