import { evParam, type FreeswitchModel } from '../freeswitch/model.js'
import type { Check, FindingDraft } from '../types.js'
import { isTrueFs } from './fs-util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.sofia.tls-legacy',
  pbx: 'freeswitch',
  severity: 'medium',
  title: 'Legacy TLS versions enabled',
  rationale: 'Vanilla sip_tls_version is "tlsv1,tlsv1.1,tlsv1.2".',
  remediation: 'tls-version=tlsv1.2 (and tlsv1.3).',
  run(m) {
    const out: FindingDraft[] = []
    for (const p of m.profiles) {
      if (!isTrueFs(p.params.get('tls')?.value)) continue
      const v = p.params.get('tls-version')
      if (v && /sslv2|sslv3|tlsv1(\.1)?(,|$)/i.test(v.value))
        out.push({ message: `profile ${p.name}: tls-version=${v.value}`, evidence: evParam(v) })
    }
    return out
  },
}
