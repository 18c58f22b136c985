import type { AsteriskModel } from '../asterisk/model.js'
import { tollVerdict } from '../asterisk/reach.js'
import type { Check, FindingDraft } from '../types.js'
import { evLine } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.toll-in-default',
  pbx: 'asterisk',
  severity: 'high',
  title: 'Toll route in [default] or a context it includes',
  rationale:
    'ISC Dialplan Security: "never ever put outgoing toll services in the \'default\' context"; unconfigured ' +
    'channels and guests land there.',
  remediation: 'Move outbound routes to a context used only by authenticated users.',
  run(m) {
    if (!m.dialplan.contexts.has('default')) return []
    const out: FindingDraft[] = []
    for (const name of m.graph.includeClosure('default')) {
      const ctx = m.dialplan.contexts.get(name)
      if (!ctx) continue
      for (const e of ctx.extens)
        for (const line of e.lines) {
          const v = tollVerdict(line)
          if (!v) continue
          out.push({
            message: `[${name}]${name === 'default' ? '' : ' (included by [default])'} dials ${e.name}: ${v.reason}`,
            evidence: [evLine(line)],
          })
          break
        }
    }
    return out
  },
}
