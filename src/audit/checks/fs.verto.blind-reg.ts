import { evParam, type FreeswitchModel, paramsOf } from '../freeswitch/model.js'
import { descendants } from '../freeswitch/xml.js'
import type { Check, FindingDraft } from '../types.js'
import { isFalseFs, isTrueFs } from './fs-util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.verto.blind-reg',
  pbx: 'freeswitch',
  severity: 'critical',
  title: 'Verto accepts unauthenticated WebRTC clients',
  rationale: 'blind-reg=true or userauth=false lets any browser log in and place calls.',
  remediation: 'Keep the defaults: userauth=true, blind-reg=false.',
  run(m) {
    const conf = m.configuration('verto.conf')
    if (!conf) return []
    const out: FindingDraft[] = []
    for (const p of descendants(conf, 'profile')) {
      const params = paramsOf(p)
      const br = params.get('blind-reg')
      const ua = params.get('userauth')
      if (br && isTrueFs(br.value))
        out.push({ message: `verto profile ${p.attrs.get('name')}: blind-reg=true`, evidence: evParam(br) })
      if (ua && isFalseFs(ua.value))
        out.push({ message: `verto profile ${p.attrs.get('name')}: userauth=false`, evidence: evParam(ua) })
    }
    return out
  },
}
