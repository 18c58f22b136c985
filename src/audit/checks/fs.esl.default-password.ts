import { evParam, type FreeswitchModel } from '../freeswitch/model.js'
import type { Check } from '../types.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.esl.default-password',
  pbx: 'freeswitch',
  severity: 'critical',
  title: 'Event socket uses the default password ClueCon',
  rationale:
    'ESL gives the full API including `system`; ClueCon is the code and vanilla default (CVE-2019-19492).',
  remediation: 'A long random password in event_socket.conf.xml.',
  run(m) {
    const conf = m.configuration('event_socket.conf')
    if (!conf || (m.modules && !m.modules.has('mod_event_socket'))) return []
    const pw = m.settings('event_socket.conf').get('password')
    if (!pw)
      return [
        {
          message: 'event socket password unset: the code default ClueCon applies',
          evidence: [{ loc: conf.loc, excerpt: '<configuration name="event_socket.conf">' }],
        },
      ]
    if (pw.value !== 'ClueCon') return []
    return [{ message: 'event socket password is ClueCon', evidence: evParam(pw) }]
  },
}
