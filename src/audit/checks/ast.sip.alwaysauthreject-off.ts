import type { AsteriskModel } from '../asterisk/model.js'
import { get, isFalse } from '../asterisk/reader.js'
import type { Check } from '../types.js'
import { evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.sip.alwaysauthreject-off',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'chan_sip reveals which usernames exist',
  rationale:
    'sip.conf.sample: alwaysauthreject=yes "reduces the ability of an attacker to scan for valid SIP ' +
    'usernames"; with no, unknown and known peers get different answers (svwar).',
  remediation: 'alwaysauthreject=yes (the default).',
  run(m) {
    const v = get(m.conf('sip.conf').sections('general')[0], 'alwaysauthreject')
    if (!v || !isFalse(v.value)) return []
    return [{ message: 'alwaysauthreject=no lets scanners enumerate peers', evidence: [evVar(v)] }]
  },
}
