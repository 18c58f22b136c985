import type { AsteriskModel } from '../asterisk/model.js'
import { get, isTrue } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.sip.tls-weak',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'chan_sip TLS uses a legacy protocol or skips server verification',
  rationale:
    'sip.conf.sample TLS section: tlsclientmethod sslv2/sslv3/tlsv1 are broken or deprecated; ' +
    'tlsdontverifyserver=yes accepts any certificate on outbound TLS (MITM).',
  remediation: 'Remove tlsclientmethod (version-flexible default) and tlsdontverifyserver; set tlscafile.',
  run(m) {
    const g = m.conf('sip.conf').sections('general')[0]
    if (!g || !isTrue(get(g, 'tlsenable')?.value)) return []
    const out: FindingDraft[] = []
    const method = get(g, 'tlsclientmethod')
    if (method && /^(sslv2|sslv3|tlsv1)$/i.test(method.value.trim()))
      out.push({ message: `tlsclientmethod=${method.value}`, evidence: [evVar(method)] })
    const noverify = get(g, 'tlsdontverifyserver')
    if (noverify && isTrue(noverify.value))
      out.push({
        message: 'tlsdontverifyserver=yes: outbound TLS accepts any certificate',
        evidence: [evVar(noverify)],
      })
    return out
  },
}
