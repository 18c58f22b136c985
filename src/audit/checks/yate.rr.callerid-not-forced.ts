import type { Check } from '../types.js'
import type { YateModel } from '../yate/model.js'

export const check: Check<YateModel> = {
  id: 'yate.rr.callerid-not-forced',
  pbx: 'yate',
  severity: 'medium',
  title: 'Caller ID not forced to the authenticated username',
  rationale:
    'regexroute sample: "force caller id to authenticated username"; otherwise users spoof any caller ID.',
  remediation: 'Add ${username}.=;caller=${username} in [default].',
  run(m) {
    const rr = m.conf('regexroute.conf')
    const def = rr.section('default')
    if (!def) return []
    const forced = rr.sections.some((s) =>
      s.entries.some((e) => /\$\{username\}/.test(e.key) && /caller=\$\{username\}/.test(e.value)),
    )
    return forced
      ? []
      : [{ message: 'no rule sets caller=${username}', evidence: [{ loc: def.loc, excerpt: '[default]' }] }]
  },
}
