import type { AsteriskModel } from '../asterisk/model.js'
import { get, isTrue } from '../asterisk/reader.js'
import type { Check } from '../types.js'
import { evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.core.live-dangerously',
  pbx: 'asterisk',
  severity: 'high',
  title: 'live_dangerously enabled',
  rationale:
    'It lets AMI/ARI and external protocols call privileged dialplan functions such as SHELL() and FILE() ' +
    '(RSB "Avoid Privilege Escalations").',
  remediation: 'Remove the line or set live_dangerously=no (the default since Asterisk 12).',
  run(m) {
    const v = get(m.conf('asterisk.conf').sections('options')[0], 'live_dangerously')
    return v && isTrue(v.value) ? [{ message: 'live_dangerously=yes', evidence: [evVar(v)] }] : []
  },
}
