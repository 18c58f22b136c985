import { type AsteriskModel, contextOf } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { evCat, tollRaise } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.pjsip.anonymous-endpoint',
  pbx: 'asterisk',
  severity: 'high',
  title: 'PJSIP anonymous endpoint accepts unidentified calls',
  rationale:
    'An endpoint named "anonymous" receives every call that matches no other endpoint (pjsip.conf.sample: ' +
    '"It is not recommended to accept anonymous calls").',
  remediation: 'Remove it, or point it at a context that only routes your DIDs to internal extensions.',
  run(m) {
    const out: FindingDraft[] = []
    for (const ep of m.pjsipEndpoints.filter((e) => e.name === 'anonymous')) {
      const c = contextOf(ep, 'default')
      const entry = m.entries.find((e) => e.source === ep)
      const raise = tollRaise(m, entry, c.context)
      out.push({
        message: `anonymous endpoint routes unidentified callers into [${c.context}]${raise ? ', which reaches a toll route' : ''}`,
        evidence: [evCat(ep), { loc: c.loc, excerpt: c.excerpt }],
        ...raise,
      })
    }
    return out
  },
}
