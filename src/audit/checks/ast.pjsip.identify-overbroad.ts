import type { AsteriskModel } from '../asterisk/model.js'
import { getAll } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evVar, prefixLength } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.pjsip.identify-overbroad',
  pbx: 'asterisk',
  severity: 'critical',
  title: 'PJSIP identify matches a huge address range',
  rationale: 'Every source address in the range is mapped to the (trusted, unchallenged) trunk endpoint.',
  remediation: "List the provider's exact IPs or CIDRs in match=.",
  run(m) {
    const out: FindingDraft[] = []
    for (const idf of m.conf('pjsip.conf').ofType('identify'))
      for (const v of getAll(idf, 'match'))
        for (const spec of v.value.split(',')) {
          const s = spec.trim()
          if (!/^[0-9a-f:.[\]]+(\/[0-9.]+)?$/i.test(s)) continue
          const len = prefixLength(s)
          const v6 = s.includes(':')
          if (len !== undefined && (v6 ? len < 32 : len < 16))
            out.push({
              message: `identify [${idf.name}] matches ${s} (/${len}): anyone there is the trunk endpoint`,
              evidence: [evVar(v)],
            })
        }
    return out
  },
}
