import { knownDefaults } from '../../passwd/strength.js'
import type { AsteriskModel } from '../asterisk/model.js'
import type { Check, FindingDraft } from '../types.js'
import { evAt } from './util.js'
import { mailboxExcerpt, mailboxes } from './voicemail.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.vm.sample-mailbox',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Sample mailbox from voicemail.conf.sample left in',
  rationale:
    'voicemail.conf.sample ships mailbox 1234 ("Example Mailbox") live in [default] with a published PIN, so ' +
    'anyone who reaches VoiceMailMain owns the mailbox (and its dialout).',
  remediation: 'Delete the sample mailbox; start from a minimal voicemail.conf.',
  run(m) {
    const out: FindingDraft[] = []
    for (const b of mailboxes(m)) {
      const name = (b.v.value.split(',')[1] ?? '').trim()
      // the sample's published PIN is in the defaults list with its source (data/passwords/pbx-defaults.tsv)
      const samplePin = /voicemail\.conf\.sample/.test(knownDefaults().get(b.pin) ?? '')
      if (!((b.box === '1234' && samplePin) || /^example mailbox$/i.test(name))) continue
      out.push({
        message: `sample mailbox ${b.box} in [${b.context.name}]`,
        evidence: [evAt(b.v.loc, mailboxExcerpt(b))],
      })
    }
    return out
  },
}
