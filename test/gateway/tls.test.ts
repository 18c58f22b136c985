// TLS listeners: a phone over TLS (node:tls, SIPp in Debian is built without TLS) through the
// gateway to a UDP upstream and back; the PBX calling a phone registered over TLS; TLS 1.2+
// only; bounds and bans at accept; a missing certificate is a clear error. The certificate is
// made at test time with the openssl CLI.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect as netConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, afterEach, before, describe, it } from 'node:test'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { SgwError } from '../../src/errors.js'
import {
  answer,
  have,
  makeCertificate,
  request,
  sleep,
  startGateway,
  StreamPeer,
  type TestGateway,
  UdpPeer,
} from './helpers.js'

function overTls(text: string, localPort: number): string {
  return text
    .replace(/^Via: SIP\/2\.0\/UDP [^;]+/m, `Via: SIP/2.0/TLS 127.0.0.1:${localPort}`)
    .replace(/^Contact: <([^>]+)>/m, 'Contact: <$1;transport=tls>')
}

function connectTls(port: number, ca: string, opts: Record<string, unknown> = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, ...opts }, () => resolve(s))
    s.once('error', reject)
  })
}

describe('TLS listener', { skip: have('openssl') ? false : 'not installed: openssl' }, () => {
  let dir = ''
  let cert = { certFile: '', keyFile: '' }
  let ca = ''
  let g: TestGateway | undefined
  let pbx: UdpPeer | undefined
  const sockets: { destroy(): void }[] = []
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sw-tls-'))
    cert = makeCertificate(dir)
    ca = (await import('node:fs')).readFileSync(cert.certFile, 'utf8')
  })
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy()
    await g?.stop()
    await pbx?.close()
    g = pbx = undefined
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  async function setup(policy: Record<string, unknown> = {}) {
    pbx = await new UdpPeer().bind()
    g = await startGateway({
      upstream: `udp:127.0.0.1:${pbx.port}`,
      tls: true,
      policy: { tls: { certFile: cert.certFile, keyFile: cert.keyFile }, ...policy },
    })
    return { g, pbx }
  }

  it('relays an INVITE from a TLS phone to a UDP upstream and the answers back over TLS', async () => {
    const { g, pbx } = await setup()
    const sock = await connectTls(g.port, ca)
    sockets.push(sock)
    assert.ok(['TLSv1.2', 'TLSv1.3'].includes(sock.getProtocol() ?? ''))
    const phone = new StreamPeer(sock)
    const inv = overTls(
      request('INVITE', { port: sock.localPort!, callId: 'tls1', user: '1001' }),
      sock.localPort!,
    )
    phone.send(inv)
    assert.ok(await phone.waitFor((t) => t.startsWith('SIP/2.0 100')), '100 Trying over TLS')
    const up = await pbx.waitFor((t) => t.startsWith('INVITE'))
    assert.ok(up !== null)
    assert.match(up, new RegExp(`^Via: SIP/2\\.0/UDP 127\\.0\\.0\\.1:${g.port};branch=z9hG4bKsw`, 'm'))
    assert.match(up, /^Via: SIP\/2\.0\/TLS 127\.0\.0\.1:\d+;branch=/m)
    // different transports on the two sides: double Record-Route, the tls one for the phone
    assert.match(
      up,
      new RegExp(
        `^Record-Route: <sip:127\\.0\\.0\\.1:${g.port};lr>, <sip:127\\.0\\.0\\.1:${g.port};transport=tls;lr>`,
        'm',
      ),
    )
    pbx.send(answer(up, 200, 'OK', [`Contact: <sip:pbx@127.0.0.1:${pbx.port}>`]), g.port)
    const ok = await phone.waitFor((t) => t.startsWith('SIP/2.0 200'))
    assert.ok(ok !== null && ok.includes('Call-ID: tls1'))
    assert.doesNotMatch(ok, /branch=z9hG4bKsw/, 'our Via removed')
    assert.equal(g.gw.dialogs.counts().confirmed, 1)
    assert.equal(g.gw.receivedBy['tls']?.[0], 1)
  })

  it('reaches a phone registered over TLS through its connection', async () => {
    const { g, pbx } = await setup()
    const sock = await connectTls(g.port, ca)
    sockets.push(sock)
    const phone = new StreamPeer(sock)
    const reg = overTls(request('REGISTER', { port: 5099, callId: 'reg1', user: '1002' }), sock.localPort!)
    phone.send(reg)
    const up = await pbx.waitFor((t) => t.startsWith('REGISTER'))
    assert.ok(up !== null)
    pbx.send(answer(up, 200, 'OK'), g.port)
    assert.ok(await phone.waitFor((t) => t.startsWith('SIP/2.0 200')))
    // the PBX calls the Contact the phone registered (127.0.0.1:5099): it must arrive over TLS
    pbx.send(
      [
        'OPTIONS sip:1002@127.0.0.1:5099;transport=tls SIP/2.0',
        `Via: SIP/2.0/UDP 127.0.0.1:${pbx.port};branch=z9hG4bKpbxopt1`,
        'Max-Forwards: 70',
        '<sip:pbx@127.0.0.1>;tag=p1'.replace(/^/, 'From: '),
        'To: <sip:1002@127.0.0.1>',
        'Call-ID: opt-tls',
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      g.port,
    )
    const opt = await phone.waitFor((t) => t.startsWith('OPTIONS'))
    assert.ok(opt !== null, 'the OPTIONS came over the TLS connection')
    assert.match(opt, new RegExp(`^Via: SIP/2\\.0/TLS 127\\.0\\.0\\.1:${g.port};branch=z9hG4bKsw`, 'm'))
    phone.send(answer(opt, 200, 'OK'))
    assert.ok(await pbx.waitFor((t) => t.startsWith('SIP/2.0 200') && t.includes('opt-tls')))
  })

  it('accepts TLS 1.2 and refuses TLS 1.1', async () => {
    const { g } = await setup()
    const ok = await connectTls(g.port, ca, { maxVersion: 'TLSv1.2' })
    sockets.push(ok)
    assert.equal(ok.getProtocol(), 'TLSv1.2')
    await assert.rejects(
      connectTls(g.port, ca, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }),
    )
  })

  it('closes a banned source at accept and bounds connections per source', async () => {
    const { g } = await setup({ gateway: { proxy: { maxConnectionsPerSource: 2 } } })
    g.store.ban({ address: '127.0.0.5', ttlMs: 60_000, code: 'test', source: 'test' })
    await assert.rejects(connectTls(g.port, ca, { localAddress: '127.0.0.5' }))
    const a = await connectTls(g.port, ca, { localAddress: '127.0.0.6' })
    const b = await connectTls(g.port, ca, { localAddress: '127.0.0.6' })
    sockets.push(a, b)
    await assert.rejects(connectTls(g.port, ca, { localAddress: '127.0.0.6' }), 'third connection refused')
    // a raw TCP connection that never starts TLS holds a slot too (counted before the handshake)
    a.destroy()
    await sleep(100)
    const raw = netConnect({ host: '127.0.0.1', port: g.port, localAddress: '127.0.0.6' })
    sockets.push(raw)
    await new Promise((r) => raw.once('connect', r))
    await sleep(100)
    await assert.rejects(connectTls(g.port, ca, { localAddress: '127.0.0.6' }))
  })

  it('a missing certificate file fails at start with a clear error', async () => {
    pbx = await new UdpPeer().bind()
    await assert.rejects(
      startGateway({
        upstream: `udp:127.0.0.1:${pbx.port}`,
        tls: true,
        policy: { tls: { certFile: join(dir, 'nope.pem'), keyFile: cert.keyFile } },
      }),
      (err: unknown) =>
        err instanceof SgwError &&
        err.code === 'SGW_ERR_GATEWAY_TLS' &&
        /nope\.pem: no such file/.test(err.message),
    )
  })
})
