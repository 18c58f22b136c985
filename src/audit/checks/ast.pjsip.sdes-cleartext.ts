import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { isTlsProtocol, transports } from './pjsip-util.js'
import { evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.pjsip.sdes-cleartext',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'SDES-SRTP keys sent over unencrypted signalling',
  rationale:
    'With media_encryption=sdes the SRTP keys travel in the SDP; PJXML: "Encrypted SIP transport should be used ' +
    'in conjunction with this option to prevent exposure of media encryption keys".',
  remediation: 'Use a TLS (or WSS) transport for the endpoint, or media_encryption=dtls.',
  run(m) {
    const out: FindingDraft[] = []
    const all = transports(m)
    for (const ep of m.pjsipEndpoints) {
      const me = get(ep, 'media_encryption')
      if (me?.value.toLowerCase() !== 'sdes') continue
      const tname = get(ep, 'transport')
      if (tname) {
        const t = all.find((x) => x.cat.name === tname.value)
        if (!t || isTlsProtocol(t.protocol)) continue
        const proto = get(t.cat, 'protocol')
        out.push({
          message: `endpoint [${ep.name}] uses SDES over transport [${t.cat.name}] (${t.protocol})`,
          evidence: [evVar(me), evVar(tname), ...(proto ? [evVar(proto)] : [])],
        })
      } else if (all.length > 0 && !all.some((t) => isTlsProtocol(t.protocol))) {
        out.push({
          message: `endpoint [${ep.name}] uses SDES and no transport is TLS`,
          evidence: [evVar(me)],
        })
      }
    }
    return out
  },
}
