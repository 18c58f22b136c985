// The connection to a TCP or TLS upstream: one persistent connection, opened at start and again
// whenever it closes. While it is being opened, requests wait in a bounded queue; when opening
// fails, the queue is dropped (the gateway answers the waiting requests 503) and the next attempt
// comes after a backoff (doubling, capped), during which requests are refused at once. The PBX's
// own requests to phones arrive on this connection as well.
import { connect as netConnect, type Socket } from 'node:net'
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls'
import { SipStreamFramer } from '../sip/stream.js'
import { hostPort, type Sender } from './sender.js'
import type { PacketHandler } from './udp.js'

export interface UpstreamOptions {
  readonly transport: 'tcp' | 'tls'
  readonly host: string
  readonly address: string
  readonly port: number
  readonly connectTimeoutMs: number
  readonly maxMessageBytes: number
  /** TLS client options (transport tls) */
  readonly tls?: ConnectionOptions
  /** bound on requests waiting while the connection opens */
  readonly maxQueued?: number
  readonly minBackoffMs?: number
  readonly maxBackoffMs?: number
}

export type UpstreamState = 'connecting' | 'up' | 'down'

export interface UpstreamEvents {
  onMessage: PacketHandler
  /** the connection could not be opened, or closed with requests in flight */
  onDown: (reason: string) => void
  onUp?: () => void
}

const MAX_QUEUED = 256
/** Bytes queued toward a PBX that does not read: beyond, the connection is closed (and opened again). */
const MAX_PENDING_WRITE_BYTES = 8 << 20

export class UpstreamConnection implements Sender {
  readonly transport: 'tcp' | 'tls'
  readonly family: 4 | 6
  /** Via sent-by and Record-Route of this side: set by the gateway (a listener of the same
   * transport when there is one, so that the PBX can open a connection back) */
  viaSentBy: string
  recordRouteUri: string
  readonly #o: UpstreamOptions
  readonly #ev: UpstreamEvents
  #socket: Socket | null = null
  #state: UpstreamState = 'down'
  #queue: Buffer[] = []
  #backoff: number
  #retryAt = 0
  #timer: NodeJS.Timeout | null = null
  #closed = false
  /** connections opened (tests, stats) */
  opened = 0

  constructor(o: UpstreamOptions, ev: UpstreamEvents) {
    this.#o = o
    this.#ev = ev
    this.transport = o.transport
    this.family = o.address.includes(':') ? 6 : 4
    this.#backoff = o.minBackoffMs ?? 250
    this.viaSentBy = `${o.transport.toUpperCase()} ${hostPort(o.address, o.port)}`
    this.recordRouteUri = `sip:${hostPort(o.address, o.port)};transport=${o.transport};lr`
  }

  get state(): UpstreamState {
    return this.#state
  }

  /** False while the upstream is known unreachable (backoff) or the wait queue is full. */
  get accepting(): boolean {
    if (this.#closed) return false
    if (this.#state === 'up') return true
    if (this.#state === 'connecting') return this.#queue.length < (this.#o.maxQueued ?? MAX_QUEUED)
    return Date.now() >= this.#retryAt
  }

  start(): void {
    this.#connect()
  }

  send(buf: Buffer): void {
    if (this.#closed) return
    if (this.#state === 'up' && this.#socket !== null) {
      if (this.#socket.writableLength > MAX_PENDING_WRITE_BYTES)
        this.#socket.destroy(new Error('the upstream does not read: write buffer full'))
      else this.#socket.write(buf)
      return
    }
    if (this.#state === 'down') {
      if (Date.now() < this.#retryAt) return
      this.#connect()
    }
    if (this.#queue.length < (this.#o.maxQueued ?? MAX_QUEUED)) this.#queue.push(buf)
  }

  #connect(): void {
    if (this.#closed || this.#state === 'connecting' || this.#state === 'up') return
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    this.#state = 'connecting'
    const o = this.#o
    const secureEvent = o.transport === 'tls' ? 'secureConnect' : 'connect'
    const socket =
      o.transport === 'tls'
        ? tlsConnect({ ...o.tls, host: o.address, port: o.port })
        : netConnect({ host: o.address, port: o.port, noDelay: true })
    this.#socket = socket
    const framer = new SipStreamFramer({
      maxMessageBytes: o.maxMessageBytes,
      maxBodyBytes: o.maxMessageBytes,
    })
    let wasUp = false
    socket.setTimeout(o.connectTimeoutMs)
    socket.once('timeout', () => {
      if (!wasUp) socket.destroy(new Error(`no connection within ${o.connectTimeoutMs} ms`))
    })
    socket.once(secureEvent, () => {
      wasUp = true
      socket.setTimeout(0)
      socket.setKeepAlive(true, 30_000)
      this.#state = 'up'
      this.opened++
      this.#backoff = o.minBackoffMs ?? 250
      for (const b of this.#queue.splice(0)) socket.write(b)
      this.#ev.onUp?.()
    })
    socket.on('data', (chunk: Buffer) => {
      const r = framer.push(chunk)
      for (let i = 0; i < r.pings; i++) socket.write('\r\n')
      for (const m of r.messages) this.#ev.onMessage(m, o.address, o.port, this)
      if (r.error !== null) socket.destroy(new Error('a framing error on the stream'))
    })
    let why = 'closed by the upstream'
    socket.on('error', (err: Error) => {
      why = err.message
    })
    socket.once('close', () => {
      if (this.#socket === socket) this.#socket = null
      if (this.#closed) return
      this.#state = 'down'
      if (wasUp) {
        // an idle close by the PBX is normal: open again at once, requests wait meanwhile
        this.#ev.onDown(why)
        this.#connect()
        return
      }
      this.#queue.length = 0
      this.#retryAt = Date.now() + this.#backoff
      this.#timer = setTimeout(() => this.#connect(), this.#backoff)
      this.#timer.unref()
      this.#backoff = Math.min(this.#backoff * 2, o.maxBackoffMs ?? 30_000)
      this.#ev.onDown(`cannot connect to ${o.transport}:${hostPort(o.address, o.port)}: ${why}`)
    })
  }

  close(): Promise<void> {
    this.#closed = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#queue.length = 0
    const s = this.#socket
    this.#socket = null
    if (s === null || s.destroyed) return Promise.resolve()
    return new Promise((resolve) => {
      s.once('close', () => resolve())
      s.destroy()
    })
  }
}
