import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { evLine, outsideReachable } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.vm-from-outside',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'VoiceMailMain reachable from outside callers',
  rationale:
    'Remote mailbox login can be brute-forced from the PSTN or the internet; with dialout/callback it becomes ' +
    'toll fraud, and a taken-over greeting is used in social engineering.',
  remediation: 'Reach VoiceMailMain only from phone contexts, or require long PINs and limit attempts.',
  run(m) {
    const out: FindingDraft[] = []
    for (const [line, r] of outsideReachable(m)) {
      if (line.appLower !== 'voicemailmain') continue
      const ev = evLine(line)
      out.push({
        message: `VoiceMailMain in [${line.ctx}] is reachable from ${r.entry.label}`,
        evidence: [ev],
        path: [r.entry.evidence, ...r.hops, ev],
      })
    }
    return out
  },
}
