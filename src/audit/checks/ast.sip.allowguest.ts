import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import type { Check } from '../types.js'
import { evCat, evVar, tollRaise } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.sip.allowguest',
  pbx: 'asterisk',
  severity: 'high',
  title: 'chan_sip accepts guest (unauthenticated) calls',
  rationale:
    'allowguest defaults to yes: calls from unknown peers enter [general] context (sip.conf.sample: "check which ' +
    'services you offer everyone out there").',
  remediation: 'allowguest=no in [general] (or keep the guest context DID-only).',
  run(m) {
    const entry = m.entries.find((e) => e.kind === 'guest')
    if (!entry) return []
    const general = m.conf('sip.conf').sections('general')[0]!
    const v = get(general, 'allowguest')
    const raise = tollRaise(m, entry, entry.context)
    return [
      {
        message: `guest calls enter [${entry.context}]${raise ? ', which reaches a toll route' : ''}`,
        evidence: [v ? evVar(v) : evCat(general, 'allowguest unset → default yes'), entry.evidence],
        ...raise,
      },
    ]
  },
}
