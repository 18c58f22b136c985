// The admin API over real HTTP (port 0 on loopback) in front of an in-process gateway: token,
// admin-network refusal, bans reflected in the store, events, stats, and the Prometheus text
// after real SIP traffic. The log watcher's gateway action is run against it too.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createGatewayMetrics, type GatewayMetrics } from '../../src/api/metrics.js'
import { type ApiServer, buildApi, startApiServer } from '../../src/api/server.js'
import { resolveApiToken, tokenMatches } from '../../src/api/token.js'
import { parsePolicy } from '../../src/config/load.js'
import { GatewaySink } from '../../src/logwatch/actions/gateway.js'
import { answer, request, startGateway, type TestGateway, UdpPeer } from '../gateway/helpers.js'

const TOKEN = 'test-token-0123456789'

describe('admin API', () => {
  let tg: TestGateway
  let upstream: UdpPeer
  let phone: UdpPeer
  let api: ApiServer
  let metrics: GatewayMetrics

  const http = async (
    method: string,
    path: string,
    opts: { token?: string | null; body?: unknown; raw?: string } = {},
  ): Promise<{ status: number; json: Record<string, unknown>; text: string }> => {
    const headers: Record<string, string> = {}
    const token = opts.token === undefined ? TOKEN : opts.token
    if (token !== null) headers['authorization'] = `Bearer ${token}`
    if (opts.body !== undefined || opts.raw !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(opts.raw !== undefined ? { body: opts.raw } : {}),
    })
    const text = await res.text()
    let json: Record<string, unknown> = {}
    try {
      json = JSON.parse(text) as Record<string, unknown>
    } catch {
      // metrics are text
    }
    return { status: res.status, json, text }
  }

  before(async () => {
    // the upstream's address is trusted (never banned): not the phone's
    upstream = await new UdpPeer('127.0.0.2').bind()
    upstream.onMessage = (text, address, port) => {
      if (text.startsWith('OPTIONS')) upstream.send(answer(text, 200, 'OK'), port, address)
    }
    phone = await new UdpPeer('127.0.0.1').bind()
    tg = await startGateway({
      upstream: `udp:127.0.0.2:${upstream.port}`,
      policy: { adminNetworks: ['198.51.100.0/24'], gateway: { scanner: { enabled: true } } },
    })
    metrics = createGatewayMetrics({ source: tg.gw, store: tg.store })
    api = await startApiServer({
      policy: tg.gw.policy,
      store: tg.store,
      token: TOKEN,
      gateway: tg.gw,
      metrics,
      isTrusted: (a) => tg.gw.isTrusted(a),
      publish: (e) => tg.store.appendEvent(e),
      listen: { address: '127.0.0.1', port: 0 },
    })
  })

  after(async () => {
    await api?.close()
    metrics?.close()
    await tg?.stop()
    await upstream?.close()
    await phone?.close()
  })

  it('health needs no token; everything else needs the right bearer token', async () => {
    const h = await http('GET', '/api/health', { token: null })
    assert.equal(h.status, 200)
    assert.equal(h.json['status'], 'ok')
    const none = await http('GET', '/api/bans', { token: null })
    assert.equal(none.status, 401)
    assert.equal(none.json['error'], 'unauthorized')
    assert.match(String(none.json['message']), /missing bearer token/)
    const wrong = await http('GET', '/api/bans', { token: 'nope' })
    assert.equal(wrong.status, 401)
    assert.equal(wrong.json['message'], 'wrong token')
    assert.equal((await http('GET', '/metrics', { token: null })).status, 401)
    const ok = await http('GET', '/api/bans')
    assert.equal(ok.status, 200)
    assert.deepEqual(ok.json['bans'], [])
  })

  it('refuses clients outside loopback and adminNetworks with 403, before the token', async () => {
    const app = buildApi({ policy: tg.gw.policy, store: tg.store, token: TOKEN })
    try {
      const outsider = await app.inject({
        method: 'GET',
        url: '/api/health',
        remoteAddress: '203.0.113.5',
      })
      assert.equal(outsider.statusCode, 403)
      assert.match(outsider.json<{ message: string }>().message, /203\.0\.113\.5 is not in adminNetworks/)
      const admin = await app.inject({
        method: 'GET',
        url: '/api/bans',
        remoteAddress: '198.51.100.7',
        headers: { authorization: `Bearer ${TOKEN}` },
      })
      assert.equal(admin.statusCode, 200)
      const mapped = await app.inject({
        method: 'GET',
        url: '/api/health',
        remoteAddress: '::ffff:198.51.100.9',
      })
      assert.equal(mapped.statusCode, 200, 'an IPv4-mapped admin address is an admin address')
    } finally {
      await app.close()
    }
  })

  it('POST/GET/DELETE /api/bans change the store and isBanned; bad input is a clear 400', async () => {
    const add = await http('POST', '/api/bans', {
      body: { address: '203.0.113.50', ttlMs: 7_200_000, reason: 'manual test' },
    })
    assert.equal(add.status, 201, add.text)
    const ban = add.json['ban'] as Record<string, unknown>
    assert.equal(ban['address'], '203.0.113.50')
    assert.equal(ban['source'], 'api')
    assert.equal(ban['reason'], 'manual test')
    assert.ok(Number(ban['remainingMs']) > 7_100_000 && Number(ban['remainingMs']) <= 7_200_000)
    assert.equal(tg.store.isBanned('203.0.113.50'), true)
    assert.equal(tg.store.getBan('203.0.113.50')?.code, 'admin.manual')

    const list = await http('GET', '/api/bans')
    assert.deepEqual(
      (list.json['bans'] as { address: string }[]).map((b) => b.address),
      ['203.0.113.50'],
    )
    // IPv6 in the path, in a non-canonical form
    assert.equal((await http('POST', '/api/bans', { body: { address: '2001:DB8:0::7' } })).status, 201)
    assert.equal(tg.store.isBanned('2001:db8::7'), true)
    assert.equal(
      tg.store.getBan('2001:db8::7')!.expiresAt - tg.store.getBan('2001:db8::7')!.updatedAt,
      tg.gw.policy.bans.defaultTtlMs,
      'without ttlMs: bans.defaultTtlMs',
    )
    assert.equal((await http('DELETE', `/api/bans/${encodeURIComponent('2001:db8::7')}`)).status, 200)

    const del = await http('DELETE', '/api/bans/203.0.113.50')
    assert.equal(del.status, 200)
    assert.equal(tg.store.isBanned('203.0.113.50'), false)
    const again = await http('DELETE', '/api/bans/203.0.113.50')
    assert.equal(again.status, 404)
    assert.equal(again.json['error'], 'not-banned')

    const admin = await http('POST', '/api/bans', { body: { address: '198.51.100.20' } })
    assert.equal(admin.status, 409)
    assert.match(String(admin.json['message']), /198\.51\.100\.20 is in adminNetworks.*never banned/)
    assert.equal(tg.store.isBanned('198.51.100.20'), false)

    const bad = await http('POST', '/api/bans', { body: { address: '1.2.3.04' } })
    assert.equal(bad.status, 400)
    assert.match(String(bad.json['message']), /leading zeros/)
    const typo = await http('POST', '/api/bans', { body: { address: '192.0.2.1', ttl: 5 } })
    assert.equal(typo.status, 400)
    assert.match(String(typo.json['message']), /ttl/)
    const json = await http('POST', '/api/bans', { raw: '{"address": ' })
    assert.equal(json.status, 400)
    assert.equal(json.json['error'], 'bad-request')
    assert.equal((await http('DELETE', '/api/bans/not-an-ip')).status, 400)
    assert.equal((await http('GET', '/api/nothing')).status, 404)
  })

  it('GET /api/events returns the store event log, filtered by since and limited', async () => {
    const t0 = Date.now()
    for (let i = 0; i < 3; i++)
      tg.store.appendEvent({
        time: t0 + i,
        address: `192.0.2.${10 + i}`,
        code: 'auth.brute-force',
        action: 'ban',
        stage: 'auth-guard',
      })
    const r = await http('GET', `/api/events?since=${t0}&limit=2&code=auth.brute-force`)
    assert.equal(r.status, 200, r.text)
    const events = r.json['events'] as { address: string }[]
    assert.deepEqual(
      events.map((e) => e.address),
      ['192.0.2.12', '192.0.2.11'],
    )
    const iso = await http('GET', `/api/events?since=${encodeURIComponent(new Date(t0 + 2).toISOString())}`)
    assert.ok((iso.json['events'] as unknown[]).length >= 1)
    const bad = await http('GET', '/api/events?since=yesterday')
    assert.equal(bad.status, 400)
    assert.match(String(bad.json['message']), /since/)
    assert.equal((await http('GET', '/api/events?limit=0')).status, 400)
    // the API's own bans were published as events
    const admin = await http('GET', '/api/events?code=admin.manual')
    assert.ok((admin.json['events'] as { address: string }[]).some((e) => e.address === '203.0.113.50'))
  })

  it('GET /metrics after real SIP traffic: messages, decisions, bans, transactions, relay latency', async () => {
    for (let i = 0; i < 3; i++) {
      phone.send(request('OPTIONS', { port: phone.port, callId: `m${i}@api` }), tg.port)
      assert.ok(await phone.waitFor((t) => t.startsWith('SIP/2.0 200') && t.includes(`m${i}@api`), 3000))
    }
    phone.send(request('OPTIONS', { port: phone.port, callId: 'scan@api', ua: 'friendly-scanner' }), tg.port)
    const end = Date.now() + 3000
    while (!tg.store.isBanned('127.0.0.1') && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
    assert.equal(tg.store.isBanned('127.0.0.1'), true)

    const m = await http('GET', '/metrics')
    assert.equal(m.status, 200)
    const text = m.text
    const value = (line: string): number => {
      const hit = text.split('\n').find((l) => l.startsWith(`${line} `))
      assert.ok(hit !== undefined, `${line} missing in\n${text}`)
      return Number(hit.slice(line.length + 1))
    }
    assert.equal(value('sipwarden_messages_received_total{transport="udp",direction="from_phones"}'), 4)
    assert.equal(value('sipwarden_messages_received_total{transport="udp",direction="from_upstream"}'), 3)
    assert.equal(value('sipwarden_decisions_total{stage="scanner",code="scanner.user-agent"}'), 1)
    assert.equal(value('sipwarden_bans_active'), 1)
    assert.equal(value('sipwarden_bans_total{source="gateway"}'), 1)
    assert.ok(value('sipwarden_bans_total{source="api"}') >= 2)
    assert.equal(value('sipwarden_transactions'), 3, 'completed transactions linger')
    assert.equal(value('sipwarden_dialogs'), 0, 'OPTIONS create no dialog')
    assert.equal(value('sipwarden_relay_latency_seconds_count'), 3)
    assert.equal(value('sipwarden_relay_latency_seconds_bucket{le="+Inf"}'), 3)
    assert.ok(value('sipwarden_relay_latency_seconds_sum') > 0)
    assert.match(text, /# TYPE sipwarden_relay_latency_seconds histogram/)

    const stats = await http('GET', '/api/stats')
    assert.equal(stats.status, 200)
    const gw = stats.json['gateway'] as Record<string, unknown>
    assert.equal(gw['received'], 7)
    assert.equal((stats.json['store'] as Record<string, unknown>)['bans'], 1)
  })

  it("the log watcher's gateway action bans and unbans through the API", async () => {
    const errors: string[] = []
    const sink = new GatewaySink({ url: api.url, token: TOKEN, onError: (m) => errors.push(m) })
    sink.ban({
      ip: '203.0.113.77',
      time: Date.now(),
      rule: 'auth-failure',
      count: 5,
      ttlMs: 600_000,
      until: Date.now() + 600_000,
      kind: 'auth-failed',
      nth: 1,
    })
    await sink.flush()
    assert.deepEqual(errors, [])
    assert.equal(tg.store.isBanned('203.0.113.77'), true)
    assert.match(tg.store.getBan('203.0.113.77')!.reason ?? '', /logwatch\.auth-failure/)
    sink.unban('203.0.113.77', 'unban')
    sink.unban('203.0.113.78', 'unban') // never banned: 404 counts as done
    await sink.flush()
    assert.deepEqual(errors, [])
    assert.equal(tg.store.isBanned('203.0.113.77'), false)
    assert.equal(sink.sent, 3)

    const refused: string[] = []
    const wrong = new GatewaySink({ url: api.url, token: 'wrong', onError: (m) => refused.push(m) })
    wrong.unban('203.0.113.79', 'unban')
    await wrong.flush()
    assert.match(refused.join('\n'), /HTTP 401/)
  })
})

describe('admin API token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-api-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('on loopback without api.token: created in <dataDir>/api-token (0600) and reused', () => {
    const policy = parsePolicy(
      JSON.stringify({ version: 1, upstream: 'udp:127.0.0.1:5080', site: { dataDir: join(dir, 'data') } }),
      '<test>',
      { env: {} },
    )
    const a = resolveApiToken(policy)
    assert.equal(a.created, true)
    assert.equal(a.file, join(dir, 'data', 'api-token'))
    assert.equal(statSync(a.file).mode & 0o777, 0o600)
    assert.ok(a.token.length >= 40)
    const b = resolveApiToken(policy)
    assert.equal(b.created, false)
    assert.equal(b.token, a.token)
  })

  it('api.token from the policy wins; comparison is exact', () => {
    const policy = parsePolicy(
      JSON.stringify({ version: 1, upstream: 'udp:127.0.0.1:5080', api: { token: 'abc' } }),
      '<test>',
      { env: {} },
    )
    assert.deepEqual(resolveApiToken(policy), { token: 'abc', file: undefined, created: false })
    assert.equal(tokenMatches('abc', 'abc'), true)
    assert.equal(tokenMatches('abcd', 'abc'), false)
    assert.equal(tokenMatches('', 'abc'), false)
  })
})
