import { evParam, type FreeswitchModel } from '../freeswitch/model.js'
import type { Check } from '../types.js'
import { isTrueFs } from './fs-util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.sofia.blind-auth',
  pbx: 'freeswitch',
  severity: 'critical',
  title: 'Sofia profile accepts any credentials',
  rationale: 'accept-blind-auth: "accept any authentication without actually checking".',
  remediation: 'Remove accept-blind-auth.',
  run(m) {
    return m.profiles.flatMap((p) => {
      const v = p.params.get('accept-blind-auth')
      return v && isTrueFs(v.value)
        ? [{ message: `profile ${p.name}: accept-blind-auth=true`, evidence: evParam(v) }]
        : []
    })
  },
}
