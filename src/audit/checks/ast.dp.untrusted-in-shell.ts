import { splitArgs } from '../asterisk/dialplan.js'
import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { evLine, isTainted, readVariables } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.untrusted-in-shell',
  pbx: 'asterisk',
  severity: 'critical',
  title: 'Caller-controlled data passed to a shell command',
  rationale:
    'RSB "Filtering Data": System(), SHELL() and friends with ${CALLERID(…)}, ${EXTEN} or SIP headers "can ' +
    'allow injection of arbitrary operating system command execution".',
  remediation: 'Pass only ${FILTER(0-9,…)}-cleaned values, or avoid the shell.',
  run(m) {
    const out: FindingDraft[] = []
    const readVars = readVariables(m)
    for (const line of m.dialplan.lines()) {
      let cmd: string | undefined
      if (line.appLower === 'system' || line.appLower === 'trysystem') cmd = line.args
      else if (/\$\{SHELL\(/i.test(line.args)) cmd = line.args
      else if (line.appLower === 'mixmonitor') cmd = splitArgs(line.args)[2]
      else if (line.appLower === 'agi' || line.appLower === 'eagi')
        cmd = splitArgs(line.args).slice(1).join(',')
      if (cmd === undefined || !isTainted(cmd, readVars)) continue
      out.push({
        message: `${line.app}() in [${line.ctx}] runs a command built from caller-controlled data`,
        evidence: [evLine(line)],
      })
    }
    return out
  },
}
