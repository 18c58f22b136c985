import { evParam, type FreeswitchModel } from '../freeswitch/model.js'
import type { Check } from '../types.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.core.loglevel-debug',
  pbx: 'freeswitch',
  severity: 'low',
  title: 'Core log level is debug',
  rationale:
    'Vanilla switch.conf.xml sets loglevel=debug: in production that floods the logs (hiding the auth ' +
    'failures a log watcher needs) and writes call and credential details to disk.',
  remediation: 'switch.conf.xml: <param name="loglevel" value="info"/> (or warning).',
  run(m) {
    if (!m.configuration('switch.conf')) return []
    const level = m.settings('switch.conf').get('loglevel')
    if (!level || !/^(debug\d*|console|7)$/i.test(level.value.trim())) return []
    return [{ message: `loglevel=${level.value}`, evidence: evParam(level) }]
  },
}
