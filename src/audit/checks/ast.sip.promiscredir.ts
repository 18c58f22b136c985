import type { AsteriskModel } from '../asterisk/model.js'
import { get, isTrue } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.sip.promiscredir',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'chan_sip follows redirects to any destination',
  rationale:
    'promiscredir=yes makes Asterisk follow 302 responses to non-local addresses: a called party (or a spoofed ' +
    'response) can redirect an outbound call to a premium destination (fraud amplifier).',
  remediation: 'promiscredir=no (the default).',
  run(m) {
    const out: FindingDraft[] = []
    for (const s of m.conf('sip.conf').sections()) {
      const v = get(s, 'promiscredir')
      if (v && isTrue(v.value))
        out.push({ message: `[${s.name}] promiscredir=${v.value}`, evidence: [evVar(v)] })
    }
    return out
  },
}
