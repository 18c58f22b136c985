import type { Check, FindingDraft } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { yget } from '../yate/reader.js'
import { isLoopback } from './util.js'
import { evSect } from './yate-util.js'

export const check: Check<YateModel> = {
  id: 'yate.ext.tcp-listener',
  pbx: 'yate',
  severity: 'medium',
  title: 'extmodule TCP listener on loopback',
  rationale: 'Any local user or process can take control of the engine through it.',
  remediation: 'Prefer a unix socket in a directory only Yate can access.',
  run(m) {
    const out: FindingDraft[] = []
    for (const s of m.conf('extmodule.conf').sections) {
      if (!s.name.startsWith('listener ') || (yget(s, 'type')?.value ?? 'unix').toLowerCase() !== 'tcp')
        continue
      if (isLoopback(yget(s, 'addr')?.value ?? '127.0.0.1'))
        out.push({ message: `extmodule [${s.name}] is a TCP listener on loopback`, evidence: [evSect(s)] })
    }
    return out
  },
}
