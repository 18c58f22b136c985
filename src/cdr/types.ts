// The one call detail record shape: written by the gateway for every call, produced by the
// importers from Asterisk Master.csv and FreeSWITCH CSV, read by `cdr analyze`, the learned
// patterns and `report daily`. Times are ms since the epoch (UTC); durations are ms.

export type CdrDisposition = 'answered' | 'no-answer' | 'busy' | 'failed' | 'cancelled' | 'rejected'

export interface Cdr {
  /** Call-ID (gateway) or uniqueid/uuid (imports) */
  readonly id: string
  /** account (SIP user / extension) that placed the call; null when unknown (e.g. inbound from a trunk) */
  readonly account: string | null
  /** tenant name when the policy maps the account to one */
  readonly tenant: string | null
  /** calling number as presented */
  readonly caller: string
  /** dialled number exactly as dialled (before normalisation) */
  readonly dialled: string
  /** call start (INVITE seen / CDR start) */
  readonly start: number
  /** answer time, null when not answered */
  readonly answer: number | null
  /** end time */
  readonly end: number
  /** ring + talk, ms */
  readonly durationMs: number
  /** talk time (billsec), ms */
  readonly billableMs: number
  readonly disposition: CdrDisposition
  /** final SIP status when known (gateway) */
  readonly sipStatus: number | null
  /** source address of the caller when known (gateway) */
  readonly sourceAddress: string | null
  /** cost in fraud.currency when priced, else null */
  readonly cost: number | null
  /** what produced it */
  readonly origin: 'gateway' | 'asterisk' | 'freeswitch' | 'sipwarden'
}
