import { assessPassword } from '../../passwd/strength.js'
import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evVar, weakText } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.sip.weak-secret',
  pbx: 'asterisk',
  severity: 'high',
  title: 'Weak chan_sip peer secret',
  rationale: 'Peer secrets are brute-forced online; numeric and name-equal secrets fall in minutes (RSB).',
  remediation: 'Random 16+ character secrets (`sipwarden passwd generate`).',
  run(m) {
    const out: FindingDraft[] = []
    for (const peer of m.conf('sip.conf').sections()) {
      if (peer.name === 'general') continue
      const s = get(peer, 'secret')
      if (!s) continue
      const identities = [
        peer.name,
        get(peer, 'defaultuser')?.value ?? '',
        get(peer, 'username')?.value ?? '',
      ]
      const r = assessPassword(s.value, { identities })
      if (r.verdict === 'ok' || r.verdict === 'default-known') continue
      out.push({
        message: `peer [${peer.name}] secret is ${weakText(r)}`,
        evidence: [evVar(s)],
        severity: r.verdict === 'empty' ? 'critical' : undefined,
      })
    }
    return out
  },
}
