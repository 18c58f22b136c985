import type { AsteriskModel } from '../asterisk/model.js'
import { tollVerdict } from '../asterisk/reach.js'
import type { Check, FindingDraft } from '../types.js'
import { evLine, outsideReachable } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.international-open',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Open or international pattern dials a trunk',
  rationale:
    'IRSF exposure: _011., _00., _+., _X. and similar patterns let whoever reaches the context dial any ' +
    'country. ISC-DP class-of-service example ([longdistance] vs [local]). High when every phone reaches it, ' +
    'critical when an untrusted entry does.',
  remediation: 'Per-user class of service and a destination allow-list (country prefixes you call).',
  run(m) {
    const out: FindingDraft[] = []
    const outside = outsideReachable(m)
    const users = m.entries.filter((e) => !e.untrusted)
    const userReach = new Map<string, ReadonlySet<unknown>>()
    for (const e of users)
      if (!userReach.has(e.context)) userReach.set(e.context, m.graph.reachableLines(e.context))
    for (const line of m.dialplan.lines()) {
      const v = tollVerdict(line)
      if (!v || (v.cls !== 'open' && v.cls !== 'international')) continue
      const ev = evLine(line, `toll route: ${v.reason}`)
      const o = outside.get(line)
      if (o) {
        out.push({
          message: `[${line.ctx}] ${line.exten} dials ${v.cls === 'open' ? 'any number' : 'international numbers'}, reachable from ${o.entry.label}`,
          evidence: [ev],
          severity: 'critical',
          path: [o.entry.evidence, ...o.hops, ev],
        })
        continue
      }
      const everyUser = users.length > 0 && [...userReach.values()].every((s) => s.has(line))
      out.push({
        message: `[${line.ctx}] ${line.exten} dials ${v.cls === 'open' ? 'any number' : 'international numbers'}${everyUser ? ' and every phone reaches it' : ''}`,
        evidence: [ev],
        ...(everyUser ? { severity: 'high' as const } : {}),
      })
    }
    return out
  },
}
