// scanner: User-Agent signatures (a list users extend), wire fingerprints that do not trust the
// User-Agent (SIPVicious's tag, branch, Call-ID and Authorization shapes; see docs/gateway.md),
// and behaviour: one source failing on many distinct accounts in a window is enumerating.
// Scanners are dropped silently and banned.
import type { SipContext } from '../context.js'
import type { StageDeps } from '../deps.js'
import { policySources } from '../known-sources.js'
import { ban, CONTINUE, type Outcome, type Stage } from '../stage.js'

/** SIPVicious From tag: hex of `<ascii>\x01<digits>` (svhelper.createTag). */
export function isSipviciousTag(tag: string): boolean {
  const n = tag.length
  if (n < 6 || n > 256 || (n & 1) !== 0) return false
  let sawSep = false
  let digitsAfter = 0
  for (let i = 0; i < n; i += 2) {
    const b = Number.parseInt(tag.slice(i, i + 2), 16)
    if (Number.isNaN(b) || !/^[0-9a-fA-F]{2}$/.test(tag.slice(i, i + 2))) return false
    if (b === 1) {
      if (sawSep || i === 0) return false
      sawSep = true
    } else if (sawSep) {
      if (b < 0x30 || b > 0x39) return false
      digitsAfter++
    } else if (b < 0x20 || b > 0x7e) return false
  }
  return sawSep && digitsAfter > 0
}

const SV_BRANCH = /^z9hG4bK-\d{1,10}$/
const SVCRACK_FIRST_TAG = '3206210844'

/** Which fingerprint matched (event detail), or null. */
export function wireFingerprint(ctx: SipContext): string | null {
  const m = ctx.message!
  const tag = m.from()?.tag ?? null
  if (tag !== null) {
    if (isSipviciousTag(tag)) return 'from-tag-encoding'
    if (tag === SVCRACK_FIRST_TAG && m.method === 'REGISTER') return 'svcrack-first-tag'
  }
  const branch = m.topVia()?.branch ?? null
  if (branch !== null && SV_BRANCH.test(branch)) return 'via-branch-shape'
  const auth = m.authorization() ?? m.proxyAuthorization()
  if (auth !== null && auth.qop !== null && (auth.nc === null || auth.cnonce === null))
    return 'auth-qop-without-nc'
  if (m.method === 'INVITE' && m.bodyStart < m.end && m.body.includes('\ns=svwar')) return 'sdp-svwar'
  return null
}

interface SourceTrack {
  /** account → when it was challenged without credentials following yet */
  pending: Map<string, number>
  /** account → when it failed */
  failed: Map<string, number>
}

const MAX_SOURCES = 20_000
const MAX_ACCOUNTS_PER_SOURCE = 1_000

/**
 * Distinct failed accounts per source. A challenge answered with credentials is not a failure
 * (50 phones behind one NAT all get a first 401); a challenge left unanswered for
 * `challengeGraceMs` is (svwar never answers one).
 */
export class EnumerationTracker {
  readonly #sources = new Map<string, SourceTrack>()
  readonly #windowMs: number
  readonly #graceMs: number

  constructor(windowMs: number, graceMs: number) {
    this.#windowMs = windowMs
    this.#graceMs = graceMs
  }

  #track(address: string): SourceTrack {
    let t = this.#sources.get(address)
    if (t === undefined) {
      if (this.#sources.size >= MAX_SOURCES) {
        const oldest = this.#sources.keys().next().value
        if (oldest !== undefined) this.#sources.delete(oldest)
      }
      t = { pending: new Map(), failed: new Map() }
      this.#sources.set(address, t)
    }
    return t
  }

  challenged(address: string, account: string, now: number): void {
    const t = this.#track(address)
    if (!t.failed.has(account) && t.pending.size < MAX_ACCOUNTS_PER_SOURCE && !t.pending.has(account))
      t.pending.set(account, now)
  }

  answered(address: string, account: string): void {
    this.#sources.get(address)?.pending.delete(account)
  }

  failed(address: string, account: string, now: number): void {
    const t = this.#track(address)
    t.pending.delete(account)
    if (t.failed.size < MAX_ACCOUNTS_PER_SOURCE) t.failed.set(account, now)
  }

  succeeded(address: string, account: string): void {
    const t = this.#sources.get(address)
    if (t === undefined) return
    t.pending.delete(account)
    t.failed.delete(account)
  }

  /** Distinct failed accounts in the window (unanswered challenges past the grace count). */
  count(address: string, now: number): number {
    const t = this.#sources.get(address)
    if (t === undefined) return 0
    for (const [acc, at] of t.pending) {
      if (now - at >= this.#graceMs) {
        t.pending.delete(acc)
        t.failed.set(acc, at)
      }
    }
    for (const [acc, at] of t.failed) if (now - at > this.#windowMs) t.failed.delete(acc)
    if (t.pending.size === 0 && t.failed.size === 0) this.#sources.delete(address)
    return t.failed.size
  }

  forget(address: string): void {
    this.#sources.delete(address)
  }
}

const OUT_OF_DIALOG_PROBES: ReadonlySet<string> = new Set([
  'REGISTER',
  'INVITE',
  'OPTIONS',
  'SUBSCRIBE',
  'MESSAGE',
  'NOTIFY',
  'REFER',
  'PUBLISH',
  'INFO',
])

export interface ScannerOptions {
  /** how long an unanswered challenge waits before it counts as a failed account (default 4 s) */
  readonly challengeGraceMs?: number
}

export function createScannerStage(deps: StageDeps, opts: ScannerOptions = {}): Stage {
  const s = deps.policy.gateway.scanner
  const uas = [...s.userAgents, ...s.extraUserAgents].map((u) => u.toLowerCase())
  const esc = deps.policy.bans.escalation.enabled ? deps.policy.bans.escalation.factor : 1
  const banUa = ban('scanner.user-agent', s.banTtlMs, esc)
  const banFp = ban('scanner.fingerprint', s.banTtlMs, esc)
  const banEnum = ban('scanner.enumeration', s.banTtlMs, esc)
  const banDialplan = ban('scanner.dialplan', s.banTtlMs, esc)
  const en = s.enumeration
  const tracker = new EnumerationTracker(en.windowMs, opts.challengeGraceMs ?? 4000)
  // dial-plan scanning: distinct refused INVITE destinations per source (trunks exempt: an
  // unassigned DID is the carrier's mistake, not a scan)
  const destinations = new EnumerationTracker(en.windowMs, 0)
  const sources = policySources(deps.policy)

  function account(ctx: SipContext, method: string): string | null {
    const m = ctx.message!
    return (method === 'REGISTER' ? m.to()?.uri?.user : m.from()?.uri?.user) ?? null
  }

  function onRequest(ctx: SipContext): Outcome {
    const m = ctx.message!
    if (uas.length > 0) {
      const ua = m.header('User-Agent')
      if (ua !== null) {
        const l = ua.toLowerCase()
        for (const u of uas) if (l.includes(u)) return banUa
      }
    }
    if (s.fingerprints && wireFingerprint(ctx) !== null) return banFp
    if (en.enabled && m.to()?.tag == null && OUT_OF_DIALOG_PROBES.has(m.method!)) {
      const acc = account(ctx, m.method!)
      if (acc !== null && (m.hasHeader('Authorization') || m.hasHeader('Proxy-Authorization')))
        tracker.answered(ctx.address, acc)
      if (tracker.count(ctx.address, ctx.now) >= en.maxFailedAccounts) {
        tracker.forget(ctx.address)
        return banEnum
      }
    }
    return CONTINUE
  }

  function onReply(ctx: SipContext): Outcome {
    const r = ctx.request
    const m = ctx.message!
    if (r === null || !r.outOfDialog || !OUT_OF_DIALOG_PROBES.has(r.method)) return CONTINUE
    const st = m.status!
    if (r.method === 'INVITE' && (st === 404 || st === 484 || st === 604) && r.destination != null) {
      if (sources.trunkOf(r.address) === null) {
        destinations.failed(r.address, r.destination, ctx.now)
        if (destinations.count(r.address, ctx.now) >= en.maxUnknownDestinations) {
          destinations.forget(r.address)
          return banDialplan
        }
      }
    }
    if (r.account === null) return CONTINUE
    if (st < 200) return CONTINUE
    if (st < 300) tracker.succeeded(r.address, r.account)
    else if (st === 401 || st === 407) {
      if (r.hadCredentials) tracker.failed(r.address, r.account, ctx.now)
      else tracker.challenged(r.address, r.account, ctx.now)
    } else if (st === 403 || st === 404 || st === 484 || st === 604)
      tracker.failed(r.address, r.account, ctx.now)
    else return CONTINUE
    if (tracker.count(r.address, ctx.now) >= en.maxFailedAccounts) {
      tracker.forget(r.address)
      return banEnum
    }
    return CONTINUE
  }

  return Object.freeze({
    name: 'scanner',
    phases: Object.freeze(['request', 'reply'] as const),
    onInternalError: 'open' as const,
    run(ctx: SipContext): Outcome {
      if (ctx.fromUpstream && ctx.phase === 'request') return CONTINUE
      if (ctx.phase === 'reply')
        return en.enabled && !deps.isTrusted(ctx.request?.address ?? '') ? onReply(ctx) : CONTINUE
      if (deps.isTrusted(ctx.address)) return CONTINUE
      return onRequest(ctx)
    },
  })
}
