import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { evLine, pathOf } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.untrusted-reaches-toll',
  pbx: 'asterisk',
  severity: 'critical',
  title: 'Untrusted callers can reach an international or premium route',
  rationale:
    'ISC Dialplan Security: "USE THE EXTENSION CONTEXTS TO ISOLATE OUTGOING OR TOLL SERVICES FROM ANY INCOMING ' +
    'CONNECTIONS". A guest, anonymous, unauthenticated or trunk entry that reaches Dial() of an open pattern is ' +
    'toll fraud waiting to happen.',
  remediation:
    'Give inbound entries their own contexts that only route your DIDs (Goto to fixed extensions).',
  run(m) {
    const out: FindingDraft[] = []
    const seen = new Set<string>()
    for (const entry of m.entries) {
      if (!entry.untrusted || seen.has(entry.context)) continue
      seen.add(entry.context)
      const p = m.graph.tollPath(entry.context)
      if (!p) continue
      const sink = evLine(p.sink.line, `toll route: ${p.sink.verdict.reason}`)
      const others = m.entries.filter((e) => e.untrusted && e.context === entry.context && e !== entry).length
      out.push({
        message:
          `${entry.label} enters [${entry.context}], which reaches ${p.sink.line.app}() of ` +
          `${p.sink.line.exten} (${p.sink.verdict.reason})${others ? `; ${others} more untrusted entr${others === 1 ? 'y uses' : 'ies use'} this context` : ''}`,
        evidence: [entry.evidence, sink],
        path: pathOf(entry, p.hops, sink),
      })
    }
    return out
  },
}
