import { splitArgs } from '../asterisk/dialplan.js'
import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { evLine, outsideReachable, pathOf } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.disa-present',
  pbx: 'asterisk',
  severity: 'high',
  title: 'DISA with a short passcode or reachable from outside',
  rationale: 'DISA turns a guessed code into a PBX dial tone; short numeric codes are brute-forced by phone.',
  remediation: 'Long codes in a passcode file; restrict the DISA context and who reaches it.',
  run(m) {
    const out: FindingDraft[] = []
    const outside = outsideReachable(m)
    for (const line of m.dialplan.lines()) {
      if (line.appLower !== 'disa' || /^\s*no-password/i.test(line.args)) continue
      const code = splitArgs(line.args)[0] ?? ''
      const short = /^\d{1,8}$/.test(code)
      const reach = outside.get(line)
      if (!short && !reach) continue
      const why = [
        short ? `a numeric passcode of ${code.length} digits` : '',
        reach ? `reachable from ${reach.entry.label}` : '',
      ]
      out.push({
        message: `DISA in [${line.ctx}] with ${why.filter(Boolean).join(', ')}`,
        evidence: [{ loc: line.loc, excerpt: `${line.app}(<passcode masked>,…)` }],
        path: reach ? pathOf(reach.entry, reach.hops, evLine(line)) : undefined,
      })
    }
    return out
  },
}
