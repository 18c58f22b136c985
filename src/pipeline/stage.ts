// The stage contract of the security pipeline (docs/gateway.md). A decision is a value, never an
// exception: under attack the deny path is the hot path, and a throw would capture a stack trace
// for every bad packet.
import type { SipContext } from './context.js'

export const CONTINUE = Object.freeze({ kind: 'continue' } as const)
export type Continue = typeof CONTINUE

export interface ReplyOutcome {
  readonly kind: 'reply'
  readonly status: number
  readonly reason: string
  /** stable event code, e.g. `sanity.max-forwards` */
  readonly code: string
  /** extra header lines for the reply (`Name: value`, no CRLF) */
  readonly headers?: readonly string[]
}
export interface DropOutcome {
  readonly kind: 'drop'
  readonly code: string
}
export interface BanOutcome {
  readonly kind: 'ban'
  readonly code: string
  readonly ttlMs: number
  /** escalation factor for repeat offenders (1 = none) */
  readonly escalate?: number
}
/**
 * The gateway answers the request itself with these exact bytes (a complete response, built by
 * the stage), e.g. a challenge shaped like the PBX's (anti-enumeration). Request phase only;
 * elsewhere it is a drop. A reply stage that must change the reply relayed to the phone replaces
 * `ctx.message` with the new (parsed) reply and continues instead.
 */
export interface RespondOutcome {
  readonly kind: 'respond'
  readonly code: string
  readonly bytes: Buffer
  readonly status: number
}
export type Outcome = Continue | ReplyOutcome | DropOutcome | BanOutcome | RespondOutcome

export function reply(
  status: number,
  reason: string,
  code: string,
  headers?: readonly string[],
): ReplyOutcome {
  return headers === undefined
    ? Object.freeze({ kind: 'reply', status, reason, code })
    : Object.freeze({ kind: 'reply', status, reason, code, headers })
}
export function respond(code: string, bytes: Buffer, status: number): RespondOutcome {
  return Object.freeze({ kind: 'respond', code, bytes, status })
}
export function drop(code: string): DropOutcome {
  return Object.freeze({ kind: 'drop', code })
}
export function ban(code: string, ttlMs: number, escalate = 1): BanOutcome {
  return Object.freeze({ kind: 'ban', code, ttlMs, escalate })
}

/**
 * `ingress`: raw bytes, before parsing (ctx.message is null). `request`: a parsed request (or a
 * parse failure, which only the first request stage, sanity, sees). `reply`: a response.
 */
export type Phase = 'ingress' | 'request' | 'reply'
export const PHASES: readonly Phase[] = Object.freeze(['ingress', 'request', 'reply'])

export interface Stage {
  /** = file name; used in logs, events and config */
  readonly name: string
  readonly phases: readonly Phase[]
  /** what a throw (or an unavailable store) means: open = continue, closed = drop */
  readonly onInternalError: 'open' | 'closed'
  run(ctx: SipContext): Outcome | Promise<Outcome>
}
