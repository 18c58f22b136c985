import { classifyRegex } from '../toll.js'
import type { Check, Evidence, FindingDraft } from '../types.js'
import type { YateModel } from '../yate/model.js'
import type { YSection } from '../yate/reader.js'
import { evY } from './yate-util.js'

const TRUNK = /^\s*(sip|iax|h323|zap|wanpipe|lateroute|sig|jingle)\//i
const JUMP = /^\s*(include|call|jump|goto)\s+([^;]+)/i

export const check: Check<YateModel> = {
  id: 'yate.rr.no-auth-gate',
  pbx: 'yate',
  severity: 'critical',
  title: 'regexroute routes to a trunk before checking ${username}',
  rationale:
    'ysipchan does not challenge INVITE itself; the regexroute sample authorizes with ${username}^$=call ' +
    'check_addr_auth … .*=-;error=noauth. A toll route before that gate is open to anyone.',
  remediation:
    'Put the ${username} check (ending in error=noauth) first in [default] and in every context callers reach.',
  run(m) {
    const rr = m.conf('regexroute.conf')
    const start = rr.section('default')
    if (!start) return []
    const out: FindingDraft[] = []
    const visited = new Set<string>()
    const walk = (s: YSection, hops: Evidence[]): boolean => {
      if (visited.has(s.name)) return false
      visited.add(s.name)
      for (const e of s.entries) {
        const key = e.key
        // the authorization gate: a rule on ${username} that challenges or calls an auth context
        if (/\$\{username\}/.test(key) && /(error=noauth|check_\w*auth|noauth)/i.test(e.value)) return true
        if (/^\.\*\^?$|^\.\*$/.test(key) && /error=noauth/.test(e.value)) return true
        const j = JUMP.exec(e.value)
        if (j && !key.startsWith('$')) {
          const target = rr.section(j[2]!.trim())
          if (target && walk(target, [...hops, evY(e, `${j[1]} ${target.name}`)])) return true
          continue
        }
        if (!TRUNK.test(e.value) || key.startsWith('${') || key.startsWith('$(')) continue
        const v = classifyRegex(key.replace(/\^$/, ''))
        if (!v.toll) continue
        out.push({
          message: `[${s.name}] routes ${v.reason} to ${e.value.split(';')[0]} before any \${username} check`,
          evidence: [evY(e)],
          path: [...hops, evY(e, `toll route: ${v.reason}`)],
        })
      }
      return false
    }
    walk(start, [])
    return out
  },
}
