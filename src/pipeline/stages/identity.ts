// identity: who a request claims to be (gateway.identity). Out-of-dialog requests only (an
// in-dialog request's identities were checked when the dialog was created); admin networks and
// the upstream are exempt.
//
// - requireFromUserMatchesAuthUser: a request with digest credentials (Authorization or
//   Proxy-Authorization) must have a From user equal to the digest username, else 403
//   `identity.from-mismatch` (an account's password used to call as another extension). Exempt:
//   trunk sources (a provider authenticating with the PBX's credentials presents the external
//   caller in From) and the anonymous From of RFC 3323 (`anonymous@anonymous.invalid`, caller ID
//   withheld; the PBX gets the real identity from the credentials).
// - validateCallerId: a From, P-Asserted-Identity or Remote-Party-ID user part that looks like a
//   number (starts with +, a digit, * or #) may contain only digits, *, #, A-D (either case)
//   and one leading +, at most 32 of them, else 403 `identity.caller-id`. Visual separators of
//   RFC 3966 (`-`, `.`, `(`, `)`, space) are ignored, and so are telephone-subscriber parameters
//   after `;` (`+1-212-555-0100;npdi`). User parts that do not look like a number (`alice`,
//   `anonymous`) are not checked, nor account names listed in the policy (`1001.office`), nor
//   the From of a REGISTER (an address of record, not a caller ID). A P-Asserted-Identity or
//   Remote-Party-ID value that does not parse as an address is refused as well. Trunks are
//   checked too: their caller IDs end up in CDRs and in the PBX's dial plan.
import { scanNameAddr } from '../../sip/name-addr.js'
import type { SipMessage } from '../../sip/message.js'
import type { Uri } from '../../sip/uri.js'
import type { SipContext } from '../context.js'
import type { StageDeps } from '../deps.js'
import { policySources } from '../known-sources.js'
import { CONTINUE, type Outcome, reply, type Stage } from '../stage.js'

const FROM_MISMATCH = reply(403, 'Forbidden', 'identity.from-mismatch')
const CALLER_ID = reply(403, 'Forbidden', 'identity.caller-id')
const MAX_CALLER_ID_DIGITS = 32

/**
 * true when `user` is an acceptable caller ID: either it does not look like a number, or it is
 * one made of digits, *, #, A-D and a leading + (separators and `;` parameters ignored).
 */
export function validCallerId(user: string): boolean {
  const c0 = user.charCodeAt(0)
  // looks like a number: + digit * #
  if (!(c0 === 43 || (c0 >= 48 && c0 <= 57) || c0 === 42 || c0 === 35)) return true
  let n = 0
  let plus = false
  for (let i = 0; i < user.length; i++) {
    const c = user.charCodeAt(i)
    if (c === 59 /* ; */) break
    if (c === 45 || c === 46 || c === 40 || c === 41 || c === 32) continue // - . ( ) space
    if (c === 43 /* + */) {
      if (plus || n !== 0) return false
      plus = true
      continue
    }
    const ok =
      (c >= 48 && c <= 57) ||
      c === 42 ||
      c === 35 ||
      (c >= 65 && c <= 68) || // A-D
      (c >= 97 && c <= 100) // a-d
    if (!ok || ++n > MAX_CALLER_ID_DIGITS) return false
  }
  return n > 0
}

function isAnonymous(uri: Uri | null): boolean {
  return uri !== null && uri.user?.toLowerCase() === 'anonymous'
}

export function createIdentityStage(deps: StageDeps): Stage {
  const cfg = deps.policy.gateway.identity
  const matchUser = cfg.requireFromUserMatchesAuthUser
  const validate = cfg.validateCallerId
  const sources = policySources(deps.policy)
  const hasTrunks = sources.trunks.length > 0
  const accountNames = new Set<string>()
  for (const t of deps.policy.tenants) for (const a of t.accounts) accountNames.add(a.name)

  function badUser(user: string | null | undefined): boolean {
    return user != null && user.length > 0 && !validCallerId(user) && !accountNames.has(user)
  }

  function badHeader(m: SipMessage, name: string): boolean {
    if (!m.hasHeader(name)) return false
    for (const v of m.headers(name)) {
      const uri = scanNameAddr(v)?.uri ?? null
      // an identity the parser cannot read is not passed on for the PBX to read loosely
      if (uri === null || badUser(uri.user)) return true
    }
    return false
  }

  function fromMismatch(m: SipMessage): boolean {
    const from = m.from()?.uri ?? null
    if (isAnonymous(from)) return false
    const fromUser = from?.user ?? null
    for (const cred of [m.authorization(), m.proxyAuthorization()]) {
      if (cred === null) continue
      const user = cred.username ?? cred.usernameStar
      if (user !== null && user !== fromUser) return true
    }
    return false
  }

  return Object.freeze({
    name: 'identity',
    phases: Object.freeze(['request'] as const),
    onInternalError: 'open' as const,
    run(ctx: SipContext): Outcome {
      if (ctx.fromUpstream || deps.isTrusted(ctx.address)) return CONTINUE
      const m = ctx.message!
      if (m.toTag() !== null) return CONTINUE
      if (
        matchUser &&
        (m.hasHeader('Authorization') || m.hasHeader('Proxy-Authorization')) &&
        !(hasTrunks && sources.trunkOf(ctx.address) !== null) &&
        fromMismatch(m)
      )
        return FROM_MISMATCH
      if (validate && m.method !== 'REGISTER') {
        if (badUser(m.from()?.uri?.user)) return CALLER_ID
        if (badHeader(m, 'P-Asserted-Identity') || badHeader(m, 'Remote-Party-ID')) return CALLER_ID
      }
      return CONTINUE
    },
  })
}
