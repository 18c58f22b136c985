import type { AsteriskModel } from '../asterisk/model.js'
import type { Check } from '../types.js'
import { evCat } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.log.no-security-channel',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Security events are not logged',
  rationale:
    'Failed authentications, ACL rejections and unidentified requests go to the "security" log level ' +
    '(SECLOG); fail2ban, CrowdSec and sipwarden watch read it. Without a logfiles entry for it they see nothing.',
  remediation: 'In logger.conf [logfiles]: security.log => security (and load res_security_log).',
  skip(m) {
    return m.conf('logger.conf').present ? undefined : 'logger.conf not found'
  },
  run(m) {
    const logfiles = m.conf('logger.conf').sections('logfiles')
    for (const s of logfiles)
      for (const v of s.vars) {
        const levels = v.value.split(',').map((l) =>
          l
            .trim()
            .replace(/^\[[^\]]*\]/, '')
            .toLowerCase(),
        )
        if (levels.includes('security') || levels.includes('*')) return []
      }
    const at = logfiles[0] ?? m.conf('logger.conf').sections()[0]
    return [
      {
        message: 'no logger.conf [logfiles] entry receives the security level',
        evidence: at
          ? [evCat(at, 'no "security" level')]
          : [{ loc: { file: 'logger.conf', line: 0 }, excerpt: '(no [logfiles] section)' }],
      },
    ]
  },
}
