// Helpers for the FreeSWITCH checks.

import type { FreeswitchModel, FsAclList, FsParam, FsProfile } from '../freeswitch/model.js'
import { actionExcerpt } from '../freeswitch/reach.js'
import type { Evidence, FindingDraft } from '../types.js'
import { prefixLength } from './util.js'

export function isTrueFs(v: string | undefined): boolean {
  return v !== undefined && /^(true|yes|on|1|enabled?)$/i.test(v.trim())
}

export function isFalseFs(v: string | undefined): boolean {
  return v !== undefined && /^(false|no|off|0|disabled?)$/i.test(v.trim())
}

export function param(p: FsProfile, name: string): FsParam | undefined {
  return p.params.get(name)
}

/** The context unauthenticated callers of a profile enter (sofia default "default"). */
export function profileContext(p: FsProfile): { context: string; ev: Evidence } {
  const c = p.params.get('context')
  if (c)
    return {
      context: c.value,
      ev: {
        loc: c.loc,
        excerpt: `<param name="context" value="${c.value}"/>`,
        note: `entry: sofia profile ${p.name}`,
      },
    }
  return {
    context: 'default',
    ev: {
      loc: p.loc,
      excerpt: `<profile name="${p.name}"> (context unset → "default")`,
      note: `entry: sofia profile ${p.name}`,
    },
  }
}

/** A profile whose inbound INVITEs are not challenged (auth-calls defaults to false). */
export function unauthProfiles(m: FreeswitchModel): FsProfile[] {
  return m.profiles.filter((p) => !isTrueFs(p.params.get('auth-calls')?.value))
}

export function tollRaiseFs(
  m: FreeswitchModel,
  p: FsProfile,
): Pick<FindingDraft, 'severity' | 'path'> | undefined {
  const { context, ev } = profileContext(p)
  const t = m.graph.tollPath(context)
  if (!t) return undefined
  return {
    severity: 'critical',
    path: [
      ev,
      ...t.hops,
      { loc: t.action.loc, excerpt: actionExcerpt(t.action), note: `toll route: ${t.verdict.reason}` },
    ],
  }
}

const BUILTIN_PERMISSIVE = new Set(['any_v4.auto', 'any_v6.auto'])
const BUILTIN_PRIVATE = new Set(['rfc1918.auto', 'localnet.auto', 'nat.auto'])

/** Why an ACL list admits too much; undefined when it looks narrow. */
export function aclPermissive(m: FreeswitchModel, name: string, privateIsBroad: boolean): string | undefined {
  if (BUILTIN_PERMISSIVE.has(name)) return `${name} admits every address`
  if (BUILTIN_PRIVATE.has(name))
    return privateIsBroad ? `${name} admits every host on the private networks` : undefined
  if (name === 'loopback.auto') return undefined
  const list: FsAclList | undefined = m.acls.get(name)
  if (!list) return undefined
  const def = list.defaultPolicy
  if (def === undefined || def.toLowerCase() === 'allow')
    return `list "${name}" ${def === undefined ? 'has no default= (implicit allow)' : 'is default="allow"'}`
  for (const n of list.nodes) {
    if ((n.attrs.get('type') ?? '').toLowerCase() !== 'allow') continue
    const cidr = n.attrs.get('cidr')
    if (cidr) {
      const len = prefixLength(cidr)
      if (len !== undefined && len < (cidr.includes(':') ? 32 : 8)) return `list "${name}" allows ${cidr}`
    }
  }
  return undefined
}

export { actionExcerpt }
