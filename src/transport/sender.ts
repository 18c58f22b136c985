// Something a message can be sent through: a UDP listener (any address), one TCP/TLS connection
// accepted by a listener, or the connection to a TCP/TLS upstream.

export interface Sender {
  readonly transport: 'udp' | 'tcp' | 'tls'
  readonly family: 4 | 6
  /** sent-protocol and sent-by for our Via through this sender, e.g. `UDP 127.0.0.1:5060` */
  readonly viaSentBy: string
  /** our Record-Route URI for this side, e.g. `sip:127.0.0.1:5060;transport=tcp;lr` */
  readonly recordRouteUri: string
  send(buf: Buffer, port: number, address: string): void
}

export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`
}
