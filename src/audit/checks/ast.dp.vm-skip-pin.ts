import { splitArgs } from '../asterisk/dialplan.js'
import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { evLine, outsideReachable, pathOf } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.vm-skip-pin',
  pbx: 'asterisk',
  severity: 'high',
  title: 'VoiceMailMain skips the PIN (option s)',
  rationale:
    'app_voicemail: "s: Skip checking the passcode for the mailbox"; keyed on caller ID it is open to spoofing.',
  remediation: 'Drop the s option and require the PIN.',
  run(m) {
    const out: FindingDraft[] = []
    const outside = outsideReachable(m)
    for (const line of m.dialplan.lines()) {
      if (line.appLower !== 'voicemailmain') continue
      const args = splitArgs(line.args)
      const opts = args[1] ?? ''
      const inlineOpt = /^s/i.test(args[0] ?? '') && !/^s@/i.test(args[0] ?? '')
      if (!/s/.test(opts.replace(/\([^)]*\)/g, '')) && !inlineOpt) continue
      const reach = outside.get(line)
      out.push({
        message: `VoiceMailMain in [${line.ctx}] skips the PIN${reach ? ` and is reachable from ${reach.entry.label}` : ''}`,
        evidence: [evLine(line)],
        severity: reach ? 'critical' : undefined,
        path: reach ? pathOf(reach.entry, reach.hops, evLine(line)) : undefined,
      })
    }
    return out
  },
}
