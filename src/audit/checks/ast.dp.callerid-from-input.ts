import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { evLine, readVariables, stripSanitisers } from './util.js'

const INPUT = /\$\{(EXTEN[}:]|SIP_HEADER\(|PJSIP_HEADER\(read|AGI|CHANNEL\(useragent\)|SIPCALLID|RDNIS)/i

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.callerid-from-input',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Caller ID set from caller-controlled input',
  rationale:
    'Set(CALLERID(num)=…) from dialled digits, Read() input or SIP headers lets a caller choose the identity ' +
    'presented onward (to carriers, callback and DISA logic, CDRs).',
  remediation:
    "Set caller ID from trusted data only (the endpoint's configured callerid, a database lookup).",
  run(m) {
    const out: FindingDraft[] = []
    const readVars = readVariables(m)
    for (const line of m.dialplan.lines()) {
      if (line.appLower !== 'set' && line.appLower !== 'multiset') continue
      const mm = /CALLERID\((num|all|name|number)\)\s*=(.*)$/i.exec(line.args)
      if (!mm) continue
      const value = stripSanitisers(mm[2]!)
      const tainted =
        INPUT.test(value) || readVars.some((v) => value.includes(`\${${v}}`) || value.includes(`\${${v}:`))
      if (!tainted) continue
      out.push({
        message: `[${line.ctx}] ${line.exten}: CALLERID(${mm[1]}) is set from caller input`,
        evidence: [evLine(line)],
      })
    }
    return out
  },
}
