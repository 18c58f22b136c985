// sanity: malformed or inconsistent messages are answered (400/414/482/483/505/513) or dropped,
// never relayed. A source that keeps sending malformed messages is banned.
import { validateMessage } from '../../sip/validate.js'
import type { Store } from '../../state/store.js'
import type { SipContext } from '../context.js'
import type { StageDeps } from '../deps.js'
import { ban, CONTINUE, drop, type Outcome, reply, type Stage } from '../stage.js'

const RESPONSE_MALFORMED = drop('sanity.malformed-response')
const MF_ZERO = reply(483, 'Too Many Hops', 'sanity.max-forwards')
const LOOP = reply(482, 'Loop Detected', 'sanity.loop')
const URI_TOO_LONG = reply(414, 'Request-URI Too Long', 'sanity.request-uri-too-long')
const DROP_MALFORMED = drop('sanity.malformed')

function missing(what: string): Outcome {
  return reply(400, `Bad Request (${what})`, 'sanity.missing-header')
}
const MISSING = {
  via: missing('Via'),
  from: missing('From'),
  to: missing('To'),
  callId: missing('Call-ID'),
  cseq: missing('CSeq'),
}
const CSEQ_MISMATCH = reply(400, 'Bad Request (CSeq method)', 'sanity.cseq-mismatch')

/** One outcome per parse error code, built on first use (the codes are a fixed table). */
const byParseCode = new Map<string, Outcome>()
function parseOutcome(code: string, status: number | null, reason: string): Outcome {
  const key = `${code}|${status}`
  let o = byParseCode.get(key)
  if (o === undefined) {
    const ev = `sanity.${code
      .replace(/^SGW_ERR_SIP_/, '')
      .toLowerCase()
      .replace(/_/g, '-')}`
    o = status === null ? drop(ev) : reply(status, reason, ev)
    byParseCode.set(key, o)
  }
  return o
}

export interface SanityOptions {
  /** sanity disabled in the policy: parse failures are still never relayed (dropped) */
  readonly minimal?: boolean
}

export function createSanityStage(deps: StageDeps, opts: SanityOptions = {}): Stage {
  const s = deps.policy.gateway.sanity
  const minimal = opts.minimal === true
  const store: Store = deps.store
  const malformedBan = ban('sanity.malformed-repeated', deps.policy.bans.defaultTtlMs)
  const own = deps.ownAddresses

  function onParseError(ctx: SipContext): Outcome {
    const e = ctx.parseError!
    if (ctx.phase === 'reply' || minimal || ctx.fromUpstream)
      return e.status === null ? drop('sanity.malformed') : DROP_MALFORMED
    if (!deps.isTrusted(ctx.address)) {
      const address = ctx.address
      const n = store.hit(`sanity:malformed:${address}`, s.banAfterMalformed.windowMs)
      if (typeof n === 'number') {
        if (n >= s.banAfterMalformed.count) return malformedBan
      } else
        n.then(
          (count) => {
            if (count >= s.banAfterMalformed.count) deps.banLater?.(address, malformedBan, 'sanity')
          },
          () => {},
        )
    }
    if (s.onMalformed === 'drop') return DROP_MALFORMED
    return parseOutcome(e.code, e.status, e.reason ?? 'Bad Request')
  }

  return Object.freeze({
    name: 'sanity',
    phases: Object.freeze(['request', 'reply'] as const),
    onInternalError: 'closed' as const,
    run(ctx: SipContext): Outcome {
      if (ctx.parseError !== null) return onParseError(ctx)
      const m = ctx.message!
      const via = m.topVia()
      if (ctx.phase === 'reply')
        return via === null || m.callId() === null || m.cseq() === null ? RESPONSE_MALFORMED : CONTINUE
      if (via === null) return MISSING.via
      if (m.from() === null) return MISSING.from
      if (m.to() === null) return MISSING.to
      if (m.callId() === null) return MISSING.callId
      const cseq = m.cseq()
      if (cseq === null) return MISSING.cseq
      if (cseq.method !== m.method) return CSEQ_MISMATCH
      // the rest of the grammar (the parser's full-mode checks): the received bytes are relayed, so
      // a request the PBX could read differently (a repeated single header, headers in the
      // Request-URI, a bad Contact or IPv6 reference) is refused (test/gateway/torture.test.ts)
      if (!ctx.fromUpstream) {
        const bad = validateMessage(m, s.maxViaHeaders)
        if (bad !== null) {
          ctx.parseError = bad
          return onParseError(ctx)
        }
      }
      if (minimal) return CONTINUE
      if ((m.requestUri?.length ?? 0) > s.maxRequestUriBytes) return URI_TOO_LONG
      const mf = m.maxForwards()
      if (mf === 0) return MF_ZERO
      // a Via of ours already on the request: it came back to us (RFC 3261 §16.3 step 4)
      if (own.size > 0) {
        const vias = m.vias()
        if (vias !== null) {
          for (const v of vias) {
            if (v.branch?.startsWith(BRANCH_PREFIX) && own.has(`${v.host}:${v.port ?? 5060}`)) return LOOP
          }
        }
      }
      return CONTINUE
    },
  })
}

/** Branches of the gateway's own Via start with this (RFC 3261 magic cookie + our mark). */
export const BRANCH_PREFIX = 'z9hG4bKsw'
