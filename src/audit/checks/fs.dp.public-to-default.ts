import type { FreeswitchModel } from '../freeswitch/model.js'
import { extensionsOf } from '../freeswitch/reach.js'
import type { Check, FindingDraft } from '../types.js'
import { actionExcerpt, profileContext, unauthProfiles } from './fs-util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.dp.public-to-default',
  pbx: 'freeswitch',
  severity: 'critical',
  title: 'Unauthenticated context transfers callers into another context wholesale',
  rationale:
    'public.xml: "You don\'t want outside un-authenticated callers hitting your default context which allows ' +
    'dialing calls thru your providers and results in Toll Fraud."',
  remediation: 'Route explicit DIDs only (transfer to fixed extensions).',
  run(m) {
    const out: FindingDraft[] = []
    const seen = new Set<string>()
    for (const p of unauthProfiles(m)) {
      const { context, ev } = profileContext(p)
      if (seen.has(context)) continue
      seen.add(context)
      const el = m.contexts.get(context)
      if (!el) continue
      for (const ext of extensionsOf(context, el))
        for (const a of ext.actions) {
          if (a.app !== 'transfer' && a.app !== 'execute_extension') continue
          const [dest, , tctx] = a.data.trim().split(/\s+/)
          if (!dest || !tctx || tctx === context) continue
          // a caller-chosen destination (or a regex capture) passed into another context
          if (!/\$\{destination_number\}|\$\d/.test(dest)) continue
          out.push({
            message: `[${context}] (profile ${p.name}, unauthenticated) transfers any dialled number into [${tctx}]`,
            evidence: [{ loc: a.loc, excerpt: actionExcerpt(a) }],
            path: [ev, { loc: a.loc, excerpt: actionExcerpt(a) }],
          })
        }
    }
    return out
  },
}
