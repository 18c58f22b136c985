import type { FreeswitchModel } from '../freeswitch/model.js'
import type { Check } from '../types.js'
import { isTrueFs } from './fs-util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.sofia.no-auth-failure-log',
  pbx: 'freeswitch',
  severity: 'medium',
  title: 'Authentication failures are not logged',
  rationale: 'log-auth-failures defaults to false; fail2ban and sipwarden watch need these lines.',
  remediation: 'log-auth-failures=true on every profile that authenticates.',
  run(m) {
    return m.profiles
      .filter((p) => !isTrueFs(p.params.get('log-auth-failures')?.value))
      .map((p) => {
        const v = p.params.get('log-auth-failures')
        return {
          message: `profile ${p.name}: log-auth-failures ${v ? `= ${v.value}` : 'unset (default false)'}`,
          evidence: [
            v
              ? { loc: v.loc, excerpt: `<param name="log-auth-failures" value="${v.value}"/>` }
              : { loc: p.loc, excerpt: `<profile name="${p.name}">` },
          ],
        }
      })
  },
}
