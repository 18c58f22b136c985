// The ACK of an INVITE that a stage refused is absorbed by the gateway: the PBX never saw the
// INVITE, so it must not see its ACK either.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { request, sleep, startGateway, type TestGateway, UdpPeer } from './helpers.js'

describe('ACK of a refusal', () => {
  let upstream: UdpPeer
  let phone: UdpPeer
  let g: TestGateway
  before(async () => {
    upstream = await new UdpPeer('127.0.0.2').bind()
    phone = await new UdpPeer('127.0.0.72').bind()
    g = await startGateway({
      upstream: `udp:127.0.0.2:${upstream.port}`,
      policy: { fraud: { enabled: false } },
    })
  })
  after(async () => {
    await g?.stop()
    await upstream?.close()
    await phone?.close()
  })

  it('an INVITE refused by identity (403) and its ACK never reach the PBX', async () => {
    const branch = 'z9hG4bKrefusedack1'
    const invite = request('INVITE', {
      user: 'alice',
      port: phone.port,
      host: '127.0.0.72',
      branch,
      callId: 'ack1@t',
      extra: [
        'Proxy-Authorization: Digest username="bob", realm="t", nonce="n", uri="sip:x", response="00000000000000000000000000000000"',
      ],
    })
    phone.send(invite, g.port)
    const refusal = await phone.waitFor((t) => t.startsWith('SIP/2.0 403'))
    assert.ok(refusal, 'refused by the gateway')
    const toTag = /^To: .*;tag=([^;\r\n]+)/m.exec(refusal)?.[1] ?? 'x'
    const ack = invite
      .replace(/^INVITE /, 'ACK ')
      .replace('CSeq: 1 INVITE', 'CSeq: 1 ACK')
      .replace(/^(To: [^\r\n]*)/m, `$1;tag=${toTag}`)
      .replace(/^Proxy-Authorization:[^\r\n]*\r\n/m, '')
    phone.send(ack, g.port)
    await sleep(300)
    assert.deepEqual(
      upstream.received.map((r) => r.text.split('\r\n')[0]),
      [],
      'nothing of this call reached the PBX',
    )
    assert.ok(g.gw.stats.absorbed >= 1)
  })
})
