// Dialog tracking: the calls the gateway relays, from the INVITE to the end (BYE, CANCEL,
// rejection, timeout, or the gateway ending them). Bounded by gateway.proxy.maxDialogs; timers
// live on the gateway's timer wheel (no timer per dialog). Other parts read `count`, the counts
// by state and the active dialogs, and listen with onDialog() (the toll-fraud engine, the admin
// API); endDialog() asks the gateway to end a call on both sides.
import type { Sender } from '../transport/sender.js'
import type { Transaction } from './transaction.js'
import type { WheelEntry } from './wheel.js'

/** trying: INVITE relayed; early: a provisional answer with a To tag; confirmed: answered */
export type DialogState = 'trying' | 'early' | 'confirmed'
export type DialogEndReason =
  'bye-caller' | 'bye-callee' | 'cancel' | 'rejected' | 'timeout' | 'ended-by-gateway'
export type DialogEvent = 'created' | 'answered' | 'ended'

/** What other parts see of a dialog (a snapshot: plain data). */
export interface DialogInfo {
  readonly id: string
  readonly callId: string
  readonly state: DialogState | 'ended'
  /** From user of the INVITE (the account that calls) */
  readonly account: string | null
  /** Request-URI user of the INVITE, else its To user (the number dialled) */
  readonly dialled: string | null
  /** where the INVITE came from */
  readonly sourceAddress: string
  readonly sourcePort: number
  readonly transport: 'udp' | 'tcp' | 'tls'
  /** the INVITE came from the upstream (a call toward a phone) */
  readonly fromUpstream: boolean
  /** ms epoch */
  readonly startTime: number
  readonly answerTime: number | null
  readonly endTime: number | null
  readonly endReason: DialogEndReason | null
  /** the final status for `rejected` */
  readonly endStatus: number | null
  /** the reason given to endDialog() */
  readonly endDetail: string | null
}

export type DialogListener = (event: DialogEvent, info: DialogInfo) => void

/** One side of a dialog as the gateway reaches it. */
export interface DialogSide {
  /** tag of this side (the caller's From tag; the callee's To tag) */
  tag: string | null
  /** its identity header value as seen (From of the caller, To of the callee, with tag) */
  identity: string
  /** target of requests to this side: its Contact URI */
  target: string | null
  /** Route values toward this side, in order */
  routes: string[]
  /** highest CSeq this side sent */
  cseq: number
  address: string
  port: number
  sender: Sender
}

export class Dialog implements WheelEntry {
  deadline = 0
  slot = -1
  readonly id: string
  readonly callId: string
  state: DialogState = 'trying'
  readonly account: string | null
  readonly dialled: string | null
  readonly fromUpstream: boolean
  readonly startTime: number
  answerTime: number | null = null
  /** the INVITE transaction while it lives */
  invite: Transaction | null
  readonly caller: DialogSide
  readonly callee: DialogSide
  /** the caller cancelled: a final answer now ends the dialog as `cancel` */
  cancelled = false
  /** a BYE was relayed or sent (its final answer, or its timeout, ends the dialog) */
  byeFrom: 'caller' | 'callee' | null = null
  ended = false

  constructor(init: {
    id: string
    callId: string
    account: string | null
    dialled: string | null
    fromUpstream: boolean
    startTime: number
    invite: Transaction
    caller: DialogSide
    callee: DialogSide
  }) {
    this.id = init.id
    this.callId = init.callId
    this.account = init.account
    this.dialled = init.dialled
    this.fromUpstream = init.fromUpstream
    this.startTime = init.startTime
    this.invite = init.invite
    this.caller = init.caller
    this.callee = init.callee
  }

  info(end?: { time: number; reason: DialogEndReason; status?: number; detail?: string }): DialogInfo {
    return {
      id: this.id,
      callId: this.callId,
      state: end !== undefined ? 'ended' : this.state,
      account: this.account,
      dialled: this.dialled,
      sourceAddress: this.caller.address,
      sourcePort: this.caller.port,
      transport: this.caller.sender.transport,
      fromUpstream: this.fromUpstream,
      startTime: this.startTime,
      answerTime: this.answerTime,
      endTime: end?.time ?? null,
      endReason: end?.reason ?? null,
      endStatus: end?.status ?? null,
      endDetail: end?.detail ?? null,
    }
  }
}

/** The dialog table. The gateway owns it and drives it; others read and listen. */
export class DialogTable {
  /** Call-ID + caller's From tag → dialog (the callee's requests carry that tag as their To tag) */
  readonly #byId = new Map<string, Dialog>()
  readonly #listeners = new Set<DialogListener>()
  readonly #counts = { trying: 0, early: 0, confirmed: 0 }
  readonly max: number
  #ender: ((d: Dialog, detail: string) => boolean) | null = null
  /** dialogs ever created */
  created = 0

  readonly #onRemoved: ((d: Dialog) => void) | null

  /** `onRemoved`: the owner's cleanup of an ended dialog (its timer on the wheel) */
  constructor(max: number, onRemoved?: (d: Dialog) => void) {
    this.max = max
    this.#onRemoved = onRemoved ?? null
  }

  /** Active dialogs. */
  get count(): number {
    return this.#byId.size
  }

  /** Active dialogs by state. */
  counts(): { trying: number; early: number; confirmed: number } {
    return { ...this.#counts }
  }

  /** Snapshots of the active dialogs. */
  *active(): IterableIterator<DialogInfo> {
    for (const d of this.#byId.values()) yield d.info()
  }

  get(id: string): DialogInfo | null {
    return this.#byId.get(id)?.info() ?? null
  }

  /** Listens to created / answered / ended; returns the function that stops listening. */
  onDialog(listener: DialogListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Ends an active dialog from the gateway: BYE to both sides when answered, else CANCEL
   * upstream and 487 to the caller. False when no such dialog is active. */
  endDialog(id: string, reason = 'ended by the gateway'): boolean {
    const d = this.#byId.get(id)
    if (d === undefined || this.#ender === null) return false
    return this.#ender(d, reason)
  }

  // ---------------------------------------------------------------------------- gateway side

  /** @internal the gateway's implementation of endDialog */
  setEnder(f: (d: Dialog, detail: string) => boolean): void {
    this.#ender = f
  }

  static key(callId: string, callerTag: string): string {
    return `${callId}|${callerTag}`
  }

  get full(): boolean {
    return this.#byId.size >= this.max
  }

  /** @internal */
  add(d: Dialog): void {
    this.#byId.set(d.id, d)
    this.#counts[d.state]++
    this.created++
    this.#emit('created', d.info())
  }

  /** @internal an in-dialog request or a response: the dialog by Call-ID and tags (either order) */
  find(callId: string | null, tagA: string | null, tagB: string | null): Dialog | null {
    if (callId === null) return null
    if (tagA !== null) {
      const d = this.#byId.get(DialogTable.key(callId, tagA))
      if (d !== undefined && (d.callee.tag === null || tagB === null || d.callee.tag === tagB)) return d
    }
    if (tagB !== null) {
      const d = this.#byId.get(DialogTable.key(callId, tagB))
      if (d !== undefined && (d.callee.tag === null || tagA === null || d.callee.tag === tagA)) return d
    }
    return null
  }

  /** @internal */
  setState(d: Dialog, state: DialogState, now: number): void {
    if (d.ended || d.state === state) return
    this.#counts[d.state]--
    this.#counts[state]++
    d.state = state
    if (state === 'confirmed') {
      d.answerTime = now
      this.#emit('answered', d.info())
    }
  }

  /** @internal removes the dialog and tells the listeners; false when it had ended already */
  end(d: Dialog, now: number, reason: DialogEndReason, status?: number, detail?: string): boolean {
    if (d.ended) return false
    d.ended = true
    if (this.#byId.get(d.id) === d) {
      this.#byId.delete(d.id)
      this.#counts[d.state]--
    }
    d.invite = null
    this.#onRemoved?.(d)
    this.#emit(
      'ended',
      d.info({
        time: now,
        reason,
        ...(status !== undefined ? { status } : {}),
        ...(detail !== undefined ? { detail } : {}),
      }),
    )
    return true
  }

  /** @internal */
  clear(): void {
    this.#byId.clear()
    this.#counts.trying = this.#counts.early = this.#counts.confirmed = 0
  }

  #emit(event: DialogEvent, info: DialogInfo): void {
    for (const l of this.#listeners) {
      try {
        l(event, info)
      } catch {
        // a listener's failure must not break the relay
      }
    }
  }
}
