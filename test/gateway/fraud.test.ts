// The toll-fraud scenario through the gateway (issue 4): SIPp UACs as a hijacked extension
// calling premium, satellite and barred international numbers, velocity and spend limits, a
// night-time schedule, alerts at a local webhook receiver and a local SMTP sink, counters after
// CANCEL, 486, an INVITE timeout and a gateway restart; a SIPp UAS is the PBX and logs what it
// receives. In-process gateway with the toll-fraud wiring (src/proxy/fraud-hooks.ts).
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, afterEach, before, describe, it } from 'node:test'
import { pino } from 'pino'
import type { Cdr } from '../../src/cdr/types.js'
import { parsePolicy } from '../../src/config/load.js'
import { createEventBus } from '../../src/events/bus.js'
import type { SecurityEvent } from '../../src/events/event.js'
import { attachSink } from '../../src/events/sink.js'
import { createAlertSinks } from '../../src/events/sinks/alerts.js'
import type { AlertSink } from '../../src/events/sinks/throttle.js'
import { FraudHooks } from '../../src/proxy/fraud-hooks.js'
import { Gateway } from '../../src/proxy/gateway.js'
import { createMemoryStore } from '../../src/state/memory.js'
import { createSqliteStore } from '../../src/state/sqlite.js'
import type { SyncStore } from '../../src/state/store.js'
import { smtpSink } from '../report/smtp-sink.js'
import { answer, freePort, GATEWAY_FIXTURES, have, Peers, request, sleep, UdpPeer } from './helpers.js'

const FIX = join(GATEWAY_FIXTURES, 'fraud')
const UAS_HOST = '127.0.0.3'
const silent = pino({ level: 'silent' })

const PREMIUM = '09001123456' // +49 900: premium rate
const SATELLITE = '008816123456789' // +881 6: Iridium
const CUBA = '005372345678' // a country denied by the policy
const NATIONAL = '03012345678' // Berlin
const FRANCE = '0033142278186'
const UK = '00442079460000' // priced at 60 / minute: 1 per second

interface FraudGateway {
  readonly gw: Gateway
  readonly hooks: FraudHooks
  readonly events: SecurityEvent[]
  readonly port: number
  /** alert delivery problems */
  readonly warnings: string[]
  readonly sinks: readonly AlertSink[]
  stop(): Promise<void>
}

async function startFraudGateway(o: {
  upstream: string | Record<string, unknown>
  dir: string
  store: SyncStore
  policy: Record<string, unknown>
}): Promise<FraudGateway> {
  const port = await freePort()
  const doc = {
    version: 1,
    site: { name: 'pbx1', dataDir: o.dir, timezone: 'UTC' },
    ...o.policy,
    upstream: o.upstream,
    listen: [`udp:127.0.0.1:${port}`],
  }
  const policy = parsePolicy(JSON.stringify(doc), '<test>', { env: {} })
  const bus = createEventBus()
  const events: SecurityEvent[] = []
  bus.subscribe((e) => {
    events.push(e)
  })
  const warnings: string[] = []
  const log = { warn: (...a: unknown[]) => void warnings.push(JSON.stringify(a)) }
  const sinks: AlertSink[] = createAlertSinks(policy, log as never, { batchDelayMs: 100, retryBaseMs: 100 })
  for (const s of sinks) attachSink(bus, s)
  const hooks = await FraudHooks.open({
    policy,
    store: o.store,
    cdrPath: join(o.dir, 'cdr.db'),
    logger: silent,
  })
  const gw = new Gateway({ policy, store: o.store, bus, logger: silent, fraud: hooks })
  await gw.start()
  return {
    gw,
    hooks,
    events,
    port,
    warnings,
    sinks,
    async stop() {
      await gw.stop()
      hooks.close()
      await Promise.all(sinks.map((s) => s.close()))
    },
  }
}

async function until(pred: () => boolean, timeoutMs = 8000): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (!pred()) {
    if (Date.now() > end) return false
    await sleep(25)
  }
  return true
}

/** SIPp UAC calls from the -inf file's rows (account;number), one at a time unless `parallel`. */
async function calls(
  peers: Peers,
  dir: string,
  g: FraudGateway,
  scenario: string,
  rows: [string, string][],
  parallel = 1,
): Promise<{ code: number | null; output: string }> {
  const inf = join(dir, `calls-${Math.random().toString(36).slice(2)}.csv`)
  writeFileSync(inf, `SEQUENTIAL\n${rows.map(([a, n]) => `${a};${n};`).join('\n')}\n`)
  return peers.run(
    'sipp',
    [
      '-sf',
      join(FIX, scenario),
      '-inf',
      inf,
      `127.0.0.1:${g.port}`,
      '-i',
      '127.0.0.1',
      '-p',
      '0',
      '-r',
      '10',
      '-l',
      String(parallel),
      '-m',
      String(rows.length),
      '-nostdin',
      '-timeout',
      '20s',
      '-timeout_error',
    ],
    25_000,
  )
}

function cdrsOf(g: FraudGateway, account: string): Cdr[] {
  return [...g.hooks.cdr!.query({ account })]
}

function fraudEvents(g: FraudGateway, account: string): SecurityEvent[] {
  // the findings (the gateway's own decision events, severity info, are left out)
  return g.events.filter((e) => e.stage === 'toll-fraud' && e.account === account && e.severity !== 'info')
}

/** A schedule whose only window starts two hours from now: now is out of hours. */
function nightSchedule(): Record<string, unknown> {
  const h = new Date().getUTCHours()
  const hh = (n: number) => `${String(n % 24).padStart(2, '0')}:00`
  return { timezone: 'UTC', windows: [{ days: 'mon-sun', from: hh(h + 2), to: hh(h + 3) }] }
}

const accounts = [
  { name: 'bar' },
  { name: 'vel', limits: { callsPerMinute: 3, callsPerDay: 4 } },
  { name: 'intl', limits: { international: { callsPerHour: 2 } } },
  { name: 'spend', limits: { spend: { perDay: 3 }, international: { concurrentCalls: 4 } } },
  { name: 'night', schedule: nightSchedule() },
  { name: 'conc', limits: { concurrentCalls: 1 } },
  { name: 'dur', limits: { maxCallDurationMs: '1s' } },
]

function fraudPolicy(dir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const rates = join(dir, 'rates.csv')
  writeFileSync(
    rates,
    'prefix,price_per_minute,description\n+44,60,UK (test price)\n+33,0.02,France\n+49,0.01,Germany\n',
  )
  return {
    tenants: [{ name: 'office', country: 'DE', accounts }],
    fraud: {
      rateTableFile: rates,
      reject: { status: 403, reason: 'Call Barred' },
      defaults: {
        callingRights: {
          allow: ['emergency', 'internal', 'toll-free', 'fixed', 'mobile', 'international'],
          countries: { deny: ['CU'] },
        },
      },
    },
    ...extra,
  }
}

describe(
  'toll fraud through the gateway (SIPp UAC → gateway → SIPp UAS)',
  { skip: have('sipp') ? false : 'not installed: sipp' },
  () => {
    const peers = new Peers()
    const dir = mkdtempSync(join(tmpdir(), 'sgw-fraud-'))
    const uasLog = join(dir, 'uas-messages.log')
    const hooks: Record<string, unknown>[] = []
    let web: Server
    let smtp: Awaited<ReturnType<typeof smtpSink>>
    let store: SyncStore
    let g: FraudGateway
    let uasPort = 0

    /** INVITEs / BYEs the PBX received (SIPp's message log) */
    function atPbx(method: string): number {
      if (!existsSync(uasLog)) return 0
      const re = new RegExp(`message received[^\\n]*\\n+${method} sip:`, 'g')
      return [...readFileSync(uasLog, 'latin1').matchAll(re)].length
    }

    before(async () => {
      web = createServer((req, res) => {
        const chunks: Buffer[] = []
        req.on('data', (c: Buffer) => chunks.push(c))
        req.on('end', () => {
          hooks.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)
          res.writeHead(204).end()
        })
      })
      await new Promise<void>((r) => web.listen(0, '127.0.0.1', r))
      smtp = await smtpSink({ closeAfterFile: false })
      uasPort = await freePort(UAS_HOST)
      peers.start('sipp', [
        '-sf',
        join(FIX, 'uas-wait-bye.xml'),
        '-i',
        UAS_HOST,
        '-p',
        String(uasPort),
        '-nostdin',
        '-trace_msg',
        '-message_file',
        uasLog,
      ])
      await sleep(300)
      store = createSqliteStore({ path: join(dir, 'state.db'), sweepIntervalMs: 0 })
      g = await startFraudGateway({
        upstream: `udp:${UAS_HOST}:${uasPort}`,
        dir,
        store,
        policy: fraudPolicy(dir, {
          alerting: {
            webhooks: [
              {
                name: 'ops',
                url: `http://127.0.0.1:${(web.address() as AddressInfo).port}/hook`,
                minSeverity: 'warning',
              },
            ],
            email: {
              smtp: { host: '127.0.0.1', port: smtp.port, security: 'none' },
              from: 'sipwarden@example.org',
              to: ['noc@example.org'],
              minSeverity: 'warning',
            },
          },
        }),
      })
    })

    after(async () => {
      peers.killAll()
      await g?.stop()
      store?.close()
      await new Promise<void>((r) => web.close(() => r()))
      await new Promise<void>((r) => smtp.server.close(() => r()))
      rmSync(dir, { recursive: true, force: true })
    })

    it('premium, satellite and barred international numbers are refused (403 Call Barred) and never reach the PBX', async () => {
      const r = await calls(peers, dir, g, 'uac-call.xml', [
        ['bar', PREMIUM],
        ['bar', SATELLITE],
        ['bar', CUBA],
      ])
      assert.equal(r.code, 0, r.output.slice(-2000))
      const refused = fraudEvents(g, 'bar').filter((e) => e.action === 'reply')
      const codes = new Set(refused.map((e) => e.code))
      for (const c of ['fraud.barred.premium', 'fraud.barred.satellite', 'fraud.barred.country'])
        assert.ok(codes.has(c), c)
      // the Reason header names the finding
      const phone = await new UdpPeer().bind()
      try {
        phone.send(
          request('INVITE', { user: 'bar', port: phone.port }).replace(
            /^INVITE sip:bar@/,
            `INVITE sip:${PREMIUM}@`,
          ),
          g.port,
        )
        const res = await phone.waitFor(
          (t) => /^SIP\/2\.0 [2-6]\d\d /.test(t) && !t.startsWith('SIP/2.0 100'),
        )
        assert.ok(res !== null)
        assert.match(res, /^SIP\/2\.0 403 Call Barred\r\n/)
        assert.match(res, /\r\nReason: SIP;cause=403;text="Call Barred \(fraud\.barred\.premium\)"\r\n/)
      } finally {
        await phone.close()
      }
      const cdrs = cdrsOf(g, 'bar')
      assert.equal(cdrs.length, 4)
      assert.ok(cdrs.every((c) => c.disposition === 'rejected' && c.sipStatus === 403 && c.answer === null))
      assert.ok(cdrs.every((c) => c.tenant === 'office' && c.sourceAddress === '127.0.0.1'))
      await sleep(200)
      assert.equal(atPbx('INVITE'), 0)
      assert.equal(atPbx('ACK'), 0) // the ACKs of the refusals stay at the gateway
    })

    it('velocity: calls beyond callsPerMinute and international.callsPerHour are refused exactly at the threshold', async () => {
      const before = atPbx('INVITE')
      const r = await calls(peers, dir, g, 'uac-call.xml', [
        ...Array.from({ length: 5 }, (): [string, string] => ['vel', NATIONAL]),
        ...Array.from({ length: 3 }, (): [string, string] => ['intl', FRANCE]),
      ])
      assert.equal(r.code, 0, r.output.slice(-2000))
      assert.ok(await until(() => g.gw.dialogs.count === 0))
      assert.deepEqual(
        cdrsOf(g, 'vel').map((c) => c.disposition),
        ['answered', 'answered', 'answered', 'rejected', 'rejected'],
      )
      assert.deepEqual(
        cdrsOf(g, 'intl').map((c) => c.disposition),
        ['answered', 'answered', 'rejected'],
      )
      assert.deepEqual(
        fraudEvents(g, 'vel').map((e) => e.code),
        ['fraud.velocity.minute', 'fraud.velocity.minute'],
      )
      assert.deepEqual(
        fraudEvents(g, 'intl').map((e) => [e.code, e.severity]),
        [['fraud.velocity.international.hour', 'critical']],
      )
      assert.ok(await until(() => atPbx('INVITE') === before + 5))
      // answered calls are priced
      const fr = cdrsOf(g, 'intl').filter((c) => c.disposition === 'answered')
      assert.ok(fr.every((c) => c.cost !== null && c.cost > 0 && c.billableMs > 0))
    })

    it('spend: the day limit, live cost included, ends the calls in progress with a BYE to both sides', async () => {
      const byes = atPbx('BYE')
      const r = await calls(
        peers,
        dir,
        g,
        'uac-wait-bye.xml',
        [
          ['spend', UK],
          ['spend', UK],
        ],
        2,
      )
      // SIPp's UAC only succeeds when the gateway's BYE reached it
      assert.equal(r.code, 0, r.output.slice(-2000))
      assert.ok(await until(() => atPbx('BYE') === byes + 2), 'the PBX side got the BYEs')
      const ended = fraudEvents(g, 'spend').filter((e) => e.code === 'fraud.spend.day')
      assert.equal(ended.length, 2)
      assert.ok(
        ended.every((e) => e.action === 'alert' && e.severity === 'critical' && e.detail?.['ended'] === true),
      )
      const cdrs = cdrsOf(g, 'spend')
      assert.equal(cdrs.length, 2)
      assert.ok(cdrs.every((c) => c.disposition === 'answered'))
      const total = cdrs.reduce((s, c) => s + (c.cost ?? 0), 0)
      assert.ok(total >= 3, `spent ${total}`)
      assert.equal(g.hooks.engine.stats().activeCalls, 0)
      // the limit stays reached: the next call is refused
      const again = await calls(peers, dir, g, 'uac-call.xml', [['spend', UK]])
      assert.equal(again.code, 0, again.output.slice(-2000))
      assert.equal(cdrsOf(g, 'spend').at(-1)?.disposition, 'rejected')
      assert.equal(fraudEvents(g, 'spend').at(-1)?.code, 'fraud.spend.day')
    })

    it('duration: a call reaching maxCallDurationMs is ended by the gateway on both sides', async () => {
      const byes = atPbx('BYE')
      const r = await calls(peers, dir, g, 'uac-wait-bye.xml', [['dur', NATIONAL]])
      assert.equal(r.code, 0, r.output.slice(-2000))
      assert.ok(await until(() => atPbx('BYE') === byes + 1), 'the PBX side got the BYE')
      const ev = fraudEvents(g, 'dur')
      assert.deepEqual(
        ev.map((e) => [e.code, e.action, e.detail?.['ended']]),
        [['fraud.duration', 'alert', true]],
      )
      const [cdr] = cdrsOf(g, 'dur')
      assert.equal(cdr?.disposition, 'answered')
      assert.ok(cdr.billableMs >= 1000, String(cdr.billableMs))
    })

    it('night-time: out of the schedule window an international call is refused', async () => {
      const before = atPbx('INVITE')
      const r = await calls(peers, dir, g, 'uac-call.xml', [['night', FRANCE]])
      assert.equal(r.code, 0, r.output.slice(-2000))
      assert.deepEqual(
        fraudEvents(g, 'night').map((e) => [e.code, e.action]),
        [['fraud.schedule.outside', 'reply']],
      )
      await sleep(200)
      assert.equal(atPbx('INVITE'), before)
    })

    it('alerts arrive at the local webhook receiver and the local SMTP sink', async () => {
      const codes = () => new Set(hooks.map((h) => (h['event'] as SecurityEvent | undefined)?.code))
      assert.ok(
        await until(() => codes().has('fraud.spend.day') && codes().has('fraud.velocity.minute'), 10_000),
        JSON.stringify(hooks).slice(0, 1000),
      )
      const hook = hooks.find((h) => (h['event'] as SecurityEvent).code === 'fraud.spend.day')!
      assert.equal(hook['site'], 'pbx1')
      assert.equal((hook['event'] as SecurityEvent).account, 'spend')
      const mailText = () => smtp.mails.map((m) => m.data).join('\n')
      assert.ok(
        await until(
          () => /fraud\.spend\.day/.test(mailText()) && /fraud\.velocity\.minute/.test(mailText()),
          10_000,
        ),
        `${mailText().slice(0, 1000)} ${g.warnings.join('\n')} ${JSON.stringify(g.sinks.map((x) => x.stats()))}`,
      )
      assert.ok(smtp.mails.every((m) => m.to.some((t) => t.includes('noc@example.org'))))
    })

    it('CDRs for every call, exported as CSV', async () => {
      let csv = ''
      const out = new Writable({
        write(chunk: Buffer, _enc, cb) {
          csv += chunk.toString()
          cb()
        },
      })
      const n = await g.hooks.cdr!.exportCsv({}, out)
      const lines = csv.trim().split('\n')
      assert.equal(lines.length, n + 1)
      assert.equal(n, g.hooks.cdr!.count())
      // bar 4, vel 5, intl 3, spend 3, dur 1, night 1
      assert.equal(n, 17)
      assert.ok(lines.some((l) => l.includes('spend') && l.includes('answered')))
      assert.ok(lines.some((l) => l.includes(PREMIUM) && l.includes('rejected')))
    })

    it('after a gateway restart: the day spend and day call counts are kept, concurrency is not', async () => {
      // a call up for `conc` (concurrentCalls 1) when the gateway stops
      const inf = join(dir, 'conc.csv')
      writeFileSync(inf, `SEQUENTIAL\nconc;${NATIONAL};\n`)
      peers.start('sipp', [
        '-sf',
        join(FIX, 'uac-wait-bye.xml'),
        '-inf',
        inf,
        `127.0.0.1:${g.port}`,
        '-i',
        '127.0.0.1',
        '-p',
        '0',
        '-m',
        '1',
        '-nostdin',
      ])
      assert.ok(await until(() => g.hooks.engine.accountState('conc')?.calls === 1))
      assert.ok(await until(() => g.gw.dialogs.counts().confirmed === 1))
      await g.stop()
      store.close()

      store = createSqliteStore({ path: join(dir, 'state.db'), sweepIntervalMs: 0 })
      g = await startFraudGateway({
        upstream: `udp:${UAS_HOST}:${uasPort}`,
        dir,
        store,
        policy: fraudPolicy(dir),
      })
      const e = g.hooks.engine
      assert.equal(e.stats().activeCalls, 0)
      assert.ok((e.spendOf('spend')?.spendDay ?? 0) >= 3)
      const r = await calls(peers, dir, g, 'uac-call.xml', [
        ['conc', NATIONAL], // concurrency reset: allowed
        ['spend', UK], // day spend kept: refused
        ['vel', NATIONAL], // 3 calls today before the restart, callsPerDay 4: allowed
        ['vel', NATIONAL], // the 4th today: refused
      ])
      assert.equal(r.code, 0, r.output.slice(-2000))
      assert.equal(cdrsOf(g, 'conc').at(-1)?.disposition, 'answered')
      assert.deepEqual(
        g.events
          .filter((x) => x.stage === 'toll-fraud' && x.action === 'reply' && x.severity !== 'info')
          .map((x) => [x.account, x.code]),
        [
          ['spend', 'fraud.spend.day'],
          ['vel', 'fraud.velocity.day'],
        ],
      )
    })
  },
)

describe(
  'counters after CANCEL, 486 and an INVITE timeout',
  { skip: have('sipp') ? false : 'not installed: sipp' },
  () => {
    const peers = new Peers()
    const dir = mkdtempSync(join(tmpdir(), 'sgw-fraud-f-'))
    let g: FraudGateway | undefined
    let store: SyncStore | undefined

    afterEach(async () => {
      peers.killAll()
      await g?.stop()
      store?.close()
      g = undefined
    })
    after(() => rmSync(dir, { recursive: true, force: true }))

    async function run(uas: string, uac: string, upstream: Record<string, unknown> = {}): Promise<Cdr[]> {
      const port = await freePort(UAS_HOST)
      peers.start('sipp', ['-sf', uas, '-i', UAS_HOST, '-p', String(port), '-nostdin'])
      await sleep(300)
      store = createMemoryStore({ sweepIntervalMs: 0 })
      g = await startFraudGateway({
        upstream: { transport: 'udp', host: UAS_HOST, port, ...upstream },
        dir,
        store,
        policy: {
          tenants: [
            { name: 'office', country: 'DE', accounts: [{ name: 'alice', limits: { concurrentCalls: 1 } }] },
          ],
        },
      })
      const before = g.hooks.cdr!.count()
      // two calls one after the other: a leaked concurrency counter would refuse the second (403)
      const r = await peers.run(
        'sipp',
        [
          '-sf',
          uac,
          '-s',
          NATIONAL,
          `127.0.0.1:${g.port}`,
          '-i',
          '127.0.0.1',
          '-p',
          '0',
          '-l',
          '1',
          '-m',
          '2',
          '-nostdin',
          '-timeout',
          '15s',
          '-timeout_error',
        ],
        20_000,
      )
      assert.equal(r.code, 0, r.output.slice(-2000))
      assert.ok(await until(() => g!.gw.dialogs.count === 0))
      const e = g.hooks.engine
      assert.equal(e.stats().activeCalls, 0)
      assert.equal(e.accountState('alice')?.calls, 0)
      assert.equal(g.hooks.tracked, 0)
      assert.equal(g.events.filter((x) => x.stage === 'toll-fraud').length, 0)
      return [...g.hooks.cdr!.query({ account: 'alice' })].slice(before)
    }

    it('CANCEL releases the call', async () => {
      const cdrs = await run(join(GATEWAY_FIXTURES, 'uas-ring.xml'), join(GATEWAY_FIXTURES, 'uac-cancel.xml'))
      assert.deepEqual(
        cdrs.map((c) => c.disposition),
        ['cancelled', 'cancelled'],
      )
    })

    it('486 releases the call', async () => {
      const cdrs = await run(join(GATEWAY_FIXTURES, 'uas-486.xml'), join(GATEWAY_FIXTURES, 'uac-486.xml'))
      assert.deepEqual(
        cdrs.map((c) => [c.disposition, c.sipStatus]),
        [
          ['busy', 486],
          ['busy', 486],
        ],
      )
    })

    it('an INVITE timeout releases the call', async () => {
      const cdrs = await run(join(FIX, 'uas-silent.xml'), join(FIX, 'uac-timeout.xml'), {
        transactionTimeoutMs: 1000,
      })
      assert.deepEqual(
        cdrs.map((c) => c.disposition),
        ['no-answer', 'no-answer'],
      )
    })
  },
)

describe('toll-fraud wiring details (UDP test peers)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgw-fraud-w-'))
  let g: FraudGateway | undefined
  let store: SyncStore | undefined
  const udp: UdpPeer[] = []

  afterEach(async () => {
    await g?.stop()
    store?.close()
    g = undefined
    await Promise.all(udp.splice(0).map((p) => p.close()))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  /** A PBX that challenges INVITEs without credentials (407) and rings on the others. */
  async function setup(policy: Record<string, unknown>): Promise<{ pbx: UdpPeer; phone: UdpPeer }> {
    const pbx = await new UdpPeer().bind()
    pbx.onMessage = (text, address, port) => {
      if (!text.startsWith('INVITE ')) return
      if (/\r\nProxy-Authorization:/i.test(text)) pbx.send(answer(text, 180, 'Ringing'), port, address)
      else
        pbx.send(
          answer(text, 407, 'Proxy Authentication Required', [
            'Proxy-Authenticate: Digest realm="pbx", nonce="n1", algorithm=MD5',
          ]),
          port,
          address,
        )
    }
    const phone = await new UdpPeer().bind()
    udp.push(pbx, phone)
    store = createMemoryStore({ sweepIntervalMs: 0 })
    g = await startFraudGateway({ upstream: `udp:127.0.0.1:${pbx.port}`, dir, store, policy })
    return { pbx, phone }
  }

  function invite(
    phone: UdpPeer,
    o: { from: string; to: string; callId: string; tag: string; cseq: number; auth?: boolean },
  ): string {
    const auth = o.auth
      ? [
          `Proxy-Authorization: Digest username="${o.from}", realm="pbx", nonce="n1", uri="sip:${o.to}@127.0.0.1", response="0123456789abcdef0123456789abcdef"`,
        ]
      : []
    return request('INVITE', {
      user: o.from,
      port: phone.port,
      callId: o.callId,
      tag: o.tag,
      cseq: o.cseq,
      extra: auth,
    }).replace(/^INVITE sip:[^@]+@/, `INVITE sip:${o.to}@`)
  }

  const invitesAt = (p: UdpPeer) => p.received.filter((m) => m.text.startsWith('INVITE ')).length

  it('a 407 challenge and the repeat with credentials count as one call', async () => {
    const { pbx, phone } = await setup({
      tenants: [
        { name: 'office', country: 'DE', accounts: [{ name: 'alice', limits: { callsPerMinute: 1 } }] },
      ],
    })
    const call = { from: 'alice', to: NATIONAL, callId: 'c1@test', tag: 't1' }
    phone.send(invite(phone, { ...call, cseq: 1 }), g!.port)
    assert.ok(await phone.waitFor((t) => t.startsWith('SIP/2.0 407')))
    phone.send(invite(phone, { ...call, cseq: 2, auth: true }), g!.port)
    assert.ok(await phone.waitFor((t) => t.startsWith('SIP/2.0 180')))
    assert.equal(invitesAt(pbx), 2)
    assert.equal(g!.hooks.engine.accountState('alice')?.calls, 1)
    // the one call took the minute's only slot: the next is refused
    phone.send(invite(phone, { from: 'alice', to: NATIONAL, callId: 'c2@test', tag: 't2', cseq: 1 }), g!.port)
    assert.ok(await phone.waitFor((t) => t.startsWith('SIP/2.0 403')))
    assert.equal(invitesAt(pbx), 2)
    assert.deepEqual(
      fraudEvents(g!, 'alice').map((e) => e.code),
      ['fraud.velocity.minute'],
    )
  })

  it('an allowed INVITE that the gateway then refuses (503, dialogs full) releases its counters', async () => {
    const { pbx, phone } = await setup({
      gateway: { proxy: { maxDialogs: 10 } },
      tenants: [{ name: 'office', country: 'DE', accounts: [{ name: 'alice' }] }],
    })
    // ten calls from ten accounts fill the dialog table
    for (let i = 0; i < 10; i++)
      phone.send(
        invite(phone, {
          from: `a${i}`,
          to: NATIONAL,
          callId: `f${i}@test`,
          tag: `t${i}`,
          cseq: 1,
          auth: true,
        }),
        g!.port,
      )
    assert.ok(await until(() => phone.received.filter((m) => m.text.startsWith('SIP/2.0 180')).length === 10))
    phone.send(
      invite(phone, { from: 'alice', to: NATIONAL, callId: 'd2@test', tag: 'x', cseq: 1, auth: true }),
      g!.port,
    )
    assert.ok(await phone.waitFor((t) => t.startsWith('SIP/2.0 503')))
    assert.equal(invitesAt(pbx), 10)
    const e = g!.hooks.engine
    assert.equal(e.accountState('alice')?.calls, 1)
    assert.equal(e.stats().activeCalls, 11)
    g!.hooks.tick(Date.now() + 6000)
    assert.equal(e.accountState('alice')?.calls, 0)
    assert.equal(e.stats().activeCalls, 10)
  })

  it('calls from a trunk (inbound) are not checked; a phone is, also in an admin network', async () => {
    const { pbx, phone } = await setup({
      tenants: [{ name: 'office', country: 'DE', accounts: [{ name: 'alice' }] }],
      trunks: [{ name: 'carrier', addresses: ['127.0.0.6'], tenant: 'office' }],
      adminNetworks: ['127.0.0.7/32'],
    })
    const from = async (host: string, callId: string, expect: RegExp): Promise<void> => {
      const peer = await new UdpPeer(host).bind()
      udp.push(peer)
      peer.send(
        invite(peer, { from: 'alice', to: PREMIUM, callId, tag: 't1', cseq: 1, auth: true }).replaceAll(
          '127.0.0.1',
          host,
        ),
        g!.port,
      )
      assert.ok(await peer.waitFor((t) => expect.test(t)), host)
    }
    await from('127.0.0.6', 'e1@test', /^SIP\/2\.0 180/)
    assert.equal(invitesAt(pbx), 1)
    assert.equal(g!.events.filter((x) => x.stage === 'toll-fraud').length, 0)
    assert.equal(g!.hooks.engine.stats().activeCalls, 0)
    // an admin network is never banned, but its phones keep their calling rights
    await from('127.0.0.7', 'e2@test', /^SIP\/2\.0 403/)
    assert.equal(invitesAt(pbx), 1)
    // the same call from a phone is refused
    phone.send(
      invite(phone, { from: 'alice', to: PREMIUM, callId: 'e3@test', tag: 't1', cseq: 1, auth: true }),
      g!.port,
    )
    assert.ok(await phone.waitFor((t) => t.startsWith('SIP/2.0 403')))
    assert.equal(invitesAt(pbx), 1)
  })
})

describe('counters kept across restarts (FraudEngine.spendOf / restore)', () => {
  it('puts back the spend of the current day and month only, and the day call count', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgw-fraud-r-'))
    try {
      const doc = { version: 1, upstream: 'udp:127.0.0.1:5080', ...fraudPolicy(dir) }
      const policy = parsePolicy(JSON.stringify(doc), '<test>', { env: {} })
      const now = Date.UTC(2026, 10, 22, 12)
      const mk = () =>
        new FraudHooks({ policy, store: createMemoryStore({ sweepIntervalMs: 0 }), now: () => now })
      const h = mk()
      try {
        h.engine.restore(
          {
            account: 'vel',
            spend: { day: '2026-11-22', spendDay: 2, month: '2026-11', spendMonth: 7 },
            callsDay: 4,
          },
          now,
        )
        assert.deepEqual(h.engine.spendOf('vel', null, now), {
          day: '2026-11-22',
          spendDay: 2,
          month: '2026-11',
          spendMonth: 7,
        })
        // callsDay 4 = vel's callsPerDay: the next call is refused
        const d = h.engine.checkNewCall({ id: 'x', account: 'vel', dialled: NATIONAL, time: now })
        assert.deepEqual(
          d.findings.map((f) => f.code),
          ['fraud.velocity.day'],
        )
        // yesterday's spend is not today's; this month's still counts
        h.engine.restore(
          { account: 'bar', spend: { day: '2026-11-21', spendDay: 5, month: '2026-11', spendMonth: 5 } },
          now,
        )
        assert.deepEqual(h.engine.spendOf('bar', null, now), {
          day: '2026-11-22',
          spendDay: 0,
          month: '2026-11',
          spendMonth: 5,
        })
      } finally {
        h.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
