// TCP and TLS upstream: one persistent connection to the PBX (test peers: node:net / node:tls
// servers; Kamailio listening on TCP as the registrar), requests from the PBX to phones on that
// connection, 503 + Retry-After at once while the PBX cannot be reached, reconnect after a close.
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { after, afterEach, before, describe, it } from 'node:test'
import { createServer as createTlsServer } from 'node:tls'
import { fileURLToPath } from 'node:url'
import {
  answer,
  freePort,
  have,
  makeCertificate,
  Peers,
  request,
  startGateway,
  StreamPeer,
  type TestGateway,
  UdpPeer,
} from './helpers.js'

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/gateway')

/** A PBX test peer: a TCP (or TLS) server; each accepted connection is a StreamPeer. */
class StreamPbx {
  readonly conns: StreamPeer[] = []
  port = 0
  constructor(
    readonly server: Server,
    tls = false,
  ) {
    server.on(tls ? 'secureConnection' : 'connection', (s: Socket) => {
      this.conns.push(new StreamPeer(s))
    })
  }
  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()))
    this.port = (this.server.address() as { port: number }).port
    return this
  }
  async waitFor(
    pred: (t: string) => boolean,
    timeoutMs = 2000,
  ): Promise<{ text: string; conn: StreamPeer } | null> {
    const end = Date.now() + timeoutMs
    for (;;) {
      for (const c of this.conns) {
        const t = c.received.find(pred)
        if (t !== undefined) return { text: t, conn: c }
      }
      if (Date.now() > end) return null
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  close(): Promise<void> {
    for (const c of this.conns) c.close()
    return new Promise((r) => this.server.close(() => r()))
  }
}

describe('TCP and TLS upstream (test peers)', () => {
  let g: TestGateway | undefined
  let pbx: StreamPbx | undefined
  let phone: UdpPeer | undefined
  let dir = ''
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sw-up-'))
  })
  afterEach(async () => {
    await g?.stop()
    await pbx?.close()
    await phone?.close()
    g = pbx = phone = undefined
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  async function roundTrip(
    g: TestGateway,
    pbx: StreamPbx,
    phone: UdpPeer,
    transport: 'TCP' | 'TLS',
    id: string,
  ) {
    phone.send(request('INVITE', { port: phone.port, callId: id, user: '1001' }), g.port)
    const got = await pbx.waitFor((t) => t.startsWith('INVITE') && t.includes(id))
    assert.ok(got !== null, 'the PBX got the INVITE over its connection')
    assert.match(
      got.text,
      new RegExp(`^Via: SIP/2\\.0/${transport} 127\\.0\\.0\\.1:${g.port};branch=z9hG4bKsw`, 'm'),
    )
    got.conn.send(answer(got.text, 180, 'Ringing'))
    got.conn.send(answer(got.text, 200, 'OK', [`Contact: <sip:pbx@127.0.0.1:${pbx.port};transport=tcp>`]))
    assert.ok(
      await phone.waitFor((t) => t.startsWith('SIP/2.0 200') && t.includes(id)),
      'the answer came back',
    )
    return got
  }

  it('relays over one persistent TCP connection, both directions', async () => {
    pbx = await new StreamPbx(createServer()).listen()
    phone = await new UdpPeer().bind()
    g = await startGateway({ upstream: `tcp:127.0.0.1:${pbx.port}`, tcp: true })
    const first = await roundTrip(g, pbx, phone, 'TCP', 'tcp-a')
    await roundTrip(g, pbx, phone, 'TCP', 'tcp-b')
    assert.equal(pbx.conns.length, 1, 'one connection for both calls')
    assert.equal(g.gw.dialogs.counts().confirmed, 2)
    // double Record-Route (udp phone, tcp upstream)
    assert.match(
      first.text,
      new RegExp(
        `^Record-Route: <sip:127\\.0\\.0\\.1:${g.port};transport=tcp;lr>, <sip:127\\.0\\.0\\.1:${g.port};lr>`,
        'm',
      ),
    )
    // the PBX's own request to the phone arrives on that connection and goes out over udp
    phone.send(request('REGISTER', { port: phone.port, callId: 'reg-tcp', user: '1001' }), g.port)
    const reg = await pbx.waitFor((t) => t.startsWith('REGISTER'))
    assert.ok(reg !== null)
    reg.conn.send(answer(reg.text, 200, 'OK'))
    assert.ok(await phone.waitFor((t) => t.startsWith('SIP/2.0 200') && t.includes('reg-tcp')))
    reg.conn.send(
      [
        `OPTIONS sip:1001@127.0.0.1:${phone.port} SIP/2.0`,
        `Via: SIP/2.0/TCP 127.0.0.1:${pbx.port};branch=z9hG4bKpbx1`,
        'Max-Forwards: 70',
        'From: <sip:pbx@127.0.0.1>;tag=p1',
        'To: <sip:1001@127.0.0.1>',
        'Call-ID: from-pbx',
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    )
    const opt = await phone.waitFor((t) => t.startsWith('OPTIONS'))
    assert.ok(opt !== null, 'the PBX reached the phone')
    phone.send(answer(opt, 200, 'OK'), g.port)
    assert.ok(await reg.conn.waitFor((t) => t.startsWith('SIP/2.0 200') && t.includes('from-pbx')))
  })

  it('reconnects after the PBX closes the connection', async () => {
    pbx = await new StreamPbx(createServer()).listen()
    phone = await new UdpPeer().bind()
    g = await startGateway({ upstream: `tcp:127.0.0.1:${pbx.port}` })
    await roundTrip(g, pbx, phone, 'TCP', 'rc-1')
    pbx.conns[0]!.close()
    await new Promise((r) => setTimeout(r, 100))
    await roundTrip(g, pbx, phone, 'TCP', 'rc-2')
    assert.equal(pbx.conns.length, 2)
    assert.equal(g.gw.upstreamConnection?.opened, 2)
  })

  it('answers 503 + Retry-After at once while the PBX cannot be reached', async () => {
    const port = await freePort() // nothing listens on tcp there
    phone = await new UdpPeer().bind()
    g = await startGateway({ upstream: `tcp:127.0.0.1:${port}`, policy: {} })
    for (let i = 0; i < 3; i++) {
      phone.send(request('INVITE', { port: phone.port, callId: `down${i}`, user: '1001' }), g.port)
      const r = await phone.waitFor((t) => t.startsWith('SIP/2.0 503') && t.includes(`down${i}`), 3000)
      assert.ok(r !== null, `503 for call ${i}`)
      assert.match(r, /^Retry-After: 30$/m)
    }
    assert.equal(g.gw.dialogs.count, 0)
    assert.equal(g.gw.transactionCount <= 3, true)
  })

  it('queues at most 256 requests while the connection opens; the rest get 503 at once', async () => {
    // a TCP server that accepts and never answers: the TLS handshake hangs in "connecting"
    const held: Socket[] = []
    const phones: UdpPeer[] = []
    const silent = createServer((s) => held.push(s))
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()))
    const port = (silent.address() as { port: number }).port
    try {
      // six phones of 50 calls each (one socket would overflow its receive buffer with the answers)
      for (let i = 0; i < 6; i++) phones.push(await new UdpPeer().bind())
      g = await startGateway({
        policy: {
          upstream: { transport: 'tls', host: '127.0.0.1', port, connectTimeoutMs: '1m' },
          gateway: { flood: { enabled: false } },
        },
      })
      const n503 = (): number =>
        phones.reduce((n, p) => n + p.received.filter((m) => m.text.startsWith('SIP/2.0 503')).length, 0)
      for (const [k, p] of phones.entries()) {
        for (let i = 0; i < 50; i++)
          p.send(request('INVITE', { port: p.port, callId: `q${k}-${i}`, user: '1001' }), g.port)
        await new Promise((r) => setTimeout(r, 20))
      }
      const deadline = Date.now() + 5000
      while (n503() < 44 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      await new Promise((r) => setTimeout(r, 200))
      assert.equal(n503(), 44, 'beyond the queue: 503 at once')
      assert.equal(g.gw.upstreamConnection?.state, 'connecting')
      // the PBX end goes away: every queued request is answered 503 too
      for (const s of held) s.destroy()
      const end = Date.now() + 5000
      while (n503() < 300 && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
      assert.equal(n503(), 300)
    } finally {
      for (const s of held) s.destroy()
      await new Promise((r) => silent.close(() => r(undefined)))
      for (const p of phones) await p.close()
    }
  })

  it(
    'relays over TLS to a TLS upstream verified with tls.caFile',
    { skip: have('openssl') ? false : 'no openssl' },
    async () => {
      const cert = makeCertificate(dir)
      pbx = await new StreamPbx(
        createTlsServer({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) }),
        true,
      ).listen()
      phone = await new UdpPeer().bind()
      g = await startGateway({
        upstream: `tls:127.0.0.1:${pbx.port}`,
        policy: { tls: { certFile: cert.certFile, keyFile: cert.keyFile, caFile: cert.certFile } },
      })
      await roundTrip(g, pbx, phone, 'TLS', 'tls-up')
      assert.equal(pbx.conns.length, 1)
    },
  )
})

describe(
  'Kamailio as a TCP upstream',
  { skip: have('kamailio') && have('sipp') ? false : 'not installed: kamailio/sipp' },
  () => {
    const peers = new Peers()
    let g: TestGateway | undefined
    let dir = ''
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'sw-kam-tcp-'))
      const port = await freePort('127.0.0.2')
      cpSync(join(FIXTURES, 'db'), join(dir, 'db'), { recursive: true })
      const cfg = readFileSync(join(FIXTURES, 'kamailio.cfg'), 'utf8')
        .replace('listen=udp:127.0.0.1:KAM_PORT', `listen=tcp:127.0.0.2:${port}`)
        .replace('text://DB_DIR', `text://${join(dir, 'db')}`)
      writeFileSync(join(dir, 'kamailio.cfg'), cfg)
      const k = peers.start('kamailio', [
        '-f',
        join(dir, 'kamailio.cfg'),
        '-DD',
        '-E',
        '-m',
        '256',
        '-Y',
        join(dir, 'run'),
      ])
      // ready when it accepts TCP
      for (let i = 0; i < 50; i++) {
        const up = await new Promise<boolean>((r) => {
          const s = netConnect({ host: '127.0.0.2', port })
          s.once('connect', () => {
            s.destroy()
            r(true)
          })
          s.once('error', () => r(false))
        })
        if (up) break
        if (k.exitCode !== null) throw new Error(`kamailio did not start:\n${k.output().slice(0, 3000)}`)
        await new Promise((r) => setTimeout(r, 100))
      }
      g = await startGateway({ upstream: `tcp:127.0.0.2:${port}` })
    })
    after(async () => {
      peers.killAll()
      await g?.stop()
      rmSync(dir, { recursive: true, force: true })
    })

    it('SIPp REGISTER with digest over udp → gateway → Kamailio over tcp succeeds', async () => {
      const inf = join(dir, 'users.csv')
      writeFileSync(inf, 'SEQUENTIAL\n1002;[authentication username=1002 password=secret]\n')
      const r = await peers.run(
        'sipp',
        [
          `127.0.0.1:${g!.port}`,
          '-sf',
          join(FIXTURES, 'register.xml'),
          '-inf',
          inf,
          '-i',
          '127.0.0.1',
          '-p',
          '0',
          '-m',
          '1',
          '-nostdin',
          '-timeout',
          '10s',
          '-timeout_error',
        ],
        15_000,
      )
      assert.equal(r.code, 0, r.output.slice(-2000))
      assert.equal(g!.gw.upstreamConnection?.state, 'up')
      assert.ok((g!.gw.receivedBy['tcp']?.[1] ?? 0) >= 2, 'the answers came from the upstream over tcp')
    })
  },
)

describe('SIPp UAS on TCP as the upstream', { skip: have('sipp') ? false : 'not installed: sipp' }, () => {
  const peers = new Peers()
  let g: TestGateway | undefined
  after(async () => {
    peers.killAll()
    await g?.stop()
  })

  it('completes 10 calls: SIPp UAC over udp → gateway → SIPp UAS over tcp', async () => {
    const uasPort = await freePort('127.0.0.3')
    peers.start('sipp', ['-sn', 'uas', '-t', 't1', '-i', '127.0.0.3', '-p', String(uasPort), '-nostdin'])
    await new Promise((r) => setTimeout(r, 300))
    g = await startGateway({ upstream: `tcp:127.0.0.3:${uasPort}` })
    let ended = 0
    g.gw.dialogs.onDialog((e, info) => {
      if (e === 'ended' && info.endReason === 'bye-caller') ended++
    })
    const r = await peers.run(
      'sipp',
      [
        '-sn',
        'uac',
        `127.0.0.1:${g.port}`,
        '-i',
        '127.0.0.1',
        '-p',
        '0',
        '-r',
        '10',
        '-m',
        '10',
        '-d',
        '100',
        '-nostdin',
        '-timeout',
        '15s',
        '-timeout_error',
      ],
      20_000,
    )
    assert.equal(r.code, 0, r.output.slice(-2000))
    assert.match(r.output, /Successful call\s+\|\s+\d+\s+\|\s+10\b/)
    assert.equal(g.gw.upstreamConnection?.opened, 1, 'one connection for all calls')
    assert.equal(ended, 10)
    assert.equal(g.gw.dialogs.count, 0)
  })
})
