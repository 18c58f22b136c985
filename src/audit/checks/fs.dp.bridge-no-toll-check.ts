import type { FreeswitchModel } from '../freeswitch/model.js'
import { fsTollVerdict, tollGated } from '../freeswitch/reach.js'
import type { Check, FindingDraft } from '../types.js'
import { actionExcerpt, profileContext, unauthProfiles } from './fs-util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.dp.bridge-no-toll-check',
  pbx: 'freeswitch',
  severity: 'high',
  title: 'Bridge to a provider for open/international numbers without a toll_allow gate',
  rationale:
    'The vanilla example gates outbound routes on ${toll_allow}; without it every user (or caller) dials anywhere.',
  remediation:
    'Add a <condition field="${toll_allow}" expression="international"/> (or similar) to the extension.',
  run(m) {
    const out: FindingDraft[] = []
    const untrusted = unauthProfiles(m).map((p) => ({ p, ...profileContext(p) }))
    for (const ext of m.graph.extensions())
      for (const a of ext.actions) {
        const v = fsTollVerdict(ext, a)
        if (!v || tollGated(ext)) continue
        let raise: Pick<FindingDraft, 'severity' | 'path'> | undefined
        for (const u of untrusted) {
          const t = m.graph.tollPath(u.context)
          if (t && t.action === a) {
            raise = {
              severity: 'critical',
              path: [
                u.ev,
                ...t.hops,
                { loc: a.loc, excerpt: actionExcerpt(a), note: `toll route: ${v.reason}` },
              ],
            }
            break
          }
        }
        out.push({
          message: `[${ext.ctx}] ${ext.name} bridges ${v.reason} with no toll_allow condition`,
          evidence: [{ loc: a.loc, excerpt: actionExcerpt(a) }],
          ...raise,
        })
      }
    return out
  },
}
