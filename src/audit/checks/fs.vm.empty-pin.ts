import type { FreeswitchModel } from '../freeswitch/model.js'
import { descendants } from '../freeswitch/xml.js'
import type { Check, Evidence, FindingDraft } from '../types.js'
import { isFalseFs } from './fs-util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.vm.empty-pin',
  pbx: 'freeswitch',
  severity: 'medium',
  title: 'Mailboxes open without a PIN',
  rationale:
    'FSD-VM: allow-empty-password-auth defaults to true; a user with neither vm-password nor password then ' +
    'enters the mailbox without any PIN.',
  remediation:
    'allow-empty-password-auth=false in every voicemail profile, and a vm-password for every user.',
  run(m) {
    const vm = m.configuration('voicemail.conf')
    if (!vm || (m.modules && !m.modules.has('mod_voicemail'))) return []
    const open = m.users.filter((u) => {
      const pin = u.params.get('vm-password')?.value ?? u.params.get('password')?.value ?? ''
      return pin === '' && !u.params.get('vm-a1-hash')
    })
    if (open.length === 0) return []
    const out: FindingDraft[] = []
    for (const p of descendants(vm, 'profile')) {
      const param = [...descendants(p, 'param')].find(
        (x) => x.attrs.get('name') === 'allow-empty-password-auth',
      )
      if (isFalseFs(param?.attrs.get('value'))) continue
      const name = p.attrs.get('name') ?? '?'
      const ev: Evidence = param
        ? {
            loc: param.loc,
            excerpt: `<param name="allow-empty-password-auth" value="${param.attrs.get('value') ?? ''}"/>`,
          }
        : {
            loc: p.loc,
            excerpt: `<profile name="${name}">`,
            note: 'allow-empty-password-auth unset (default true)',
          }
      out.push({
        message: `voicemail profile ${name} admits ${open.length} mailbox${open.length === 1 ? '' : 'es'} without a PIN`,
        evidence: [
          ev,
          ...open
            .slice(0, 10)
            .map((u) => ({ loc: u.loc, excerpt: `<user id="${u.id}">`, note: 'no vm-password or password' })),
        ],
      })
    }
    return out
  },
}
