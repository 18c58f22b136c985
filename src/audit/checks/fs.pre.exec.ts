import { clip } from '../excerpt.js'
import type { FreeswitchModel } from '../freeswitch/model.js'
import { scrubInlineCredentials } from '../mask.js'
import type { Check, FindingDraft } from '../types.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.pre.exec',
  pbx: 'freeswitch',
  severity: 'medium',
  title: 'X-PRE-PROCESS runs a command at load',
  rationale:
    'cmd="exec" and cmd="exec-set" run a shell command every time the XML is (re)loaded; the generated ' +
    'configuration cannot be audited and the script path becomes a privilege boundary.',
  remediation: 'Generate the files offline and include them statically; keep the script root-owned.',
  run(m) {
    const out: FindingDraft[] = []
    for (const d of m.directives) {
      const cmd = d.cmd.toLowerCase()
      if (cmd !== 'exec' && cmd !== 'exec-set') continue
      out.push({
        message: `X-PRE-PROCESS cmd="${d.cmd}" runs a command at load${d.inComment ? ' (inside a comment, still active)' : ''}`,
        evidence: [
          {
            loc: d.loc,
            excerpt: clip(scrubInlineCredentials(`<X-PRE-PROCESS cmd="${d.cmd}" data="${d.data}"/>`)),
          },
        ],
      })
    }
    return out
  },
}
