import type { FreeswitchModel } from '../freeswitch/model.js'
import type { Check, FindingDraft } from '../types.js'
import { actionExcerpt } from './fs-util.js'

const TAINT =
  /\$\{(destination_number|caller_id_(number|name)|sip_h_[^}]*|sip_from_[^}]*|sip_to_user|sip_req_user|effective_caller_id_[^}]*)\}/i

export const check: Check<FreeswitchModel> = {
  id: 'fs.dp.system-injection',
  pbx: 'freeswitch',
  severity: 'critical',
  title: 'Caller-controlled data passed to a shell command',
  rationale:
    'system/bgsystem and ${system(…)} run /bin/sh; caller ID, headers and the dialled number are attacker-set.',
  remediation: 'Avoid the shell; pass only strict regex captures ($1 of ^(\\d+)$).',
  run(m) {
    const out: FindingDraft[] = []
    for (const ext of m.graph.extensions())
      for (const a of ext.actions) {
        const shell =
          a.app === 'system' || a.app === 'bgsystem'
            ? a.data
            : /\$\{system\(/i.test(a.data)
              ? a.data
              : undefined
        if (shell === undefined || !TAINT.test(shell)) continue
        out.push({
          message: `[${ext.ctx}] ${ext.name}: ${a.app} runs a command built from caller data`,
          evidence: [{ loc: a.loc, excerpt: actionExcerpt(a) }],
        })
      }
    return out
  },
}
