import type { AsteriskModel } from '../asterisk/model.js'
import { get, isFalse } from '../asterisk/reader.js'
import type { Check } from '../types.js'
import { evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.rtp.strictrtp-off',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Strict RTP disabled',
  rationale:
    'With strictrtp=no Asterisk accepts RTP from any source address for a stream, so anyone who guesses the ' +
    'port can inject or hijack media ("RTP bleed", CVE-2017-14099; rtp.conf.sample).',
  remediation: 'strictrtp=yes (the default), or seqno.',
  run(m) {
    const v = get(m.conf('rtp.conf').sections('general')[0], 'strictrtp')
    if (!v || !isFalse(v.value)) return []
    return [{ message: `strictrtp=${v.value}: RTP is accepted from any source`, evidence: [evVar(v)] }]
  },
}
