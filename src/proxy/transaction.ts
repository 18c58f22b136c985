// One proxied transaction: the server side (the peer that sent the request) and the client side
// (where we relayed it), in one object indexed twice by the gateway's table.
import type { RequestInfo } from '../pipeline/context.js'
import type { Sender } from '../transport/sender.js'
import type { Dialog } from './dialog.js'
import type { WheelEntry } from './wheel.js'

/** relayed, no response yet */
export const TRYING = 0
/** a provisional response was relayed */
export const PROCEEDING = 1
/** a final response was relayed (or generated); kept to absorb retransmissions */
export const COMPLETED = 2
export type TxState = typeof TRYING | typeof PROCEEDING | typeof COMPLETED

export class Transaction implements WheelEntry {
  deadline = 0
  slot = -1
  readonly serverKey: string
  readonly clientKey: string
  readonly clientBranch: string
  readonly method: string
  readonly info: RequestInfo
  /** where the request came from, and the socket it came in on */
  readonly sourceAddress: string
  readonly sourcePort: number
  readonly listener: Sender
  /** where we relayed it */
  readonly nextAddress: string
  readonly nextPort: number
  readonly nextListener: Sender
  /** the request as relayed (resent when the sender retransmits before any answer) */
  readonly forwarded: Buffer
  /** for ACK/CANCEL generation: Request-URI, From, To (as relayed), Call-ID, CSeq number */
  readonly requestUri: string
  readonly fromValue: string
  readonly toValue: string
  readonly callId: string
  readonly cseq: number
  /** Route header values as relayed (ACK for non-2xx and CANCEL carry the same) */
  readonly routes: readonly string[]
  /** the request came from the upstream (we relayed it toward a phone) */
  readonly fromUpstream: boolean
  state: TxState = TRYING
  lastResponse: Buffer | null = null
  lastStatus = 0
  /** the ACK we sent for a non-2xx final response of an INVITE (resent on retransmissions) */
  ack: Buffer | null = null
  /** the dialog this INVITE created, or the dialog a BYE ends */
  dialog: Dialog | null = null
  /** topology hiding: the Vias of the PBX's request, put back on the answer */
  hiddenVias: readonly string[] | null = null

  constructor(
    init: Omit<
      Transaction,
      'deadline' | 'slot' | 'state' | 'lastResponse' | 'lastStatus' | 'ack' | 'dialog' | 'hiddenVias'
    >,
  ) {
    this.serverKey = init.serverKey
    this.clientKey = init.clientKey
    this.clientBranch = init.clientBranch
    this.method = init.method
    this.info = init.info
    this.sourceAddress = init.sourceAddress
    this.sourcePort = init.sourcePort
    this.listener = init.listener
    this.nextAddress = init.nextAddress
    this.nextPort = init.nextPort
    this.nextListener = init.nextListener
    this.forwarded = init.forwarded
    this.requestUri = init.requestUri
    this.fromValue = init.fromValue
    this.toValue = init.toValue
    this.callId = init.callId
    this.cseq = init.cseq
    this.routes = init.routes
    this.fromUpstream = init.fromUpstream
  }
}

/** A request the gateway sends on its own (the BYEs of endDialog): retransmitted over UDP with
 * T1 doubling (capped at 4 s) until answered or 64×T1 have passed. */
export class LocalRequest implements WheelEntry {
  deadline = 0
  slot = -1
  interval: number

  constructor(
    readonly branch: string,
    readonly buf: Buffer,
    readonly sender: Sender,
    readonly port: number,
    readonly address: string,
    interval: number,
    readonly giveUpAt: number,
  ) {
    this.interval = interval
  }
}
