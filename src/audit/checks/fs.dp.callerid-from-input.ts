import type { FreeswitchModel } from '../freeswitch/model.js'
import type { Check, FindingDraft } from '../types.js'
import { actionExcerpt } from './fs-util.js'

const TARGET =
  /^\s*(effective_caller_id_(number|name)|origination_caller_id_(number|name)|sip_cid_type)\s*=(.*)$/i
const INPUT =
  /\$\{(sip_h_[^}]*|sip_rh_[^}]*|sip_i_[^}]*|destination_number|sip_to_user|sip_req_user|sip_user_agent)\}/i

export const check: Check<FreeswitchModel> = {
  id: 'fs.dp.callerid-from-input',
  pbx: 'freeswitch',
  severity: 'medium',
  title: 'Caller ID set from caller-controlled input',
  rationale:
    'effective_caller_id_* set from SIP headers or the dialled number lets the caller choose the identity ' +
    'presented to carriers and to caller-ID-based logic (spoofing).',
  remediation: 'Set caller ID from directory variables (${outbound_caller_id_number}) or a lookup only.',
  run(m) {
    const out: FindingDraft[] = []
    for (const ext of m.graph.extensions())
      for (const a of ext.actions) {
        if (a.app !== 'set' && a.app !== 'export') continue
        const t = TARGET.exec(a.data)
        if (!t || !INPUT.test(t[4]!)) continue
        out.push({
          message: `[${ext.ctx}] ${ext.name}: ${t[1]} is set from caller input`,
          evidence: [{ loc: a.loc, excerpt: actionExcerpt(a) }],
        })
      }
    return out
  },
}
