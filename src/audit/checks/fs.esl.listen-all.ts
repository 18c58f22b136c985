import { evParam, type FreeswitchModel } from '../freeswitch/model.js'
import type { Check } from '../types.js'
import { isBroadBind } from './util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.esl.listen-all',
  pbx: 'freeswitch',
  severity: 'medium',
  title: 'Event socket listens on all interfaces',
  rationale: 'Vanilla sets listen-ip to "::"; the docs say to use apply-inbound-acl in that case.',
  remediation: 'listen-ip=127.0.0.1.',
  run(m) {
    if (!m.configuration('event_socket.conf') || (m.modules && !m.modules.has('mod_event_socket'))) return []
    const ip = m.settings('event_socket.conf').get('listen-ip')
    if (!ip || !isBroadBind(ip.value)) return []
    return [{ message: `event socket listen-ip=${ip.value}`, evidence: evParam(ip) }]
  },
}
