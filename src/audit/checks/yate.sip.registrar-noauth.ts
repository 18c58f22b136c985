import type { Check } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { ybool, yget } from '../yate/reader.js'
import { evY } from './yate-util.js'

export const check: Check<YateModel> = {
  id: 'yate.sip.registrar-noauth',
  pbx: 'yate',
  severity: 'critical',
  title: 'SIP registrar does not require authentication',
  rationale: 'ysipchan [registrar] auth_required=no accepts REGISTER without a challenge.',
  remediation: 'auth_required=enable (the default).',
  run(m) {
    const cfg = m.conf('ysipchan.conf')
    const reg = cfg.section('registrar')
    const a = yget(reg, 'auth_required')
    if (!a || ybool(a.value, true) || !ybool(yget(reg, 'enable')?.value, true)) return []
    return [
      {
        message: `[registrar] auth_required=${a.value}: registrations are not challenged`,
        evidence: [evY(a)],
      },
    ]
  },
}
