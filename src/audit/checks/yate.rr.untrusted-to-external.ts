import type { Check, FindingDraft } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { evY } from './yate-util.js'

const TAINT = /\$\{(caller|callername|called|xsip_body|sip_[a-z_-]+)\}/i

export const check: Check<YateModel> = {
  id: 'yate.rr.untrusted-to-external',
  pbx: 'yate',
  severity: 'medium',
  title: 'Caller data passed to an external script or function',
  rationale:
    'A regexroute target external/… or $(…) built from ${caller}, ${callername}, ${called} or the SIP body ' +
    'hands attacker-chosen text to a script (argument injection).',
  remediation: 'Pass regex captures of validated patterns (\\1 of ^[0-9]+$) instead of raw parameters.',
  run(m) {
    const out: FindingDraft[] = []
    for (const s of m.conf('regexroute.conf').sections)
      for (const e of s.entries) {
        const target = e.value.split(';')[0] ?? ''
        const ext = /^\s*external\//i.test(target) && TAINT.test(target)
        const fn = [...e.value.matchAll(/\$\(([^)]*)\)/g)].some((x) => TAINT.test(x[1]!))
        if (!ext && !fn) continue
        out.push({
          message: `[${s.name}] ${ext ? 'external/ target' : '$(…) function'} built from caller data`,
          evidence: [evY(e)],
        })
      }
    return out
  },
}
