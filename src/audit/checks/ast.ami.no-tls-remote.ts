import type { AsteriskModel } from '../asterisk/model.js'
import { get, isTrue } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { ami } from './ami.js'
import { evCat, evVar, isLoopback } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.ami.no-tls-remote',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'AMI reachable off-host without TLS',
  rationale:
    'AMI logins (Login action with the secret in clear) and every event cross the network unencrypted when ' +
    'AMI listens beyond loopback with tlsenable=no (manager.conf.sample).',
  remediation: 'Bind AMI to 127.0.0.1 and tunnel it, or tlsenable=yes with a certificate and firewall 5038.',
  run(m) {
    const a = ami(m)
    const out: FindingDraft[] = []
    if (!a.enabled || !a.general) return out
    const tls = isTrue(get(a.general, 'tlsenable')?.value)
    if (!tls && !(a.bind && isLoopback(a.bind.value)))
      out.push({
        message: `AMI listens on ${a.bind?.value ?? '[::] (bindaddr unset)'} without TLS`,
        evidence: [a.bind ? evVar(a.bind) : evCat(a.general, 'bindaddr unset → [::]')],
      })
    const web = get(a.general, 'webenabled')
    const http = m.conf('http.conf').sections('general')[0]
    const hbind = get(http, 'bindaddr')
    if (
      isTrue(web?.value) &&
      isTrue(get(http, 'enabled')?.value) &&
      hbind &&
      !isLoopback(hbind.value) &&
      !isTrue(get(http, 'tlsenable')?.value)
    )
      out.push({
        message: `AMI over HTTP (webenabled) is served on ${hbind.value} without TLS`,
        evidence: [evVar(web!), evVar(hbind)],
      })
    return out
  },
}
