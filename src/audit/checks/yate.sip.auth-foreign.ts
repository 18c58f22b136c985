import type { Check } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { ybool, yget } from '../yate/reader.js'
import { evY } from './yate-util.js'

export const check: Check<YateModel> = {
  id: 'yate.sip.auth-foreign',
  pbx: 'yate',
  severity: 'medium',
  title: 'SIP accepts nonces it did not generate',
  rationale: 'auth_foreign=enable accepts credentials computed for nonces not generated locally.',
  remediation: 'auth_foreign=disable (the default).',
  run(m) {
    const a = yget(m.conf('ysipchan.conf').section('general'), 'auth_foreign')
    return a && ybool(a.value, false) ? [{ message: `auth_foreign=${a.value}`, evidence: [evY(a)] }] : []
  },
}
