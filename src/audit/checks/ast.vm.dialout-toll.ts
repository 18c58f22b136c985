import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { evAt, evLine, evVar } from './util.js'
import { mailboxExcerpt, mailboxes } from './voicemail.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.vm.dialout-toll',
  pbx: 'asterisk',
  severity: 'high',
  title: 'Voicemail dialout/callback context reaches a toll route',
  rationale: 'Anyone who guesses a mailbox PIN gets outbound calling through VoiceMailMain.',
  remediation: 'Point dialout/callback/exitcontext at a restricted context, or remove them.',
  run(m) {
    const out: FindingDraft[] = []
    const keys = new Set(['dialout', 'callback', 'exitcontext'])
    for (const g of m.conf('voicemail.conf').sections('general'))
      for (const v of g.vars) {
        if (!keys.has(v.key.toLowerCase())) continue
        const p = m.graph.tollPath(v.value)
        if (p)
          out.push({
            message: `${v.key}=${v.value} reaches a toll route`,
            evidence: [evVar(v)],
            path: [evVar(v), ...p.hops, evLine(p.sink.line, `toll route: ${p.sink.verdict.reason}`)],
          })
      }
    for (const b of mailboxes(m))
      for (const [k, ctx] of b.options) {
        if (!keys.has(k)) continue
        const p = m.graph.tollPath(ctx)
        if (!p) continue
        const ev = evAt(b.v.loc, mailboxExcerpt(b), `${k}=${ctx}`)
        out.push({
          message: `mailbox ${b.box}: ${k}=${ctx} reaches a toll route`,
          evidence: [ev],
          path: [ev, ...p.hops, evLine(p.sink.line, `toll route: ${p.sink.verdict.reason}`)],
        })
      }
    return out
  },
}
