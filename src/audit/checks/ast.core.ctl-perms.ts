import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evVar } from './util.js'

const BROAD_GROUPS = new Set(['users', 'staff', 'everyone', 'nogroup', 'audio', 'video', 'dialout'])

export const check: Check<AsteriskModel> = {
  id: 'ast.core.ctl-perms',
  pbx: 'asterisk',
  severity: 'high',
  title: 'Asterisk control socket open to other users',
  rationale: 'The control socket gives the full CLI (asterisk.conf.sample: "may compromise your security").',
  remediation: 'astctlpermissions = 0660 with a dedicated astctlgroup.',
  run(m) {
    const out: FindingDraft[] = []
    const files = m.conf('asterisk.conf').sections('files')[0]
    const perms = get(files, 'astctlpermissions')
    if (perms && /^[0-7]{3,4}$/.test(perms.value) && (Number.parseInt(perms.value, 8) & 0o007) !== 0)
      out.push({
        message: `astctlpermissions=${perms.value} gives other users access to the CLI`,
        evidence: [evVar(perms)],
      })
    const group = get(files, 'astctlgroup')
    if (group && BROAD_GROUPS.has(group.value.toLowerCase()))
      out.push({ message: `astctlgroup=${group.value} is a broad group`, evidence: [evVar(group)] })
    return out
  },
}
