// toll-fraud: the toll-fraud engine's decision on every new outbound call, before the INVITE is
// relayed (docs/gateway.md "toll-fraud", docs/fraud.md). Only dialog-creating INVITEs from the
// phones are checked: requests from the upstream PBX are calls toward the phones, in-dialog
// requests belong to a call already decided, a trunk's inbound calls are not outbound fraud, and
// admin networks (the operators' own sources) are trusted like trunks.
//
// Account = the digest username when the INVITE carries credentials, else the From user (the PBX
// challenges and the phone repeats the INVITE with the same Call-ID and From tag: the gateway
// keeps the first decision's counters for the repeat, see src/proxy/fraud-hooks.ts). The call id
// given to the engine is the dialog id (Call-ID + From tag), so that the dialog's answer and end
// reach the same call.
import type { CallAttempt, FraudDecision, FraudFinding } from '../../fraud/engine.js'
import type { SipMessage } from '../../sip/message.js'
import { DialogTable } from '../../proxy/dialog.js'
import type { SipContext } from '../context.js'
import type { StageDeps } from '../deps.js'
import { policySources } from '../known-sources.js'
import { CONTINUE, drop, type Outcome, reply, type Stage } from '../stage.js'

const REFUSED_ACK = drop('fraud.refused-ack')

/** The engine as the gateway wires it (src/proxy/fraud-hooks.ts). */
export interface FraudGate {
  /** Decides on a new call. An allowed call keeps its counters until its dialog ends; when no
   * dialog follows (the gateway refused the INVITE after the stages), they are released. */
  check(attempt: CallAttempt, ctx: { readonly address: string; readonly port: number }): FraudDecision
  /** true while the call was recently refused here (its ACK stays here too) */
  refused(id: string, now: number): boolean
}

/** Reason header text: printable ASCII without quotes or backslashes. */
function quoted(s: string): string {
  return s.replace(/[^\x20-\x7e]|["\\]/g, '').slice(0, 100)
}

function tenantOf(deps: StageDeps, m: SipMessage): string | null {
  const tenants = deps.policy.tenants
  if (tenants.length === 0) return null
  const host = m.from()?.uri?.host?.toLowerCase() ?? null
  if (host === null) return null
  for (const t of tenants) if (t.domains.some((d) => d.toLowerCase() === host)) return t.name
  return null
}

export function createTollFraudStage(deps: StageDeps, gate: FraudGate): Stage {
  const sources = policySources(deps.policy)
  const r = deps.policy.fraud.reject

  function run(ctx: SipContext): Outcome {
    if (ctx.fromUpstream) return CONTINUE
    if (!ctx.dialogCreating) {
      // the ACK of our own refusal ends here: the PBX never saw the INVITE
      const m = ctx.message
      if (m?.method !== 'ACK') return CONTINUE
      const callId = m.callId()
      const fromTag = m.fromTag()
      if (callId === null || fromTag === null) return CONTINUE
      return gate.refused(DialogTable.key(callId, fromTag), ctx.now) ? REFUSED_ACK : CONTINUE
    }
    // trunks' calls are inbound. Admin networks are checked like any phone: an office LAN listed
    // there (never banned) must not also escape call barring and spend limits
    if (sources.trunkOf(ctx.address) !== null) return CONTINUE
    const m = ctx.message!
    const callId = m.callId()
    const fromTag = m.fromTag()
    const dialled = m.uri()?.user ?? null
    if (callId === null || fromTag === null || dialled === null) return CONTINUE
    const cred = m.proxyAuthorization() ?? m.authorization()
    const account = cred?.username ?? cred?.usernameStar ?? ctx.account()
    if (account === null) return CONTINUE
    const d = gate.check(
      {
        id: DialogTable.key(callId, fromTag),
        account,
        tenant: tenantOf(deps, m),
        dialled,
        source: ctx.address,
        time: ctx.now,
      },
      ctx,
    )
    for (const f of d.findings) publish(ctx, account, f, d.allow)
    if (d.allow) return CONTINUE
    const code = d.findings.find((f) => f.action !== 'alert')?.code ?? 'fraud.refused'
    const status = d.status ?? r.status
    const reason = d.reason ?? r.reason
    return reply(status, reason, code, [
      `Reason: SIP;cause=${status};text="${quoted(`${reason} (${code})`)}"`,
    ])
  }

  /** Every finding is an event with its own severity: `alert` when the call goes on, `reply` when
   * it was refused (the alert sinks pick them by severity, docs/alerts.md). */
  function publish(ctx: SipContext, account: string, f: FraudFinding, allowed: boolean): void {
    deps.publish({
      time: ctx.now,
      address: ctx.address,
      port: ctx.port,
      transport: ctx.transport,
      account,
      code: f.code,
      stage: 'toll-fraud',
      action: allowed || f.action === 'alert' ? 'alert' : 'reply',
      severity: f.severity,
      detail: { message: f.message, rule: f.rule, action: f.action, ...f.detail },
    })
  }

  return Object.freeze({
    name: 'toll-fraud',
    phases: Object.freeze(['request'] as const),
    // a failing engine must not let calls through unchecked: fail closed (the INVITE is dropped
    // and the phone retries or gives up)
    onInternalError: 'closed' as const,
    run,
  })
}
