import type { FreeswitchModel } from '../freeswitch/model.js'
import type { Check, FindingDraft } from '../types.js'
import { profileContext, tollRaiseFs, unauthProfiles } from './fs-util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.sofia.auth-calls-off',
  pbx: 'freeswitch',
  severity: 'info',
  title: 'Sofia profile does not challenge inbound calls',
  rationale:
    'auth-calls defaults to false. Fine for a carrier-facing profile whose context only routes DIDs; toll ' +
    'fraud when that context reaches a provider (public.xml NOTICE).',
  remediation: 'auth-calls=true, or keep the profile context DID-only.',
  run(m) {
    const out: FindingDraft[] = []
    for (const p of unauthProfiles(m)) {
      const { context, ev } = profileContext(p)
      const raise = tollRaiseFs(m, p)
      const ac = p.params.get('auth-calls')
      out.push({
        message: `profile ${p.name} takes unauthenticated calls into [${context}]${raise ? ', which reaches a toll bridge' : ''}`,
        evidence: [
          ac
            ? { loc: ac.loc, excerpt: `<param name="auth-calls" value="${ac.value}"/>` }
            : { loc: p.loc, excerpt: `<profile name="${p.name}"> (auth-calls unset → false)` },
          ev,
        ],
        ...raise,
      })
    }
    return out
  },
}
