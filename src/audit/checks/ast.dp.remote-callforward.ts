import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { evLine, outsideReachable, pathOf } from './util.js'

const CF_WRITE = /DB\(CF[A-Z]*\/.*\)\s*=/i

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.remote-callforward',
  pbx: 'asterisk',
  severity: 'high',
  title: 'Call-forward set from caller ID or from outside',
  rationale:
    'A spoofed caller ID sets a forward to a premium number; every call to the victim then costs money.',
  remediation:
    'Key forwards on the authenticated device (${CHANNEL(endpoint)}) and allow them to users only.',
  run(m) {
    const out: FindingDraft[] = []
    const outside = outsideReachable(m)
    for (const line of m.dialplan.lines()) {
      if (line.appLower !== 'set' || !CF_WRITE.test(line.args)) continue
      const byCid = /DB\(CF[A-Z]*\/\$\{(CALLERID\(num\)|CALLERIDNUM)\}/i.test(line.args)
      const reach = outside.get(line)
      if (!byCid && !reach) continue
      out.push({
        message: `[${line.ctx}] writes a call forward${byCid ? ' keyed on the caller ID' : ''}${reach ? ` reachable from ${reach.entry.label}` : ''}`,
        evidence: [evLine(line)],
        path: reach ? pathOf(reach.entry, reach.hops, evLine(line)) : undefined,
      })
    }
    return out
  },
}
