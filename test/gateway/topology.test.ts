// topology-hiding with UDP peers: a fake PBX behind the gateway. What a phone receives carries
// no version string and none of the PBX's Vias; the phone's answer reaches the PBX with its
// Vias intact.
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  answer,
  freePort,
  have,
  Peers,
  request,
  sleep,
  startGateway,
  type TestGateway,
  UdpPeer,
} from './helpers.js'

const PRODUCT = /Asterisk|18\.2\.1|FPBX|ACME|pbx\.internal/

/** The fake PBX answers every request 200 OK with product headers. */
function chattyPbx(up: UdpPeer): void {
  up.onMessage = (text, address, port) => {
    if (text.startsWith('SIP/') || text.startsWith('ACK ')) return
    // an INVITE is record-routed by the PBX too (its internal address on top of the set)
    const rr = text.startsWith('INVITE ')
      ? [
          'Record-Route: <sip:10.9.8.7;lr;pbx=1>',
          ...text.split('\r\n').filter((l) => /^Record-Route:/i.test(l)),
        ]
      : []
    up.send(
      answer(text, 200, 'OK', [
        ...rr,
        'Server: FPBX-16.0.40(18.2.1)',
        'Organization: ACME Telecom',
        'Warning: 399 pbx.internal "Asterisk says hello"',
        'X-Asterisk-HangupCause: Normal Clearing',
        'Allow: INVITE, ACK, BYE, CANCEL, OPTIONS',
      ]),
      port,
      address,
    )
  }
}

function pbxInvite(gwPort: number, phonePort: number): string {
  return [
    `INVITE sip:bob@127.0.0.47:${phonePort} SIP/2.0`,
    'Via: SIP/2.0/UDP 10.9.8.7:5060;branch=z9hG4bKpbx1;rport',
    'Via: SIP/2.0/UDP 10.9.8.6:5070;branch=z9hG4bKinner',
    'Max-Forwards: 70',
    'From: <sip:100@pbx.example>;tag=pbxtag1',
    `To: <sip:bob@127.0.0.47:${phonePort}>`,
    `Call-ID: th-${gwPort}-${phonePort}`,
    'CSeq: 1 INVITE',
    'Record-Route: <sip:10.9.8.7;lr;ftag=pbxtag1>',
    'Contact: <sip:100@pbx.example>',
    'User-Agent: Asterisk PBX 18.2.1',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n')
}

describe('topology hiding with UDP peers', () => {
  let up: UdpPeer
  let phone: UdpPeer
  const gws: TestGateway[] = []
  before(async () => {
    up = await new UdpPeer('127.0.0.1').bind()
    chattyPbx(up)
    phone = await new UdpPeer('127.0.0.47').bind()
  })
  after(async () => {
    for (const g of gws) await g.stop()
    await phone?.close()
    await up?.close()
  })
  async function gateway(policy: Record<string, unknown> = {}): Promise<TestGateway> {
    const g = await startGateway({ upstream: `udp:127.0.0.1:${up.port}`, policy })
    gws.push(g)
    return g
  }

  it('replies of the PBX reach the phone without Server, Organization, Warning, X-Asterisk-*', async () => {
    const g = await gateway()
    phone.received.length = 0
    phone.send(request('OPTIONS', { user: 'bob', port: phone.port, host: '127.0.0.47' }), g.port)
    const r = await phone.waitFor((t) => t.startsWith('SIP/2.0 200'))
    assert.ok(r)
    assert.doesNotMatch(r, PRODUCT)
    assert.doesNotMatch(r, /^(Server|Organization|Warning|X-Asterisk-HangupCause):/im)
    assert.match(r, /^Allow: INVITE/m) // other headers are kept
  })

  it('versionHeaderReplacement replaces Server instead; topologyHiding off passes it through', async () => {
    const g = await gateway({ gateway: { topologyHiding: { versionHeaderReplacement: 'PBX' } } })
    phone.received.length = 0
    phone.send(request('OPTIONS', { user: 'bob', port: phone.port, host: '127.0.0.47' }), g.port)
    const r = await phone.waitFor((t) => t.startsWith('SIP/2.0 200'))
    assert.match(r ?? '', /^Server: PBX\r$/m)
    const off = await gateway({ gateway: { topologyHiding: { enabled: false } } })
    phone.received.length = 0
    phone.send(request('OPTIONS', { user: 'bob', port: phone.port, host: '127.0.0.47' }), off.port)
    const r2 = await phone.waitFor((t) => t.startsWith('SIP/2.0 200'))
    assert.match(r2 ?? '', /^Server: FPBX-16\.0\.40\(18\.2\.1\)\r$/m)
  })

  it("a request of the PBX reaches the phone without the PBX's Vias or User-Agent; the answer gets them back", async () => {
    const g = await gateway()
    phone.received.length = 0
    up.received.length = 0
    phone.onMessage = (text, address, port) => {
      if (text.startsWith('INVITE ')) {
        phone.send(answer(text, 180, 'Ringing'), port, address)
        phone.send(answer(text, 200, 'OK', ['Contact: <sip:bob@127.0.0.47>']), port, address)
      }
    }
    try {
      up.send(pbxInvite(g.port, phone.port), g.port)
      const inv = await phone.waitFor((t) => t.startsWith('INVITE '))
      assert.ok(inv, 'the INVITE did not reach the phone')
      const vias = inv.split('\r\n').filter((l) => /^(Via|v):/i.test(l))
      assert.equal(vias.length, 1, inv)
      assert.match(vias[0]!, new RegExp(`127\\.0\\.0\\.1:${g.port}`))
      assert.doesNotMatch(inv, /10\.9\.8\.|z9hG4bKpbx1|z9hG4bKinner/)
      assert.doesNotMatch(inv, /^User-Agent:/im)
      assert.doesNotMatch(inv, PRODUCT)

      const ok = await up.waitFor((t) => t.startsWith('SIP/2.0 200'))
      assert.ok(ok, 'the 200 did not reach the PBX')
      const back = ok.split('\r\n').filter((l) => /^(Via|v):/i.test(l))
      assert.equal(back.length, 2, ok)
      assert.match(
        back[0]!,
        /^Via: SIP\/2\.0\/UDP 10\.9\.8\.7:5060;branch=z9hG4bKpbx1;rport=\d+;received=127\.0\.0\.1$/,
      )
      assert.equal(back[1], 'Via: SIP/2.0/UDP 10.9.8.6:5070;branch=z9hG4bKinner')
      assert.ok(await up.waitFor((t) => t.startsWith('SIP/2.0 180')), 'the 180 did not reach the PBX')
    } finally {
      phone.onMessage = null
    }
  })

  it("the PBX's Record-Route is sealed toward the phone and back in the phone's in-dialog requests", async () => {
    const g = await gateway()
    // 1. a call from the PBX: the phone's 200 echoes the sealed Record-Route
    phone.received.length = 0
    up.received.length = 0
    phone.onMessage = (text, address, port) => {
      if (!text.startsWith('INVITE ')) return
      const rr = text.split('\r\n').filter((l) => /^Record-Route:/i.test(l))
      phone.send(answer(text, 200, 'OK', [...rr, 'Contact: <sip:bob@127.0.0.47>']), port, address)
    }
    try {
      up.send(pbxInvite(g.port, phone.port).replace('pbx1', 'pbx3').replace(/th-/, 'rr1-'), g.port)
      const inv = await phone.waitFor((t) => t.startsWith('INVITE '))
      assert.ok(inv)
      const rr = inv.split('\r\n').filter((l) => /^Record-Route:/i.test(l))
      assert.equal(rr.length, 1, inv)
      assert.match(
        rr[0]!,
        new RegExp(`^Record-Route: <sip:127\\.0\\.0\\.1:${g.port};[^>]*sw-rr=[A-Za-z0-9_-]+>$`),
      )
      assert.doesNotMatch(inv, /10\.9\.8\./)
      const ok = await up.waitFor((t) => t.startsWith('SIP/2.0 200') && t.includes('rr1-'))
      assert.ok(ok)
      const back = ok.split('\r\n').filter((l) => /^Record-Route:/i.test(l))
      assert.equal(back.length, 1, ok)
      assert.match(back[0]!, /^Record-Route: <sip:127\.0\.0\.1:\d+;lr>, <sip:10\.9\.8\.7;lr;ftag=pbxtag1>$/)

      // 2. the phone hangs up: its Route (the sealed entry) becomes the PBX's route again
      const route = rr[0]!.slice('Record-Route: '.length)
      const callId = /^Call-ID: (.*)$/m.exec(inv)![1]!.trim()
      phone.send(
        [
          'BYE sip:100@pbx.example SIP/2.0',
          `Via: SIP/2.0/UDP 127.0.0.47:${phone.port};branch=z9hG4bKbye${phone.port};rport`,
          `Route: ${route}`,
          'Max-Forwards: 70',
          `From: <sip:bob@127.0.0.47:${phone.port}>;tag=up1`,
          'To: <sip:100@pbx.example>;tag=pbxtag1',
          `Call-ID: ${callId}`,
          'CSeq: 1 BYE',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
        g.port,
      )
      const bye = await up.waitFor((t) => t.startsWith('BYE '))
      assert.ok(bye, 'the BYE did not reach the PBX')
      assert.match(bye, /^Route: <sip:10\.9\.8\.7;lr;ftag=pbxtag1>\r$/m)
      assert.doesNotMatch(bye, /sw-rr|127\.0\.0\.1:\d+;lr/)
    } finally {
      phone.onMessage = null
    }

    // 3. a call from the phone: the PBX's Record-Route in its 200 is sealed as well
    phone.received.length = 0
    phone.send(
      request('INVITE', { user: 'bob', port: phone.port, host: '127.0.0.47', callId: 'rr2@test' }),
      g.port,
    )
    const ok2 = await phone.waitFor((t) => t.startsWith('SIP/2.0 200') && t.includes('rr2@test'))
    assert.ok(ok2)
    assert.doesNotMatch(ok2, /10\.9\.8\./)
    const rr2 = ok2.split('\r\n').filter((l) => /^Record-Route:/i.test(l))
    assert.equal(rr2.length, 1, ok2)
    up.received.length = 0
    phone.send(
      [
        'BYE sip:100@pbx.example SIP/2.0',
        `Via: SIP/2.0/UDP 127.0.0.47:${phone.port};branch=z9hG4bKbye2${phone.port};rport`,
        `Route: ${rr2[0]!.slice('Record-Route: '.length)}`,
        'Max-Forwards: 70',
        `From: <sip:bob@127.0.0.47>;tag=${/^From:.*;tag=(\S+)/m.exec(ok2)![1]!.trim()}`,
        'To: <sip:bob@127.0.0.47>;tag=up1',
        'Call-ID: rr2@test',
        'CSeq: 2 BYE',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      g.port,
    )
    const bye2 = await up.waitFor((t) => t.startsWith('BYE '))
    assert.ok(bye2)
    assert.match(bye2, /^Route: <sip:10\.9\.8\.7;lr;pbx=1>\r$/m)
  })

  it('hideInternalAddresses off: the PBX Vias are relayed', async () => {
    const g = await gateway({ gateway: { topologyHiding: { hideInternalAddresses: false } } })
    phone.received.length = 0
    up.send(pbxInvite(g.port, phone.port).replace('pbx1', 'pbx2'), g.port)
    const inv = await phone.waitFor((t) => t.startsWith('INVITE '))
    assert.match(inv ?? '', /z9hG4bKpbx2/)
    assert.doesNotMatch(inv ?? '', /^User-Agent:/im)
  })
})

describe(
  'topology hiding: SIPp calls from the PBX side',
  { skip: have('sipp') ? false : 'not installed: sipp' },
  () => {
    const peers = new Peers()
    let g: TestGateway
    let uasPort = 0
    let pbxPort = 0
    let dir = ''
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'sipwarden-th-'))
      uasPort = await freePort('127.0.0.6')
      pbxPort = await freePort('127.0.0.5')
      peers.start(
        'sipp',
        ['-sn', 'uas', '-i', '127.0.0.6', '-p', String(uasPort), '-nostdin', '-trace_msg'],
        {
          cwd: dir,
        },
      )
      await sleep(300)
      // the "PBX" is a SIPp UAC at the upstream's address: its INVITEs go through the gateway to
      // the SIPp UAS (the phone), which answers to the gateway's Via only
      g = await startGateway({ upstream: `udp:127.0.0.5:${pbxPort}` })
    })
    after(async () => {
      peers.killAll()
      await g?.stop()
      if (dir !== '') rmSync(dir, { recursive: true, force: true })
    })

    /** the messages a SIPp instance logged with -trace_msg */
    function traced(prefix: string): string {
      const f = readdirSync(dir).find((n) => n.startsWith(prefix) && n.endsWith('_messages.log'))
      assert.ok(f, `no ${prefix} message log in ${readdirSync(dir).join(', ')}`)
      return readFileSync(join(dir, f), 'utf8')
    }

    it('10 calls complete with the PBX Vias hidden from the phone and restored on its answers', async () => {
      const r = await peers.run(
        'sipp',
        [
          '-sn',
          'uac',
          `127.0.0.6:${uasPort}`,
          '-rsa',
          `127.0.0.1:${g.port}`,
          '-i',
          '127.0.0.5',
          '-p',
          String(pbxPort),
          '-r',
          '10',
          '-m',
          '10',
          '-d',
          '100',
          '-nostdin',
          '-timeout',
          '20s',
          '-timeout_error',
          '-trace_msg',
        ],
        30_000,
        { cwd: dir },
      )
      assert.equal(r.code, 0, r.output.slice(-2000))
      assert.match(r.output, /Successful call\s+\|\s+\d+\s+\|\s+10\b/)
      const uas = traced('uas')
      const uac = traced('uac')
      // the phone (UAS) saw INVITE, ACK and BYE with the gateway's Via only
      assert.match(uas, /INVITE sip:/)
      assert.doesNotMatch(uas, /Via: SIP\/2\.0\/UDP 127\.0\.0\.5/)
      // the PBX (UAC) got its own Via back on the 200s
      assert.match(uac, /SIP\/2\.0 200 OK[\s\S]*?Via: SIP\/2\.0\/UDP 127\.0\.0\.5/)
      assert.doesNotMatch(uac, new RegExp(`Via: SIP/2\\.0/UDP 127\\.0\\.0\\.1:${g.port}`))
    })
  },
)
