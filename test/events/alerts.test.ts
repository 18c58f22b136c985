import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { parsePolicy } from '../../src/config/load.js'
import type { SecurityEvent } from '../../src/events/event.js'
import { createAlertSinks } from '../../src/events/sinks/alerts.js'
import { createEmailSink } from '../../src/events/sinks/email.js'
import { createSyslogSink, formatSyslog } from '../../src/events/sinks/syslog.js'
import { alertSeverity, createAlertDispatcher } from '../../src/events/sinks/throttle.js'
import { createWebhookSink } from '../../src/events/sinks/webhook.js'
import { smtpSink } from '../report/smtp-sink.js'

const root = mkdtempSync(join(tmpdir(), 'sgw-alerts-'))
after(() => rmSync(root, { recursive: true, force: true }))

function ev(i: number, over: Partial<SecurityEvent> = {}): SecurityEvent {
  return {
    time: 1_700_000_000_000 + i,
    address: '192.0.2.1',
    code: 'flood.register',
    action: 'ban',
    severity: 'warning',
    ...over,
  }
}

async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

interface Received {
  readonly headers: IncomingMessage['headers']
  readonly body: Record<string, unknown>
}

/** A local webhook receiver; `statuses` are answered in turn, then 200. */
async function receiver(statuses: number[] = []): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      got.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) })
      res.statusCode = statuses.shift() ?? 200
      res.end('ok')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  after(() => server.close())
  return { url: `http://127.0.0.1:${port}/hook/secret-token-123`, got, server }
}

describe('which events are alerts', () => {
  test('alert, ban, lock and anything critical; not forward/reply/unban below critical', () => {
    assert.equal(alertSeverity(ev(0, { action: 'ban', severity: undefined })), 'warning')
    assert.equal(alertSeverity(ev(0, { action: 'lock', severity: undefined })), 'critical')
    assert.equal(alertSeverity(ev(0, { action: 'alert', severity: 'info' })), 'info')
    assert.equal(alertSeverity(ev(0, { action: 'reply', severity: 'critical' })), 'critical')
    assert.equal(alertSeverity(ev(0, { action: 'reply', severity: 'warning' })), null)
    assert.equal(alertSeverity(ev(0, { action: 'unban', severity: undefined })), null)
  })
})

describe('webhook sink', () => {
  test('posts the alert as JSON with the extra headers; ignores non-alerts and low severities', async () => {
    const r = await receiver()
    const sink = createWebhookSink({ url: r.url, headers: { 'X-Token': 'abc' }, site: 'pbx1' })
    sink.write(ev(1, { action: 'reply', severity: 'info' }))
    sink.write(ev(2, { action: 'alert', severity: 'info' }))
    sink.write(ev(3, { account: '1001', port: 5060, detail: { count: 12 } }))
    await sink.flush()
    await sink.close()
    assert.equal(r.got.length, 1)
    const b = r.got[0]!.body
    assert.equal(b['type'], 'alert')
    assert.equal(b['site'], 'pbx1')
    assert.equal(b['severity'], 'warning')
    assert.deepEqual(b['event'], ev(3, { account: '1001', port: 5060, detail: { count: 12 } }))
    assert.match(String(b['text']), /flood\.register ban 192\.0\.2\.1 port 5060 account 1001/)
    assert.equal(r.got[0]!.headers['x-token'], 'abc')
    assert.equal(r.got[0]!.headers['content-type'], 'application/json')
    assert.equal(sink.stats().sent, 1)
  })

  test('slack shape: text and a mrkdwn section block, with <, > and & escaped', async () => {
    const r = await receiver()
    const sink = createWebhookSink({ url: r.url, format: 'slack', site: 'pbx1' })
    sink.write(ev(1, { account: '<@channel> & co', severity: 'critical' }))
    await sink.close()
    assert.equal(r.got.length, 1)
    const b = r.got[0]!.body as {
      text: string
      blocks: { type: string; text: { type: string; text: string } }[]
    }
    assert.deepEqual(Object.keys(b).sort(), ['blocks', 'text'])
    assert.equal(b.blocks[0]!.type, 'section')
    assert.equal(b.blocks[0]!.text.type, 'mrkdwn')
    assert.match(
      b.blocks[0]!.text.text,
      /:rotating_light: \*pbx1\* critical: flood\.register ban 192\.0\.2\.1/,
    )
    assert.match(b.blocks[0]!.text.text, /account &lt;@channel&gt; &amp; co/)
    assert.doesNotMatch(b.text, /<@channel>/)
  })

  test('a burst of 1000 events gives a bounded number of requests and one digest', async () => {
    const r = await receiver()
    const sink = createWebhookSink({ url: r.url, maxAlertsPerWindow: 5, digestDelayMs: 150 })
    // 500 distinct sources (rate limited after 5) and 500 repeats of one (de-duplicated)
    for (let i = 0; i < 500; i++) {
      sink.write(ev(i, { address: `198.51.${Math.floor(i / 250)}.${i % 250}`, code: `scan.c${i % 2}` }))
    }
    for (let i = 0; i < 500; i++) sink.write(ev(i, { address: '203.0.113.7', code: 'auth.failure' }))
    await waitFor(() => r.got.some((g) => g.body['type'] === 'digest'), 'the digest')
    await sink.close()
    const alerts = r.got.filter((g) => g.body['type'] === 'alert')
    const digests = r.got.filter((g) => g.body['type'] === 'digest')
    assert.equal(alerts.length, 5)
    assert.equal(digests.length, 1)
    const d = digests[0]!.body['digest'] as {
      rateLimited: number
      duplicates: number
      codes: { code: string; count: number }[]
      addresses: { address: string; count: number }[]
    }
    // 500 distinct scan alerts: 5 sent, 495 held back; then 203.0.113.7 once (held back) and 499 repeats
    const st = sink.stats()
    assert.equal(st.sent, 6)
    assert.equal(d.rateLimited, 496)
    assert.equal(d.duplicates, 499)
    assert.equal(d.codes[0]!.code, 'auth.failure')
    assert.equal(d.codes[0]!.count, 500)
    assert.equal(d.addresses[0]!.address, '203.0.113.7')
  })

  test('the same code+address+account within the window is sent once', async () => {
    const r = await receiver()
    const sink = createWebhookSink({ url: r.url, digestDelayMs: 100 })
    for (let i = 0; i < 10; i++) sink.write(ev(i))
    sink.write(ev(11, { account: '1001' }))
    await waitFor(() => r.got.length >= 3, 'two alerts and a digest')
    await sink.close()
    assert.deepEqual(
      r.got.map((g) => g.body['type']),
      ['alert', 'alert', 'digest'],
    )
    assert.equal((r.got[2]!.body['digest'] as { duplicates: number }).duplicates, 9)
  })

  test('retries after a 500, does not retry a 400', async () => {
    const r = await receiver([500, 503])
    const sink = createWebhookSink({ url: r.url, retryBaseMs: 20 })
    sink.write(ev(1))
    await sink.flush()
    assert.equal(r.got.length, 3)
    assert.equal(sink.stats().retries, 2)
    assert.equal(sink.stats().sent, 1)

    const r2 = await receiver([400])
    const errors: string[] = []
    const sink2 = createWebhookSink({
      url: r2.url,
      retryBaseMs: 20,
      onError: (e) => errors.push((e as Error).message),
    })
    sink2.write(ev(1))
    await sink2.close()
    await sink.close()
    assert.equal(r2.got.length, 1)
    assert.deepEqual(errors, ['webhook: HTTP 400'])
    assert.equal(sink2.stats().failed, 1)
  })

  test('an unreachable endpoint fails after bounded retries, without the URL in the error', async () => {
    const r = await receiver()
    const url = r.url
    await new Promise<void>((res) => r.server.close(() => res()))
    const errors: string[] = []
    const sink = createWebhookSink({
      url,
      name: 'ops',
      retries: 2,
      retryBaseMs: 10,
      onError: (e) => errors.push((e as Error).message),
    })
    sink.write(ev(1))
    await sink.flush()
    await sink.close()
    assert.equal(errors.length, 1)
    assert.match(errors[0]!, /^webhook:ops: /)
    assert.doesNotMatch(errors[0]!, /secret-token/)
    assert.equal(sink.stats().retries, 2)
  })

  test('the queue is bounded: a stalled endpoint drops and counts, write() never waits', async () => {
    const hold: (() => void)[] = []
    const delivered: number[] = []
    const sink = createAlertDispatcher({
      name: 'test',
      minSeverity: 'info',
      maxQueue: 3,
      maxAlertsPerWindow: 1000,
      digestDelayMs: 60_000,
      deliver: async (batch) => {
        await new Promise<void>((r) => hold.push(r))
        delivered.push(batch.length)
      },
    })
    for (let i = 0; i < 50; i++) sink.write(ev(i, { address: `198.51.100.${i}` }))
    assert.ok(sink.stats().dropped >= 46)
    const end = Date.now() + 5000
    let closed = false
    const closing = sink.close().then(() => {
      closed = true
    })
    while (Date.now() < end && !closed) {
      hold.splice(0).forEach((r) => r())
      await new Promise((r) => setTimeout(r, 5))
    }
    await closing
    // the 3 queued, the oldest giving way to the digest that reports the drops
    assert.equal(delivered.length, 3)
    assert.equal(sink.stats().digests, 1)
  })
})

describe('email sink', () => {
  test('several alerts close together arrive as one mail at a local SMTP server', async () => {
    const smtp = await smtpSink()
    const sink = createEmailSink({
      smtp: { host: '127.0.0.1', port: smtp.port, security: 'none' },
      from: 'sipwarden@example.org',
      to: ['noc@example.org', 'oncall@example.org'],
      minSeverity: 'warning',
      batchDelayMs: 100,
      site: 'pbx1',
    })
    sink.write(ev(1, { action: 'lock', severity: undefined, account: '1001', code: 'auth.distributed' }))
    sink.write(ev(2, { address: '198.51.100.9' }))
    sink.write(ev(3, { action: 'forward', severity: 'info' }))
    await waitFor(() => smtp.mails.length >= 1, 'the mail')
    await sink.close()
    assert.equal(smtp.mails.length, 1)
    const m = smtp.mails[0]!
    assert.match(m.from, /<sipwarden@example\.org>/)
    assert.equal(m.to.length, 2)
    assert.match(m.data, /^Subject: \[pbx1\] 2 alerts \(critical\)$/m)
    assert.match(m.data, /critical: auth\.distributed lock 192\.0\.2\.1 account 1001/)
    assert.match(m.data, /warning: flood\.register ban 198\.51\.100\.9/)
    assert.equal(sink.stats().sent, 2)
  })

  test('createAlertSinks builds the destinations of a policy', async () => {
    const smtp = await smtpSink()
    const r = await receiver()
    const policy = parsePolicy(
      [
        'version: 1',
        'site: { name: edge }',
        'upstream: { host: 127.0.0.1, port: 5080 }',
        'alerting:',
        '  webhooks:',
        `    - { url: "${r.url}", name: ops, format: slack }`,
        '  email:',
        `    smtp: { host: 127.0.0.1, port: ${smtp.port}, security: none }`,
        '    from: sipwarden@example.org',
        '    to: [noc@example.org]',
        '    minSeverity: warning',
        '',
      ].join('\n'),
      'policy.yaml',
    )
    const warnings: string[] = []
    const sinks = createAlertSinks(
      policy,
      { warn: (_o: unknown, m?: string) => warnings.push(String(m)) } as never,
      {
        batchDelayMs: 20,
      },
    )
    assert.deepEqual(
      sinks.map((s) => s.name),
      ['webhook:ops', 'email'],
    )
    for (const s of sinks) s.write(ev(1, { account: '2001' }))
    await Promise.all(sinks.map((s) => s.close()))
    assert.equal(r.got.length, 1)
    assert.ok('blocks' in r.got[0]!.body)
    assert.equal(smtp.mails.length, 1)
    assert.match(
      smtp.mails[0]!.data,
      /^Subject: \[edge\] warning: flood\.register ban 192\.0\.2\.1 account 2001$/m,
    )
    assert.deepEqual(warnings, [])
  })
})

const RFC5424 =
  /^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (\S+) (\S+) (\S+) (\S+) (\[sipwarden@32473(?: [a-zA-Z]+="(?:[^"\\\]]|\\["\\\]])*")+\]) (.*)$/

describe('syslog sink', () => {
  test('formats RFC 5424 with escaped structured data', () => {
    const line = formatSyslog(
      { kind: 'alert', severity: 'critical', event: ev(5, { account: 'a"b]c\\d\ne', stage: 'scanner' }) },
      { facility: 'authpriv', appName: 'sipwarden', hostname: 'pbx1', procId: '42' },
    )
    const m = RFC5424.exec(line)
    assert.ok(m, line)
    assert.equal(m[1], String(10 * 8 + 2))
    assert.equal(m[2], new Date(1_700_000_000_005).toISOString())
    assert.deepEqual([m[3], m[4], m[5], m[6]], ['pbx1', 'sipwarden', '42', 'flood.register'])
    assert.ok(m[7]!.includes('account="a\\"b\\]c\\\\d e"'), m[7])
    assert.doesNotMatch(line, /\n/)
  })

  test('a local UDP receiver gets one valid line per alert', async () => {
    const sock = createSocket('udp4')
    const lines: string[] = []
    sock.on('message', (b) => lines.push(b.toString('utf8')))
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r))
    after(() => sock.close())
    const sink = createSyslogSink({
      transport: 'udp',
      host: '127.0.0.1',
      port: sock.address().port,
      facility: 'local3',
      hostname: 'pbx1',
    })
    sink.write(ev(1, { account: '1001' }))
    sink.write(ev(2, { address: '198.51.100.2', severity: 'critical' }))
    await sink.flush()
    await waitFor(() => lines.length >= 2, 'two datagrams')
    await sink.close()
    const parsed = lines.map((l) => RFC5424.exec(l))
    assert.ok(
      parsed.every((m) => m !== null),
      lines.join('\n'),
    )
    assert.deepEqual(
      parsed.map((m) => Number(m![1])),
      [19 * 8 + 4, 19 * 8 + 2],
    )
    assert.match(lines[0]!, /address="192\.0\.2\.1" account="1001"/)
  })

  test('a local unix stream socket receiver gets newline-terminated lines; TCP uses octet counting', async () => {
    const path = join(root, 'log.sock')
    const unixData: string[] = []
    const tcpData: string[] = []
    const mk = (into: string[]) =>
      createNetServer((s) => {
        s.setEncoding('utf8')
        s.on('data', (d: string) => into.push(d))
      })
    const us = mk(unixData)
    const ts = mk(tcpData)
    await new Promise<void>((r) => us.listen(path, r))
    await new Promise<void>((r) => ts.listen(0, '127.0.0.1', r))
    after(() => {
      us.close()
      ts.close()
    })
    const unix = createSyslogSink({ transport: 'unix', path })
    const tcp = createSyslogSink({
      transport: 'tcp',
      host: '127.0.0.1',
      port: (ts.address() as { port: number }).port,
    })
    for (const s of [unix, tcp]) {
      s.write(ev(1))
      s.write(ev(2, { address: '198.51.100.3' }))
      await s.flush()
    }
    await waitFor(() => unixData.join('').split('\n').length >= 3, 'two unix lines')
    await waitFor(() => (tcpData.join('').match(/<\d+>1 /g) ?? []).length >= 2, 'two tcp frames')
    await unix.close()
    await tcp.close()
    const ulines = unixData
      .join('')
      .split('\n')
      .filter((l) => l !== '')
    assert.equal(ulines.length, 2)
    for (const l of ulines) assert.match(l, RFC5424)
    // octet counting: LEN SP MSG, LEN is the byte length of MSG
    let rest = tcpData.join('')
    let frames = 0
    while (rest.length > 0) {
      const m = /^(\d+) /.exec(rest)
      assert.ok(m, rest)
      const len = Number(m[1])
      const msg = Buffer.from(rest.slice(m[0].length)).subarray(0, len).toString('utf8')
      assert.match(msg, RFC5424)
      rest = rest.slice(m[0].length + msg.length)
      frames++
    }
    assert.equal(frames, 2)
  })
})
