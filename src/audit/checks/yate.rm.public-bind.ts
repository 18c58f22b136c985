import type { Check, FindingDraft } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { yget } from '../yate/reader.js'
import { isBroadBind } from './util.js'
import { evY, moduleLoaded, rmListeners } from './yate-util.js'

export const check: Check<YateModel> = {
  id: 'yate.rm.public-bind',
  pbx: 'yate',
  severity: 'high',
  title: 'rmanager listens on all interfaces or a public address',
  rationale: 'The admin console (call, drop, reload, restart, stop) becomes reachable from the network.',
  remediation: 'addr=127.0.0.1.',
  run(m) {
    if (!moduleLoaded(m, 'rmanager')) return []
    const out: FindingDraft[] = []
    for (const s of rmListeners(m)) {
      const a = yget(s, 'addr')
      if (a && isBroadBind(a.value))
        out.push({ message: `rmanager [${s.name}] addr=${a.value}`, evidence: [evY(a)] })
    }
    return out
  },
}
