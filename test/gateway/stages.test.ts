// The acl, methods and identity stages in an in-process gateway, with a UDP test peer as the
// upstream and distinct loopback addresses (127.0.x.y) as distinct sources. Every rule is shown
// firing (the phone gets the refusal, or nothing, and the upstream never sees the request) and
// its negative case passing (relayed to the upstream).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { parsePolicy } from '../../src/config/load.js'
import { didDigits, KnownSources, PolicySources } from '../../src/pipeline/known-sources.js'
import { validCallerId } from '../../src/pipeline/stages/identity.js'
import { answer, sleep, startGateway, type TestGateway, UdpPeer } from './helpers.js'

const UPSTREAM = '127.0.0.2'
const ADMIN = '127.0.0.9'
const TRUNK = '127.0.20.1'

const POLICY = {
  adminNetworks: [`${ADMIN}/32`],
  tenants: [
    {
      name: 'acme',
      country: 'DE',
      defaults: { networks: ['127.0.10.0/24'] },
      accounts: [
        { name: '1001' },
        { name: '1002', networks: ['127.0.11.0/24'] },
        { name: '1003', enabled: false },
        { name: '2000', networks: [] },
        { name: '100.sales', networks: [] },
      ],
    },
  ],
  trunks: [{ name: 'carrier', addresses: [TRUNK], dids: ['+4930123456', '+4940555*'] }],
  gateway: { acl: { deny: ['127.0.30.0/24'] } },
}

let seq = 0
function req(o: {
  method: string
  port: number
  host: string
  ruri?: string
  from?: string
  to?: string
  toTag?: boolean
  extra?: string[]
}): { text: string; callId: string } {
  const callId = `st${++seq}-${Math.random().toString(36).slice(2)}@test`
  const from = o.from ?? 'alice'
  const to = o.to ?? from
  const text = [
    `${o.method} ${o.ruri ?? `sip:${to}@127.0.0.1`} SIP/2.0`,
    `Via: SIP/2.0/UDP ${o.host}:${o.port};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
    'Max-Forwards: 70',
    `From: <sip:${from}@127.0.0.1>;tag=f${seq}`,
    `To: <sip:${to}@127.0.0.1>${o.toTag === true ? ';tag=t1' : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: 1 ${o.method}`,
    `Contact: <sip:${from}@${o.host}:${o.port}>`,
    'User-Agent: test-phone/1.0',
    ...(o.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n')
  return { text, callId }
}

function creds(user: string, header = 'Authorization', response = 'ok'): string {
  return `${header}: Digest username="${user}", realm="pbx", nonce="n1", uri="sip:127.0.0.1", response="${response}"`
}

describe('gateway stages: acl, methods, identity', () => {
  let upstream: UdpPeer
  let prober: UdpPeer
  let g: TestGateway
  let strict: TestGateway
  const peers = new Map<string, UdpPeer>()

  async function peer(host: string): Promise<UdpPeer> {
    let p = peers.get(host)
    if (p === undefined) {
      p = await new UdpPeer(host).bind()
      peers.set(host, p)
    }
    return p
  }

  before(async () => {
    upstream = await new UdpPeer(UPSTREAM).bind()
    // probes come from the admin network: never refused by either gateway
    prober = await new UdpPeer(ADMIN).bind()
    upstream.onMessage = (text, address, port) => {
      if (text.startsWith('ACK') || text.startsWith('SIP/')) return
      if (text.startsWith('INVITE')) upstream.send(answer(text, 486, 'Busy Here'), port, address)
      else if (text.startsWith('REGISTER') && text.includes('response="wrong"'))
        upstream.send(answer(text, 401, 'Unauthorized'), port, address)
      else upstream.send(answer(text, 200, 'OK'), port, address)
    }
    g = await startGateway({ upstream: `udp:${UPSTREAM}:${upstream.port}`, policy: POLICY })
    strict = await startGateway({
      upstream: `udp:${UPSTREAM}:${upstream.port}`,
      policy: {
        ...POLICY,
        gateway: { acl: { unknownSources: 'drop' }, methods: { onDisallowed: 'drop' } },
      },
    })
  })
  after(async () => {
    await g?.stop()
    await strict?.stop()
    for (const p of peers.values()) await p.close()
    await upstream?.close()
    await prober?.close()
  })

  /** Sends, and waits until the upstream got it. */
  async function relayed(host: string, o: Omit<Parameters<typeof req>[0], 'port' | 'host'>, gw = g) {
    const p = await peer(host)
    const r = req({ ...o, port: p.port, host })
    p.send(r.text, gw.port)
    const got = await upstream.waitFor((t) => t.includes(`Call-ID: ${r.callId}`))
    assert.ok(got, `${o.method} from ${host} was not relayed`)
    return r
  }

  /** A probe through `gw` from the prober: once the upstream has it, everything sent before was handled. */
  async function settle(gw: TestGateway): Promise<void> {
    const r = req({ method: 'OPTIONS', port: prober.port, host: ADMIN })
    prober.send(r.text, gw.port)
    assert.ok(await upstream.waitFor((t) => t.includes(`Call-ID: ${r.callId}`)), 'probe not relayed')
    await sleep(30)
  }

  function neverRelayed(callId: string): void {
    assert.equal(
      upstream.received.some((m) => m.text.includes(`Call-ID: ${callId}`)),
      false,
      'the upstream got the refused request',
    )
  }

  /** Sends and expects the gateway's answer `status` (returned), never relayed. */
  async function refused(
    host: string,
    status: number,
    o: Omit<Parameters<typeof req>[0], 'port' | 'host'>,
    gw = g,
  ): Promise<string> {
    const p = await peer(host)
    const r = req({ ...o, port: p.port, host })
    p.send(r.text, gw.port)
    const res = await p.waitFor((t) => t.startsWith('SIP/2.0 ') && t.includes(`Call-ID: ${r.callId}`))
    assert.ok(res, `no answer to ${o.method} from ${host}`)
    assert.equal(res.slice(8, 11), String(status), res.split('\r\n')[0])
    await settle(gw)
    neverRelayed(r.callId)
    return res
  }

  /** Sends and expects silence: no answer, never relayed. */
  async function dropped(host: string, o: Omit<Parameters<typeof req>[0], 'port' | 'host'>, gw = g) {
    const p = await peer(host)
    const r = req({ ...o, port: p.port, host })
    p.send(r.text, gw.port)
    await settle(gw)
    neverRelayed(r.callId)
    assert.equal(
      p.received.some((m) => m.text.includes(`Call-ID: ${r.callId}`)),
      false,
      'the dropped request was answered',
    )
  }

  function event(gw: TestGateway, code: string, address: string): void {
    const e = gw.events.find((x) => x.code === code && x.address === address)
    assert.ok(e, `no ${code} event for ${address}: ${JSON.stringify(gw.events.map((x) => x.code))}`)
  }

  // ---- acl ------------------------------------------------------------------------------

  it('acl.deny: a source on the deny list is dropped; its neighbour outside the list is relayed', async () => {
    await dropped('127.0.30.7', { method: 'OPTIONS' })
    event(g, 'acl.deny', '127.0.30.7')
    await relayed('127.0.31.7', { method: 'OPTIONS' })
  })

  it('acl.account-network: an account used from outside its networks is refused even with credentials', async () => {
    // 1001 inherits the tenant default 127.0.10.0/24; REGISTER names the account in To
    await refused('127.0.12.5', 403, { method: 'REGISTER', from: '1001', extra: [creds('1001')] })
    event(g, 'acl.account-network', '127.0.12.5')
    await relayed('127.0.10.5', { method: 'REGISTER', from: '1001', extra: [creds('1001')] })
    // 1002's own networks replace the tenant default
    await refused('127.0.10.6', 403, { method: 'REGISTER', from: '1002' })
    await relayed('127.0.11.6', { method: 'REGISTER', from: '1002' })
    // without credentials the From user is the account (INVITE)
    await refused('127.0.12.6', 403, { method: 'INVITE', from: '1001', to: '5555' })
  })

  it('acl: the digest username names the account when credentials are present', async () => {
    // From 2000 (anywhere) but the credentials are 1002's: the 1002 networks apply
    await refused('127.0.12.8', 403, {
      method: 'INVITE',
      from: '2000',
      to: '5555',
      extra: [creds('1002', 'Proxy-Authorization')],
    })
    event(g, 'acl.account-network', '127.0.12.8')
    await relayed('127.0.12.8', { method: 'INVITE', from: '2000', to: '5556', extra: [creds('2000')] })
  })

  it('acl.account-disabled: a disabled account is refused from anywhere; an enabled one is relayed', async () => {
    await refused('127.0.10.10', 403, { method: 'REGISTER', from: '1003', extra: [creds('1003')] })
    event(g, 'acl.account-disabled', '127.0.10.10')
    await relayed('127.0.13.10', { method: 'REGISTER', from: '2000', extra: [creds('2000')] })
    // BYE is never refused by the account rules (ending a call costs nothing)
    await relayed('127.0.12.5', { method: 'BYE', from: '1001', to: '5555', toTag: true })
  })

  it('acl: admin networks are never refused', async () => {
    await relayed(ADMIN, { method: 'REGISTER', from: '1003', extra: [creds('1003')] })
    await relayed(ADMIN, { method: 'INVITE', from: '2000', ruri: 'sip:+4930123456@127.0.0.1' })
  })

  it('acl.trunk-only: unauthenticated INVITEs to DIDs come only from the trunk (or known phones)', async () => {
    await refused('127.0.40.1', 403, { method: 'INVITE', from: '2000', ruri: 'sip:+4930123456@127.0.0.1' })
    event(g, 'acl.trunk-only', '127.0.40.1')
    // the same DID written 00-style, and a number of a DID block in To
    await refused('127.0.40.2', 403, { method: 'INVITE', from: '2000', ruri: 'sip:004930123456@127.0.0.1' })
    await refused('127.0.40.3', 403, {
      method: 'INVITE',
      from: '2000',
      ruri: 'sip:pbx@127.0.0.1',
      to: '+494055577',
    })
    // from the trunk: relayed (its From user is the external caller, not checked as an account)
    await relayed(TRUNK, { method: 'INVITE', from: '1001', ruri: 'sip:+4930123456@127.0.0.1' })
    await relayed(TRUNK, { method: 'INVITE', from: '+4989111', ruri: 'sip:pbx@127.0.0.1', to: '+494055577' })
    // with credentials the PBX decides; from an account network it is a phone calling its own DID
    await relayed('127.0.40.4', {
      method: 'INVITE',
      from: '2000',
      ruri: 'sip:+4930123456@127.0.0.1',
      extra: [creds('2000', 'Proxy-Authorization')],
    })
    await relayed('127.0.10.11', { method: 'INVITE', from: '1001', ruri: 'sip:+4930123456@127.0.0.1' })
    // a number that is no DID
    await relayed('127.0.40.5', { method: 'INVITE', from: '2000', ruri: 'sip:+4930999999@127.0.0.1' })
  })

  it('acl.unknown-source (unknownSources: drop): only account networks, trunks and admin networks get through', async () => {
    await dropped('127.0.41.1', { method: 'OPTIONS' }, strict)
    event(strict, 'acl.unknown-source', '127.0.41.1')
    await relayed('127.0.10.12', { method: 'OPTIONS' }, strict)
    await relayed(TRUNK, { method: 'OPTIONS' }, strict)
    await relayed(ADMIN, { method: 'OPTIONS' }, strict)
  })

  // ---- methods --------------------------------------------------------------------------

  it('methods.not-allowed: a method outside the allow-list gets 405 with Allow (or silence with drop)', async () => {
    const res = await refused('127.0.50.1', 405, { method: 'FOO' })
    assert.match(res, /\r\nAllow: REGISTER, INVITE, ACK, BYE, CANCEL, OPTIONS, [A-Z, ]+\r\n/)
    event(g, 'methods.not-allowed', '127.0.50.1')
    await relayed('127.0.50.1', { method: 'INFO' })
    await dropped('127.0.10.13', { method: 'FOO' }, strict)
    event(strict, 'methods.not-allowed', '127.0.10.13')
  })

  it('methods.unknown-source: SUBSCRIBE/MESSAGE only from known sources; in-dialog requests pass', async () => {
    await refused('127.0.51.1', 403, { method: 'SUBSCRIBE', extra: ['Event: presence'] })
    event(g, 'methods.unknown-source', '127.0.51.1')
    await refused('127.0.51.1', 403, { method: 'MESSAGE' })
    await relayed('127.0.51.1', { method: 'NOTIFY', toTag: true, extra: ['Event: presence'] })
    await relayed('127.0.10.14', { method: 'MESSAGE', from: '1001' })
    await relayed(TRUNK, { method: 'MESSAGE' })
    await relayed(ADMIN, { method: 'SUBSCRIBE', extra: ['Event: presence'] })
  })

  it('methods: a source becomes known when the PBX accepts its credentials (2xx), not otherwise', async () => {
    const a = '127.0.52.1'
    await refused(a, 403, { method: 'MESSAGE' })
    // a 401 to credentials, or a 2xx to a request without them: still unknown
    await relayed(a, { method: 'REGISTER', from: '2000', extra: [creds('2000', 'Authorization', 'wrong')] })
    await relayed(a, { method: 'REGISTER', from: '2000' })
    const p = await peer(a)
    assert.ok(await p.waitFor((t) => t.startsWith('SIP/2.0 401')))
    await refused(a, 403, { method: 'MESSAGE' })
    assert.equal(g.gw.knownSources.has(a, Date.now()), false)
    // accepted credentials: known for the next requests
    const r = await relayed(a, { method: 'REGISTER', from: '2000', extra: [creds('2000')] })
    assert.ok(await p.waitFor((t) => t.startsWith('SIP/2.0 200') && t.includes(r.callId)))
    assert.equal(g.gw.knownSources.has(a, Date.now()), true)
    await relayed(a, { method: 'MESSAGE', from: '2000' })
    await relayed(a, { method: 'SUBSCRIBE', from: '2000', extra: ['Event: presence'] })
  })

  // ---- identity -------------------------------------------------------------------------

  it('identity.from-mismatch: the From user must be the digest username', async () => {
    await refused('127.0.60.1', 403, {
      method: 'INVITE',
      from: '2000',
      to: '5555',
      extra: [creds('2001', 'Proxy-Authorization')],
    })
    event(g, 'identity.from-mismatch', '127.0.60.1')
    await relayed('127.0.60.2', {
      method: 'INVITE',
      from: '2000',
      to: '5555',
      extra: [creds('2000', 'Proxy-Authorization')],
    })
    // caller ID withheld (RFC 3323): the anonymous From is not a mismatch
    await relayed('127.0.60.3', {
      method: 'INVITE',
      from: 'anonymous',
      to: '5555',
      extra: [creds('2000', 'Proxy-Authorization')],
    })
    // a trunk authenticating with the PBX's credentials presents the external caller
    await relayed(TRUNK, { method: 'INVITE', from: '+4989222', to: '5555', extra: [creds('pbx-in')] })
  })

  it('identity.caller-id: numbers in From, P-Asserted-Identity and Remote-Party-ID are checked', async () => {
    await refused('127.0.61.1', 403, { method: 'INVITE', from: '0301234xyz', to: '5555' })
    event(g, 'identity.caller-id', '127.0.61.1')
    // an escaped quote and semicolon in the user part (decoded before the check)
    await refused('127.0.61.2', 403, { method: 'INVITE', from: '0301234%27%3B', to: '5555' })
    await refused('127.0.61.3', 403, {
      method: 'INVITE',
      to: '5555',
      extra: ['P-Asserted-Identity: <sip:+49301234O@127.0.0.1>'],
    })
    await refused('127.0.61.4', 403, {
      method: 'INVITE',
      to: '5555',
      extra: ['Remote-Party-ID: "x" <sip:0049$30@127.0.0.1>;party=calling'],
    })
    await refused('127.0.61.9', 403, {
      method: 'INVITE',
      to: '5555',
      extra: ["P-Asserted-Identity: 1001'--"],
    })
    assert.equal(g.events.filter((e) => e.code === 'identity.caller-id').length, 5)
    // valid numbers (separators and DTMF letters), names, and policy account names pass
    await relayed('127.0.61.5', {
      method: 'INVITE',
      from: '+49(30)1234-56',
      to: '5555',
      extra: ['P-Asserted-Identity: <tel:+49-30-1234>, <sip:*31%230301234@127.0.0.1>'],
    })
    await relayed('127.0.61.6', { method: 'INVITE', from: 'alice', to: '5555' })
    await relayed('127.0.61.7', { method: 'INVITE', from: '100.sales', to: '5555' })
    // admin networks are exempt; REGISTER's From is an address of record
    await relayed(ADMIN, { method: 'INVITE', from: '0301234xyz', to: '5555' })
    await relayed('127.0.61.8', { method: 'REGISTER', from: '0301234xyz' })
  })
})

describe('stage helpers', () => {
  it('validCallerId: digits, + (leading), *, #, A-D; separators and parameters ignored', () => {
    for (const ok of [
      '+4930123456',
      '030 1234-56',
      '(030) 1234.56',
      '*31#030',
      'A1B2C3D4',
      'alice',
      '1;npdi',
    ])
      assert.equal(validCallerId(ok), true, ok)
    for (const bad of ['0301234x', '+49+30', "1001'", '0'.repeat(33), '+', '#!', '12345678E'])
      assert.equal(validCallerId(bad), false, bad)
  })

  it('didDigits: +E.164, 00 and bare digits match the same DID', () => {
    assert.equal(didDigits('+4930123456'), '4930123456')
    assert.equal(didDigits('004930123456'), '4930123456')
    assert.equal(didDigits('+49-30-123456;npdi'), '4930123456')
    assert.equal(didDigits('alice'), null)
  })

  it('PolicySources: trunks by CIDR, by address and by resolved host name; DIDs and blocks', async () => {
    const policy = parsePolicy(
      JSON.stringify({
        version: 1,
        upstream: 'udp:127.0.0.2:5080',
        trunks: [
          { name: 'a', addresses: ['10.1.0.0/16'], dids: ['+4930123456'] },
          { name: 'b', addresses: ['10.2.0.5', 'sip.example.net'], dids: ['+4930123457', '+4940*'] },
        ],
      }),
      '<test>',
      { env: {} },
    )
    const s = new PolicySources(policy, async (host) => (host === 'sip.example.net' ? ['10.3.0.7'] : []))
    await sleep(10) // the lookup answers asynchronously
    assert.equal(s.trunkOf('10.1.200.3')?.name, 'a')
    assert.equal(s.trunkOf('10.2.0.5')?.name, 'b')
    assert.equal(s.trunkOf('10.3.0.7')?.name, 'b')
    assert.equal(s.trunkOf('::ffff:10.2.0.5')?.name, 'b')
    assert.equal(s.trunkOf('10.2.0.6'), null)
    assert.deepEqual(
      s.didTrunks('004930123456')?.map((t) => t.name),
      ['a'],
    )
    assert.deepEqual(
      s.didTrunks('4930123457')?.map((t) => t.name),
      ['b'],
    )
    assert.deepEqual(
      s.didTrunks('+494099')?.map((t) => t.name),
      ['b'],
    )
    assert.equal(s.didTrunks('+4950'), null)
  })

  it('KnownSources is bounded and entries expire', () => {
    const k = new KnownSources(1000, 3)
    for (let i = 1; i <= 5; i++) k.add(`10.0.0.${i}`, 0)
    assert.equal(k.size, 3)
    assert.equal(k.has('10.0.0.1', 1), false)
    assert.equal(k.has('10.0.0.5', 1), true)
    k.add('10.0.0.3', 500) // refreshed: expires later and is evicted last
    assert.equal(k.has('10.0.0.4', 1000), false)
    assert.equal(k.has('10.0.0.3', 1000), true)
  })
})
