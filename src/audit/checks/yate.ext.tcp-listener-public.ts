import type { Check, FindingDraft } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { yget } from '../yate/reader.js'
import { isLoopback } from './util.js'
import { evSect, evY } from './yate-util.js'

export const check: Check<YateModel> = {
  id: 'yate.ext.tcp-listener-public',
  pbx: 'yate',
  severity: 'critical',
  title: 'extmodule TCP listener reachable from the network',
  rationale:
    'The external module protocol has no authentication: a client installs handlers and dispatches any engine message.',
  remediation: 'Use a unix socket with tight permissions, or bind 127.0.0.1 behind a firewall.',
  run(m) {
    const out: FindingDraft[] = []
    for (const s of m.conf('extmodule.conf').sections) {
      if (!s.name.startsWith('listener ')) continue
      if ((yget(s, 'type')?.value ?? 'unix').toLowerCase() !== 'tcp') continue
      const addr = yget(s, 'addr')
      if (isLoopback(addr?.value ?? '127.0.0.1')) continue
      out.push({
        message: `extmodule [${s.name}] listens on ${addr?.value}:${yget(s, 'port')?.value ?? '?'} without authentication`,
        evidence: [addr ? evY(addr) : evSect(s)],
      })
    }
    return out
  },
}
