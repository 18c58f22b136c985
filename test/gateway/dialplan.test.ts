// Dial-plan scanning: one source dialling many numbers the PBX does not know (404/484/604 to
// INVITEs) is banned at scanner.enumeration.maxUnknownDestinations; trunks are exempt.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { answer, request, sleep, startGateway, type TestGateway, UdpPeer } from './helpers.js'

/** an INVITE from account 1001 at `host` to `dialled` */
function invite(dialled: string, host: string, port: number): string {
  const text = request('INVITE', { user: '1001', port, host })
  return text.replace(/^INVITE sip:1001@[^ ]+ /, `INVITE sip:${dialled}@127.0.0.1 `)
}

describe('scanner: dial-plan scanning', () => {
  let upstream: UdpPeer
  let g: TestGateway
  before(async () => {
    upstream = await new UdpPeer('127.0.0.2').bind()
    // a PBX that knows no number at all
    upstream.onMessage = (text, address, port) => {
      if (text.startsWith('INVITE')) upstream.send(answer(text, 404, 'Not Found'), port, address)
    }
    g = await startGateway({
      upstream: `udp:127.0.0.2:${upstream.port}`,
      policy: {
        gateway: { scanner: { enumeration: { maxUnknownDestinations: 5 } } },
        trunks: [{ name: 'carrier', addresses: ['127.0.0.41'] }],
      },
    })
  })
  after(async () => {
    await g?.stop()
    await upstream?.close()
  })

  async function dial(host: string, numbers: string[]): Promise<void> {
    const peer = await new UdpPeer(host).bind()
    try {
      for (const n of numbers) {
        peer.send(invite(n, host, peer.port), g.port)
        await sleep(20)
      }
      await sleep(200)
    } finally {
      await peer.close()
    }
  }

  it('bans a source at the fifth distinct unknown number, not before, and not for repeats', async () => {
    await dial('127.0.0.40', ['0044123', '0044124', '0044125', '0044125', '0044125', '0044126'])
    assert.equal(g.store.isBanned('127.0.0.40'), false, 'four distinct numbers')
    await dial('127.0.0.40', ['0044127'])
    assert.equal(g.store.isBanned('127.0.0.40'), true)
    assert.ok(
      g.events.some((e) => e.code === 'scanner.dialplan' && e.action === 'ban' && e.address === '127.0.0.40'),
    )
  })

  it('never bans a trunk for numbers the PBX does not know', async () => {
    await dial('127.0.0.41', ['4930100', '4930101', '4930102', '4930103', '4930104', '4930105', '4930106'])
    assert.equal(g.store.isBanned('127.0.0.41'), false)
  })
})
