// Kernel ban sets for real: a SIP peer in a network namespace of our own (veth to the host,
// 10.200.x.0/30) talks to an in-process gateway on the host side. Once banned, its packets are
// dropped by the kernel set — they reach the host (a probe counter sees them) but never the
// gateway's socket (its `received` counter does not move; the in-process ban check counts a
// packet before dropping it). After the unban they are relayed again. The table has a unique
// name; it, the namespace and the veth pair are deleted in after() whatever happens.
// Needs root, nft and ip; skipped otherwise.
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { pino } from 'pino'
import { KernelBans, parseSetElements } from '../../src/firewall/kernel-bans.js'
import { createMemoryStore } from '../../src/state/memory.js'
import { answer, have, startGateway, type TestGateway, UdpPeer } from './helpers.js'

const ROOT = process.getuid?.() === 0
const skip = !ROOT
  ? 'needs root to create a network namespace and nftables sets'
  : !have('nft') || !have('ip')
    ? 'needs nft and ip (scripts/install-deps.sh)'
    : false
const ID = process.pid % 100_000
const NS = `swgw-${ID}-${Date.now().toString(36)}`
const VETH_HOST = `swg${ID}h`
const VETH_NS = `swg${ID}n`
const NET = 1 + (process.pid % 250)
const HOST_IP = `10.200.${NET}.1`
const PEER_IP = `10.200.${NET}.2`
const TABLE = `swgwtest${ID}`
let created = false

function run(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: 30_000 })
}

function quiet(cmd: string, ...args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 30_000 })
  } catch {
    // already gone
  }
}

const setList = (set: string) => run('nft', 'list', 'set', 'inet', TABLE, set)

async function waitFor(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (ok()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  assert.fail(`timed out waiting for ${what}`)
}

/** Sends `count` OPTIONS from inside the namespace; resolves with the Call-IDs answered 200. */
function peerSends(tag: string, gwPort: number, count: number): Promise<string[]> {
  const script = `
const s = require('node:dgram').createSocket('udp4')
const got = new Set()
s.on('message', (b) => {
  const t = b.toString('latin1')
  const m = /Call-ID: (\\S+)/i.exec(t)
  if (t.startsWith('SIP/2.0 200') && m) got.add(m[1])
})
s.bind(0, '${PEER_IP}', () => {
  const p = s.address().port
  let i = 0
  const send = () => {
    const id = '${tag}-' + i + '@netns'
    const msg = ['OPTIONS sip:ping@${HOST_IP} SIP/2.0',
      'Via: SIP/2.0/UDP ${PEER_IP}:' + p + ';branch=z9hG4bK${tag}x' + i + ';rport',
      'Max-Forwards: 70', 'From: <sip:peer@${PEER_IP}>;tag=${tag}' + i, 'To: <sip:ping@${HOST_IP}>',
      'Call-ID: ' + id, 'CSeq: 1 OPTIONS', 'User-Agent: netns-peer/1', 'Content-Length: 0', '', ''].join('\\r\\n')
    s.send(msg, ${gwPort}, '${HOST_IP}')
    if (++i < ${count}) setTimeout(send, 50)
    else setTimeout(() => { console.log(JSON.stringify([...got])); s.close() }, 1000)
  }
  send()
})`
  return new Promise((resolve, reject) => {
    const c = spawn('ip', ['netns', 'exec', NS, process.execPath, '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    c.stdout.on('data', (b: Buffer) => (out += b.toString()))
    c.stderr.on('data', (b: Buffer) => (out += b.toString()))
    const t = setTimeout(() => c.kill('SIGKILL'), 15_000)
    c.on('close', (code) => {
      clearTimeout(t)
      if (code !== 0) reject(new Error(`peer exited ${code}: ${out}`))
      else resolve(JSON.parse(out.trim()) as string[])
    })
  })
}

before(() => {
  if (skip !== false) return
  run('ip', 'netns', 'add', NS)
  created = true
  run('ip', 'link', 'add', VETH_HOST, 'type', 'veth', 'peer', 'name', VETH_NS)
  run('ip', 'link', 'set', VETH_NS, 'netns', NS)
  run('ip', 'addr', 'add', `${HOST_IP}/30`, 'dev', VETH_HOST)
  run('ip', 'link', 'set', VETH_HOST, 'up')
  run('ip', 'netns', 'exec', NS, 'ip', 'addr', 'add', `${PEER_IP}/30`, 'dev', VETH_NS)
  run('ip', 'netns', 'exec', NS, 'ip', 'link', 'set', VETH_NS, 'up')
  run('ip', 'netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up')
})

after(() => {
  quiet('nft', 'delete', 'table', 'inet', TABLE)
  if (created) {
    quiet('ip', 'link', 'del', VETH_HOST)
    quiet('ip', 'netns', 'del', NS)
  }
})

describe('kernel ban sets (network namespace peer)', { skip }, () => {
  let tg: TestGateway
  let upstream: UdpPeer
  let kernel: KernelBans

  before(async () => {
    upstream = await new UdpPeer('127.0.0.2').bind()
    upstream.onMessage = (text, address, port) => {
      if (text.startsWith('OPTIONS')) upstream.send(answer(text, 200, 'OK'), port, address)
    }
    tg = await startGateway({
      host: HOST_IP,
      upstream: `udp:127.0.0.2:${upstream.port}`,
      policy: { bans: { kernel: { table: TABLE } } },
    })
  })

  after(async () => {
    await kernel?.stop()
    await tg?.stop()
    await upstream?.close()
  })

  it('at start: the sets are created, active bans loaded with their remaining time, stale elements removed', async () => {
    // the table as `sipwarden firewall` or the log watcher may have left it, with a stale element
    execFileSync('nft', ['-f', '-'], {
      input: [
        `add table inet ${TABLE}`,
        `add set inet ${TABLE} banned_v4 { type ipv4_addr; flags timeout; }`,
        `add set inet ${TABLE} banned_v6 { type ipv6_addr; flags timeout; }`,
        `add element inet ${TABLE} banned_v4 { 192.0.2.201 timeout 1h }`,
        '',
      ].join('\n'),
    })
    // bans made while the mirror was not running; loopback is never mirrored
    tg.store.ban({ address: '192.0.2.200', ttlMs: 1_800_000, code: 'test.before', source: 'test' })
    tg.store.ban({ address: '2001:db8::200', ttlMs: 600_000, code: 'test.before', source: 'test' })
    tg.store.ban({ address: '127.0.0.9', ttlMs: 600_000, code: 'test.before', source: 'test' })
    kernel = new KernelBans({
      store: tg.store,
      table: TABLE,
      set4: 'banned_v4',
      set6: 'banned_v6',
      logger: pino({ level: 'silent' }),
      exempt: (a) => tg.gw.isTrusted(a),
      batchMs: 20,
    })
    const r = await kernel.start()
    assert.deepEqual(r, { added: 2, removed: 1 })
    const v4 = setList('banned_v4')
    assert.match(v4, /192\.0\.2\.200 timeout (30m|29m5\ds) expires/, v4)
    assert.doesNotMatch(v4, /192\.0\.2\.201/, 'stale element removed')
    assert.doesNotMatch(v4, /127\.0\.0\.9/, 'loopback never in the kernel set')
    assert.match(setList('banned_v6'), /2001:db8::200 timeout (10m|9m5\ds) expires/)
    const chain = run('nft', 'list', 'chain', 'inet', TABLE, 'input')
    assert.match(chain, /hook input priority filter - 10/)
    assert.match(chain, /ip saddr @banned_v4 drop/)
    assert.match(chain, /ip6 saddr @banned_v6 drop/)
    assert.deepEqual(parseSetElements(run('nft', '-j', 'list', 'set', 'inet', TABLE, 'banned_v4')), [
      '192.0.2.200',
    ])
  })

  it('a banned peer is dropped by the kernel (never reaches the gateway); after the unban it is relayed again', async () => {
    const answered = await peerSends('a', tg.port, 3)
    assert.equal(answered.length, 3, 'relayed before the ban')
    // a probe counter before the ban chain: proves the banned packets do reach the host
    execFileSync('nft', ['-f', '-'], {
      input: [
        `add chain inet ${TABLE} probe { type filter hook input priority -20; policy accept; }`,
        `add rule inet ${TABLE} probe ip saddr ${PEER_IP} udp dport ${tg.port} counter`,
        '',
      ].join('\n'),
    })
    const probe = (): number =>
      Number(/counter packets (\d+)/.exec(run('nft', 'list', 'chain', 'inet', TABLE, 'probe'))?.[1] ?? NaN)

    tg.store.ban({ address: PEER_IP, ttlMs: 600_000, code: 'test.kernel', source: 'test' })
    await waitFor('the kernel element', () => setList('banned_v4').includes(PEER_IP))
    assert.match(setList('banned_v4'), new RegExp(`${PEER_IP.replace(/\./g, '\\.')} timeout (10m|9m5\\ds)`))
    const received = tg.gw.stats.received
    const before = probe()
    assert.deepEqual(await peerSends('b', tg.port, 5), [], 'no answer while banned')
    assert.equal(probe() - before, 5, 'the five packets reached the host')
    assert.equal(tg.gw.stats.received, received, 'and none reached the gateway: dropped in the kernel')

    // extend: the element's timeout follows the store
    tg.store.ban({ address: PEER_IP, ttlMs: 3_600_000, code: 'test.kernel', source: 'test' })
    await waitFor('the longer timeout', () => /timeout (1h|59m\d+s)/.test(setList('banned_v4')))

    tg.store.unban(PEER_IP)
    await waitFor('the element to go', () => !setList('banned_v4').includes(PEER_IP))
    const again = await peerSends('c', tg.port, 3)
    assert.equal(again.length, 3, 'relayed again after the unban')
    assert.ok(tg.gw.stats.received >= received + 3)
  })

  it('without the privilege (nft fails): one warning, no mirror, the in-process check still holds', async () => {
    const warnings: string[] = []
    const logger = { warn: (_o: unknown, m: string) => warnings.push(m), info: () => {}, error: () => {} }
    const k = new KernelBans({
      store: tg.store,
      table: TABLE,
      set4: 'banned_v4',
      set6: 'banned_v6',
      logger: logger as never,
      run: () =>
        Promise.resolve({ code: 1, stderr: 'Error: Could not process rule: Operation not permitted' }),
    })
    assert.equal(await k.start(), null)
    assert.equal(k.active, false)
    assert.equal(warnings.length, 1)
    assert.match(warnings[0]!, /kernel ban sets disabled .*Operation not permitted.*in process only/)
    tg.store.ban({ address: '192.0.2.99', ttlMs: 60_000, code: 'test.noperm', source: 'test' })
    assert.equal(tg.store.isBanned('192.0.2.99'), true)
    await k.stop()
  })
})

describe('kernel ban mirror with a recording nft (no privilege needed)', () => {
  it('sync, ban, extend, unban and eviction become ordered nft scripts; loopback and exempt are skipped', async () => {
    let now = 1_000_000
    const store = createMemoryStore({ sweepIntervalMs: 0, now: () => now })
    const scripts: string[] = []
    const calls: string[][] = []
    const k = new KernelBans({
      store,
      table: 'sw',
      set4: 'b4',
      set6: 'b6',
      logger: pino({ level: 'silent' }),
      exempt: (a) => a === '198.51.100.1',
      now: () => now,
      batchMs: 60_000,
      run: (_file, args, opts) => {
        calls.push([...args])
        if (opts?.input !== undefined) scripts.push(opts.input)
        const listed = args.includes('b4')
          ? '{"nftables":[{"metainfo":{}},{"set":{"name":"b4","elem":[{"elem":{"val":"192.0.2.9","timeout":60,"expires":30}},{"elem":{"val":"192.0.2.1","timeout":60,"expires":30}}]}}]}'
          : '{"nftables":[{"set":{"name":"b6"}}]}'
        return Promise.resolve({ code: 0, stderr: '', stdout: args.includes('-j') ? listed : '' })
      },
    })
    store.ban({ address: '192.0.2.1', ttlMs: 120_000, code: 'x.y', source: 'test' })
    store.ban({ address: '127.0.0.1', ttlMs: 120_000, code: 'x.y', source: 'test' })
    store.ban({ address: '198.51.100.1', ttlMs: 120_000, code: 'x.y', source: 'test' })
    assert.deepEqual(await k.start(), { added: 1, removed: 1 })
    assert.match(scripts[0]!, /^add table inet sw\n/)
    assert.equal(
      scripts[1],
      [
        'add element inet sw b4 { 192.0.2.1 timeout 1s }',
        'delete element inet sw b4 { 192.0.2.1 }',
        'add element inet sw b4 { 192.0.2.1 timeout 120s }',
        'add element inet sw b4 { 192.0.2.9 timeout 1s }',
        'delete element inet sw b4 { 192.0.2.9 }',
        '',
      ].join('\n'),
    )
    now += 10_000
    store.ban({ address: '2001:db8::5', ttlMs: 60_000, code: 'x.y', source: 'test' })
    store.ban({ address: '2001:db8::5', ttlMs: 600_000, code: 'x.y', source: 'test' }) // extend
    store.ban({ address: '127.0.0.2', ttlMs: 60_000, code: 'x.y', source: 'test' })
    store.unban('192.0.2.1')
    await k.flush()
    assert.equal(
      scripts[2],
      [
        'add element inet sw b6 { 2001:db8::5 timeout 60s }',
        'add element inet sw b6 { 2001:db8::5 timeout 1s }',
        'delete element inet sw b6 { 2001:db8::5 }',
        'add element inet sw b6 { 2001:db8::5 timeout 600s }',
        'add element inet sw b4 { 192.0.2.1 timeout 1s }',
        'delete element inet sw b4 { 192.0.2.1 }',
        '',
      ].join('\n'),
    )
    assert.equal(k.mirrored, 3)
    await k.stop()
    store.ban({ address: '192.0.2.77', ttlMs: 60_000, code: 'x.y', source: 'test' })
    await k.flush()
    assert.equal(scripts.length, 3, 'nothing mirrored after stop')
    store.close()
  })
})
