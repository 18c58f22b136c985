import type { AsteriskModel } from '../asterisk/model.js'
import { get, isTrue } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.sip.trustrpid',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'chan_sip trusts Remote-Party-ID from phones',
  rationale:
    'trustrpid=yes lets the peer set the caller identity with Remote-Party-ID/P-Asserted-Identity; on phones ' +
    '(user/friend, host=dynamic) or in [general] that is caller-ID spoofing onward.',
  remediation: 'trustrpid=yes only on trunk peers from a trusted provider.',
  run(m) {
    const out: FindingDraft[] = []
    for (const s of m.conf('sip.conf').sections()) {
      const v = get(s, 'trustrpid')
      if (!v || !isTrue(v.value)) continue
      const type = (get(s, 'type')?.value ?? 'friend').toLowerCase()
      const host = (get(s, 'host')?.value ?? 'dynamic').toLowerCase()
      if (s.name !== 'general' && type === 'peer' && host !== 'dynamic') continue
      out.push({
        message:
          s.name === 'general'
            ? 'trustrpid=yes for every peer'
            : `peer [${s.name}] (type=${type}, host=${host}) trusts Remote-Party-ID`,
        evidence: [evVar(v)],
      })
    }
    return out
  },
}
