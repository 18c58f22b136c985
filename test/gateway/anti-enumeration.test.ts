// anti-enumeration: a leaky PBX (Kamailio answering 404 for unknown users, 401/407 for known
// ones) behind the gateway. svwar finds the accounts when it talks to the PBX directly and none
// through the gateway; with UDP peers, the answers for a missing account are compared with the
// answers for an existing one, header by header. Every peer is killed in after().
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { shapedLike } from '../../src/pipeline/stages/anti-enumeration.js'
import {
  answer,
  have,
  Peers,
  request,
  startGateway,
  startKamailio,
  type TestGateway,
  UdpPeer,
} from './helpers.js'

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/gateway')
const KAMAILIO_HOST = '127.0.0.2'

function startLeakyKamailio(peers: Peers, dir: string): Promise<number> {
  return startKamailio(peers, dir, KAMAILIO_HOST, 'kamailio-leaky.cfg')
}

/** Extensions svwar reports (rows of its result table). */
function found(output: string): string[] {
  return [...output.matchAll(/^\|\s*(\d+)\s*\|\s*(reqauth|noauth|weird)/gm)].map((m) => m[1]!)
}

function headerNames(text: string): string[] {
  const head = text.split('\r\n\r\n')[0]!.split('\r\n').slice(1)
  return head.map((l) => l.slice(0, l.indexOf(':')).trim().toLowerCase())
}

function header(text: string, name: string): string | null {
  const re = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'im')
  return re.exec(text.split('\r\n\r\n')[0]!)?.[1]?.trim() ?? null
}

function param(value: string | null, name: string): string | null {
  return value === null ? null : (new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(value)?.[1] ?? null)
}

const svMissing = ['kamailio', 'svwar', 'sipp'].filter((b) => !have(b))

describe(
  'svwar against a leaky PBX (Kamailio answering 404 for unknown users)',
  { skip: svMissing.length > 0 ? `not installed: ${svMissing.join(', ')}` : false },
  () => {
    const peers = new Peers()
    let dir = ''
    let kamPort = 0
    const gateways: TestGateway[] = []
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'sipwarden-ae-'))
      kamPort = await startLeakyKamailio(peers, dir)
    })
    after(async () => {
      peers.killAll()
      for (const g of gateways) await g.stop()
      if (dir !== '') rmSync(dir, { recursive: true, force: true })
    })
    async function gateway(policy: Record<string, unknown>): Promise<TestGateway> {
      const g = await startGateway({ upstream: `udp:${KAMAILIO_HOST}:${kamPort}`, policy })
      gateways.push(g)
      return g
    }
    function svwar(port: number, host: string, bind: string, extra: string[] = []) {
      return peers.run(
        'svwar',
        ['-e', '1000-1005', '-p', String(port), '-b', bind, '--maximumtime=3', ...extra, host],
        30_000,
        { cwd: dir },
      )
    }

    it('svwar run directly against the leaky Kamailio finds its accounts (REGISTER and INVITE)', async () => {
      const reg = await svwar(kamPort, KAMAILIO_HOST, '127.0.0.1')
      assert.deepEqual(found(reg.output).sort(), ['1000', '1001', '1002'], reg.output)
      const inv = await svwar(kamPort, KAMAILIO_HOST, '127.0.0.1', ['-m', 'INVITE'])
      assert.deepEqual(found(inv.output).sort(), ['1000', '1001', '1002'], inv.output)
    })

    it('through the gateway without anti-enumeration (and scanner off) the leak passes', async () => {
      const g = await gateway({
        gateway: { scanner: { enabled: false }, antiEnumeration: { enabled: false } },
      })
      const r = await svwar(g.port, '127.0.0.1', '127.0.0.41')
      assert.deepEqual(found(r.output).sort(), ['1000', '1001', '1002'], r.output)
    })

    it('through the gateway (scanner off) svwar finds zero accounts, REGISTER and INVITE, --force too', async () => {
      const g = await gateway({ gateway: { scanner: { enabled: false } } })
      const reg = await svwar(g.port, '127.0.0.1', '127.0.0.42')
      assert.deepEqual(found(reg.output), [], reg.output)
      assert.match(reg.output, /authentication request for an unknown extension/, reg.output)
      const inv = await svwar(g.port, '127.0.0.1', '127.0.0.42', ['-m', 'INVITE'])
      assert.deepEqual(found(inv.output), [], inv.output)
      const forced = await svwar(g.port, '127.0.0.1', '127.0.0.42', ['--force'])
      assert.deepEqual(found(forced.output), [], forced.output)
      const codes = new Set(g.events.filter((e) => e.stage === 'anti-enumeration').map((e) => e.code))
      assert.equal(codes.has('antienum.challenge'), true)
      assert.equal(g.store.isBanned('127.0.0.42'), false) // the scanner stage is off: only anti-enumeration acted
    })

    it('with every stage on, svwar finds zero accounts', async () => {
      const g = await gateway({})
      const r = await svwar(g.port, '127.0.0.1', '127.0.0.43', ['-m', 'INVITE'])
      assert.deepEqual(found(r.output), [], r.output)
    })

    it('known users still register through it (SIPp, digest auth), a wrong password is refused', async () => {
      const g = await gateway({})
      const inf = join(dir, 'users.csv')
      writeFileSync(inf, 'SEQUENTIAL\n1002;[authentication username=1002 password=secret]\n')
      const args = (scenario: string) => [
        `127.0.0.1:${g.port}`,
        '-sf',
        join(FIXTURES, scenario),
        '-inf',
        inf,
        '-i',
        '127.0.0.44',
        '-p',
        '0',
        '-m',
        '1',
        '-timeout',
        '15s',
        '-timeout_error',
        '-nostdin',
        '-recv_timeout',
        '5000',
      ]
      const ok = await peers.run('sipp', args('register.xml'), 20_000, { cwd: dir })
      assert.equal(ok.code, 0, ok.output.slice(-2000))
      writeFileSync(inf, 'SEQUENTIAL\n1002;[authentication username=1002 password=wrong]\n')
      const bad = await peers.run('sipp', args('register-wrong.xml'), 20_000, { cwd: dir })
      assert.equal(bad.code, 0, bad.output.slice(-2000))
    })

    it('with UDP peers against Kamailio: the challenge for a missing account equals the one for a known account', async () => {
      const g = await gateway({ gateway: { scanner: { enabled: false } } })
      const phone = await new UdpPeer('127.0.0.45').bind()
      try {
        for (const method of ['REGISTER', 'INVITE']) {
          phone.received.length = 0
          phone.send(request(method, { user: '1001', port: phone.port, host: '127.0.0.45' }), g.port)
          const known = await phone.waitFor((t) => /^SIP\/2.0 40[17]/.test(t), 3000)
          assert.ok(known, `${method}: no challenge for a known account`)
          phone.received.length = 0
          phone.send(request(method, { user: '7777', port: phone.port, host: '127.0.0.45' }), g.port)
          const missing = await phone.waitFor(
            (t) => /^SIP\/2.0 [1-6]\d\d/.test(t) && !t.startsWith('SIP/2.0 100'),
            3000,
          )
          assert.ok(missing)
          assert.equal(missing.split('\r\n')[0], known.split('\r\n')[0])
          assert.deepEqual(headerNames(missing), headerNames(known))
          const auth = method === 'REGISTER' ? 'WWW-Authenticate' : 'Proxy-Authenticate'
          assert.equal(param(header(missing, auth), 'realm'), param(header(known, auth), 'realm'))
          assert.equal(
            param(header(missing, auth), 'nonce')?.length,
            param(header(known, auth), 'nonce')?.length,
          )
          assert.equal(header(missing, 'Server'), header(known, 'Server'))
        }
      } finally {
        await phone.close()
      }
    })
  },
)

/** A fake leaky PBX: alice exists (401 challenge, "403 Wrong Password" for bad credentials), others get 404. */
function leakyPbx(up: UdpPeer): void {
  let n = 0
  up.onMessage = (text, address, port) => {
    if (text.startsWith('SIP/')) return
    const method = text.slice(0, text.indexOf(' '))
    if (method === 'ACK') return
    const user = /^To:\s*<sip:([^@>]+)@/im.exec(text)?.[1] ?? ''
    const from = /^From:\s*<sip:([^@>]+)@/im.exec(text)?.[1] ?? ''
    const account = method === 'REGISTER' ? user : from
    const creds = /^(Proxy-)?Authorization:/im.test(text)
    const server = 'Server: LeakyPBX 13.2.1'
    let res: string
    if (account !== 'alice') res = answer(text, 404, 'User Not Found', [server, 'Reason: Q.850;cause=1'])
    else if (creds) res = answer(text, 403, 'Wrong Password', [server, 'X-Hint: denied'])
    else {
      const nonce = Buffer.from(`nonce-${n++}-${Date.now()}`.padEnd(24, 'x')).toString('base64')
      const h = method === 'REGISTER' ? 'WWW-Authenticate' : 'Proxy-Authenticate'
      res = answer(
        text,
        method === 'REGISTER' ? 401 : 407,
        method === 'REGISTER' ? 'Unauthorized' : 'Proxy Auth Needed',
        [
          'Allow: INVITE, ACK, CANCEL, BYE, REGISTER',
          `${h}: Digest realm="pbx.example", nonce="${nonce}", algorithm=MD5, qop="auth"`,
          server,
        ],
      )
    }
    up.send(res, port, address)
  }
}

describe('anti-enumeration with UDP peers (a fake leaky PBX)', () => {
  let up: UdpPeer
  let phone: UdpPeer
  let g: TestGateway
  before(async () => {
    up = await new UdpPeer('127.0.0.1').bind()
    leakyPbx(up)
    phone = await new UdpPeer('127.0.0.46').bind()
    // topology hiding off: the PBX's Server header must be carried into the gateway's challenges
    g = await startGateway({
      upstream: `udp:127.0.0.1:${up.port}`,
      policy: { gateway: { scanner: { enabled: false }, topologyHiding: { enabled: false } } },
    })
  })
  after(async () => {
    await g?.stop()
    await phone?.close()
    await up?.close()
  })

  async function ask(method: string, user: string, extra: string[] = [], callId?: string): Promise<string> {
    phone.received.length = 0
    const req = request(method, {
      user,
      port: phone.port,
      host: '127.0.0.46',
      extra,
      ...(callId !== undefined ? { callId } : {}),
    })
    phone.send(req, g.port)
    const r = await phone.waitFor((t) => t.startsWith('SIP/2.0') && !t.startsWith('SIP/2.0 100'), 2000)
    assert.ok(r, `${method} ${user}: no answer`)
    return r
  }

  for (const [method, auth, authz] of [
    ['REGISTER', 'WWW-Authenticate', 'Authorization'],
    ['INVITE', 'Proxy-Authenticate', 'Proxy-Authorization'],
  ] as const) {
    it(`${method}: a 404 becomes a challenge identical to the PBX's, and the refusals look alike`, async () => {
      const known = await ask(method, 'alice')
      const missing = await ask(method, 'mallory', [], 'call-m1@test')
      assert.equal(missing.split('\r\n')[0], known.split('\r\n')[0])
      assert.deepEqual(headerNames(missing), headerNames(known))
      assert.equal(param(header(missing, auth), 'realm'), 'pbx.example')
      const n1 = param(header(known, auth), 'nonce')!
      const n2 = param(header(missing, auth), 'nonce')!
      assert.equal(n2.length, n1.length)
      assert.notEqual(n2, n1)
      assert.equal(header(missing, 'Server'), 'LeakyPBX 13.2.1')
      assert.equal(header(missing, 'Reason'), null)
      assert.match(header(missing, 'To') ?? '', /;tag=up1/)

      const cred = (nonce: string, user: string) =>
        `${authz}: Digest username="${user}", realm="pbx.example", nonce="${nonce}", uri="sip:127.0.0.1", response="0123456789abcdef0123456789abcdef", algorithm=MD5`
      const wrong = await ask(method, 'alice', [cred(n1, 'alice')])
      assert.match(wrong, /^SIP\/2.0 403 Wrong Password/)
      const requests = () => up.received.filter((m) => !m.text.startsWith('ACK ')).length
      const seenByPbx = requests()
      const refused = await ask(method, 'mallory', [cred(n2, 'mallory')], 'call-m1@test')
      assert.equal(refused.split('\r\n')[0], wrong.split('\r\n')[0])
      assert.deepEqual(headerNames(refused), headerNames(wrong))
      assert.equal(header(refused, 'X-Hint'), 'denied')
      assert.equal(requests(), seenByPbx, 'credentials for a gateway nonce never reach the PBX')
      assert.ok(g.events.some((e) => e.code === 'antienum.refusal' && e.address === '127.0.0.46'))
    })
  }

  it("a trunk's 404 is relayed as is", async () => {
    const tg = await startGateway({
      upstream: `udp:127.0.0.1:${up.port}`,
      policy: { trunks: [{ name: 'provider', addresses: ['127.0.0.46/32'] }] },
    })
    try {
      phone.received.length = 0
      phone.send(request('INVITE', { user: 'mallory', port: phone.port, host: '127.0.0.46' }), tg.port)
      const r = await phone.waitFor((t) => t.startsWith('SIP/2.0') && !t.startsWith('SIP/2.0 100'), 2000)
      assert.match(r ?? '', /^SIP\/2.0 404 User Not Found/)
    } finally {
      await tg.stop()
    }
  })

  it('credentials with a nonce the gateway did not issue go to the PBX', async () => {
    const before = up.received.length
    await ask('REGISTER', 'mallory', [
      'Authorization: Digest username="mallory", realm="pbx.example", nonce="bm9uY2UtZm9yZ2VkLXh4eHh4eHh4eHh4eA==", uri="sip:127.0.0.1", response="0123456789abcdef0123456789abcdef"',
    ])
    assert.ok(up.received.length > before)
  })
})

describe('shapedLike', () => {
  it('keeps length, alphabet and padding, and is deterministic', () => {
    const hex = shapedLike('0a1b2c3d4e5f66778899aabbccddeeff', 'x')
    assert.match(hex, /^[0-9a-f]{32}$/)
    assert.equal(shapedLike('0a1b2c3d4e5f66778899aabbccddeeff', 'x'), hex)
    assert.notEqual(shapedLike('0a1b2c3d4e5f66778899aabbccddeeff', 'y'), hex)
    const b64 = shapedLike('Zm9v+YmFy/YmF6cXV4==', 'x')
    assert.match(b64, /^[A-Za-z0-9+/]{18}==$/)
    const tag = shapedLike('as1f2e3d4c', 'x')
    assert.match(tag, /^[a-z]{2}\d[a-z]\d[a-z]\d[a-z]\d[a-z]$/)
    assert.equal(shapedLike('abc.123-XY', 'z').length, 10)
    assert.match(shapedLike('abc.123-XY', 'z'), /^[a-z]{3}\.\d{3}-[A-Z]{2}$/)
  })
})
