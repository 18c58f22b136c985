// conntrack entries of a banned source are deleted: a real flow tracked by the kernel inside a
// network namespace of our own (deleted in after()), then ConntrackSink, then it is gone.
// Needs root and conntrack + ip (scripts/install-deps.sh); skipped otherwise.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { ConntrackSink } from '../../src/logwatch/actions/conntrack.js'
import type { BanDecision } from '../../src/logwatch/types.js'

const ROOT = process.getuid?.() === 0
const HAVE = ['/usr/sbin/conntrack', '/usr/bin/conntrack', '/sbin/conntrack'].some((p) => existsSync(p))
const skip = !ROOT ? 'needs root to create a network namespace' : !HAVE ? 'conntrack is not installed' : false
const NS = `swct-${process.pid}-${Date.now().toString(36)}`
let created = false

const inNs = (cmd: string, ...args: string[]): string =>
  execFileSync('ip', ['netns', 'exec', NS, cmd, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    stdio: 'pipe',
  })

/** flows from `src` in the namespace's table (conntrack prints them on stdout) */
function flowsFrom(src: string): number {
  try {
    return inNs('conntrack', '-L', '-s', src)
      .split('\n')
      .filter((l) => l.includes(`src=${src} `)).length
  } catch (err) {
    // exit 1 with nothing listed on some versions
    const out = String((err as { stdout?: unknown }).stdout ?? '')
    return out.split('\n').filter((l) => l.includes(`src=${src} `)).length
  }
}

/** one UDP datagram from `src` to 127.0.0.1:9 inside the namespace */
function send(src: string): void {
  inNs(
    process.execPath,
    '-e',
    `const s=require('node:dgram').createSocket('udp4');s.bind(0,'${src}',()=>s.send('x',9,'127.0.0.1',()=>s.close()))`,
  )
}

const ban = (ip: string): BanDecision => ({
  ip,
  time: Date.now(),
  rule: 'auth-failure',
  count: 5,
  ttlMs: 60_000,
  until: Date.now() + 60_000,
  kind: 'auth-failed',
  nth: 1,
})

before(() => {
  if (skip !== false) return
  execFileSync('ip', ['netns', 'add', NS])
  created = true
  inNs('ip', 'link', 'set', 'lo', 'up')
})

after(() => {
  if (created) execFileSync('ip', ['netns', 'del', NS])
})

describe('conntrack deletion on ban', { skip }, () => {
  it("deletes the banned source's flows and leaves the others", async () => {
    // a rule that needs connection tracking, so the namespace tracks flows
    execFileSync('ip', ['netns', 'exec', NS, 'nft', '-f', '-'], {
      input:
        'table inet swct {\n chain out {\n type filter hook output priority 0;\n ct state new counter accept\n }\n}\n',
    })
    send('127.0.0.5')
    send('127.0.0.6')
    assert.equal(flowsFrom('127.0.0.5'), 1, 'the flow is tracked')
    assert.equal(flowsFrom('127.0.0.6'), 1)
    const errors: string[] = []
    const sink = new ConntrackSink({
      conntrack: 'ip',
      prefix: ['netns', 'exec', NS, 'conntrack'],
      onError: (m) => errors.push(m),
    })
    sink.ban(ban('127.0.0.5'))
    sink.ban(ban('127.0.0.5')) // queued once
    sink.ban(ban('2001:db8::5')) // nothing to delete: exit 1 is not an error
    await sink.close()
    assert.deepEqual(errors, [])
    assert.equal(sink.runs, 2)
    assert.equal(flowsFrom('127.0.0.5'), 0, 'the banned source has no flow left')
    assert.equal(flowsFrom('127.0.0.6'), 1, 'other sources keep theirs')
  })

  it('a full queue skips and counts instead of queueing without bound', async () => {
    const started: string[] = []
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const sink = new ConntrackSink({
      maxQueue: 3,
      run: async (_f, args) => {
        started.push(args[args.length - 1]!)
        await gate
        return { code: 0, stderr: '' }
      },
    })
    for (let i = 1; i <= 10; i++) sink.ban(ban(`192.0.2.${i}`))
    release()
    await sink.close()
    // the first deletion starts at once, three wait, six are skipped
    assert.equal(sink.skipped, 6)
    assert.deepEqual(started, ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'])
  })
})
