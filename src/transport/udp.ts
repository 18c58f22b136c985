// UDP listeners. One socket per listener; replies leave through the socket the request came in
// on, requests to the upstream through the first listener of the upstream's address family.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { SgwError } from '../errors.js'
import { hostPort, type Sender } from './sender.js'

/** Asked-for SO_RCVBUF of every UDP listener (Kamailio's maxbuffer plays this role). */
const RECV_BUFFER_BYTES = 4 * 1024 * 1024

export type PacketHandler = (buf: Buffer, address: string, port: number, sender: Sender) => void

export class UdpListener implements Sender {
  readonly transport = 'udp' as const
  readonly address: string
  readonly family: 4 | 6
  port: number
  /** the address written into Via / Record-Route (the bound one, or the one toward the upstream) */
  advertised: string
  readonly #socket: Socket
  #closed = false

  constructor(address: string, port: number, onPacket: PacketHandler) {
    this.address = address
    this.port = port
    this.advertised = address
    this.family = address.includes(':') ? 6 : 4
    this.#socket = createSocket({ type: this.family === 6 ? 'udp6' : 'udp4', ipv6Only: this.family === 6 })
    this.#socket.on('message', (buf: Buffer, r: RemoteInfo) => onPacket(buf, r.address, r.port, this))
  }

  /** Binds; a port in use or not permitted is a clear SgwError (SGW_ERR_GATEWAY_LISTEN). */
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
            `cannot listen on udp:${fmt(this.address, this.port)}: ${why}`,
          ),
        )
      }
      this.#socket.once('error', onError)
      this.#socket.bind(this.port, this.address, () => {
        this.#socket.off('error', onError)
        this.#socket.on('error', () => {}) // ICMP errors on send: nothing to do for UDP
        // a large receive buffer rides out the moments this process is not scheduled (a busy host)
        // instead of losing datagrams; the kernel caps it at net.core.rmem_max
        try {
          this.#socket.setRecvBufferSize(RECV_BUFFER_BYTES)
        } catch {
          // not permitted: keep the system default
        }
        this.port = this.#socket.address().port
        resolve()
      })
    })
  }

  get viaSentBy(): string {
    return `UDP ${hostPort(this.advertised, this.port)}`
  }

  get recordRouteUri(): string {
    return `sip:${hostPort(this.advertised, this.port)};lr`
  }

  send(buf: Buffer, port: number, address: string): void {
    if (this.#closed) return
    this.#socket.send(buf, port, address)
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#closed = true
    return new Promise((resolve) => this.#socket.close(() => resolve()))
  }
}

export function fmt(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`
}
