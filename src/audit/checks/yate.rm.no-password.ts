import type { Check, FindingDraft } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { yget } from '../yate/reader.js'
import { isLoopback } from './util.js'
import { evSect, moduleLoaded, rmListeners } from './yate-util.js'

export const check: Check<YateModel> = {
  id: 'yate.rm.no-password',
  pbx: 'yate',
  severity: 'critical',
  title: 'rmanager listener gives admin rights without a login',
  rationale:
    'rmanager.cpp: with neither password nor userpass set, a connection starts as Admin (sample: "default empty!").',
  remediation: 'Set password (admin) and userpass (observer) in every rmanager section.',
  run(m) {
    if (!moduleLoaded(m, 'rmanager')) return []
    const cfg = m.conf('rmanager.conf')
    if (!cfg.present)
      return [
        {
          message:
            'rmanager.conf is missing: in server mode Yate assumes a [general] listener on 127.0.0.1:5038 with no password',
          evidence: [{ loc: { file: 'rmanager.conf', line: 0 }, excerpt: '(file missing)' }],
          severity: 'high',
        },
      ]
    const out: FindingDraft[] = []
    for (const s of rmListeners(m)) {
      if ((yget(s, 'password')?.value ?? '') !== '' || (yget(s, 'userpass')?.value ?? '') !== '') continue
      const addr = yget(s, 'addr')?.value ?? '127.0.0.1'
      const local = isLoopback(addr)
      out.push({
        message: `rmanager [${s.name}] on ${addr}:${yget(s, 'port')?.value ?? '5038'} has no password: every connection is admin${local ? ' (any local user)' : ''}`,
        evidence: [evSect(s)],
        severity: local ? 'high' : undefined,
      })
    }
    return out
  },
}
