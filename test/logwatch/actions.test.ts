// Ban actions build argument vectors (never shell strings); checked with a fake runner.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CommandSink, expandArgv } from '../../src/logwatch/actions/command.js'
import { NftablesSink } from '../../src/logwatch/actions/nftables.js'
import type { Runner } from '../../src/logwatch/actions/run.js'
import type { BanDecision } from '../../src/logwatch/types.js'

const ban = (ip: string, ttlMs = 3_600_000): BanDecision => ({
  ip,
  time: 0,
  rule: 'failed-auth',
  count: 5,
  ttlMs,
  until: ttlMs,
  kind: 'auth-failed',
  nth: 1,
})

function recorder(): { calls: [string, readonly string[]][]; run: Runner } {
  const calls: [string, readonly string[]][] = []
  const run: Runner = async (file, args) => {
    calls.push([file, args])
    return { code: 0, stderr: '' }
  }
  return { calls, run }
}

describe('nftables action', () => {
  it('sets up its own table, timeout sets and a chain before conntrack (priority -10)', async () => {
    const r = recorder()
    await new NftablesSink({ run: r.run }).setup()
    assert.ok(r.calls.every(([f]) => f === 'nft'))
    const flat = r.calls.map(([, a]) => a.join(' '))
    assert.ok(flat.includes('add set inet sipwarden banned4 { type ipv4_addr; flags timeout; }'))
    assert.ok(flat.includes('add set inet sipwarden banned6 { type ipv6_addr; flags timeout; }'))
    assert.ok(flat.some((c) => c.includes('hook input priority -10')))
    assert.ok(flat.includes('add rule inet sipwarden input ip6 saddr @banned6 drop'))
  })
  it('batches bans per family, 200 elements per nft run, each with its timeout', async () => {
    const r = recorder()
    const nft = new NftablesSink({ run: r.run, batchMs: 10_000 })
    for (let i = 0; i < 450; i++) nft.ban(ban(`10.0.${i >> 8}.${i & 255}`, 90_500))
    nft.ban(ban('2001:db8::1'))
    await nft.flush()
    assert.equal(r.calls.length, 4)
    const [file, args] = r.calls[0]!
    assert.equal(file, 'nft')
    assert.deepEqual(args.slice(0, 5), ['add', 'element', 'inet', 'sipwarden', 'banned4'])
    assert.match(args[5]!, /^\{ 10\.0\.0\.0 timeout 91s, /)
    assert.equal(args[5]!.split(',').length, 200)
    assert.deepEqual(r.calls[3]![1], [
      'add',
      'element',
      'inet',
      'sipwarden',
      'banned6',
      '{ 2001:db8::1 timeout 3600s }',
    ])
  })
  it('rejects table names that are not plain identifiers', () => {
    assert.throws(() => new NftablesSink({ table: 'x; flush ruleset' }), /invalid nftables name/)
  })
})

describe('command action', () => {
  it('expands placeholders into separate arguments, no shell', async () => {
    assert.deepEqual(
      expandArgv(['/bin/block', '--ip={ip}', '{ttl}', '{rule}', '{family}'], ban('2001:db8::2', 600_000)),
      ['/bin/block', '--ip=2001:db8::2', '600', 'failed-auth', '6'],
    )
    const r = recorder()
    const sink = new CommandSink({ argv: ['/bin/block', '{ip}'], run: r.run })
    sink.ban(ban('192.0.2.1'))
    sink.ban(ban('192.0.2.2'))
    await sink.flush()
    assert.deepEqual(r.calls, [
      ['/bin/block', ['192.0.2.1']],
      ['/bin/block', ['192.0.2.2']],
    ])
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
