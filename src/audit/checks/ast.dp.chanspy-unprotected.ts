import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { evLine, outsideReachable, pathOf } from './util.js'

const AUTH = new Set(['authenticate', 'vmauthenticate'])

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.chanspy-unprotected',
  pbx: 'asterisk',
  severity: 'high',
  title: 'ChanSpy/ExtenSpy without authentication',
  rationale: 'Anyone who reaches the extension can listen to live calls.',
  remediation: 'Authenticate() before the spy application and restrict the context.',
  run(m) {
    const out: FindingDraft[] = []
    const outside = outsideReachable(m)
    for (const ctx of m.dialplan.contexts.values())
      for (const e of ctx.extens)
        e.lines.forEach((line, i) => {
          if (line.appLower !== 'chanspy' && line.appLower !== 'extenspy') return
          const guarded = e.lines.slice(0, i).some((l) => AUTH.has(l.appLower))
          const reach = outside.get(line)
          if (guarded && !reach) return
          out.push({
            message: `${line.app}() in [${ctx.name}] ${e.name}${guarded ? '' : ' with no Authenticate() before it'}${reach ? `, reachable from ${reach.entry.label}` : ''}`,
            evidence: [evLine(line)],
            severity: reach ? 'critical' : undefined,
            path: reach ? pathOf(reach.entry, reach.hops, evLine(line)) : undefined,
          })
        })
    return out
  },
}
