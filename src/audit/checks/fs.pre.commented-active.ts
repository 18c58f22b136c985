import type { FreeswitchModel } from '../freeswitch/model.js'
import type { Check } from '../types.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.pre.commented-active',
  pbx: 'freeswitch',
  severity: 'medium',
  title: 'X-PRE-PROCESS inside an XML comment is still active',
  rationale: 'vars.xml: "YOU CAN NOT COMMENT OUT AN X-PRE-PROCESS line, Remove the line instead."',
  remediation: 'Delete the line, or rename the tag (e.g. Z-PRE-PROCESS).',
  run(m) {
    return m.directives
      .filter((d) => d.inComment)
      .map((d) => ({
        message: `X-PRE-PROCESS cmd="${d.cmd}" looks commented out but runs`,
        evidence: [
          {
            loc: d.loc,
            excerpt: `<X-PRE-PROCESS cmd="${d.cmd}" data="${/pass|secret/i.test(d.data) ? `${d.data.split('=')[0]}=<masked>` : d.data}"/>`,
          },
        ],
      }))
  },
}
