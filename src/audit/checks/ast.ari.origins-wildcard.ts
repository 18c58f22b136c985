import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import type { Check } from '../types.js'
import { evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.ari.origins-wildcard',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'ARI accepts requests from any web origin',
  rationale:
    'ari.conf allowed_origins "May be set to * to allow all origins": any web page a logged-in operator ' +
    'visits can then drive ARI (originate, bridge, record) from the browser.',
  remediation: 'List the exact origins of your ARI web applications.',
  run(m) {
    const v = get(m.conf('ari.conf').sections('general')[0], 'allowed_origins')
    if (!v?.value.split(',').some((o) => o.trim() === '*')) return []
    return [{ message: 'allowed_origins includes *', evidence: [evVar(v)] }]
  },
}
