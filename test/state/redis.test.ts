// The Redis adapter against a real redis-server (Debian package, scripts/install-deps.sh) on a
// free loopback port, without persistence, in a temporary directory. Skipped only when
// redis-server is not installed.

import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createClient } from 'redis'
import { parsePolicy } from '../../src/config/load.js'
import { ErrorCodes, SgwError } from '../../src/errors.js'
import { resolveWatchConfig } from '../../src/logwatch/config.js'
import { openSharedStore } from '../../src/logwatch/live.js'
import { createMemoryStore } from '../../src/state/memory.js'
import { createRedisStore, type RedisStoreOptions } from '../../src/state/redis.js'
import { type BanChange, openStore, type Store } from '../../src/state/store.js'
import { have } from '../gateway/helpers.js'
import { createTestClock, runStoreConformance, type TestClock } from './conformance.js'

async function freeTcpPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const addr = srv.address()
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  if (addr === null || typeof addr === 'string') throw new Error('no port')
  return addr.port
}

interface RedisServer {
  readonly url: string
  readonly port: number
  stop(): Promise<void>
}

/** Starts redis-server and waits (at most 10 s) until it accepts connections. */
async function startRedis(dir: string): Promise<RedisServer> {
  for (let attempt = 0; ; attempt++) {
    const port = await freeTcpPort()
    const child: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000)
      child.stdout!.on('data', (d: Buffer) => {
        output += d.toString()
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer)
          resolve(true)
        }
      })
      child.once('exit', () => {
        clearTimeout(timer)
        resolve(false)
      })
    })
    const stop = async (): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    }
    if (ready) return { url: `redis://127.0.0.1:${port}`, port, stop }
    await stop()
    if (attempt >= 2) throw new Error(`redis-server did not start: ${output.slice(-500)}`)
  }
}

if (!have('redis-server')) {
  test('redis store', { skip: 'redis-server is not installed (scripts/install-deps.sh)' }, () => {})
} else {
  let server: RedisServer
  let dir: string
  let n = 0
  const prefix = (): string => `sgwtest:${process.pid}:${n++}:`

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sgw-redis-'))
    server = await startRedis(dir)
  })
  after(async () => {
    await server?.stop()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  const open = (clock: TestClock, extra: Partial<RedisStoreOptions> = {}): Promise<Store> =>
    createRedisStore({
      url: server.url,
      keyPrefix: prefix(),
      now: clock.now,
      sweepIntervalMs: 0,
      onConnectionError: () => {},
      ...extra,
    })

  runStoreConformance('redis', (clock, extra) => open(clock, extra))

  /** Polls `check` every 10 ms for at most 5 s. */
  async function eventually(check: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 500; i++) {
      if (check()) return
      await sleep(10)
    }
    assert.fail(`timed out waiting for ${what}`)
  }

  describe('redis store: two nodes on one server', () => {
    /** Two stores with the same prefix and clock: two gateway nodes. */
    async function twoNodes(
      clock = createTestClock(),
      extra: Partial<RedisStoreOptions> = {},
    ): Promise<[Store, Store]> {
      const keyPrefix = prefix()
      return [await open(clock, { keyPrefix, ...extra }), await open(clock, { keyPrefix, ...extra })]
    }

    test('a ban by one node is enforced by the other and reported to its listeners', async () => {
      const clock = createTestClock()
      const [a, b] = await twoNodes(clock)
      try {
        const seenA: string[] = []
        const seenB: string[] = []
        a.onBanChange((c: BanChange) => seenA.push(`${c.kind}:${c.ban.address}:${c.origin}`))
        b.onBanChange((c: BanChange) => seenB.push(`${c.kind}:${c.ban.address}:${c.origin}`))

        await a.ban({ address: '192.0.2.1', ttlMs: 60_000, code: 'flood.register', source: 'gateway' })
        assert.equal(a.isBanned('192.0.2.1'), true)
        await eventually(() => b.isBanned('192.0.2.1'), 'the ban on node b')
        assert.equal(b.isBanned('::ffff:192.0.2.1'), true)
        await eventually(() => seenB.length === 1, 'the listener on node b')
        assert.deepEqual(seenB, ['ban:192.0.2.1:peer'])

        await b.ban({ address: '192.0.2.1', ttlMs: 120_000, code: 'auth.failure', source: 'watch' })
        await eventually(() => seenA.length === 2, 'the extend on node a')
        assert.equal((await a.getBan('192.0.2.1'))!.expiresAt, clock.now() + 120_000)

        await b.unban('192.0.2.1')
        assert.equal(b.isBanned('192.0.2.1'), false)
        await eventually(() => !a.isBanned('192.0.2.1'), 'the unban on node a')
        await eventually(() => seenA.length === 3, 'the unban listener on node a')
        assert.deepEqual(seenA, ['ban:192.0.2.1:local', 'extend:192.0.2.1:peer', 'unban:192.0.2.1:peer'])
        assert.deepEqual(seenB, ['ban:192.0.2.1:peer', 'extend:192.0.2.1:local', 'unban:192.0.2.1:local'])
        // the offence count is shared: the next episode on node a is the second
        const again = await a.ban({ address: '192.0.2.1', ttlMs: 1000, code: 'auth.failure', source: 't' })
        assert.equal(again.offences, 2)
      } finally {
        await a.close()
        await b.close()
      }
    })

    test('a node that connects later loads the active bans at once', async () => {
      const clock = createTestClock()
      const keyPrefix = prefix()
      const a = await open(clock, { keyPrefix })
      try {
        await a.banMany([
          { address: '192.0.2.10', ttlMs: 60_000, code: 'import.blocklist', source: 'import' },
          { address: '2001:db8::10', ttlMs: 60_000, code: 'import.blocklist', source: 'import' },
          { address: '192.0.2.11', ttlMs: 1000, code: 'import.blocklist', source: 'import' },
        ])
        await a.unban('192.0.2.11')
        const b = await open(clock, { keyPrefix })
        try {
          assert.equal(b.isBanned('192.0.2.10'), true)
          assert.equal(b.isBanned('2001:db8::10'), true)
          assert.equal(b.isBanned('192.0.2.11'), false)
          assert.deepEqual(
            (await b.listBans()).map((r) => r.address),
            ['2001:db8::10', '192.0.2.10'],
          )
        } finally {
          await b.close()
        }
      } finally {
        await a.close()
      }
    })

    test('concurrent bans of one address from two nodes make one episode', async () => {
      const [a, b] = await twoNodes()
      try {
        const input = { address: '192.0.2.20', ttlMs: 60_000, code: 'flood.invite', source: 'gateway' }
        const kinds: string[] = []
        for (const s of [a, b])
          s.onBanChange((c) => {
            if (c.origin === 'local') kinds.push(c.kind)
          })
        const recs = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).ban(input)))
        assert.ok(recs.every((r) => r.offences === 1))
        assert.equal(kinds.filter((k) => k === 'ban').length, 1)
        assert.equal(kinds.length, 20)
        assert.equal(await a.offences('192.0.2.20'), 1)
      } finally {
        await a.close()
        await b.close()
      }
    })

    test('counters and the concurrent-call gauge are shared and atomic', async () => {
      const [a, b] = await twoNodes()
      try {
        await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).hit('flood:192.0.2.1', 60_000)),
        )
        assert.equal(await a.count('flood:192.0.2.1', 60_000), 50)
        assert.equal(await b.count('flood:192.0.2.1', 60_000), 50)

        // 30 calls start on both nodes, 40 BYEs (10 of them duplicates) end them
        await Promise.all(
          Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).incrBy('calls:100', 1, 3_600_000)),
        )
        assert.equal(await a.get('calls:100'), '30')
        const after = await Promise.all(
          Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).incrBy('calls:100', -1, 3_600_000)),
        )
        assert.ok(after.every((v) => v >= 0))
        assert.equal(await b.get('calls:100'), '0')
        assert.equal(await a.incrBy('calls:100', 1), 1)

        await a.incrBy('spend:100:2026-11-22', 1250)
        await b.incrBy('spend:100:2026-11-22', 250)
        assert.equal(await a.get('spend:100:2026-11-22'), '1500')

        await a.sadd('tried:192.0.2.1', 'alice', 60_000)
        await b.sadd('tried:192.0.2.1', 'bob', 60_000)
        assert.deepEqual((await a.smembers('tried:192.0.2.1')).sort(), ['alice', 'bob'])
        await b.appendEvent({ time: 1, address: '192.0.2.1', code: 'auth.failure', action: 'log' })
        assert.equal((await a.queryEvents()).length, 1)
      } finally {
        await a.close()
        await b.close()
      }
    })

    test('an eviction at maxBans reaches the other node', async () => {
      const [a, b] = await twoNodes(createTestClock(), { limits: { maxBans: 2 } })
      try {
        const seenB: string[] = []
        b.onBanChange((c) => seenB.push(`${c.kind}:${c.ban.address}:${c.origin}`))
        for (const address of ['192.0.2.1', '192.0.2.2', '192.0.2.3'])
          await a.ban({ address, ttlMs: 60_000, code: 'flood.register', source: 't' })
        await eventually(() => seenB.length === 4, 'four changes on node b')
        assert.deepEqual(seenB, [
          'ban:192.0.2.1:peer',
          'ban:192.0.2.2:peer',
          'evict:192.0.2.1:peer',
          'ban:192.0.2.3:peer',
        ])
        assert.equal(b.isBanned('192.0.2.1'), false)
        assert.equal(b.isBanned('192.0.2.3'), true)
      } finally {
        await a.close()
        await b.close()
      }
    })

    test('after its subscription drops, a node catches up with bans it missed', async () => {
      const clock = createTestClock()
      const [a, b] = await twoNodes(clock)
      const admin = createClient({ url: server.url })
      admin.on('error', () => {})
      await admin.connect()
      try {
        const seenA: string[] = []
        a.onBanChange((c) => seenA.push(`${c.kind}:${c.ban.address}:${c.origin}`))
        // drop every subscriber connection (the ban channel of both nodes) and keep them out
        // (no new connections) while node b bans: node a cannot receive that message
        const clients = Number(
          String(await admin.sendCommand(['CLIENT', 'LIST']))
            .split('\n')
            .filter((l) => l.trim() !== '').length,
        )
        await admin.sendCommand(['CONFIG', 'SET', 'maxclients', String(clients - 2)])
        await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub'])
        await b.ban({ address: '192.0.2.30', ttlMs: 60_000, code: 'flood.register', source: 't' })
        await sleep(100)
        assert.equal(a.isBanned('192.0.2.30'), false, 'the message was missed')
        await admin.sendCommand(['CONFIG', 'SET', 'maxclients', '10000'])
        // reconnected, node a reloads the bans and reports what it missed
        await eventually(() => a.isBanned('192.0.2.30'), 'the missed ban on node a')
        assert.deepEqual(seenA, ['ban:192.0.2.30:peer'])
      } finally {
        await admin.sendCommand(['CONFIG', 'SET', 'maxclients', '10000'])
        await admin.close()
        await a.close()
        await b.close()
      }
    })
  })

  describe('redis store: connection and options', () => {
    test('an unreachable server gives a one-line STORE_UNAVAILABLE naming the URL, without the password', async () => {
      const port = await freeTcpPort()
      await assert.rejects(
        createRedisStore({
          url: `redis://:s3cret@127.0.0.1:${port}`,
          sweepIntervalMs: 0,
          connectTimeoutMs: 2000,
        }),
        (err: unknown) => {
          assert.ok(err instanceof SgwError)
          assert.equal(err.code, ErrorCodes.STORE_UNAVAILABLE)
          assert.match(
            err.message,
            new RegExp(`^cannot connect to redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}`),
          )
          assert.doesNotMatch(err.message, /s3cret|\n/)
          return true
        },
      )
    })

    test('sipwarden gateway with an unreachable redis exits 2 with one line naming the URL', async () => {
      const port = await freeTcpPort()
      const policy = join(dir, 'gateway-redis.yaml')
      writeFileSync(
        policy,
        [
          'version: 1',
          'upstream: udp:127.0.0.1:5080',
          `listen: [udp:127.0.0.1:${await freeTcpPort()}]`,
          `site: { dataDir: ${JSON.stringify(join(dir, 'gw-data'))} }`,
          `state: { adapter: redis, url: "redis://:s3cret@127.0.0.1:${port}" }`,
          '',
        ].join('\n'),
      )
      const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
      const r = spawnSync(process.execPath, [cli, 'gateway', '--policy', policy], {
        encoding: 'utf8',
        timeout: 20_000,
      })
      assert.equal(r.status, 2, r.stderr)
      assert.match(
        r.stderr,
        new RegExp(`^sipwarden: cannot connect to redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}`),
      )
      assert.match(r.stderr, /\[SGW_ERR_STORE_UNAVAILABLE\]\n$/)
      assert.equal(r.stderr.trim().split('\n').length, 1)
      assert.doesNotMatch(r.stderr, /s3cret/)
    })

    test('during an outage operations reject at once and the known bans still hold', async () => {
      const own = await startRedis(dir)
      const outages: unknown[] = []
      const clock = createTestClock(Date.now())
      const s = await createRedisStore({
        url: own.url,
        now: clock.now,
        sweepIntervalMs: 0,
        onConnectionError: (e) => outages.push(e),
      })
      try {
        await s.ban({ address: '192.0.2.50', ttlMs: 600_000, code: 'flood.register', source: 't' })
        await own.stop()
        await eventually(() => outages.length > 0, 'the outage report')
        // not awaited, as the packet path does: must not become an unhandled rejection
        void s.hit('flood:192.0.2.51', 2000)
        await assert.rejects(
          async () => s.hit('flood:192.0.2.51', 2000),
          (err: unknown) => {
            assert.ok(err instanceof SgwError)
            assert.equal(err.code, ErrorCodes.STORE_UNAVAILABLE)
            return true
          },
        )
        assert.equal(s.isBanned('192.0.2.50'), true)
        assert.equal(outages.length, 1)
      } finally {
        await s.close()
        await own.stop()
      }
    })

    test('bad options give STORE_OPTIONS before connecting', async () => {
      for (const opts of [
        { url: 'http://127.0.0.1:6379' },
        { url: server.url, keyPrefix: '' },
        { url: server.url, limits: { maxBans: 0 } },
        { url: server.url, sweepIntervalMs: -1 },
      ]) {
        await assert.rejects(
          createRedisStore(opts),
          (err: unknown) => err instanceof SgwError && err.code === ErrorCodes.STORE_OPTIONS,
        )
      }
    })

    test('keys with a TTL carry a Redis expiry as a safety net; the prefix isolates stores', async () => {
      const clock = createTestClock()
      const keyPrefix = prefix()
      const s = await open(clock, { keyPrefix })
      const admin = createClient({ url: server.url })
      admin.on('error', () => {})
      await admin.connect()
      try {
        await s.set('short', 'v', 1000)
        await s.set('forever', 'v')
        await s.hit('c', 2000)
        await s.sadd('tried', 'alice', 1000)
        await s.ban({ address: '192.0.2.1', ttlMs: 1000, code: 'flood.register', source: 't' })
        const pttl = async (k: string): Promise<number> =>
          Number(await admin.sendCommand(['PTTL', keyPrefix + k]))
        for (const k of ['k:short', 'c:c', 's:tried', 'b:data']) {
          const t = await pttl(k)
          assert.ok(t > 0, `${k} has an expiry (${t})`)
        }
        assert.equal(await pttl('k:forever'), -1)
        const other = await open(clock)
        try {
          assert.equal(await other.get('forever'), undefined)
          assert.equal(other.isBanned('192.0.2.1'), false)
        } finally {
          await other.close()
        }
      } finally {
        await admin.close()
        await s.close()
      }
    })
  })

  describe('redis store: the gateway and the log watcher', () => {
    test('openStore opens the redis adapter; createStore still refuses it', async () => {
      const s = await openStore({
        adapter: 'redis',
        url: server.url,
        keyPrefix: prefix(),
        sweepIntervalMs: 0,
      })
      try {
        assert.equal(s.adapter, 'redis')
        assert.equal(await s.incrBy('calls:1', 1), 1)
      } finally {
        await s.close()
      }
    })

    test('the log watcher accepts state.adapter redis and shares its bans through the bridge', async () => {
      const keyPrefix = prefix()
      const policy = parsePolicy(
        `version: 1\nupstream: udp:127.0.0.1:5080\nstate: { adapter: redis, url: "${server.url}", keyPrefix: "${keyPrefix}" }\n`,
        '<test>',
        { env: {} },
      )
      const config = resolveWatchConfig(policy, { action: 'none' })
      assert.deepEqual(config.state, { adapter: 'redis', url: server.url, keyPrefix })

      const gateway = await open(createTestClock(Date.now()), { keyPrefix })
      // a watcher ban from an earlier run, still active: loaded into the new watcher's book
      await gateway.ban({ address: '192.0.2.40', ttlMs: 600_000, code: 'logwatch.auth', source: 'watch' })
      const book = createMemoryStore({ sweepIntervalMs: 0 })
      const warnings: string[] = []
      const shared = await openSharedStore(config, book, (m) => warnings.push(m))
      assert.notEqual(shared, null)
      try {
        assert.equal(book.isBanned('192.0.2.40'), true)
        // the watcher bans: the gateway node enforces it
        book.ban({ address: '192.0.2.41', ttlMs: 600_000, code: 'logwatch.auth', source: 'watch' })
        await eventually(() => gateway.isBanned('192.0.2.41'), 'the watcher ban on the gateway')
        // an operator lifts it on the gateway: the watcher's book (and so its action) follows
        await gateway.unban('192.0.2.41')
        await eventually(() => !book.isBanned('192.0.2.41'), 'the lift in the watcher')
        assert.deepEqual(warnings, [])
      } finally {
        await shared!.close()
        book.close()
        await gateway.close()
      }
    })
  })
}
