import type { Check } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { ybool, yget } from '../yate/reader.js'
import { evY } from './yate-util.js'

export const check: Check<YateModel> = {
  id: 'yate.sip.message-noauth',
  pbx: 'yate',
  severity: 'medium',
  title: 'SIP MESSAGE accepted without authentication',
  rationale:
    'ysipchan.conf [message]: with enable=yes and auth_required=no anyone can inject MESSAGE requests into ' +
    'routing (spam, a route into the message handlers).',
  remediation: 'auth_required=yes (the default) in [message], or enable=no.',
  run(m) {
    const s = m.conf('ysipchan.conf').section('message')
    const en = yget(s, 'enable')
    const auth = yget(s, 'auth_required')
    if (!en || !ybool(en.value, false) || !auth || ybool(auth.value, true)) return []
    return [{ message: 'MESSAGE enabled with auth_required=no', evidence: [evY(auth), evY(en)] }]
  },
}
