import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import type { Check } from '../types.js'
import { evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.sip.autocreatepeer',
  pbx: 'asterisk',
  severity: 'critical',
  title: 'chan_sip creates peers for anyone (autocreatepeer)',
  rationale:
    'sip.conf.sample: autocreatepeer lets "any UAC not explicitly defined to register WITHOUT AUTHENTICATION", ' +
    'a "high potential security risk".',
  remediation: 'autocreatepeer=no (the default).',
  run(m) {
    const v = get(m.conf('sip.conf').sections('general')[0], 'autocreatepeer')
    if (!v || !/^(yes|persist|true|on|1)$/i.test(v.value)) return []
    return [
      {
        message: `autocreatepeer=${v.value}: any device can register without authentication`,
        evidence: [evVar(v)],
      },
    ]
  },
}
