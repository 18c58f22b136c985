import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { transports } from './pjsip-util.js'
import { evCat, evVar } from './util.js'

const WEAK = new Set(['', 'default', 'unspecified', 'tlsv1', 'tlsv1_1', 'sslv2', 'sslv3', 'sslv23'])

export const check: Check<AsteriskModel> = {
  id: 'ast.pjsip.tls-weak-method',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'PJSIP TLS transport allows legacy protocol versions',
  rationale:
    'PJXML: method unset means "the default as defined by PJSIP. This is currently TLSv1"; TLS 1.0/1.1 and SSL ' +
    'are broken or deprecated (RFC 8996).',
  remediation: 'method=tlsv1_2 (or tlsv1_3) on every TLS transport.',
  run(m) {
    const out: FindingDraft[] = []
    for (const t of transports(m)) {
      if (t.protocol !== 'tls') continue
      const method = get(t.cat, 'method')
      const v = (method?.value ?? '').toLowerCase()
      if (!WEAK.has(v)) continue
      out.push({
        message: `TLS transport [${t.cat.name}] method=${method ? method.value : '(unset: PJSIP default, TLSv1)'}`,
        evidence: [method ? evVar(method) : evCat(t.cat, 'method unset')],
      })
    }
    return out
  },
}
