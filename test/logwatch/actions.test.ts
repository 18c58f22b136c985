// Ban actions: nftables scripts and ipset commands (argv and stdin, never a shell string) checked
// with a fake runner; the gateway action against a real HTTP server on 127.0.0.1.
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { CommandSink, expandArgv } from '../../src/logwatch/actions/command.js'
import { GatewaySink } from '../../src/logwatch/actions/gateway.js'
import { IPSET_MAX_TIMEOUT_S, IpsetSink } from '../../src/logwatch/actions/ipset.js'
import { NftablesSink } from '../../src/logwatch/actions/nftables.js'
import type { Runner } from '../../src/logwatch/actions/run.js'
import type { BanDecision } from '../../src/logwatch/types.js'

const ban = (ip: string, ttlMs = 3_600_000): BanDecision => ({
  ip,
  time: 0,
  rule: 'auth-failure',
  count: 5,
  ttlMs,
  until: ttlMs,
  kind: 'auth-failed',
  nth: 1,
})

interface Call {
  file: string
  args: readonly string[]
  input: string | undefined
}

function recorder(code = 0): { calls: Call[]; run: Runner } {
  const calls: Call[] = []
  const run: Runner = async (file, args, opts) => {
    calls.push({ file, args, input: opts?.input })
    return { code, stderr: code === 0 ? '' : 'boom' }
  }
  return { calls, run }
}

const NFT = { table: 'sipwarden', set4: 'banned_v4', set6: 'banned_v6' }

describe('nftables action', () => {
  it('sets up its table, timeout sets and a chain before conntrack (priority -10) in one nft -f -', async () => {
    const r = recorder()
    await new NftablesSink({ ...NFT, run: r.run }).setup()
    assert.equal(r.calls.length, 1)
    assert.equal(r.calls[0]!.file, 'nft')
    assert.deepEqual(r.calls[0]!.args, ['-f', '-'])
    const script = r.calls[0]!.input!
    assert.match(script, /^add set inet sipwarden banned_v4 \{ type ipv4_addr; flags timeout; \}$/m)
    assert.match(script, /^add set inet sipwarden banned_v6 \{ type ipv6_addr; flags timeout; \}$/m)
    assert.match(script, /hook input priority -10/)
    assert.match(script, /^add rule inet sipwarden input ip6 saddr @banned_v6 drop$/m)
  })

  it('applies a whole batch in one nft run, 1000 elements per statement, each with its timeout', async () => {
    const r = recorder()
    const nft = new NftablesSink({ ...NFT, run: r.run, batchMs: 10_000 })
    for (let i = 0; i < 2500; i++) nft.ban(ban(`10.0.${i >> 8}.${i & 255}`, 90_500))
    nft.ban(ban('2001:db8::1'))
    await nft.flush()
    assert.equal(r.calls.length, 1, 'one process for 2501 bans')
    const lines = r.calls[0]!.input!.trim().split('\n')
    assert.equal(lines.length, 4)
    assert.match(lines[0]!, /^add element inet sipwarden banned_v4 \{ 10\.0\.0\.0 timeout 91s, /)
    assert.equal(lines[0]!.split(',').length, 1000)
    assert.equal(lines[2]!.split(',').length, 500)
    assert.equal(lines[3], 'add element inet sipwarden banned_v6 { 2001:db8::1 timeout 3600s }')
  })

  it('an unban is add-then-delete (never fails the batch); expiry is left to the kernel', async () => {
    const r = recorder()
    const nft = new NftablesSink({ ...NFT, run: r.run, batchMs: 10_000 })
    nft.unban('192.0.2.9', 'unban')
    nft.unban('192.0.2.10', 'expire')
    await nft.flush()
    assert.equal(
      r.calls[0]!.input,
      'add element inet sipwarden banned_v4 { 192.0.2.9 timeout 1s }\ndelete element inet sipwarden banned_v4 { 192.0.2.9 }\n',
    )
  })

  it('rejects names that are not plain identifiers, and anything that is not an IP', async () => {
    assert.throws(() => new NftablesSink({ ...NFT, table: 'x; flush ruleset' }), /invalid nftables name/)
    const errors: string[] = []
    const r = recorder()
    const nft = new NftablesSink({ ...NFT, run: r.run, onError: (m) => errors.push(m) })
    nft.ban(ban('1.2.3.4 }; flush ruleset; add element inet x y { 5.6.7.8'))
    await nft.flush()
    assert.equal(r.calls.length, 0)
    assert.equal(errors.length, 1)
  })

  it('reports a failed run', async () => {
    const errors: string[] = []
    const nft = new NftablesSink({ ...NFT, run: recorder(1).run, onError: (m) => errors.push(m) })
    nft.ban(ban('192.0.2.1'))
    await nft.flush()
    assert.match(errors[0]!, /nft -f - \(1 element\(s\)\) failed \(exit 1\): boom/)
  })
})

describe('ipset action', () => {
  it('creates both sets if missing (timeout support, maxelem), idempotent with -exist', async () => {
    const r = recorder()
    await new IpsetSink({ set4: 'sw_v4', set6: 'sw_v6', maxElements: 100_000, run: r.run }).setup()
    assert.deepEqual(
      r.calls.map((c) => [c.file, ...c.args]),
      [
        [
          'ipset',
          'create',
          'sw_v4',
          'hash:ip',
          'family',
          'inet',
          'timeout',
          '0',
          'maxelem',
          '100000',
          '-exist',
        ],
        [
          'ipset',
          'create',
          'sw_v6',
          'hash:ip',
          'family',
          'inet6',
          'timeout',
          '0',
          'maxelem',
          '100000',
          '-exist',
        ],
      ],
    )
  })
  it('one ban is one argv run: ipset add SET ADDR timeout N -exist', async () => {
    const r = recorder()
    const s = new IpsetSink({ set4: 'sw_v4', set6: 'sw_v6', run: r.run, batchMs: 10_000 })
    s.ban(ban('2001:db8::7', 600_000))
    await s.flush()
    assert.deepEqual(r.calls[0]!.args, ['add', 'sw_v6', '2001:db8::7', 'timeout', '600', '-exist'])
    assert.equal(r.calls[0]!.input, undefined)
  })
  it('a batch is one `ipset restore -exist`; TTLs are clamped to ipset’s maximum', async () => {
    const r = recorder()
    const s = new IpsetSink({ set4: 'sw_v4', set6: 'sw_v6', run: r.run, batchMs: 10_000 })
    s.ban(ban('192.0.2.1', 365 * 86_400_000))
    s.ban(ban('192.0.2.2', 1000))
    s.unban('192.0.2.3', 'unban')
    s.unban('192.0.2.4', 'expire')
    await s.flush()
    assert.equal(r.calls.length, 1)
    assert.deepEqual(r.calls[0]!.args, ['restore', '-exist'])
    assert.equal(
      r.calls[0]!.input,
      `add sw_v4 192.0.2.1 timeout ${IPSET_MAX_TIMEOUT_S}\nadd sw_v4 192.0.2.2 timeout 1\ndel sw_v4 192.0.2.3\n`,
    )
  })
})

describe('command action', () => {
  it("expands the policy's placeholders into separate arguments, no shell", async () => {
    assert.deepEqual(
      expandArgv(
        ['/bin/block', '--ip={ip}', '{ttlSeconds}', '{rule}', '{family}'],
        ban('2001:db8::2', 600_000),
      ),
      ['/bin/block', '--ip=2001:db8::2', '600', 'auth-failure', '6'],
    )
    const r = recorder()
    const sink = new CommandSink({
      argv: ['/bin/block', '{ip}'],
      unbanArgv: ['/bin/unblock', '{ip}'],
      run: r.run,
    })
    sink.ban(ban('192.0.2.1'))
    sink.ban(ban('192.0.2.2'))
    sink.unban('192.0.2.1', 'expire')
    await sink.flush()
    assert.deepEqual(
      r.calls.map((c) => [c.file, c.args]),
      [
        ['/bin/block', ['192.0.2.1']],
        ['/bin/block', ['192.0.2.2']],
        ['/bin/unblock', ['192.0.2.1']],
      ],
    )
  })
  it('refuses unknown placeholders, as the policy schema does', () => {
    assert.throws(
      () => new CommandSink({ argv: ['/bin/block', '{ttl}'] }),
      /unknown placeholder\(s\) \{ttl\}/,
    )
  })
  it('bounds its backlog', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const sink = new CommandSink({
      argv: ['x'],
      maxQueue: 2,
      run: async () => {
        await gate
        return { code: 0, stderr: '' }
      },
    })
    for (let i = 0; i < 5; i++) sink.ban(ban(`192.0.2.${i}`))
    assert.equal(sink.dropped, 3)
    release()
    await sink.flush()
  })
})

describe('gateway action (POST /api/bans on a local HTTP server)', () => {
  interface Req {
    method: string
    url: string
    auth: string | undefined
    type: string | undefined
    body: string
  }
  const requests: Req[] = []
  let status = 201
  let server: Server
  let url = ''
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    })
  before(async () => {
    server = createServer(async (req, res) => {
      requests.push({
        method: req.method!,
        url: req.url!,
        auth: req.headers.authorization,
        type: req.headers['content-type'],
        body: await read(req),
      })
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  })
  after(() => new Promise<void>((r) => server.close(() => r())))

  it('posts {address, ttlMs, reason} with the bearer token; DELETE for an early unban', async () => {
    requests.length = 0
    status = 201
    const errors: string[] = []
    const g = new GatewaySink({ url, token: 's3cret', onError: (m) => errors.push(m) })
    g.ban(ban('203.0.113.7', 7_200_000))
    g.ban(ban('2001:db8::9'))
    g.unban('203.0.113.8', 'unban')
    g.unban('203.0.113.9', 'expire')
    await g.flush()
    assert.deepEqual(errors, [])
    assert.equal(requests.length, 3)
    const posts = requests.filter((r) => r.method === 'POST').sort((a, b) => a.body.localeCompare(b.body))
    assert.deepEqual(
      posts.map((r) => JSON.parse(r.body)),
      [
        { address: '2001:db8::9', ttlMs: 3_600_000, reason: 'logwatch.auth-failure: 5 auth-failed event(s)' },
        { address: '203.0.113.7', ttlMs: 7_200_000, reason: 'logwatch.auth-failure: 5 auth-failed event(s)' },
      ],
    )
    for (const r of requests) assert.equal(r.auth, 'Bearer s3cret')
    assert.equal(posts[0]!.url, '/api/bans')
    assert.equal(posts[0]!.type, 'application/json')
    const del = requests.find((r) => r.method === 'DELETE')!
    assert.equal(del.url, '/api/bans/203.0.113.8')
    assert.equal(g.sent, 3)
  })

  it('reports a refused ban (401) without retrying; retries once on a 5xx', async () => {
    requests.length = 0
    status = 401
    const errors: string[] = []
    const g = new GatewaySink({ url, onError: (m) => errors.push(m), retryDelayMs: 10 })
    g.ban(ban('203.0.113.10'))
    await g.flush()
    assert.equal(requests.length, 1)
    assert.equal(requests[0]!.auth, undefined)
    assert.match(errors[0]!, /ban of 203\.0\.113\.10 failed: HTTP 401/)
    requests.length = 0
    status = 503
    g.ban(ban('203.0.113.11'))
    await g.flush()
    assert.equal(requests.length, 2)
    assert.match(errors[1]!, /HTTP 503/)
  })

  it('reports an unreachable gateway and refuses credentials in the URL', async () => {
    const errors: string[] = []
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((r) => closed.close(() => r()))
    const g = new GatewaySink({
      url: `http://127.0.0.1:${port}`,
      onError: (m) => errors.push(m),
      retryDelayMs: 10,
    })
    g.ban(ban('203.0.113.12'))
    await g.flush()
    assert.equal(errors.length, 1)
    assert.match(errors[0]!, /ban of 203\.0\.113\.12 failed/)
    assert.throws(() => new GatewaySink({ url: 'http://user:pw@127.0.0.1:1' }), /not in the url/)
    assert.throws(() => new GatewaySink({ url: 'ftp://127.0.0.1' }), /http/)
  })
})
