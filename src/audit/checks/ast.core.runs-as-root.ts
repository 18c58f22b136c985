import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import type { Check, Evidence } from '../types.js'
import { evCat, evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.core.runs-as-root',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Asterisk is configured to run as root',
  rationale:
    'RSB: "not running Asterisk as root, can prevent serious problems". With runuser unset Asterisk keeps the ' +
    'user that started it, usually root, so any dialplan or AGI injection runs as root.',
  remediation: 'runuser = asterisk and rungroup = asterisk in asterisk.conf [options].',
  skip(m) {
    return m.conf('asterisk.conf').present ? undefined : 'asterisk.conf not found'
  },
  run(m) {
    const cfg = m.conf('asterisk.conf')
    const opts = cfg.sections('options')[0]
    const ru = get(opts, 'runuser')
    const rg = get(opts, 'rungroup')
    const ev: Evidence[] = []
    if (ru && ru.value.trim() !== 'root' && ru.value.trim() !== '0') return []
    if (ru) ev.push(evVar(ru))
    else if (opts) ev.push(evCat(opts, 'runuser unset: runs as the invoking user (usually root)'))
    else
      ev.push({ loc: { file: 'asterisk.conf', line: 0 }, excerpt: '(no [options] section: runuser unset)' })
    if (rg && (rg.value.trim() === 'root' || rg.value.trim() === '0')) ev.push(evVar(rg))
    return [{ message: ru ? `runuser=${ru.value}` : 'runuser is not set', evidence: ev }]
  },
}
