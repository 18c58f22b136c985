import { evParam, type FreeswitchModel } from '../freeswitch/model.js'
import type { Check } from '../types.js'
import { isTrueFs } from './fs-util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.sofia.blind-reg',
  pbx: 'freeswitch',
  severity: 'critical',
  title: 'Sofia profile accepts blind registration',
  rationale: 'Vanilla comment on accept-blind-reg: "this lets anything register".',
  remediation: 'Remove accept-blind-reg.',
  run(m) {
    return m.profiles.flatMap((p) => {
      const v = p.params.get('accept-blind-reg')
      return v && isTrueFs(v.value)
        ? [{ message: `profile ${p.name}: accept-blind-reg=true`, evidence: evParam(v) }]
        : []
    })
  },
}
