import { isKnownDefault, isRepeated, isSequential } from '../../passwd/strength.js'
import { evParam, type FreeswitchModel } from '../freeswitch/model.js'
import type { Check, FindingDraft } from '../types.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.dir.vm-password-trivial',
  pbx: 'freeswitch',
  severity: 'high',
  title: 'Trivial voicemail PIN',
  rationale:
    'Vanilla users have vm-password equal to the user id; a guessed PIN gives the mailbox (and callbacks).',
  remediation: 'Random PINs of 6+ digits, or vm-a1-hash.',
  run(m) {
    const out: FindingDraft[] = []
    for (const u of m.users) {
      const p = u.params.get('vm-password')
      if (!p || u.params.get('vm-a1-hash')) continue
      const pin = p.value
      const why: string[] = []
      if (pin === u.id) why.push('equal to the user id')
      if (pin !== '' && pin.length < 4) why.push('shorter than 4 digits')
      if (isRepeated(pin)) why.push('repeated digits')
      if (isSequential(pin)) why.push('a sequence')
      if (isKnownDefault(pin)) why.push('a published default')
      if (why.length === 0) continue
      out.push({ message: `user ${u.id} vm-password is ${why.join(', ')}`, evidence: evParam(p) })
    }
    return out
  },
}
