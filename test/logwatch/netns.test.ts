// Real bans in the kernel, inside a network namespace of our own (unique name per run, deleted
// in after() whatever happens): the nftables and ipset actions, the restore of 10,000 bans in
// one nft run, and `sipwarden watch` end to end — a ban from a log line, an unban by another
// process through the shared SQLite store, and the restore after a restart.
// Needs root (as CI is) and nft, ip, ipset (scripts/install-deps.sh); skipped when not root.
import assert from 'node:assert/strict'
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { IpsetSink } from '../../src/logwatch/actions/ipset.js'
import { NftablesSink } from '../../src/logwatch/actions/nftables.js'
import { restoreBans, WATCH_SOURCE } from '../../src/logwatch/bans.js'
import type { BanDecision } from '../../src/logwatch/types.js'
import { createStore } from '../../src/state/store.js'
import { CLI } from './helpers.js'

const ROOT = process.getuid?.() === 0
const skip = ROOT ? false : 'needs root to create a network namespace'
const NS = `swlw-${process.pid}-${Date.now().toString(36)}`
const dir = mkdtempSync(join(tmpdir(), 'sipwarden-netns-'))
let created = false

function inNs(cmd: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', NS, cmd, ...args], { encoding: 'utf8', timeout: 30_000 })
}

const nftList = (table: string, set: string) => inNs('nft', 'list', 'set', 'inet', table, set)

async function waitFor(what: string, ok: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (ok()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  assert.fail(`timed out waiting for ${what}`)
}

const ban = (ip: string, ttlMs = 600_000): BanDecision => ({
  ip,
  time: Date.now(),
  rule: 'auth-failure',
  count: 5,
  ttlMs,
  until: Date.now() + ttlMs,
  kind: 'auth-failed',
  nth: 1,
})

before(() => {
  if (!ROOT) return
  execFileSync('ip', ['netns', 'add', NS])
  created = true
})

after(() => {
  if (created) execFileSync('ip', ['netns', 'del', NS])
  rmSync(dir, { recursive: true, force: true })
})

describe('nftables action in a network namespace', { skip }, () => {
  const nft = () =>
    new NftablesSink({
      nft: 'ip',
      prefix: ['netns', 'exec', NS, 'nft'],
      table: 'swtest',
      set4: 'ban4',
      set6: 'ban6',
      batchMs: 60_000,
      onError: (m) => assert.fail(m),
    })

  it('bans: the elements are in the sets with their timeouts; unban removes them', async () => {
    const s = nft()
    await s.setup()
    await s.setup() // idempotent
    s.ban(ban('192.0.2.77', 600_000))
    s.ban(ban('2001:db8::77', 90_000))
    await s.flush()
    const v4 = nftList('swtest', 'ban4')
    assert.match(v4, /192\.0\.2\.77 timeout 10m expires \d/, v4)
    assert.match(nftList('swtest', 'ban6'), /2001:db8::77 timeout 1m30s expires \d/)
    const chain = inNs('nft', 'list', 'chain', 'inet', 'swtest', 'input')
    assert.match(chain, /hook input priority filter - 10/, chain)
    assert.match(chain, /ip saddr @ban4 drop/)

    s.unban('192.0.2.77', 'unban')
    s.unban('203.0.113.200', 'unban') // not in the set: must not fail the batch
    await s.flush()
    assert.doesNotMatch(nftList('swtest', 'ban4'), /192\.0\.2\.77/)
    assert.match(nftList('swtest', 'ban6'), /2001:db8::77/)
  })

  it('restores 10,000 bans from the store in one nft run, with their remaining time', async (t) => {
    // banned 10 minutes ago for an hour: 50 minutes left
    const tenMinutesAgo = Date.now() - 600_000
    const store = createStore({
      adapter: 'sqlite',
      path: join(dir, 'restore.db'),
      sweepIntervalMs: 0,
      now: () => tenMinutesAgo,
    })
    store.banMany(
      Array.from({ length: 10_000 }, (_, i) => ({
        address: `10.${20 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
        ttlMs: 3_600_000,
        code: 'logwatch.auth-failure',
        source: WATCH_SOURCE,
      })),
    )
    const s = nft()
    await s.setup()
    const runs = s.runs
    const r = await restoreBans(store, s, Date.now)
    store.close()
    assert.equal(r.bans, 10_000)
    assert.equal(s.runs - runs, 1, 'one nft process for 10,000 bans')
    const list = nftList('swtest', 'ban4')
    t.diagnostic(`nft list set: ${list.length} bytes`)
    assert.equal((list.match(/ expires /g) ?? []).length, 10_000)
    // the remaining ~50 minutes (a loaded machine may start a second late: 49m59s)
    assert.match(list, /10\.20\.39\.15 timeout (?:50m|49m5\ds) expires 49m\d{1,2}s/, list.slice(0, 300))
    t.diagnostic(`restore of 10,000 bans: list ${r.listMs.toFixed(1)} ms, nft ${r.applyMs.toFixed(0)} ms`)
  })
})

describe('ipset action in a network namespace', { skip }, () => {
  it('creates the sets if missing; add with a timeout, a batch through ipset restore, del', async () => {
    const s = new IpsetSink({
      ipset: 'ip',
      prefix: ['netns', 'exec', NS, 'ipset'],
      set4: 'swt_v4',
      set6: 'swt_v6',
      batchMs: 60_000,
      onError: (m) => assert.fail(m),
    })
    await s.setup()
    await s.setup()
    s.ban(ban('192.0.2.88', 300_000))
    await s.flush()
    assert.match(inNs('ipset', 'list', 'swt_v4'), /192\.0\.2\.88 timeout (299|300)\b/)
    for (let i = 0; i < 500; i++) s.ban(ban(`10.1.${i >> 8}.${i & 255}`))
    s.ban(ban('2001:db8::88'))
    s.unban('192.0.2.88', 'unban')
    await s.flush()
    const v4 = inNs('ipset', 'list', 'swt_v4')
    assert.match(v4, /Number of entries: 500/)
    assert.doesNotMatch(v4, /192\.0\.2\.88/)
    assert.match(inNs('ipset', 'list', 'swt_v6'), /2001:db8::88 timeout/)
  })
})

describe('sipwarden watch in a network namespace', { skip }, () => {
  const log = join(dir, 'messages')
  const data = join(dir, 'data')
  let child: ChildProcess | null = null
  let stdout = ''
  let stderr = ''

  const line = (ip: string) => {
    const t = new Date().toISOString().replace('T', ' ').slice(0, 19)
    return `[${t}] NOTICE[1638] chan_sip.c: Registration from '<sip:301@pbx.example.com>' failed for '${ip.includes(':') ? `[${ip}]` : ip}:5060' - Wrong password\n`
  }

  async function start(): Promise<void> {
    stdout = ''
    stderr = ''
    const c = spawn(
      'ip',
      [
        'netns',
        'exec',
        NS,
        process.execPath,
        CLI,
        'watch',
        '--source',
        join(dir, 'messag*'),
        '--format',
        'asterisk',
        '--data-dir',
        data,
        '--nft-table',
        'swcli',
        '--json',
        '--poll-ms',
        '50',
      ],
      { env: { ...process.env, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    c.stdout.on('data', (b: Buffer) => {
      stdout += b.toString()
    })
    c.stderr.on('data', (b: Buffer) => {
      stderr += b.toString()
    })
    child = c
    await waitFor('the watcher to start', () => stderr.includes('"msg":"watching') || c.exitCode !== null)
    assert.equal(c.exitCode, null, stderr)
  }

  async function stop(): Promise<void> {
    const c = child
    if (c === null) return
    child = null
    if (c.exitCode !== null) return
    const exited = new Promise<void>((r) => c.once('exit', () => r()))
    c.kill('SIGTERM')
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }

  after(stop)

  it('a brute force in the log is banned in nftables, persisted, and published as an event', async () => {
    writeFileSync(log, '')
    await start()
    assert.match(stderr, /restored 0 active ban\(s\) to nftables/)
    for (let i = 0; i < 5; i++) appendFileSync(log, line('203.0.113.99'))
    await waitFor('the nft element', () => /203\.0\.113\.99 timeout/.test(nftList('swcli', 'banned_v4')))
    assert.match(nftList('swcli', 'banned_v4'), /203\.0\.113\.99 timeout 1h expires/)
    await waitFor('the decision on stdout', () => stdout.includes('203.0.113.99'))
    const d = JSON.parse(stdout.trim().split('\n')[0]!) as Record<string, unknown>
    assert.deepEqual(
      [d['ip'], d['rule'], d['count'], d['nth'], d['ttl']],
      ['203.0.113.99', 'auth-failure', 5, 1, 3600],
    )
    await waitFor('the event line', () => existsSync(join(data, 'events.jsonl')))
    await waitFor('the event line', () =>
      readFileSync(join(data, 'events.jsonl'), 'utf8').includes('203.0.113.99'),
    )
    const ev = JSON.parse(readFileSync(join(data, 'events.jsonl'), 'utf8').trim().split('\n')[0]!) as Record<
      string,
      unknown
    >
    assert.equal(ev['code'], 'logwatch.auth-failure')
    assert.equal(ev['action'], 'ban')
    assert.match(stderr, /"code":"logwatch\.auth-failure"/, 'the process log sink')
  })

  it('an unban by another process sharing the store removes the element', async () => {
    const other = createStore({ adapter: 'sqlite', path: join(data, 'sipwarden.db'), sweepIntervalMs: 0 })
    assert.ok(other.isBanned('203.0.113.99'), 'persisted by the watcher')
    assert.equal(other.getBan('203.0.113.99')!.source, WATCH_SOURCE)
    assert.ok(other.unban('203.0.113.99') !== undefined)
    other.close()
    await waitFor('the element to go', () => !/203\.0\.113\.99/.test(nftList('swcli', 'banned_v4')))
  })

  it('after a restart (table gone, as after a reboot) active bans are re-applied with their remaining time', async () => {
    for (let i = 0; i < 5; i++) appendFileSync(log, line('2001:db8::99'))
    await waitFor('the v6 element', () => /2001:db8::99 timeout/.test(nftList('swcli', 'banned_v6')))
    await stop()
    inNs('nft', 'delete', 'table', 'inet', 'swcli')
    // lines written while down are read after the restart, from the saved position
    appendFileSync(log, line('198.51.100.99'))
    await start()
    assert.match(stderr, /restored 1 active ban\(s\) to nftables/)
    // re-added with what is left of its hour (the restart takes about a second)
    assert.match(nftList('swcli', 'banned_v6'), /2001:db8::99 timeout (1h|59m\d+s) expires 59m/)
    assert.doesNotMatch(nftList('swcli', 'banned_v4'), /203\.0\.113\.99/, 'the lifted ban stays lifted')
    for (let i = 0; i < 4; i++) appendFileSync(log, line('198.51.100.99'))
    await waitFor('the ban counted across the restart', () =>
      /198\.51\.100\.99 timeout/.test(nftList('swcli', 'banned_v4')),
    )
    await stop()
  })

  it('a ban lifted while the watcher was down loses its kernel element at the next start', async () => {
    assert.match(nftList('swcli', 'banned_v4'), /198\.51\.100\.99 timeout/, 'left in the kernel while down')
    const other = createStore({ adapter: 'sqlite', path: join(data, 'sipwarden.db'), sweepIntervalMs: 0 })
    assert.ok(other.unban('198.51.100.99') !== undefined)
    other.close()
    // the store (shared with the gateway) is the authority: no active ban, no element
    await start()
    assert.doesNotMatch(nftList('swcli', 'banned_v4'), /198\.51\.100\.99/, 'the stale element is gone')
    assert.match(nftList('swcli', 'banned_v6'), /2001:db8::99 timeout/, 'an active ban stays')
    assert.match(stderr, /1 stale element\(s\) removed/)
    await stop()
  })
})
