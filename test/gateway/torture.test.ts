// The RFC 4475 / RFC 5118 torture corpus (test/fixtures/sip-torture, index.json says which
// messages are invalid) sent through an in-process gateway: no invalid message ever reaches the
// upstream (UDP, and a few over TCP), every invalid request is answered with an error status or
// dropped, and every valid request is relayed, except the few a stage refuses on purpose
// (REFUSED_VALID, each with its reason). The corpus responses are tested as answers from the
// upstream to a real transaction: the invalid ones never reach the phone.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { parseMessage } from '../../src/sip/parse.js'
import { answer, sleep, startGateway, type TestGateway, UdpPeer } from './helpers.js'

const DIR = new URL('../../../test/fixtures/sip-torture/', import.meta.url)

interface Entry {
  readonly name: string
  readonly file: string
  readonly class: string
  readonly parse: 'must-accept' | 'must-reject' | 'may-reject'
  readonly kind: 'request' | 'response'
}
const INDEX: readonly Entry[] = JSON.parse(readFileSync(new URL('index.json', DIR), 'utf8')) as Entry[]

/** The only may-reject message the parser accepts (docs/sip.md: Date is informational). */
const ACCEPTED_MAY_REJECT = new Set(['baddate'])

function isValid(e: Entry): boolean {
  return e.parse === 'must-accept' || ACCEPTED_MAY_REJECT.has(e.name)
}

/** Valid requests a stage refuses on purpose: [status, event code, why]. */
const REFUSED_VALID: Readonly<Record<string, readonly [number, string, string]>> = {
  intmeth: [405, 'methods.not-allowed', 'an unknown method is outside gateway.methods.allow'],
  esc02: [405, 'methods.not-allowed', 'RE%47IST%45R is not REGISTER: an unknown method'],
  longreq: [483, 'sanity.too-many-vias', 'more Via values than gateway.sanity.maxViaHeaders (32)'],
  zeromf: [483, 'sanity.max-forwards', 'Max-Forwards: 0 (RFC 4475: a proxy answers 483)'],
  'ipv6-in-sdp': [400, 'sanity.content-length', 'published Content-Length 268 > 251 octets (README caveat)'],
}

/** The RFC 5118 messages whose published Content-Length is wrong (README caveat). */
const CL_CAVEAT = new Set(['ipv6-in-sdp', 'mult-ip-in-sdp', 'ipv4-mapped-ipv6'])

function bytes(e: Entry): Buffer {
  return readFileSync(new URL(e.file, DIR))
}

function withRecomputedLength(buf: Buffer): Buffer {
  const sep = buf.indexOf('\r\n\r\n')
  const head = buf.toString('latin1', 0, sep)
  const body = buf.subarray(sep + 4)
  const fixed = head.replace(/\r\nContent-Length: *\d+/i, `\r\nContent-Length: ${body.length}`)
  return Buffer.concat([Buffer.from(`${fixed}\r\n\r\n`, 'latin1'), body])
}

/** `text` is the corpus response `e` (their Call-IDs start with the test's name). */
function fromCorpus(e: Entry, text: string): boolean {
  return text.includes(`Call-ID: ${e.name}.`)
}

/** The status full-mode parsing gives an invalid request (null: dropped silently). */
function fullStatus(buf: Buffer): number | null | undefined {
  const r = parseMessage(buf, { mode: 'full' })
  return r.ok ? undefined : r.error.status
}

describe('torture corpus through the gateway', () => {
  let upstream: UdpPeer
  let prober: UdpPeer
  let g: TestGateway
  const PROBE = 'X-Probe: 1'

  before(async () => {
    upstream = await new UdpPeer('127.0.0.2').bind()
    prober = await new UdpPeer('127.0.0.9').bind()
    g = await startGateway({
      upstream: `udp:127.0.0.2:${upstream.port}`,
      tcp: true,
      policy: {
        adminNetworks: ['127.0.0.9/32'],
        // the senders are on a known network, so MESSAGE (mpart01) is not refused as unknown
        tenants: [{ name: 'lab', country: 'DE', defaults: { networks: ['127.0.64.0/18'] } }],
      },
    })
  })
  after(async () => {
    await g?.stop()
    await upstream?.close()
    await prober?.close()
  })

  /** Everything the gateway got before this returns has been handled. */
  let probes = 0
  async function settle(): Promise<void> {
    const callId = `probe${++probes}@t`
    prober.send(
      [
        'OPTIONS sip:probe@127.0.0.1 SIP/2.0',
        `Via: SIP/2.0/UDP 127.0.0.9:${prober.port};branch=z9hG4bKprobe${probes}`,
        'Max-Forwards: 70',
        'From: <sip:probe@127.0.0.9>;tag=p',
        'To: <sip:probe@127.0.0.1>',
        `Call-ID: ${callId}`,
        'CSeq: 1 OPTIONS',
        PROBE,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      g.port,
    )
    assert.ok(await upstream.waitFor((t) => t.includes(callId)), 'probe not relayed')
    await sleep(20)
  }

  function relayedSince(n: number): number {
    return upstream.received.slice(n).filter((m) => !m.text.includes(PROBE)).length
  }

  /** Sends one datagram from `host`; the upstream's new messages and the answers to the sender. */
  async function viaUdp(host: string, buf: Buffer): Promise<{ relayed: number; answers: string[] }> {
    const p = await new UdpPeer(host).bind()
    try {
      const n = upstream.received.length
      p.socket.send(buf, g.port, '127.0.0.1')
      await settle()
      return {
        relayed: relayedSince(n),
        answers: p.received.map((m) => m.text.split('\r\n')[0]!).filter((l) => !l.startsWith('SIP/2.0 100 ')),
      }
    } finally {
      await p.close()
    }
  }

  const requests = INDEX.filter((e) => e.kind === 'request')
  it('the corpus has the 56 requests and 5 responses of the index', () => {
    assert.equal(INDEX.length, 61)
    assert.equal(requests.length, 56)
    for (const name of Object.keys(REFUSED_VALID))
      assert.ok(
        requests.some((e) => e.name === name && isValid(e)),
        name,
      )
  })

  requests.forEach((e, i) => {
    const host = `127.0.70.${i + 1}`
    if (!isValid(e)) {
      it(`${e.name} (${e.parse}) over UDP: never relayed, answered with an error or dropped`, async () => {
        const buf = bytes(e)
        const r = await viaUdp(host, buf)
        assert.equal(r.relayed, 0, `${e.name} reached the upstream`)
        const status = fullStatus(buf)
        assert.notEqual(status, undefined, 'the parser accepts it in full mode')
        if (status === null) assert.deepEqual(r.answers, [])
        else {
          assert.equal(r.answers.length, 1, r.answers.join('|'))
          assert.match(r.answers[0]!, /^SIP\/2\.0 (4|5)\d\d /)
          // mismatch02: the RFC allows 400 instead of 501
          if (status !== 501) assert.equal(r.answers[0]!.slice(8, 11), String(status))
        }
        const ev = g.events.find((x) => x.address === host)
        assert.match(ev?.code ?? '', /^sanity\./, `event: ${JSON.stringify(ev)}`)
      })
      return
    }
    const refusal = REFUSED_VALID[e.name]
    if (refusal !== undefined) {
      it(`${e.name} (valid) over UDP: refused ${refusal[0]} ${refusal[1]}: ${refusal[2]}`, async () => {
        const r = await viaUdp(host, bytes(e))
        assert.equal(r.relayed, 0)
        assert.equal(r.answers.length, 1, r.answers.join('|'))
        assert.equal(r.answers[0]!.slice(8, 11), String(refusal[0]))
        assert.ok(g.events.some((x) => x.address === host && x.code === refusal[1]))
      })
      return
    }
    it(`${e.name} (${e.parse}) over UDP: relayed`, async () => {
      const r = await viaUdp(host, bytes(e))
      assert.equal(r.relayed, 1, `answers: ${r.answers.join('|')}`)
      assert.deepEqual(r.answers, [])
    })
  })

  it('the RFC 5118 messages with a wrong published Content-Length are relayed once it is recomputed', async () => {
    let k = 0
    for (const e of requests.filter((x) => CL_CAVEAT.has(x.name))) {
      const r = await viaUdp(`127.0.71.${++k}`, withRecomputedLength(bytes(e)))
      assert.equal(r.relayed, 1, e.name)
    }
  })

  // ---- TCP ------------------------------------------------------------------------------

  /** Writes `buf` on a new connection from `host`; waits for `until` (bounded), then settles. */
  async function viaTcp(
    host: string,
    buf: Buffer,
    until: 'answer' | 'close' | 'relay' | 'nothing',
  ): Promise<{ relayed: number; data: string; closed: boolean }> {
    const n = upstream.received.length
    const sock = connect({ host: '127.0.0.1', port: g.port, localAddress: host })
    let data = ''
    let closed = false
    sock.on('data', (d: Buffer) => (data += d.toString('latin1')))
    sock.on('error', () => {})
    const done = new Promise<void>((resolve) => {
      sock.on('close', () => {
        closed = true
        resolve()
      })
    })
    await new Promise<void>((r) => sock.once('connect', () => r()))
    sock.write(buf)
    const end = Date.now() + 3000
    for (;;) {
      if (until === 'answer' && /^SIP\/2\.0 [2-6]\d\d /m.test(data)) break
      if (until === 'close' && closed) break
      if (until === 'relay' && relayedSince(n) > 0) break
      if (until === 'nothing' || Date.now() > end) break
      await Promise.race([done, sleep(20)])
    }
    await settle()
    const relayed = relayedSince(n)
    sock.destroy()
    return { relayed, data, closed }
  }

  const byName = (name: string): Entry => INDEX.find((e) => e.name === name)!

  it('over TCP: valid requests are relayed', async () => {
    for (const [k, name] of ['wsinv', 'regaut01', 'esc01'].entries()) {
      const r = await viaTcp(`127.0.72.${k + 1}`, bytes(byName(name)), 'relay')
      assert.equal(r.relayed, 1, name)
    }
  })

  it('over TCP: invalid requests are answered and never relayed', async () => {
    const cases: [string, number][] = [
      ['badvers', 505],
      ['insuf', 400],
      ['multi01', 400],
      ['escruri', 400],
      ['badinv01', 400],
    ]
    for (const [k, [name, status]] of cases.entries()) {
      const r = await viaTcp(`127.0.73.${k + 1}`, bytes(byName(name)), 'answer')
      assert.equal(r.relayed, 0, name)
      assert.match(r.data, new RegExp(`^SIP/2\\.0 ${status} `), `${name}: ${r.data.slice(0, 80)}`)
    }
  })

  it('over TCP: framing errors close the connection, a short body waits; none is relayed', async () => {
    // inv2543 is valid over UDP, but a stream needs Content-Length (RFC 3261 §18.3)
    for (const [k, name] of ['ncl', 'mcl01', 'inv2543'].entries()) {
      const r = await viaTcp(`127.0.74.${k + 1}`, bytes(byName(name)), 'close')
      assert.equal(r.closed, true, name)
      assert.equal(r.relayed, 0, name)
    }
    // clerr declares 9999 octets: over TCP the gateway waits for them (RFC 4475 §3.1.2.1)
    const r = await viaTcp('127.0.74.9', bytes(byName('clerr')), 'nothing')
    assert.equal(r.relayed, 0)
    assert.equal(r.data, '')
  })

  // ---- responses ------------------------------------------------------------------------

  /**
   * A phone's request (with the CSeq method of `e`) goes up through the gateway; the upstream
   * answers with the corpus response, its top Via replaced by the gateway's, then with a final
   * marker response. Returns what the phone received.
   */
  async function response(e: Entry, host: string): Promise<string[]> {
    const raw = bytes(e).toString('latin1')
    const method = /^CSeq:\s*\d+\s+(\w+)/im.exec(raw)![1]!
    const phone = await new UdpPeer(host).bind()
    try {
      const callId = `resp-${e.name}@t`
      phone.send(
        [
          `${method} sip:bob@127.0.0.1 SIP/2.0`,
          `Via: SIP/2.0/UDP ${host}:${phone.port};branch=z9hG4bKr${e.name.replace(/\W/g, '')};rport`,
          'Max-Forwards: 70',
          `From: <sip:alice@${host}>;tag=a1`,
          'To: <sip:bob@127.0.0.1>',
          `Call-ID: ${callId}`,
          `CSeq: 7 ${method}`,
          `Contact: <sip:alice@${host}:${phone.port}>`,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
        g.port,
      )
      const up = await upstream.waitFor((t) => t.includes(callId))
      assert.ok(up, 'request not relayed')
      const from = upstream.received.find((m) => m.text.includes(callId))!
      const ourVia = up.split('\r\n').find((l) => l.startsWith('Via:'))!
      const lines = raw.split('\r\n')
      const v = lines.findIndex((l) => /^(Via|v)\s*:/i.test(l))
      lines[v] = ourVia
      upstream.socket.send(Buffer.from(lines.join('\r\n'), 'latin1'), from.port, from.address)
      // the marker: a response the gateway relays while the transaction is still open
      const marker = answer(up, method === 'INVITE' ? 180 : 200, method === 'INVITE' ? 'Ringing' : 'OK', [
        'X-Marker: 1',
      ])
      upstream.socket.send(Buffer.from(marker, 'latin1'), from.port, from.address)
      await phone.waitFor((t) => t.includes('X-Marker') || fromCorpus(e, t), 2000)
      await sleep(50)
      return phone.received.map((m) => m.text)
    } finally {
      await phone.close()
    }
  }

  for (const [k, e] of INDEX.filter((x) => x.kind === 'response').entries()) {
    const torture = (t: string): boolean => fromCorpus(e, t)
    if (!isValid(e)) {
      it(`${e.name} (${e.parse} response) from the upstream: never reaches the phone`, async () => {
        const got = await response(e, `127.0.75.${k + 1}`)
        assert.equal(got.filter(torture).length, 0)
        assert.ok(
          got.some((t) => t.includes('X-Marker')),
          'the transaction should still be open for the marker',
        )
      })
    } else if (e.name === 'noreason') {
      it('noreason (100 without a reason phrase) from the upstream: absorbed, 100 is hop by hop', async () => {
        const got = await response(e, `127.0.75.${k + 1}`)
        assert.equal(got.filter(torture).length, 0)
        assert.ok(got.some((t) => t.includes('X-Marker')))
      })
    } else {
      it(`${e.name} (valid response) from the upstream: relayed to the phone`, async () => {
        const got = await response(e, `127.0.75.${k + 1}`)
        assert.equal(got.filter(torture).length, 1, got.map((t) => t.split('\r\n')[0]).join('|'))
      })
    }
  }
})
