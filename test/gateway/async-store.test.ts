// With a store that answers through promises (Redis), the counters of auth-guard and sanity
// still ban: the ban follows the message instead of being its outcome.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { answer, request, sleep, startGateway, type TestGateway, UdpPeer } from './helpers.js'

describe('gateway on an asynchronous store', () => {
  let upstream: UdpPeer
  let g: TestGateway
  before(async () => {
    upstream = await new UdpPeer('127.0.0.2').bind()
    // a PBX that refuses every password
    upstream.onMessage = (text, address, port) => {
      if (!text.startsWith('SIP/'))
        upstream.send(
          answer(text, 401, 'Unauthorized', ['WWW-Authenticate: Digest realm="t", nonce="n2"']),
          port,
          address,
        )
    }
    g = await startGateway({
      upstream: `udp:127.0.0.2:${upstream.port}`,
      asyncStore: true,
      policy: {
        gateway: {
          authGuard: { perSource: { maxFailures: 4 }, perAccount: { maxFailures: 3 } },
          sanity: { banAfterMalformed: { count: 3 } },
          scanner: { enumeration: { enabled: false } },
        },
      },
    })
  })
  after(async () => {
    await g?.stop()
    await upstream?.close()
  })

  const failedRegister = (user: string, host: string, port: number, cseq: number): string =>
    request('REGISTER', {
      user,
      port,
      host,
      cseq,
      extra: [
        `Authorization: Digest username="${user}", realm="t", nonce="n2", uri="sip:127.0.0.1", response="00000000000000000000000000000000"`,
      ],
    })

  it('auth-guard bans a brute force (one source, many accounts)', async () => {
    const attacker = await new UdpPeer('127.0.0.51').bind()
    try {
      for (let i = 0; i < 6 && !g.store.isBanned('127.0.0.51'); i++) {
        attacker.send(failedRegister(String(2001 + i), '127.0.0.51', attacker.port, i + 1), g.port)
        await sleep(100)
      }
      await sleep(200)
      assert.equal(g.store.isBanned('127.0.0.51'), true, JSON.stringify(g.events))
      assert.ok(g.events.some((e) => e.code === 'auth.brute-force' && e.action === 'ban'))
    } finally {
      await attacker.close()
    }
  })

  it('auth-guard locks an account refused from several sources', async () => {
    for (let i = 0; i < 4; i++) {
      const peer = await new UdpPeer(`127.0.0.${60 + i}`).bind()
      try {
        peer.send(failedRegister('1001', `127.0.0.${60 + i}`, peer.port, 1), g.port)
        await sleep(150)
      } finally {
        await peer.close()
      }
    }
    assert.ok(
      g.events.some((e) => e.code === 'auth.account-locked' && e.account === '1001'),
      JSON.stringify(g.events),
    )
  })

  it('sanity bans a source that keeps sending malformed messages', async () => {
    const peer = await new UdpPeer('127.0.0.52').bind()
    try {
      for (let i = 0; i < 3; i++) {
        peer.send('INVITE sip:x@127.0.0.1 SIP/7.0\r\nVia: SIP/2.0/UDP 127.0.0.52\r\n\r\n', g.port)
        await sleep(50)
      }
      await sleep(200)
      assert.equal(g.store.isBanned('127.0.0.52'), true)
      assert.ok(g.events.some((e) => e.code === 'sanity.malformed-repeated' && e.address === '127.0.0.52'))
    } finally {
      await peer.close()
    }
  })
})
