import type { FreeswitchModel } from '../freeswitch/model.js'
import type { Check, FindingDraft } from '../types.js'
import { actionExcerpt } from './fs-util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.vm.pin-skip',
  pbx: 'freeswitch',
  severity: 'high',
  title: 'Voicemail PIN skipped',
  rationale:
    'mod_voicemail: `voicemail check auth …` or voicemail_authorized=true skip the PIN; caller ID is spoofable.',
  remediation: 'Require the PIN.',
  run(m) {
    const out: FindingDraft[] = []
    for (const ext of m.graph.extensions())
      for (const a of ext.actions) {
        const skip =
          (a.app === 'voicemail' && /^\s*check\s+auth\b/i.test(a.data)) ||
          ((a.app === 'set' || a.app === 'export') &&
            /^\s*voicemail_authorized\s*=\s*(true|yes|1)/i.test(a.data))
        if (skip)
          out.push({
            message: `[${ext.ctx}] ${ext.name}: voicemail without PIN`,
            evidence: [{ loc: a.loc, excerpt: actionExcerpt(a) }],
          })
      }
    return out
  },
}
