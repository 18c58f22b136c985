// TCP and TLS listeners: Content-Length framing with SipStreamFramer, bounded connections (total
// and per source, counted at TCP accept, before any TLS handshake), idle timeout, a banned source
// closed at accept. Replies leave through the connection the request came in on.
import { createServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, type TlsOptions } from 'node:tls'
import { SgwError } from '../errors.js'
import { SipStreamFramer } from '../sip/stream.js'
import { hostPort, type Sender } from './sender.js'

export type StreamHandler = (buf: Buffer, address: string, port: number, conn: TcpConnection) => void

export interface TcpLimits {
  readonly maxConnections: number
  readonly maxConnectionsPerSource: number
  readonly idleTimeoutMs: number
  readonly maxMessageBytes: number
  /** checked when a connection is accepted: a banned source is refused at once */
  readonly refuse: (address: string) => boolean
}

/** Longest TLS handshake accepted (a slow handshake holds a connection slot). */
const HANDSHAKE_TIMEOUT_MS = 10_000
/** Bytes queued toward a peer that does not read: beyond, the connection is closed. */
const MAX_PENDING_WRITE_BYTES = 1 << 20

export class TcpConnection implements Sender {
  readonly transport: 'tcp' | 'tls'
  readonly family: 4 | 6
  readonly viaSentBy: string
  readonly recordRouteUri: string
  readonly socket: Socket
  readonly framer: SipStreamFramer

  constructor(socket: Socket, listener: TcpListener, maxMessageBytes: number) {
    this.socket = socket
    this.transport = listener.transport
    this.family = listener.family
    this.viaSentBy = `${listener.transport.toUpperCase()} ${hostPort(listener.advertised, listener.port)}`
    this.recordRouteUri = `sip:${hostPort(listener.advertised, listener.port)};transport=${listener.transport};lr`
    this.framer = new SipStreamFramer({ maxMessageBytes, maxBodyBytes: maxMessageBytes })
  }

  send(buf: Buffer): void {
    const s = this.socket
    if (s.destroyed || !s.writable) return
    if (s.writableLength > MAX_PENDING_WRITE_BYTES) s.destroy()
    else s.write(buf)
  }
}

export class TcpListener {
  readonly transport: 'tcp' | 'tls'
  readonly address: string
  readonly family: 4 | 6
  port: number
  advertised: string
  readonly #server: Server
  readonly #perSource = new Map<string, number>()
  readonly #sockets = new Set<Socket>()

  /** `tls`: the secure context options of a TLS listener (transport/tls.ts builds them). */
  constructor(address: string, port: number, limits: TcpLimits, onMessage: StreamHandler, tls?: TlsOptions) {
    this.address = address
    this.port = port
    this.advertised = address
    this.family = address.includes(':') ? 6 : 4
    this.transport = tls !== undefined ? 'tls' : 'tcp'
    if (tls !== undefined) {
      this.#server = createTlsServer(
        { ...tls, handshakeTimeout: Math.min(HANDSHAKE_TIMEOUT_MS, limits.idleTimeoutMs) },
        (socket) => this.#serve(socket, limits, onMessage),
      )
      this.#server.on('tlsClientError', (_err, socket) => socket.destroy())
    } else {
      this.#server = createServer({ noDelay: true })
    }
    // raw TCP accept (before a TLS handshake): bounds and bans first
    this.#server.on('connection', (socket: Socket) => {
      if (this.#admit(socket, limits) && tls === undefined) this.#serve(socket, limits, onMessage)
    })
    this.#server.maxConnections = limits.maxConnections
  }

  #admit(socket: Socket, limits: TcpLimits): boolean {
    const address = socket.remoteAddress ?? ''
    const n = this.#perSource.get(address) ?? 0
    if (address === '' || n >= limits.maxConnectionsPerSource || limits.refuse(address)) {
      socket.destroy()
      return false
    }
    this.#perSource.set(address, n + 1)
    this.#sockets.add(socket)
    socket.setNoDelay(true)
    socket.setTimeout(limits.idleTimeoutMs)
    socket.on('timeout', () => socket.destroy())
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      this.#sockets.delete(socket)
      const left = (this.#perSource.get(address) ?? 1) - 1
      if (left <= 0) this.#perSource.delete(address)
      else this.#perSource.set(address, left)
    })
    return true
  }

  /** A connection ready for SIP (TCP: accepted; TLS: handshake done). */
  #serve(socket: Socket, limits: TcpLimits, onMessage: StreamHandler): void {
    const address = socket.remoteAddress ?? ''
    const port = socket.remotePort ?? 0
    if (address === '') {
      socket.destroy()
      return
    }
    const conn = new TcpConnection(socket, this, limits.maxMessageBytes)
    if (this.transport === 'tls') {
      // the TLS socket wraps the raw one: idle timeout and errors on the TLS layer too
      socket.setTimeout(limits.idleTimeoutMs)
      socket.on('timeout', () => socket.destroy())
      socket.on('error', () => socket.destroy())
    }
    socket.on('data', (chunk: Buffer) => {
      const r = conn.framer.push(chunk)
      for (let i = 0; i < r.pings; i++) conn.send(Buffer.from('\r\n'))
      for (const m of r.messages) onMessage(m, address, port, conn)
      if (r.error !== null) socket.destroy()
    })
  }

  /** Number of open connections (accepted, TLS handshakes included). */
  get connections(): number {
    return this.#sockets.size
  }

  bind(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const why =
          err.code === 'EADDRINUSE'
            ? 'the port is already in use'
            : err.code === 'EACCES'
              ? 'not permitted (ports below 1024 need root or CAP_NET_BIND_SERVICE)'
              : err.code === 'EADDRNOTAVAIL'
                ? 'the address is not on this host'
                : err.message
        reject(
          new SgwError(
            'SGW_ERR_GATEWAY_LISTEN',
            `cannot listen on ${this.transport}:${hostPort(this.address, this.port)}: ${why}`,
          ),
        )
      }
      this.#server.once('error', onError)
      this.#server.listen({ port: this.port, host: this.address, ipv6Only: this.family === 6 }, () => {
        this.#server.off('error', onError)
        const a = this.#server.address()
        if (a !== null && typeof a === 'object') this.port = a.port
        resolve()
      })
    })
  }

  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    return new Promise((resolve) => this.#server.close(() => resolve()))
  }
}
