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

const cache = new WeakMap<AsteriskModel, AclList[]>()

/** Every permit/deny list of the configuration, collected once per model. */
export function aclLists(m: AsteriskModel): AclList[] {
  const cached = cache.get(m)
  if (cached) return cached
  const out: AclList[] = []
  const add = (file: string, cats: AstCategory[], what: (c: AstCategory) => string, privileged: boolean) => {
    for (const c of cats) {
      // one pass over the variables (30,000 sections in a large pjsip.conf)
      let byPair: AstVar[][] | undefined
      for (const v of c.vars) {
        const k = v.key.toLowerCase()
        const i = PAIRS.findIndex(([p, d]) => k === p || k === d)
        if (i === -1) continue
        byPair ??= PAIRS.map(() => [])
        byPair[i]!.push(v)
      }
      if (!byPair) continue
      PAIRS.forEach(([p, d], i) => {
        const rules = byPair![i]!
        if (rules.length > 0)
          out.push({
            file,
            owner: c,
            what: `${what(c)}${p === 'permit' ? '' : ` (${p}/${d})`}`,
            rules,
            privileged,
          })
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
  cache.set(m, out)
  return out
}
