import type { AsteriskModel } from '../asterisk/model.js'
import { get, isFalse, isTrue } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.sip.unauth-message',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'chan_sip accepts out-of-call MESSAGE without authentication',
  rationale:
    'With accept_outofcall_message=yes and auth_message_requests=no, anyone can send SIP MESSAGE into the ' +
    'dialplan (outofcall_message_context): SMS spam and a dialplan entry point.',
  remediation: 'auth_message_requests=yes (the default), or accept_outofcall_message=no.',
  run(m) {
    const sip = m.conf('sip.conf')
    const g = sip.sections('general')[0]
    const gAccept = get(g, 'accept_outofcall_message')
    const gAuth = get(g, 'auth_message_requests')
    const out: FindingDraft[] = []
    if (gAccept && isTrue(gAccept.value) && gAuth && isFalse(gAuth.value))
      out.push({
        message: 'out-of-call MESSAGE accepted without authentication',
        evidence: [evVar(gAuth), evVar(gAccept)],
      })
    for (const p of sip.sections()) {
      if (p === g) continue
      const auth = get(p, 'auth_message_requests')
      const accept = get(p, 'accept_outofcall_message') ?? gAccept
      if (auth && isFalse(auth.value) && accept && isTrue(accept.value))
        out.push({
          message: `peer [${p.name}] accepts out-of-call MESSAGE without authentication`,
          evidence: [evVar(auth), evVar(accept)],
        })
    }
    return out
  },
}
