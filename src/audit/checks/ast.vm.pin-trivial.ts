import { isKnownDefault, isRepeated, isSequential } from '../../passwd/strength.js'
import type { AsteriskModel } from '../asterisk/model.js'
import type { Check } from '../types.js'
import { evAt } from './util.js'
import { mailboxExcerpt, mailboxes } from './voicemail.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.vm.pin-trivial',
  pbx: 'asterisk',
  severity: 'high',
  title: 'Trivial voicemail PIN',
  rationale: 'Remote mailbox takeover: greeting abuse, and outbound calls where dialout/callback is set.',
  remediation: 'Random PINs of 6+ digits; externpasscheck to enforce it.',
  run(m) {
    const out = []
    for (const b of mailboxes(m)) {
      // equal-to-mailbox and published defaults have their own checks
      if (b.pin === '' || b.pin === b.box || isKnownDefault(b.pin)) continue
      const why: string[] = []
      if (b.pin.length < 4) why.push('shorter than 4 digits')
      if (isRepeated(b.pin)) why.push('repeated digits')
      if (isSequential(b.pin)) why.push('a sequence')
      if (why.length === 0) continue
      out.push({
        message: `mailbox ${b.box}@${b.context.name}: PIN is ${why.join(', ')}${b.unchangeable ? ' and the user cannot change it' : ''}`,
        evidence: [evAt(b.v.loc, mailboxExcerpt(b))],
      })
    }
    return out
  },
}
