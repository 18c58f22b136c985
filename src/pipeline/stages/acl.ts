// acl: who may talk to the PBX (gateway.acl, tenants[].accounts[], trunks[]). In order:
//
// 1. admin networks and the upstream are never refused;
// 2. `deny` sources are dropped (`acl.deny`);
// 3. with `unknownSources: drop`, sources outside every account network, trunk and admin network
//    are dropped (`acl.unknown-source`);
// 4. the account a request names (the digest username when it carries credentials, else the To
//    user of a REGISTER, else the From user) is looked up in the policy: a disabled account is
//    refused 403 (`acl.account-disabled`), and with `enforceAccountNetworks` an account used
//    from outside its effective networks (account → tenant defaults; none = anywhere) is refused
//    403 (`acl.account-network`) even with the right password. Trunk sources are not checked
//    here (their From user is the external caller), nor ACK, CANCEL and BYE (ending a call
//    never costs money, and refusing it would keep the call up);
// 5. with `trunkOnlyDids`, an INVITE without credentials to a trunk's DID (Request-URI or To
//    user, `+E.164`, `00…` or bare digits) is accepted only from that trunk's addresses, an
//    account network, or a source that recently authenticated (a phone calling its own
//    company's number sends its first INVITE without credentials) — else 403 (`acl.trunk-only`).
//
// Everything is compiled once per plan: CIDR matchers, an account map, the DID table. Nothing is
// allocated per packet beyond what the lazy parser builds on first access.
import type { Policy } from '../../config/schema.js'
import { type CidrMatcher, createCidrMatcher } from '../../net/cidr.js'
import type { SipMessage } from '../../sip/message.js'
import type { SipContext } from '../context.js'
import type { StageDeps } from '../deps.js'
import { inTrunk, KnownSources, policySources } from '../known-sources.js'
import { CONTINUE, drop, type Outcome, reply, type Stage } from '../stage.js'

const DENY = drop('acl.deny')
const UNKNOWN_SOURCE = drop('acl.unknown-source')
const DISABLED = reply(403, 'Forbidden', 'acl.account-disabled')
const OUTSIDE_NETWORKS = reply(403, 'Forbidden', 'acl.account-network')
const TRUNK_ONLY = reply(403, 'Forbidden', 'acl.trunk-only')

interface AccountRule {
  readonly enabled: boolean
  /** null: anywhere */
  readonly networks: CidrMatcher | null
  /** lower-cased domains of the tenant (to tell apart accounts of the same name) */
  readonly domains: ReadonlySet<string>
}

/** account name → its rules (several when two tenants have an account of the same name) */
export function compileAccounts(policy: Policy): Map<string, AccountRule[]> {
  const out = new Map<string, AccountRule[]>()
  // one matcher per distinct network list: thousands of accounts share their tenant's default
  const matchers = new Map<string, CidrMatcher>()
  for (const t of policy.tenants) {
    const domains = new Set(t.domains.map((d) => d.toLowerCase()))
    for (const a of t.accounts) {
      const nets = a.networks ?? t.defaults.networks ?? []
      let networks: CidrMatcher | null = null
      if (nets.length > 0) {
        const key = nets.join(',')
        networks = matchers.get(key) ?? null
        if (networks === null) {
          networks = createCidrMatcher(nets)
          matchers.set(key, networks)
        }
      }
      let list = out.get(a.name)
      if (list === undefined) out.set(a.name, (list = []))
      list.push({ enabled: a.enabled, networks, domains })
    }
  }
  return out
}

/** The account a request names, and the domain it names it in (for tenants sharing a PBX). */
function claimed(m: SipMessage): { user: string | null; domain: string | null } {
  const cred = m.authorization() ?? m.proxyAuthorization()
  if (cred !== null) {
    const user = cred.username ?? cred.usernameStar
    if (user !== null) return { user, domain: cred.realm }
  }
  const uri = (m.method === 'REGISTER' ? m.to() : m.from())?.uri ?? null
  return { user: uri?.user ?? null, domain: uri?.host ?? null }
}

function allowed(r: AccountRule, address: string, enforceNetworks: boolean): Outcome {
  if (!r.enabled) return DISABLED
  if (enforceNetworks && r.networks !== null && !r.networks.has(address)) return OUTSIDE_NETWORKS
  return CONTINUE
}

export function createAclStage(deps: StageDeps, known: KnownSources = new KnownSources()): Stage {
  const cfg = deps.policy.gateway.acl
  const deny = createCidrMatcher(cfg.deny)
  const dropUnknown = cfg.unknownSources === 'drop'
  const enforceNetworks = cfg.enforceAccountNetworks
  const sources = policySources(deps.policy)
  const accounts = compileAccounts(deps.policy)
  const hasTrunks = sources.trunks.length > 0
  const trunkOnly = cfg.trunkOnlyDids && sources.hasDids

  function accountCheck(m: SipMessage, address: string): Outcome {
    const { user, domain } = claimed(m)
    if (user === null) return CONTINUE
    const rules = accounts.get(user)
    if (rules === undefined) return CONTINUE // not in the policy: the PBX decides
    if (rules.length === 1) return allowed(rules[0]!, address, enforceNetworks)
    const d = domain?.toLowerCase() ?? null
    const mine = d !== null ? rules.find((r) => r.domains.has(d)) : undefined
    if (mine !== undefined) return allowed(mine, address, enforceNetworks)
    // same name in several tenants and no domain tells which: allowed if any of them allows
    let refusal: Outcome = CONTINUE
    for (const r of rules) {
      const o = allowed(r, address, enforceNetworks)
      if (o === CONTINUE) return CONTINUE
      refusal = o
    }
    return refusal
  }

  function trunkOnlyCheck(ctx: SipContext, m: SipMessage): Outcome {
    if (m.toTag() !== null || m.hasHeader('Authorization') || m.hasHeader('Proxy-Authorization'))
      return CONTINUE
    // providers put the DID in the Request-URI, or in To with their registration user in the URI
    const ruser = m.uri()?.user ?? null
    let trunks = ruser !== null ? sources.didTrunks(ruser) : null
    if (trunks === null) {
      const tuser = m.to()?.uri?.user ?? null
      if (tuser !== null) trunks = sources.didTrunks(tuser)
    }
    if (trunks === null) return CONTINUE
    const a = ctx.address
    for (const t of trunks) if (inTrunk(t, a)) return CONTINUE
    if (sources.accountNetworks.has(a) || known.has(a, ctx.now)) return CONTINUE
    return TRUNK_ONLY
  }

  return Object.freeze({
    name: 'acl',
    phases: Object.freeze(['request'] as const),
    onInternalError: 'closed' as const,
    run(ctx: SipContext): Outcome {
      if (ctx.fromUpstream) return CONTINUE
      const a = ctx.address
      if (deps.isTrusted(a)) return CONTINUE
      if (deny.size > 0 && deny.has(a)) return DENY
      const trunk = hasTrunks ? sources.trunkOf(a) : null
      if (trunk === null && dropUnknown && !sources.accountNetworks.has(a)) return UNKNOWN_SOURCE
      const m = ctx.message!
      const method = m.method!
      if (
        trunk === null &&
        accounts.size > 0 &&
        method !== 'ACK' &&
        method !== 'CANCEL' &&
        method !== 'BYE'
      ) {
        const o = accountCheck(m, a)
        if (o !== CONTINUE) return o
      }
      if (trunkOnly && method === 'INVITE') return trunkOnlyCheck(ctx, m)
      return CONTINUE
    },
  })
}
