import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { evLine, stripSanitisers } from './util.js'

const APPS = new Set(['dial', 'queue', 'originate', 'channelredirect', 'page'])

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.wildcard-exten-in-dial',
  pbx: 'asterisk',
  severity: 'high',
  title: '${EXTEN} from a wildcard pattern passed unfiltered into Dial()',
  rationale:
    'RSB "Filtering Data": with `.` or `!` the caller may dial 500&PJSIP/itsp/14165551212 and add channels of ' +
    'their choice to the Dial (CVE-2010-0685).',
  remediation: 'Use strict patterns (_XXXX) or ${FILTER(0-9,${EXTEN})}.',
  run(m) {
    const out: FindingDraft[] = []
    for (const line of m.dialplan.lines()) {
      if (!APPS.has(line.appLower) || !line.exten.startsWith('_') || !/[.!]/.test(line.exten)) continue
      if (!/\$\{EXTEN[}:]/i.test(stripSanitisers(line.args))) continue
      out.push({
        message: `[${line.ctx}] ${line.exten}: ${line.app}() uses unfiltered \${EXTEN}`,
        evidence: [evLine(line)],
      })
    }
    return out
  },
}
