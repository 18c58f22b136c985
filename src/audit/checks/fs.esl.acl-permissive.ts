import { evParam, type FreeswitchModel } from '../freeswitch/model.js'
import type { Check } from '../types.js'
import { aclPermissive } from './fs-util.js'
import { isBroadBind } from './util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.esl.acl-permissive',
  pbx: 'freeswitch',
  severity: 'high',
  title: 'Event socket inbound ACL admits too much',
  rationale: 'ESL gives the full API including `system`; its apply-inbound-acl is the only network gate.',
  remediation: 'apply-inbound-acl=loopback.auto or an exact admin list with default="deny".',
  run(m) {
    const conf = m.configuration('event_socket.conf')
    if (!conf || (m.modules && !m.modules.has('mod_event_socket'))) return []
    const s = m.settings('event_socket.conf')
    const acl = s.get('apply-inbound-acl')
    if (!acl) return [] // code default loopback.auto since FS-7638
    const why = aclPermissive(m, acl.value, true)
    if (!why) return []
    const listenAll = isBroadBind(s.get('listen-ip')?.value ?? '127.0.0.1')
    return [
      {
        message: `event socket apply-inbound-acl: ${why}${listenAll ? ' and it listens on all interfaces' : ''}`,
        evidence: evParam(acl),
        severity: listenAll ? 'critical' : undefined,
      },
    ]
  },
}
