import type { FreeswitchModel } from '../freeswitch/model.js'
import type { Check, FindingDraft } from '../types.js'
import { actionExcerpt } from './fs-util.js'

const SPY = new Set(['eavesdrop', 'intercept', 'userspy', 'three_way'])
/** Conditions that do not restrict who may spy: the dialled number and the (spoofable) caller ID. */
const NOT_A_GATE = /^\$?\{?(destination_number|caller_id_number|caller_id_name|ani)\}?$/

export const check: Check<FreeswitchModel> = {
  id: 'fs.dp.eavesdrop-open',
  pbx: 'freeswitch',
  severity: 'medium',
  title: 'Eavesdrop or intercept open to every caller of the context',
  rationale:
    'The vanilla dialplan ships eavesdrop (88xxxx, *0) and intercept extensions gated only on the dialled ' +
    'number: any registered user can listen to or steal any call.',
  remediation: 'Remove them, or gate them on a permission variable of trusted users (and a PIN).',
  run(m) {
    const out: FindingDraft[] = []
    for (const ext of m.graph.extensions()) {
      const gated = ext.conditions.some((c) => c.field !== '' && !NOT_A_GATE.test(c.field))
      if (gated) continue
      for (const a of ext.actions) {
        if (!SPY.has(a.app) || a.anti) continue
        out.push({
          message: `[${ext.ctx}] ${ext.name}: ${a.app} with no permission condition`,
          evidence: [{ loc: a.loc, excerpt: actionExcerpt(a) }],
        })
        break
      }
    }
    return out
  },
}
