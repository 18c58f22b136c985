// The places where Asterisk evaluates permit/deny lists (main/acl.c ast_apply_ha: the result starts
// as ALLOW and the last matching rule wins).
import type { AsteriskModel } from '../asterisk/model.js'
import type { AstCategory, AstVar } from '../asterisk/reader.js'

export interface AclList {
  readonly file: string
  readonly owner: AstCategory
  readonly what: string
  readonly rules: AstVar[]
  /** AMI/ARI/named ACLs: who can administer the PBX */
  readonly privileged: boolean
}

const PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['permit', 'deny'],
  ['contact_permit', 'contact_deny'],
  ['contactpermit', 'contactdeny'],
]

export function aclLists(m: AsteriskModel): AclList[] {
  const out: AclList[] = []
  const add = (file: string, cats: AstCategory[], what: (c: AstCategory) => string, privileged: boolean) => {
    for (const c of cats)
      for (const [p, d] of PAIRS) {
        const rules = c.vars.filter((v) => v.key.toLowerCase() === p || v.key.toLowerCase() === d)
        if (rules.length > 0)
          out.push({
            file,
            owner: c,
            what: `${what(c)}${p === 'permit' ? '' : ` (${p}/${d})`}`,
            rules,
            privileged,
          })
      }
  }
  add('pjsip.conf', m.conf('pjsip.conf').sections(), (c) => `pjsip [${c.name}]`, false)
  add('sip.conf', m.conf('sip.conf').sections(), (c) => `sip [${c.name}]`, false)
  add('iax.conf', m.conf('iax.conf').sections(), (c) => `iax [${c.name}]`, false)
  add(
    'manager.conf',
    m
      .conf('manager.conf')
      .sections()
      .filter((c) => c.name !== 'general'),
    (c) => `AMI user [${c.name}]`,
    true,
  )
  add('ari.conf', m.conf('ari.conf').sections(), (c) => `ARI user [${c.name}]`, true)
  add('acl.conf', m.conf('acl.conf').sections(), (c) => `named ACL [${c.name}]`, true)
  return out
}
