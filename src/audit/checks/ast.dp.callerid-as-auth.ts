import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { evLine, outsideReachable, pathOf } from './util.js'

const COND_APPS = new Set(['gotoif', 'execif', 'gosubif', 'if', 'while', 'execiftime'])
const CID = /\$\{(CALLERID\((num|all)\)|CALLERIDNUM)\}/i

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.callerid-as-auth',
  pbx: 'asterisk',
  severity: 'high',
  title: 'Caller ID used as authorization in a context reachable from outside',
  rationale: 'Caller ID is set by the caller on SIP; deciding on it authenticates nobody.',
  remediation:
    'Authenticate() / VoiceMailMain with a PIN, or decide on the device identity (${CHANNEL(endpoint)}).',
  run(m) {
    const out: FindingDraft[] = []
    const outside = outsideReachable(m)
    for (const [line, reach] of outside) {
      const cond = COND_APPS.has(line.appLower) ? (line.args.split('?')[0] ?? '') : ''
      const dbLookup = /\$\{DB(_EXISTS)?\([^)]*\$\{CALLERID\(num\)\}/i.test(line.args)
      if (!CID.test(cond) && !dbLookup) continue
      out.push({
        message: `[${line.ctx}] decides on the caller ID and is reachable from ${reach.entry.label}`,
        evidence: [evLine(line)],
        path: pathOf(reach.entry, reach.hops, evLine(line)),
      })
    }
    return out
  },
}
