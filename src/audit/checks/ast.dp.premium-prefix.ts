import type { AsteriskModel } from '../asterisk/model.js'
import { tollVerdict } from '../asterisk/reach.js'
import type { Check, FindingDraft } from '../types.js'
import { evLine } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.premium-prefix',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Pattern explicitly allows premium-rate or satellite numbers',
  rationale:
    'Patterns such as _1900, _1976, _0900, _09, _118 and _00881-_00883/_0087x admit the costliest ranges, ' +
    'the ones international revenue-share fraud (IRSF) targets.',
  remediation: 'Block premium and satellite prefixes before the outbound Dial (a prefix table).',
  run(m) {
    const out: FindingDraft[] = []
    for (const line of m.dialplan.lines()) {
      const v = tollVerdict(line)
      if (v?.cls !== 'premium') continue
      out.push({
        message: `[${line.ctx}] ${line.exten} dials ${v.reason.replace(/^premium-rate: matches /, 'premium numbers such as ')}`,
        evidence: [evLine(line, `toll route: ${v.reason}`)],
      })
    }
    return out
  },
}
