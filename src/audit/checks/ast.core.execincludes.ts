import type { AsteriskModel } from '../asterisk/model.js'
import { get, isTrue } from '../asterisk/reader.js'
import type { Check } from '../types.js'
import { evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.core.execincludes',
  pbx: 'asterisk',
  severity: 'medium',
  title: '#exec enabled in configuration files (execincludes)',
  rationale:
    'extensions.conf.sample: #exec is "considered a security risk"; every configuration reload runs the ' +
    'programs named in #exec lines, as the Asterisk user.',
  remediation: 'execincludes=no (the default); generate the files offline and #include them.',
  run(m) {
    const v = get(m.conf('asterisk.conf').sections('options')[0], 'execincludes')
    if (!v || !isTrue(v.value)) return []
    return [{ message: 'execincludes=yes: #exec lines run programs at every reload', evidence: [evVar(v)] }]
  },
}
