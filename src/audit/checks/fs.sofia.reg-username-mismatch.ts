import { evParam, type FreeswitchModel } from '../freeswitch/model.js'
import type { Check, FindingDraft } from '../types.js'
import { isTrueFs } from './fs-util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.sofia.reg-username-mismatch',
  pbx: 'freeswitch',
  severity: 'medium',
  title: 'One credential can register as another extension',
  rationale:
    'inbound-reg-force-matching-username defaults to false (FSD-SOFIA): a REGISTER authenticated as user A may ' +
    "carry extension B in To/From, so one stolen password hijacks other extensions' calls.",
  remediation: 'inbound-reg-force-matching-username=true on every profile that accepts registrations.',
  run(m) {
    const out: FindingDraft[] = []
    for (const p of m.profiles) {
      if (isTrueFs(p.params.get('disable-register')?.value)) continue
      const v = p.params.get('inbound-reg-force-matching-username')
      if (isTrueFs(v?.value)) continue
      out.push({
        message: `profile ${p.name} accepts registrations without forcing the auth username`,
        evidence: v
          ? evParam(v)
          : [
              {
                loc: p.loc,
                excerpt: `<profile name="${p.name}">`,
                note: 'inbound-reg-force-matching-username unset (default false)',
              },
            ],
      })
    }
    return out
  },
}
