import type { AsteriskModel } from '../asterisk/model.js'
import type { Check } from '../types.js'
import { evLine } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.disa-no-password',
  pbx: 'asterisk',
  severity: 'critical',
  title: 'DISA without a passcode',
  rationale:
    'app_disa: "no-password" presents a dial tone to anyone; "this may compromise the security of your PBX".',
  remediation: 'Remove it, or use a passcode file and restrict the context that reaches it.',
  run(m) {
    const out = []
    for (const line of m.dialplan.lines())
      if (line.appLower === 'disa' && /^\s*no-password/i.test(line.args))
        out.push({
          message: `DISA(no-password) in [${line.ctx}] gives a dial tone without a passcode`,
          evidence: [evLine(line)],
        })
    return out
  },
}
