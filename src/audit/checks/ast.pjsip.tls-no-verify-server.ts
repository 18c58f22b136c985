import type { AsteriskModel } from '../asterisk/model.js'
import { type AstCategory, get, getAll, isTrue } from '../asterisk/reader.js'
import type { Check, Evidence, FindingDraft } from '../types.js'
import { transports, wantsTls } from './pjsip-util.js'
import { evCat, evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.pjsip.tls-no-verify-server',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Outbound TLS does not verify the server certificate',
  rationale:
    'verify_server defaults to no: registrations and trunk calls over TLS accept any certificate, so a ' +
    'man in the middle reads credentials digests and SRTP keys.',
  remediation: 'verify_server=yes with ca_list_file (or ca_list_path) on transports used toward carriers.',
  run(m) {
    const out: FindingDraft[] = []
    const pj = m.conf('pjsip.conf')
    const tls = transports(m).filter((t) => t.protocol === 'tls')
    if (tls.length === 0) return out
    // who signals outward: outbound registrations and trunk endpoints (outbound_auth or identify)
    const outward: AstCategory[] = [
      ...pj.ofType('registration'),
      ...m.pjsipEndpoints.filter((e) => get(e, 'outbound_auth') || m.identified.has(e.name)),
    ]
    for (const t of tls) {
      const verify = get(t.cat, 'verify_server')
      if (isTrue(verify?.value)) continue
      const users: Evidence[] = []
      for (const c of outward) {
        const tv = get(c, 'transport')
        if (tv?.value === t.cat.name) users.push(evVar(tv, `[${c.name}] uses it`))
        else if (!tv && t === tls[0]) {
          const uri = get(c, 'server_uri') ?? get(c, 'contact') ?? get(c, 'outbound_proxy')
          if (uri && wantsTls(uri.value)) users.push(evVar(uri, `[${c.name}] signals over TLS`))
        }
      }
      // a static AOR contact (a trunk's) can ask for TLS too; PJSIP then picks the first TLS transport
      if (t === tls[0])
        for (const aor of pj.ofType('aor'))
          for (const c of getAll(aor, 'contact'))
            if (wantsTls(c.value)) users.push(evVar(c, `[${aor.name}] contact over TLS`))
      if (users.length === 0) continue
      out.push({
        message: `TLS transport [${t.cat.name}] is used toward carriers without verify_server`,
        evidence: [verify ? evVar(verify) : evCat(t.cat, 'verify_server unset (default no)'), ...users],
      })
    }
    return out
  },
}
