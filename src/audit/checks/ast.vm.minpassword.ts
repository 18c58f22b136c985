import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import type { Check } from '../types.js'
import { evCat, evVar } from './util.js'
import { mailboxes } from './voicemail.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.vm.minpassword',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Voicemail accepts short PINs',
  rationale:
    'voicemail.conf minpassword ("Enforce minimum password length") defaults to 0: users may set 1-digit PINs ' +
    'from the phone menu.',
  remediation: 'minpassword=6 (or more) in voicemail.conf [general].',
  run(m) {
    const vm = m.conf('voicemail.conf')
    if (mailboxes(m).length === 0) return []
    const g = vm.sections('general')[0]
    const v = get(g, 'minpassword')
    const n = v ? Number(v.value) : 0
    if (v && Number.isFinite(n) && n >= 6) return []
    return [
      {
        message: v ? `minpassword=${v.value}` : 'minpassword unset (default 0)',
        evidence: [
          v
            ? evVar(v)
            : g
              ? evCat(g, 'minpassword unset')
              : {
                  loc: { file: 'voicemail.conf', line: 0 },
                  excerpt: '(no [general] section: minpassword 0)',
                },
        ],
      },
    ]
  },
}
