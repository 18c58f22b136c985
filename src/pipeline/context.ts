// Per-message context handed to the stages. Every field is declared in the constructor (stable
// shape); nothing is shared between messages.

import type { SipParseError } from '../sip/errors.js'
import type { SipMessage } from '../sip/message.js'
import type { Phase } from './stage.js'

export type TransportName = 'udp' | 'tcp' | 'tls'

/** What a reply stage knows about the request it answers (set by the proxy from its transaction). */
export interface RequestInfo {
  readonly address: string
  readonly port: number
  readonly method: string
  /** From user (the account), when known */
  readonly account: string | null
  /** the request carried Authorization / Proxy-Authorization */
  readonly hadCredentials: boolean
  /** the request was out of dialog (no To tag) */
  readonly outOfDialog: boolean
  /** Request-URI user (the dialled number of an INVITE), when known */
  readonly destination?: string | null
}

export class SipContext {
  phase: Phase
  readonly buf: Buffer
  readonly address: string
  readonly port: number
  readonly transport: TransportName
  readonly now: number
  /** the message came from the upstream PBX */
  readonly fromUpstream: boolean
  message: SipMessage | null
  parseError: SipParseError | null
  /** for replies: the request this answers (null when no transaction matched) */
  request: RequestInfo | null
  /** set by the runner: the stage that decided */
  decidedBy: string | null

  constructor(
    buf: Buffer,
    address: string,
    port: number,
    transport: TransportName,
    now: number,
    fromUpstream: boolean,
  ) {
    this.phase = 'ingress'
    this.buf = buf
    this.address = address
    this.port = port
    this.transport = transport
    this.now = now
    this.fromUpstream = fromUpstream
    this.message = null
    this.parseError = null
    this.request = null
    this.decidedBy = null
  }

  /** A request that will create a dialog when relayed: an INVITE without a To tag (the
   * toll-fraud stage refuses calls here, before the gateway tracks them as dialogs) */
  get dialogCreating(): boolean {
    const m = this.message
    return this.phase === 'request' && m !== null && m.method === 'INVITE' && m.toTag() === null
  }

  /** From user of the message (the account it claims), or null */
  account(): string | null {
    return this.message?.from()?.uri?.user ?? null
  }
}
