import type { AsteriskModel } from '../asterisk/model.js'
import { get, isFalse, isTrue } from '../asterisk/reader.js'
import type { Check, Evidence } from '../types.js'
import { evCat, evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.http.tls-legacy',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Asterisk HTTPS allows TLS 1.0 or 1.1',
  rationale:
    'main/http.c disables TLSv1 by default (tlsdisablev1=yes) but not TLSv1.1 (tlsdisablev11=no); both are ' +
    'deprecated (RFC 8996).',
  remediation: 'tlsdisablev1=yes and tlsdisablev11=yes in http.conf [general].',
  run(m) {
    const g = m.conf('http.conf').sections('general')[0]
    const tls = get(g, 'tlsenable')
    if (!g || !tls || !isTrue(tls.value)) return []
    const v1 = get(g, 'tlsdisablev1')
    const v11 = get(g, 'tlsdisablev11')
    const ev: Evidence[] = []
    const what: string[] = []
    if (v1 && isFalse(v1.value)) {
      ev.push(evVar(v1))
      what.push('TLS 1.0')
    }
    if (!v11 || !isTrue(v11.value)) {
      ev.push(v11 ? evVar(v11) : evCat(g, 'tlsdisablev11 unset (default no)'))
      what.push('TLS 1.1')
    }
    if (ev.length === 0) return []
    return [{ message: `HTTPS accepts ${what.join(' and ')}`, evidence: [...ev, evVar(tls)] }]
  },
}
