// Dialog tracking: SIPp UAC → gateway → SIPp UAS for answered calls, rejections, CANCEL and
// endDialog (both SIPp sides must receive the gateway's BYE); UDP test peers with a fake clock
// for the timeouts and the bound.
import assert from 'node:assert/strict'
import { dirname, join, resolve } from 'node:path'
import { after, afterEach, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { SipContext } from '../../src/pipeline/context.js'
import type { DialogEvent, DialogInfo } from '../../src/proxy/dialog.js'
import { parseMessage } from '../../src/sip/parse.js'
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

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/gateway')
const UAS_HOST = '127.0.0.3'

function record(g: TestGateway): { events: [DialogEvent, DialogInfo][]; max: { n: number } } {
  const events: [DialogEvent, DialogInfo][] = []
  const max = { n: 0 }
  g.gw.dialogs.onDialog((e, info) => {
    events.push([e, info])
    max.n = Math.max(max.n, g.gw.dialogs.count)
  })
  return { events, max }
}

async function until(pred: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (!pred()) {
    if (Date.now() > end) return false
    await sleep(20)
  }
  return true
}

function uac(peers: Peers, g: TestGateway, scenario: string[], calls: number) {
  return peers.run(
    'sipp',
    [
      ...scenario,
      `127.0.0.1:${g.port}`,
      '-i',
      '127.0.0.1',
      '-p',
      '0',
      '-r',
      '10',
      '-m',
      String(calls),
      '-nostdin',
      '-timeout',
      '15s',
      '-timeout_error',
    ],
    20_000,
  )
}

describe(
  'dialogs with SIPp (UAC → gateway → UAS)',
  { skip: have('sipp') ? false : 'not installed: sipp' },
  () => {
    const peers = new Peers()
    let g: TestGateway | undefined
    let uas: ReturnType<Peers['start']> | undefined
    afterEach(async () => {
      peers.killAll()
      await g?.stop()
      g = undefined
    })

    async function setup(uasScenario: string[]): Promise<ReturnType<typeof record>> {
      const uasPort = await freePort(UAS_HOST)
      uas = peers.start('sipp', [...uasScenario, '-i', UAS_HOST, '-p', String(uasPort), '-nostdin'])
      await sleep(300)
      g = await startGateway({ upstream: `udp:${UAS_HOST}:${uasPort}` })
      return record(g)
    }

    it('answered calls: created, answered, ended by the caller’s BYE; the count returns to 0', async () => {
      const rec = await setup(['-sn', 'uas'])
      const r = await uac(peers, g!, ['-sn', 'uac', '-d', '300'], 5)
      assert.equal(r.code, 0, r.output.slice(-2000))
      assert.ok(await until(() => g!.gw.dialogs.count === 0))
      const by = (e: DialogEvent) => rec.events.filter(([x]) => x === e).map(([, i]) => i)
      assert.equal(by('created').length, 5)
      assert.equal(by('answered').length, 5)
      const ended = by('ended')
      assert.equal(ended.length, 5)
      assert.ok(rec.max.n >= 1)
      for (const i of ended) {
        assert.equal(i.endReason, 'bye-caller')
        assert.equal(i.dialled, 'service')
        assert.equal(i.account, 'sipp')
        assert.equal(i.sourceAddress, '127.0.0.1')
        assert.ok(i.answerTime !== null && i.answerTime >= i.startTime)
        assert.ok(i.endTime !== null && i.endTime >= i.answerTime)
      }
      assert.deepEqual(g!.gw.dialogs.counts(), { trying: 0, early: 0, confirmed: 0 })
    })

    it('rejected calls end as rejected(486)', async () => {
      const rec = await setup(['-sf', join(FIXTURES, 'uas-486.xml')])
      const r = await uac(peers, g!, ['-sf', join(FIXTURES, 'uac-486.xml')], 3)
      assert.equal(r.code, 0, r.output.slice(-2000))
      assert.ok(await until(() => rec.events.filter(([e]) => e === 'ended').length === 3))
      const ended = rec.events.filter(([e]) => e === 'ended').map(([, i]) => i)
      assert.deepEqual(
        ended.map((i) => [i.endReason, i.endStatus, i.answerTime]),
        [
          ['rejected', 486, null],
          ['rejected', 486, null],
          ['rejected', 486, null],
        ],
      )
      assert.equal(g!.gw.dialogs.count, 0)
    })

    it('cancelled calls end as cancel', async () => {
      const rec = await setup(['-sf', join(FIXTURES, 'uas-ring.xml')])
      const r = await uac(peers, g!, ['-sf', join(FIXTURES, 'uac-cancel.xml')], 3)
      assert.equal(r.code, 0, r.output.slice(-2000))
      assert.ok(await until(() => rec.events.filter(([e]) => e === 'ended').length === 3))
      const ended = rec.events.filter(([e]) => e === 'ended').map(([, i]) => i)
      assert.deepEqual(
        ended.map((i) => i.endReason),
        ['cancel', 'cancel', 'cancel'],
      )
      assert.equal(g!.gw.dialogs.count, 0)
    })

    it('endDialog on an answered call sends a BYE to both SIPp sides', async () => {
      const rec = await setup(['-sf', join(FIXTURES, 'uas-wait-bye.xml'), '-m', '1'])
      const run = uac(peers, g!, ['-sf', join(FIXTURES, 'uac-wait-bye.xml')], 1)
      assert.ok(await until(() => g!.gw.dialogs.counts().confirmed === 1, 10_000), 'the call was answered')
      const [active] = [...g!.gw.dialogs.active()]
      assert.equal(active?.state, 'confirmed')
      assert.equal(g!.gw.dialogs.endDialog(active!.id, 'fraud suspected'), true)
      assert.equal(g!.gw.dialogs.endDialog(active!.id), false, 'ended once')
      const r = await run
      assert.equal(r.code, 0, `the caller got the BYE:\n${r.output.slice(-2000)}`)
      assert.match(r.output, /Successful call\s+\|\s+\d+\s+\|\s+1\b/)
      const ended = rec.events.find(([e]) => e === 'ended')?.[1]
      assert.equal(ended?.endReason, 'ended-by-gateway')
      assert.equal(ended?.endDetail, 'fraud suspected')
      assert.equal(g!.gw.dialogs.count, 0)
      // the UAS ends with its scenario (-m 1) only when it got the BYE too
      const uasDone = await until(() => uas?.exitCode !== null, 5000)
      assert.ok(uasDone && uas?.exitCode === 0, `the callee got the BYE:\n${uas?.output().slice(-2000)}`)
    })
  },
)

describe('dialogs with UDP test peers (fake clock)', () => {
  let offset = 0
  const now = (): number => Date.now() + offset
  let g: TestGateway | undefined
  let phone: UdpPeer | undefined
  let pbx: UdpPeer | undefined
  afterEach(async () => {
    await g?.stop()
    await phone?.close()
    await pbx?.close()
    g = phone = pbx = undefined
    offset = 0
  })
  after(() => {
    offset = 0
  })

  async function setup(policy: Record<string, unknown> = {}) {
    pbx = await new UdpPeer().bind()
    phone = await new UdpPeer().bind()
    g = await startGateway({ upstream: `udp:127.0.0.1:${pbx.port}`, now, policy })
    return { rec: record(g), g, phone, pbx }
  }

  /** INVITE from the phone, answered `status` by the PBX (with Contact); returns the relayed INVITE. */
  async function call(s: Awaited<ReturnType<typeof setup>>, status: number, callId: string) {
    s.phone.send(
      request('INVITE', { port: s.phone.port, callId, tag: `t-${callId}`, user: '1001' }),
      s.g.port,
    )
    const inv = await s.pbx.waitFor((t) => t.startsWith('INVITE') && t.includes(callId))
    assert.ok(inv !== null)
    const reason = status === 180 ? 'Ringing' : status === 200 ? 'OK' : 'Busy Here'
    s.pbx.send(answer(inv, status, reason, [`Contact: <sip:pbx@127.0.0.1:${s.pbx.port}>`]), s.g.port)
    assert.ok(await s.phone.waitFor((t) => t.startsWith(`SIP/2.0 ${status}`) && t.includes(callId)))
    return inv
  }

  it('a confirmed dialog without in-dialog activity ends by timeout; in-dialog requests keep it', async () => {
    const s = await setup({ gateway: { proxy: { dialogTimeoutMs: '1m' } } })
    await call(s, 200, 'idle1')
    assert.deepEqual(s.g.gw.dialogs.counts(), { trying: 0, early: 0, confirmed: 1 })
    offset = 40_000
    // an in-dialog INFO from the PBX (callee) at +40 s keeps it alive
    s.pbx.send(
      [
        `INFO sip:1001@127.0.0.1:${s.phone.port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${s.pbx.port};branch=z9hG4bKinfo1`,
        'Max-Forwards: 70',
        `From: <sip:1001@127.0.0.1>;tag=up1`,
        `To: <sip:1001@127.0.0.1>;tag=t-idle1`,
        'Call-ID: idle1',
        'CSeq: 7 INFO',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      s.g.port,
    )
    assert.ok(await s.phone.waitFor((t) => t.startsWith('INFO')))
    offset = 80_000 // 80 s after the answer, 40 s after the INFO: alive
    await sleep(250)
    assert.equal(s.g.gw.dialogs.count, 1)
    offset = 101_000 // 61 s after the INFO
    assert.ok(await until(() => s.g.gw.dialogs.count === 0, 3000))
    const ended = s.rec.events.find(([e]) => e === 'ended')?.[1]
    assert.equal(ended?.endReason, 'timeout')
    assert.equal(ended?.account, '1001')
  })

  it('an early dialog (180 with a To tag) times out: 408 to the phone, CANCEL upstream', async () => {
    const s = await setup({ gateway: { proxy: { earlyDialogTimeoutMs: '30s' } } })
    await call(s, 180, 'early1')
    assert.deepEqual(s.g.gw.dialogs.counts(), { trying: 0, early: 1, confirmed: 0 })
    offset = 31_000
    assert.ok(await s.phone.waitFor((t) => t.startsWith('SIP/2.0 408')), 'the phone got 408')
    assert.ok(await s.pbx.waitFor((t) => t.startsWith('CANCEL')), 'the PBX got CANCEL')
    assert.ok(await until(() => s.g.gw.dialogs.count === 0))
    assert.equal(s.rec.events.find(([e]) => e === 'ended')?.[1].endReason, 'timeout')
  })

  it('a BYE from the callee ends the dialog as bye-callee', async () => {
    const s = await setup()
    await call(s, 200, 'bye2')
    s.pbx.send(
      [
        `BYE sip:1001@127.0.0.1:${s.phone.port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${s.pbx.port};branch=z9hG4bKbye2`,
        'Max-Forwards: 70',
        `From: <sip:1001@127.0.0.1>;tag=up1`,
        `To: <sip:1001@127.0.0.1>;tag=t-bye2`,
        'Call-ID: bye2',
        'CSeq: 9 BYE',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      s.g.port,
    )
    const bye = await s.phone.waitFor((t) => t.startsWith('BYE'))
    assert.ok(bye !== null)
    assert.equal(s.g.gw.dialogs.count, 1, 'open until the BYE is answered')
    s.phone.send(answer(bye, 200, 'OK'), s.g.port)
    assert.ok(await until(() => s.g.gw.dialogs.count === 0))
    assert.equal(s.rec.events.find(([e]) => e === 'ended')?.[1].endReason, 'bye-callee')
  })

  it('beyond maxDialogs a new INVITE gets 503 + Retry-After (proxy.dialog-overload)', async () => {
    const s = await setup({ gateway: { proxy: { maxDialogs: 10 } } })
    for (let i = 0; i < 10; i++) await call(s, 180, `full${i}`)
    assert.equal(s.g.gw.dialogs.count, 10)
    s.phone.send(request('INVITE', { port: s.phone.port, callId: 'full10', user: '1001' }), s.g.port)
    const r = await s.phone.waitFor((t) => t.startsWith('SIP/2.0 503') && t.includes('full10'))
    assert.ok(r !== null)
    assert.match(r, /Retry-After: \d+/)
    assert.ok(s.g.events.some((e) => e.code === 'proxy.dialog-overload'))
    assert.equal(s.pbx.received.filter((m) => m.text.includes('full10')).length, 0, 'never relayed')
    assert.equal(s.g.gw.dialogs.count, 10)
  })

  it('endDialog on an answered call: BYE to both sides, retransmitted over udp until answered', async () => {
    const s = await setup()
    await call(s, 200, 'up4')
    const [d] = [...s.g.gw.dialogs.active()]
    assert.equal(s.g.gw.dialogs.endDialog(d!.id, 'test'), true)
    const toPhone = await s.phone.waitFor((t) => t.startsWith('BYE'))
    const toPbx = await s.pbx.waitFor((t) => t.startsWith('BYE'))
    assert.ok(toPhone !== null && toPbx !== null)
    // to the PBX: the callee's Contact, the caller's identity, CSeq above the INVITE's
    assert.match(toPbx, new RegExp(`^BYE sip:pbx@127\\.0\\.0\\.1:${s.pbx.port} SIP/2\\.0`))
    assert.match(toPbx, /^From: <sip:1001@127\.0\.0\.1>;tag=t-up4$/m)
    assert.match(toPbx, /^To: <sip:1001@127\.0\.0\.1>;tag=up1$/m)
    assert.match(toPbx, /^CSeq: 2 BYE$/m)
    assert.match(toPbx, /^Call-ID: up4$/m)
    // to the phone: its Contact, the callee's identity
    assert.match(toPhone, new RegExp(`^BYE sip:1001@127\\.0\\.0\\.1:${s.phone.port} SIP/2\\.0`))
    assert.match(toPhone, /^From: <sip:1001@127\.0\.0\.1>;tag=up1$/m)
    assert.match(toPhone, /^To: <sip:1001@127\.0\.0\.1>;tag=t-up4$/m)
    s.pbx.send(answer(toPbx, 200, 'OK'), s.g.port)
    await sleep(150)
    offset += 600 // past T1: the unanswered BYE to the phone is sent again, the answered one not
    assert.ok(await until(() => s.phone.received.filter((m) => m.text.startsWith('BYE')).length === 2, 3000))
    s.phone.send(answer(toPhone, 200, 'OK'), s.g.port)
    await sleep(150)
    offset += 5000
    await sleep(300)
    assert.equal(s.phone.received.filter((m) => m.text.startsWith('BYE')).length, 2, 'answered: no more')
    assert.equal(s.pbx.received.filter((m) => m.text.startsWith('BYE')).length, 1)
    assert.equal(s.g.gw.dialogs.count, 0)
  })

  it('endDialog on an unanswered call: CANCEL upstream and 487 to the caller', async () => {
    const s = await setup()
    await call(s, 180, 'ring3')
    const [d] = [...s.g.gw.dialogs.active()]
    assert.equal(d?.state, 'early')
    assert.equal(s.g.gw.dialogs.endDialog(d!.id), true)
    assert.ok(await s.phone.waitFor((t) => t.startsWith('SIP/2.0 487')), 'the caller got 487')
    const cancel = await s.pbx.waitFor((t) => t.startsWith('CANCEL'))
    assert.ok(cancel !== null && cancel.includes('ring3'))
    assert.equal(s.g.gw.dialogs.count, 0)
    // the PBX answers its INVITE 487: the gateway ACKs it
    const inv = s.pbx.received.find((m) => m.text.startsWith('INVITE'))!.text
    s.pbx.send(answer(inv, 487, 'Request Terminated'), s.g.port)
    assert.ok(await s.pbx.waitFor((t) => t.startsWith('ACK')), 'the 487 was ACKed')
  })
})

describe('ctx.dialogCreating (for the toll-fraud stage)', () => {
  function ctxOf(text: string): SipContext {
    const buf = Buffer.from(text, 'latin1')
    const ctx = new SipContext(buf, '127.0.0.1', 5060, 'udp', Date.now(), false)
    const r = parseMessage(buf, { mode: 'lazy' })
    assert.ok(r.ok)
    ctx.message = r.message
    ctx.phase = 'request'
    return ctx
  }

  it('is true for an INVITE without a To tag only', () => {
    assert.equal(ctxOf(request('INVITE', { port: 5062 })).dialogCreating, true)
    const reInvite = request('INVITE', { port: 5062 }).replace(/^To: (.*)$/m, 'To: $1;tag=abc')
    assert.equal(ctxOf(reInvite).dialogCreating, false)
    assert.equal(ctxOf(request('OPTIONS', { port: 5062 })).dialogCreating, false)
  })
})
