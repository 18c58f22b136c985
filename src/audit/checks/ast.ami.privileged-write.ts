import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { ami } from './ami.js'
import { evVar } from './util.js'

const PRIVILEGED = new Set(['all', 'system', 'command', 'config', 'originate', 'agi'])

export const check: Check<AsteriskModel> = {
  id: 'ast.ami.privileged-write',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'AMI user with privileged write classes',
  rationale:
    'RSB Manager Class Authorizations: system, command, config and agi run shell commands or rewrite ' +
    "configuration; \"treat the Manager class authorization 'originate' the same as … 'system'\".",
  remediation: 'Grant each AMI application only the classes it needs (e.g. write = call,reporting).',
  run(m) {
    const a = ami(m)
    if (!a.enabled) return []
    const out: FindingDraft[] = []
    for (const u of a.users) {
      const w = get(u, 'write')
      if (!w) continue
      const classes = w.value.split(',').map((c) => c.trim().toLowerCase())
      const bad = classes.filter((c) => PRIVILEGED.has(c))
      if (bad.length === 0) continue
      out.push({
        message: `AMI user [${u.name}] can write ${bad.join(', ')}${a.publicBind ? ' and AMI listens beyond this host' : ''}`,
        evidence: [evVar(w)],
        ...(a.publicBind ? { severity: 'high' as const } : {}),
      })
    }
    return out
  },
}
