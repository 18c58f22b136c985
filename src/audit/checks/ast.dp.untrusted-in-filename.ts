import { splitArgs } from '../asterisk/dialplan.js'
import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { evLine, isTainted, readVariables } from './util.js'

const RECORDERS = new Set(['mixmonitor', 'monitor', 'record'])

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.untrusted-in-filename',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Recording file name built from caller-controlled data',
  rationale:
    'RSB Filtering Data: caller ID and dialled digits may hold "/", ".." or spaces; in MixMonitor/Monitor/Record ' +
    'file names that means path traversal (overwrite files the Asterisk user can write) or argument injection.',
  remediation: 'Build names from ${UNIQUEID} or ${FILTER(0-9A-Za-z,…)}-cleaned values.',
  run(m) {
    const out: FindingDraft[] = []
    const readVars = readVariables(m)
    for (const line of m.dialplan.lines()) {
      if (!RECORDERS.has(line.appLower)) continue
      const name = splitArgs(line.args)[0] ?? ''
      if (!isTainted(name, readVars)) continue
      out.push({
        message: `${line.app}() in [${line.ctx}] writes to a file named from caller-controlled data`,
        evidence: [evLine(line)],
      })
    }
    return out
  },
}
