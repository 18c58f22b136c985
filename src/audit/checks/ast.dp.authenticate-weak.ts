import { splitArgs } from '../asterisk/dialplan.js'
import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { evAt } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.authenticate-weak',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Authenticate() with a short passcode',
  rationale:
    'A passcode of 6 digits or fewer falls to a few thousand guesses; Authenticate() has no lockout.',
  remediation: 'Longer codes, or a database/file with the a/d/m options and a maxdigits limit.',
  run(m) {
    const out: FindingDraft[] = []
    for (const line of m.dialplan.lines()) {
      if (line.appLower !== 'authenticate') continue
      const code = (splitArgs(line.args)[0] ?? '').trim()
      if (code === '' || code.startsWith('/') || code.includes('${')) continue
      if (code.length > 6) continue
      out.push({
        message: `[${line.ctx}] ${line.exten}: Authenticate() passcode of ${code.length} character${code.length === 1 ? '' : 's'}`,
        evidence: [evAt(line.loc, `${line.exten},${line.priority},Authenticate(<code masked>…)`)],
      })
    }
    return out
  },
}
