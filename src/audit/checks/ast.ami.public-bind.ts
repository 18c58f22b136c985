import type { AsteriskModel } from '../asterisk/model.js'
import type { Check } from '../types.js'
import { ami } from './ami.js'
import { evCat, evVar } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.ami.public-bind',
  pbx: 'asterisk',
  severity: 'high',
  title: 'AMI listens on all interfaces or a public address',
  rationale:
    'manager.conf.sample SECURITY NOTE: the AMI should not be enabled on a public IP; with enabled=yes and no ' +
    'bindaddr, Asterisk binds [::] (every interface).',
  remediation: 'bindaddr=127.0.0.1; reach it over a VPN or SSH tunnel.',
  run(m) {
    const a = ami(m)
    if (!a.publicBind || !a.general) return []
    return [
      {
        message: `AMI enabled and bound to ${a.bind?.value ?? '[::] (bindaddr unset)'}`,
        evidence: [a.bind ? evVar(a.bind) : evCat(a.general, 'bindaddr unset → [::]')],
      },
    ]
  },
}
