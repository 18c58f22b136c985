import type { AsteriskModel } from '../asterisk/model.js'
import type { Check } from '../types.js'
import { evAt } from './util.js'
import { mailboxExcerpt, mailboxes } from './voicemail.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.vm.pin-equals-mailbox',
  pbx: 'asterisk',
  severity: 'high',
  title: 'Voicemail PIN equals the mailbox number',
  rationale:
    'The first guess of any attacker; voicemail treats such a box as a "new user" that never changed it.',
  remediation: 'Set random PINs of 6+ digits and minpassword=6; force a change at first login.',
  run(m) {
    return mailboxes(m)
      .filter((b) => b.pin !== '' && b.pin === b.box)
      .map((b) => ({
        message: `mailbox ${b.box}@${b.context.name}: the PIN is the mailbox number`,
        evidence: [evAt(b.v.loc, mailboxExcerpt(b))],
      }))
  },
}
