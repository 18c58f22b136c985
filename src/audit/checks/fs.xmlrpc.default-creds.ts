import { evParam, type FreeswitchModel } from '../freeswitch/model.js'
import type { Check } from '../types.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.xmlrpc.default-creds',
  pbx: 'freeswitch',
  severity: 'critical',
  title: 'mod_xml_rpc with default or no credentials',
  rationale:
    'The HTTP API runs commands; vanilla auth is freeswitch/works, and without all three auth params there is no auth.',
  remediation: 'Strong credentials, bind/firewall, or do not load mod_xml_rpc.',
  run(m) {
    if (!m.modules?.has('mod_xml_rpc')) return []
    const conf = m.configuration('xml_rpc.conf')
    const s = m.settings('xml_rpc.conf')
    const pass = s.get('auth-pass')
    if (!s.get('auth-realm') || !s.get('auth-user') || !pass)
      return [
        {
          message: 'mod_xml_rpc is loaded without auth-realm/auth-user/auth-pass: no HTTP authentication',
          evidence: [
            {
              loc: conf?.loc ?? { file: 'autoload_configs/modules.conf.xml', line: 1 },
              excerpt: '<configuration name="xml_rpc.conf">',
            },
          ],
        },
      ]
    if (pass.value === 'works')
      return [{ message: 'mod_xml_rpc auth-pass is the vanilla "works"', evidence: evParam(pass) }]
    return []
  },
}
