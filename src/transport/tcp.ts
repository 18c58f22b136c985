// TCP listeners: Content-Length framing with SipStreamFramer, bounded connections (total and
// per source), idle timeout. Replies leave through the connection the request came in on.
import { createServer, type Server, type Socket } from 'node:net'
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

export class TcpConnection implements Sender {
  readonly transport = 'tcp' as const
  readonly family: 4 | 6
  readonly viaSentBy: string
  readonly recordRouteUri: string
  readonly socket: Socket
  readonly framer: SipStreamFramer

  constructor(socket: Socket, listener: TcpListener, maxMessageBytes: number) {
    this.socket = socket
    this.family = listener.family
    this.viaSentBy = `TCP ${hostPort(listener.advertised, listener.port)}`
    this.recordRouteUri = `sip:${hostPort(listener.advertised, listener.port)};transport=tcp;lr`
    this.framer = new SipStreamFramer({ maxMessageBytes, maxBodyBytes: maxMessageBytes })
  }

  send(buf: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(buf)
  }
}

export class TcpListener {
  readonly transport = 'tcp' as const
  readonly address: string
  readonly family: 4 | 6
  port: number
  advertised: string
  readonly #server: Server
  readonly #perSource = new Map<string, number>()
  readonly #sockets = new Set<Socket>()

  constructor(address: string, port: number, limits: TcpLimits, onMessage: StreamHandler) {
    this.address = address
    this.port = port
    this.advertised = address
    this.family = address.includes(':') ? 6 : 4
    this.#server = createServer({ noDelay: true }, (socket) => this.#accept(socket, limits, onMessage))
    this.#server.maxConnections = limits.maxConnections
  }

  #accept(socket: Socket, limits: TcpLimits, onMessage: StreamHandler): void {
    const address = socket.remoteAddress ?? ''
    const port = socket.remotePort ?? 0
    const n = this.#perSource.get(address) ?? 0
    if (address === '' || n >= limits.maxConnectionsPerSource || limits.refuse(address)) {
      socket.destroy()
      return
    }
    this.#perSource.set(address, n + 1)
    this.#sockets.add(socket)
    const conn = new TcpConnection(socket, this, limits.maxMessageBytes)
    socket.setTimeout(limits.idleTimeoutMs)
    socket.on('timeout', () => socket.destroy())
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      this.#sockets.delete(socket)
      const left = (this.#perSource.get(address) ?? 1) - 1
      if (left <= 0) this.#perSource.delete(address)
      else this.#perSource.set(address, left)
    })
    socket.on('data', (chunk: Buffer) => {
      const r = conn.framer.push(chunk)
      for (let i = 0; i < r.pings; i++) conn.send(Buffer.from('\r\n'))
      for (const m of r.messages) onMessage(m, address, port, conn)
      if (r.error !== null) socket.destroy()
    })
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
            `cannot listen on tcp:${hostPort(this.address, this.port)}: ${why}`,
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
