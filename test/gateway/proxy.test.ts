// The proxy core and the stages against UDP test peers (no external binaries): relay both
// ways, retransmissions, 503 on upstream silence, parser rejections, flood, enumeration.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { answer, request, sleep, startGateway, type TestGateway, UdpPeer } from './helpers.js'

describe('gateway proxy core (udp)', () => {
  let upstream: UdpPeer
  let phone: UdpPeer
  let g: TestGateway
  before(async () => {
    upstream = await new UdpPeer('127.0.0.2').bind()
    phone = await new UdpPeer('127.0.0.1').bind()
    upstream.onMessage = (text, address, port) => {
      if (text.startsWith('REGISTER') && !text.includes('X-Silent'))
        upstream.send(answer(text, 200, 'OK'), port, address)
      if (text.startsWith('INVITE') && text.includes('cxl@t'))
        upstream.send(answer(text, 180, 'Ringing'), port, address)
      else if (text.startsWith('CANCEL')) {
        upstream.send(answer(text, 200, 'OK'), port, address)
        const inv = upstream.received.find((m) => m.text.startsWith('INVITE') && m.text.includes('cxl@t'))
        if (inv !== undefined) upstream.send(answer(inv.text, 487, 'Request Terminated'), port, address)
      } else if (text.startsWith('INVITE')) {
        upstream.send(answer(text, 100, 'Trying'), port, address)
        upstream.send(answer(text, 486, 'Busy Here'), port, address)
      }
    }
    g = await startGateway({
      upstream: `udp:127.0.0.2:${upstream.port}`,
      policy: { gateway: { flood: { options: { burst: 5, maxRequestsPerWindow: 5, windowMs: '1m' } } } },
    })
  })
  after(async () => {
    await g?.stop()
    await upstream?.close()
    await phone?.close()
  })

  it('relays a REGISTER with our Via on top and routes the 200 back by Via', async () => {
    phone.send(request('REGISTER', { port: phone.port, callId: 'reg1@t' }), g.port)
    const got = await upstream.waitFor((t) => t.includes('reg1@t'))
    assert.ok(got)
    const vias = got.split('\r\n').filter((l) => l.startsWith('Via:'))
    assert.equal(vias.length, 2)
    assert.match(vias[0]!, /^Via: SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bKsw[^;]+;rport$/)
    assert.match(vias[1]!, new RegExp(`;rport=${phone.port}`))
    assert.match(got, /Max-Forwards: 69/)
    const res = await phone.waitFor((t) => t.startsWith('SIP/2.0 200') && t.includes('reg1@t'))
    assert.ok(res)
    assert.equal(res.split('\r\n').filter((l) => l.startsWith('Via:')).length, 1)
  })

  it('answers a retransmission from the transaction, without asking the upstream again', async () => {
    const req = request('REGISTER', { port: phone.port, callId: 'reg2@t', branch: 'z9hG4bKretrans1' })
    phone.send(req, g.port)
    await phone.waitFor((t) => t.startsWith('SIP/2.0 200') && t.includes('reg2@t'))
    phone.send(req, g.port)
    await sleep(200)
    assert.equal(
      phone.received.filter((m) => m.text.startsWith('SIP/2.0 200') && m.text.includes('reg2@t')).length,
      2,
    )
    assert.equal(upstream.received.filter((m) => m.text.includes('reg2@t')).length, 1)
  })

  it('sends 100 Trying for INVITE, relays the 486, ACKs it upstream and absorbs the phone ACK', async () => {
    const branch = 'z9hG4bKinv1'
    phone.send(request('INVITE', { port: phone.port, callId: 'inv1@t', branch }), g.port)
    assert.ok(await phone.waitFor((t) => t.startsWith('SIP/2.0 100') && t.includes('inv1@t')))
    const busy = await phone.waitFor((t) => t.startsWith('SIP/2.0 486') && t.includes('inv1@t'))
    assert.ok(busy)
    assert.ok(await upstream.waitFor((t) => t.startsWith('ACK') && t.includes('inv1@t')))
    const inv = upstream.received.find((m) => m.text.startsWith('INVITE') && m.text.includes('inv1@t'))!
    assert.match(inv.text, /Record-Route: <sip:127\.0\.0\.1:\d+;lr>/)
    const ack = request('ACK', { port: phone.port, callId: 'inv1@t', branch })
    phone.send(ack, g.port)
    await sleep(150)
    assert.equal(
      upstream.received.filter((m) => m.text.startsWith('ACK') && m.text.includes('inv1@t')).length,
      1,
    )
    // only our own 100: the upstream's 100 is hop by hop
    assert.equal(
      phone.received.filter((m) => m.text.startsWith('SIP/2.0 100') && m.text.includes('inv1@t')).length,
      1,
    )
  })

  it('handles CANCEL: 200 to the phone, CANCEL upstream on the INVITE branch, 487 relayed and ACKed', async () => {
    const branch = 'z9hG4bKcxl1'
    phone.send(request('INVITE', { port: phone.port, callId: 'cxl@t', branch }), g.port)
    assert.ok(await phone.waitFor((t) => t.startsWith('SIP/2.0 180') && t.includes('cxl@t')))
    phone.send(request('CANCEL', { port: phone.port, callId: 'cxl@t', branch }), g.port)
    assert.ok(
      await phone.waitFor((t) => t.startsWith('SIP/2.0 200') && t.includes('CANCEL') && t.includes('cxl@t')),
    )
    const cancel = await upstream.waitFor((t) => t.startsWith('CANCEL') && t.includes('cxl@t'))
    const inv = upstream.received.find((m) => m.text.startsWith('INVITE') && m.text.includes('cxl@t'))!
    const topBranch = (t: string) => /Via: [^\r]*branch=([^;\r]+)/.exec(t)?.[1]
    assert.equal(topBranch(cancel!), topBranch(inv.text))
    assert.ok(await phone.waitFor((t) => t.startsWith('SIP/2.0 487') && t.includes('cxl@t')))
    assert.ok(await upstream.waitFor((t) => t.startsWith('ACK') && t.includes('cxl@t')))
    // the CANCEL's own 200 from the upstream is absorbed
    assert.equal(
      phone.received.filter((m) => m.text.startsWith('SIP/2.0 200') && m.text.includes('cxl@t')).length,
      1,
    )
  })

  it('relays requests from the PBX to the registered contact, and the answer back to the PBX', async () => {
    const bob = await new UdpPeer('127.0.0.1').bind()
    try {
      bob.onMessage = (text, address, port) => {
        if (text.startsWith('OPTIONS')) bob.send(answer(text, 200, 'OK'), port, address)
      }
      bob.send(request('REGISTER', { user: 'bob', port: bob.port, callId: 'bobreg@t' }), g.port)
      assert.ok(await bob.waitFor((t) => t.startsWith('SIP/2.0 200')))
      // the PBX sends to the contact through the gateway (its Record-Route / outbound proxy)
      const fromPbx = request('OPTIONS', {
        user: 'bob',
        port: upstream.port,
        host: '127.0.0.2',
        callId: 'pbx1@t',
      }).replace(
        'OPTIONS sip:bob@127.0.0.2 SIP/2.0',
        `OPTIONS sip:bob@127.0.0.1:${bob.port} SIP/2.0\r\nRoute: <sip:127.0.0.1:${g.port};lr>`,
      )
      upstream.send(fromPbx, g.port)
      const got = await bob.waitFor((t) => t.startsWith('OPTIONS') && t.includes('pbx1@t'))
      assert.ok(got)
      assert.doesNotMatch(got, /Route:/)
      const res = await upstream.waitFor((t) => t.startsWith('SIP/2.0 200') && t.includes('pbx1@t'))
      assert.ok(res)
      assert.equal(res.split('\r\n').filter((l) => l.startsWith('Via:')).length, 1)
    } finally {
      await bob.close()
    }
  })

  it('answers 503 with Retry-After when the upstream stays silent', async () => {
    const silent = await startGateway({
      policy: {
        upstream: {
          transport: 'udp',
          host: '127.0.0.2',
          port: upstream.port,
          transactionTimeoutMs: '1s',
          retryAfterMs: '7s',
        },
      },
    })
    try {
      phone.send(
        request('REGISTER', { port: phone.port, callId: 'silent@t', extra: ['X-Silent: 1'] }),
        silent.port,
      )
      const res = await phone.waitFor((t) => t.includes('silent@t') && t.startsWith('SIP/2.0 '), 3000)
      assert.ok(res)
      assert.match(res, /^SIP\/2\.0 503 /)
      assert.match(res, /Retry-After: 7/)
      assert.equal(res.split('\r\n').filter((l) => l.startsWith('Via:')).length, 1)
    } finally {
      await silent.stop()
    }
  })

  it('answers parser rejections with the status of the parse error, never relaying them', async () => {
    const before = upstream.received.length
    phone.send(
      request('OPTIONS', { port: phone.port, callId: 'v3@t' }).replace(
        'OPTIONS sip:alice@127.0.0.1 SIP/2.0',
        'OPTIONS sip:alice@127.0.0.1 SIP/3.0',
      ),
      g.port,
    )
    assert.match((await phone.waitFor((t) => t.includes('v3@t'))) ?? '', /^SIP\/2\.0 505 /)
    phone.send(request('OPTIONS', { port: phone.port, callId: 'mf0@t', maxForwards: 0 }), g.port)
    assert.match((await phone.waitFor((t) => t.includes('mf0@t'))) ?? '', /^SIP\/2\.0 483 /)
    phone.send(
      request('OPTIONS', { port: phone.port, callId: 'cl@t' }).replace(
        'Content-Length: 0',
        'Content-Length: 50',
      ),
      g.port,
    )
    assert.match((await phone.waitFor((t) => t.includes('cl@t'))) ?? '', /^SIP\/2\.0 400 /)
    phone.send(
      request('OPTIONS', { port: phone.port, callId: 'cseq@t' }).replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE'),
      g.port,
    )
    assert.match((await phone.waitFor((t) => t.includes('cseq@t'))) ?? '', /^SIP\/2\.0 400 /)
    phone.send('GARBAGE\r\n\r\n', g.port)
    await sleep(100)
    assert.equal(upstream.received.length, before)
    assert.ok(g.events.some((e) => e.code === 'sanity.bad-version' && e.action === 'reply'))
    assert.ok(g.events.some((e) => e.code === 'sanity.max-forwards'))
  })

  it('limits a flood of OPTIONS per source (burst 5) without banning (action drop)', async () => {
    const flooder = await new UdpPeer('127.0.0.7').bind()
    try {
      const before = upstream.received.filter((m) => m.text.startsWith('OPTIONS')).length
      for (let i = 0; i < 40; i++)
        flooder.send(
          request('OPTIONS', { port: flooder.port, host: '127.0.0.7', callId: `fl${i}@t` }),
          g.port,
        )
      await sleep(300)
      const relayed = upstream.received.filter((m) => m.text.startsWith('OPTIONS')).length - before
      assert.ok(relayed >= 5 && relayed <= 6, `relayed ${relayed}`)
      assert.equal(g.store.isBanned('127.0.0.7'), false)
      assert.ok(
        g.events.some((e) => e.code === 'flood.options' && e.action === 'drop' && e.address === '127.0.0.7'),
      )
    } finally {
      await flooder.close()
    }
  })
})

describe('scanner: enumeration behaviour', () => {
  let upstream: UdpPeer
  let g: TestGateway
  before(async () => {
    upstream = await new UdpPeer('127.0.0.2').bind()
    // a PBX that challenges everyone
    upstream.onMessage = (text, address, port) => {
      if (text.includes('Authorization:')) upstream.send(answer(text, 200, 'OK'), port, address)
      else if (!text.startsWith('SIP/'))
        upstream.send(
          answer(text, 401, 'Unauthorized', ['WWW-Authenticate: Digest realm="t", nonce="n1"']),
          port,
          address,
        )
    }
    g = await startGateway({
      upstream: `udp:127.0.0.2:${upstream.port}`,
      build: { scanner: { challengeGraceMs: 300 } },
    })
  })
  after(async () => {
    await g?.stop()
    await upstream?.close()
  })

  it('bans a source that leaves challenges for many distinct accounts unanswered', async () => {
    const scanner = await new UdpPeer('127.0.0.8').bind()
    try {
      for (let i = 0; i < 12; i++)
        scanner.send(
          request('REGISTER', { user: String(200 + i), port: scanner.port, host: '127.0.0.8' }),
          g.port,
        )
      await sleep(500)
      scanner.send(request('REGISTER', { user: '300', port: scanner.port, host: '127.0.0.8' }), g.port)
      await sleep(100)
      assert.equal(g.store.isBanned('127.0.0.8'), true)
      assert.ok(g.events.some((e) => e.code === 'scanner.enumeration' && e.action === 'ban'))
    } finally {
      await scanner.close()
    }
  })

  it('does not count challenges answered with credentials (phones behind one NAT)', async () => {
    const office = await new UdpPeer('127.0.0.9').bind()
    try {
      for (let i = 0; i < 30; i++)
        office.send(
          request('REGISTER', { user: String(400 + i), port: office.port, host: '127.0.0.9' }),
          g.port,
        )
      await office.waitFor(() => office.received.length >= 30, 2000)
      for (let i = 0; i < 30; i++)
        office.send(
          request('REGISTER', {
            user: String(400 + i),
            port: office.port,
            host: '127.0.0.9',
            cseq: 2,
            extra: [
              `Authorization: Digest username="${400 + i}", realm="t", nonce="n1", uri="sip:127.0.0.1", response="00000000000000000000000000000000"`,
            ],
          }),
          g.port,
        )
      await sleep(500)
      office.send(request('REGISTER', { user: '499', port: office.port, host: '127.0.0.9' }), g.port)
      await sleep(100)
      assert.equal(g.store.isBanned('127.0.0.9'), false)
    } finally {
      await office.close()
    }
  })
})
