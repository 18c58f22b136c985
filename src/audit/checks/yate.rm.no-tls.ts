import type { Check, FindingDraft } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { yget } from '../yate/reader.js'
import { isLoopback } from './util.js'
import { evY, moduleLoaded, rmListeners } from './yate-util.js'

export const check: Check<YateModel> = {
  id: 'yate.rm.no-tls',
  pbx: 'yate',
  severity: 'medium',
  title: 'rmanager reachable off-host without TLS',
  rationale:
    'rmanager is a telnet-style console: without an SSL `context` the admin password and every command cross ' +
    'the network in clear.',
  remediation: 'Keep addr=127.0.0.1 and use SSH, or set context= to an SSL context from openssl.conf.',
  run(m) {
    if (!moduleLoaded(m, 'rmanager')) return []
    const out: FindingDraft[] = []
    for (const s of rmListeners(m)) {
      const addr = yget(s, 'addr')
      if (!addr || isLoopback(addr.value)) continue
      if ((yget(s, 'context')?.value ?? '').trim() !== '') continue
      out.push({ message: `rmanager [${s.name}] on ${addr.value} has no SSL context`, evidence: [evY(addr)] })
    }
    return out
  },
}
