import type { Check } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { ybool, yget } from '../yate/reader.js'
import { evY } from './yate-util.js'

export const check: Check<YateModel> = {
  id: 'yate.reg.autocreate',
  pbx: 'yate',
  severity: 'critical',
  title: 'regfile creates users on the fly',
  rationale: 'autocreate=yes: any REGISTER creates a user.',
  remediation: 'autocreate=no (the default).',
  run(m) {
    const a = yget(m.conf('regfile.conf').section('general'), 'autocreate')
    return a && ybool(a.value, false) ? [{ message: `autocreate=${a.value}`, evidence: [evY(a)] }] : []
  },
}
