// The firewall with real packets. Two network namespaces created here, joined by a veth
// pair: a "client" with an admin address and an outside address (IPv4 and IPv6), and a
// "host" where `sipwarden firewall apply` loads the ruleset and small listeners count what
// arrives. Addresses are private (10.200.0.0/24, fd00:200::/64) and exist only inside these
// namespaces; both are deleted in after(), whatever happened.
//
// Shown for nftables, and again for iptables: SIP from an allowed source passes, a REGISTER
// flood beyond the limit is dropped, SSH from outside is refused and from an admin accepted,
// the RTP range is open and ports beside it closed, IPv6 the same, a ban-set entry drops its
// source, scanner strings are dropped (iptables), rollback restores the previous ruleset
// (by the timer and by hand), confirm keeps the new one, and a ruleset that would cut the
// SSH session is refused.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { IpsetSink } from '../../src/logwatch/actions/ipset.js'
import { NftablesSink } from '../../src/logwatch/actions/nftables.js'
import { cli, exits, skipUnless } from './helpers.js'

const ID = `sgw-fw-${process.pid}`
const C = `${ID}-c`
const H = `${ID}-h`
const VETH_C = `sgwc${process.pid}`.slice(0, 15)
const VETH_H = `sgwh${process.pid}`.slice(0, 15)

const HOST4 = '10.200.0.1'
const ADMIN4 = '10.200.0.10'
const OUTSIDE4 = '10.200.0.20'
const HOST6 = 'fd00:200::1'
const ADMIN6 = 'fd00:200::10'
const OUTSIDE6 = 'fd00:200::20'

const REGISTER_PER_MINUTE = 10
const RTP_A = { min: 10000, max: 10100 }
const RTP_B = { min: 10100, max: 10200 }
const IN_A = 10050 // in A's range only
const IN_B = 10150 // in B's range only
const UDP_PORTS = [5060, IN_A, IN_B]
const TCP_PORTS = [22, 5060]

const LISTENER = `
import dgram from 'node:dgram'
import net from 'node:net'
const udp = ${JSON.stringify(UDP_PORTS)}, tcp = ${JSON.stringify(TCP_PORTS)}
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n')
const norm = (a) => a.replace(/^::ffff:/, '')
let pending = udp.length + tcp.length
const ready = () => { if (--pending === 0) say({ k: 'ready' }) }
for (const port of udp) {
  const s = dgram.createSocket({ type: 'udp6' })
  s.on('message', (m, r) => say({ k: 'udp', port, from: norm(r.address), line: m.toString('latin1').split('\\r\\n')[0] }))
  s.bind(port, '::', ready)
}
for (const port of tcp) {
  net.createServer((c) => { c.on('error', () => {}); say({ k: 'tcp', port, from: norm(c.remoteAddress ?? '') }); c.end('hello\\n') })
    .listen(port, '::', ready)
}
`

// The client agent: one JSON command per stdin line, one JSON answer per stdout line
// (starting node for every packet would cost a third of a second each).
const CLIENT = `
import dgram from 'node:dgram'
import net from 'node:net'
import readline from 'node:readline'
const answer = (o) => process.stdout.write(JSON.stringify(o) + '\\n')
function udp(a) {
  return new Promise((done) => {
    const s = dgram.createSocket(a.src.includes(':') ? 'udp6' : 'udp4')
    s.bind({ address: a.src, port: 0 }, async () => {
      for (const p of a.payloads) await new Promise((ok) => s.send(Buffer.from(p, 'latin1'), a.port, a.dst, ok))
      s.close()
      done({ sent: a.payloads.length })
    })
  })
}
function tcp(a) {
  return new Promise((done) => {
    const c = net.connect({ host: a.dst, port: a.port, localAddress: a.src })
    const end = (r) => { c.destroy(); done({ result: r }) }
    c.setTimeout(a.timeoutMs, () => end('timeout'))
    c.on('connect', () => end('connected'))
    c.on('error', (e) => end(e.code ?? String(e)))
  })
}
answer({ ready: true })
for await (const line of readline.createInterface({ input: process.stdin })) {
  const a = JSON.parse(line)
  answer(a.mode === 'udp' ? await udp(a) : await tcp(a))
}
`

interface Event {
  readonly k: string
  readonly port?: number
  readonly from?: string
  readonly line?: string
}

const skip = skipUnless('ip', 'nft', 'iptables-restore', 'ip6tables-restore', 'ipset', 'iptables-save')

describe('firewall with real packets in network namespaces', { skip, timeout: 120_000 }, () => {
  let dir = ''
  let policyA = ''
  let policyB = ''
  let listener: ChildProcess | undefined
  const events: Event[] = []

  function sh(args: readonly string[], ns?: string): string {
    const argv = ns !== undefined ? ['ip', 'netns', 'exec', ns, ...args] : [...args]
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 20_000 })
    assert.equal(r.status, 0, `${argv.join(' ')} failed: ${r.stderr}`)
    return r.stdout
  }

  function policy(name: string, rtp: { min: number; max: number }): string {
    const p = join(dir, `${name}.yaml`)
    writeFileSync(
      p,
      [
        'version: 1',
        'upstream: udp:127.0.0.1:5080',
        `site: { name: fwtest, dataDir: ${JSON.stringify(join(dir, 'data'))} }`,
        'listen: [udp:0.0.0.0:5060, tcp:0.0.0.0:5060, "udp:[::]:5060"]',
        `adminNetworks: [${ADMIN4}, "${ADMIN6}"]`,
        'firewall:',
        '  sshPort: 22',
        `  rtpPorts: { min: ${rtp.min}, max: ${rtp.max} }`,
        `  sipLimits: { registerPerMinute: ${REGISTER_PER_MINUTE}, invitePerMinute: ${REGISTER_PER_MINUTE}, packetsPerSecond: 1000 }`,
        '  rejectWith: reject',
        '  logPerMinute: 0',
        '',
      ].join('\n'),
    )
    return p
  }

  let agent: ChildProcess | undefined
  let answers: ((a: Record<string, unknown>) => void)[] = []
  function client(args: object): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      answers.push(resolve)
      agent!.stdin!.write(`${JSON.stringify(args)}\n`)
    })
  }

  /** Starts `script` in namespace `ns`; every stdout line (JSON) goes to `onLine`. */
  function startNode(ns: string, script: string, onLine: (o: never) => void): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, join(dir, script)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    let buf = ''
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString()
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        onLine(JSON.parse(buf.slice(0, i)) as never)
        buf = buf.slice(i + 1)
      }
    })
    return child
  }

  function sip(method: string, extra = ''): string {
    return `${method} sip:100@fwtest SIP/2.0\r\nVia: SIP/2.0/UDP client;branch=z9hG4bK1\r\nCall-ID: t\r\nCSeq: 1 ${method}\r\n${extra}Content-Length: 0\r\n\r\n`
  }

  /** Sends datagrams from `src`; returns how many the host's listener got. */
  async function udp(src: string, port: number, payloads: readonly string[]): Promise<number> {
    const mark = events.length
    await client({ mode: 'udp', src, dst: src.includes(':') ? HOST6 : HOST4, port, payloads })
    await delay(100)
    return events.slice(mark).filter((e) => e.k === 'udp' && e.port === port && e.from === src).length
  }

  async function tcp(src: string, port: number): Promise<string> {
    const r = await client({
      mode: 'tcp',
      src,
      dst: src.includes(':') ? HOST6 : HOST4,
      port,
      timeoutMs: 1500,
    })
    return String(r['result'])
  }

  function nftRuleset(): string {
    // -s: no counters, -t: no set contents (the meters fill as packets pass)
    return sh(['nft', '-s', '-t', 'list', 'ruleset'], H)
  }

  async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms
    while (!cond()) {
      assert.ok(Date.now() < end, `timed out waiting for ${what}`)
      await delay(100)
    }
  }

  const pendingFile = () => join(dir, 'data/firewall/pending.json')
  const rollbackLog = () => {
    const f = join(dir, 'data/firewall/rollback.log')
    return existsSync(f) ? readFileSync(f, 'utf8') : ''
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipwarden-fw-netns-'))
    writeFileSync(join(dir, 'listener.mjs'), LISTENER)
    writeFileSync(join(dir, 'client.mjs'), CLIENT)
    policyA = policy('a', RTP_A)
    policyB = policy('b', RTP_B)
    sh(['ip', 'netns', 'add', C])
    sh(['ip', 'netns', 'add', H])
    sh(['ip', 'link', 'add', VETH_C, 'netns', C, 'type', 'veth', 'peer', 'name', VETH_H, 'netns', H])
    for (const [ns, dev, addrs] of [
      [C, VETH_C, [`${ADMIN4}/24`, `${OUTSIDE4}/24`, `${ADMIN6}/64`, `${OUTSIDE6}/64`]],
      [H, VETH_H, [`${HOST4}/24`, `${HOST6}/64`]],
    ] as const) {
      for (const a of addrs)
        sh(
          a.includes(':')
            ? ['ip', '-6', 'addr', 'add', a, 'dev', dev, 'nodad']
            : ['ip', 'addr', 'add', a, 'dev', dev],
          ns,
        )
      sh(['ip', 'link', 'set', dev, 'up'], ns)
      sh(['ip', 'link', 'set', 'lo', 'up'], ns)
    }
    listener = startNode(H, 'listener.mjs', (e: Event) => events.push(e))
    let agentReady = false
    agent = startNode(C, 'client.mjs', (a: Record<string, unknown>) => {
      if (a['ready'] === true) agentReady = true
      else answers.shift()?.(a)
    })
    await waitFor(() => agentReady, 10_000, 'the client agent')
    await waitFor(() => events.some((e) => e.k === 'ready'), 10_000, 'the listeners')
    // before any firewall everything gets through (the test itself works); IPv6 needs a
    // moment after the link comes up
    for (const src of [OUTSIDE4, OUTSIDE6, ADMIN4, ADMIN6]) {
      let got = 0
      for (let i = 0; i < 30 && got === 0; i++) got = await udp(src, IN_B, ['x'])
      assert.ok(got > 0, `no packet from ${src} arrives even without a firewall`)
    }
  })

  after(() => {
    // a rollback process still waiting (a failed test) is ours: end it by its pid
    try {
      const p = JSON.parse(readFileSync(pendingFile(), 'utf8')) as { pid?: number }
      if (p.pid !== undefined) process.kill(p.pid)
    } catch {
      // no rollback pending, or it already ended
    }
    for (const child of [listener, agent]) if (child?.pid !== undefined) child.kill()
    answers = []
    for (const ns of [C, H]) spawnSync('ip', ['netns', 'del', ns])
    if (dir !== '') rmSync(dir, { recursive: true, force: true })
  })

  const sshFrom = (client: string, host: string) => ({
    env: { SSH_CONNECTION: `${client} 50000 ${host} 22` },
  })

  describe('nftables', () => {
    it('apply refuses a ruleset that would cut the SSH session, and changes nothing', () => {
      const before = nftRuleset()
      const r = cli(['firewall', 'apply', '--policy', policyA], { netns: H, ...sshFrom(OUTSIDE4, HOST4) })
      exits(r, 1)
      assert.match(
        r.stderr,
        /refusing to apply: your SSH session from 10\.200\.0\.20 to port 22 would be cut/,
      )
      assert.equal(nftRuleset(), before)
    })

    it('apply loads the ruleset for an admin session; confirm keeps it', async () => {
      const r = cli(['firewall', 'apply', '--policy', policyA], { netns: H, ...sshFrom(ADMIN4, HOST4) })
      exits(r, 0)
      assert.match(r.stdout, /your SSH session from 10\.200\.0\.10 stays reachable/)
      assert.match(r.stdout, /confirm within 60 s/)
      assert.ok(existsSync(pendingFile()))
      assert.match(nftRuleset(), /table inet sipwarden_fw \{/)
      exits(cli(['firewall', 'confirm', '--policy', policyA], { netns: H }), 0)
      assert.ok(!existsSync(pendingFile()))
      await waitFor(
        () => /confirmed: nothing to do/.test(rollbackLog()),
        5000,
        'the rollback process to stand down',
      )
      exits(cli(['firewall', 'confirm', '--policy', policyA], { netns: H }), 1)
    })

    it('SIP from an allowed source passes (IPv4, IPv6, UDP and TCP)', async () => {
      assert.equal(await udp(OUTSIDE4, 5060, [sip('OPTIONS')]), 1)
      assert.equal(await udp(OUTSIDE6, 5060, [sip('OPTIONS')]), 1)
      assert.equal(await tcp(OUTSIDE4, 5060), 'connected')
    })

    it('a REGISTER flood beyond the limit is dropped; INVITE has its own count (IPv4, IPv6)', async () => {
      const flood = Array.from({ length: 40 }, () => sip('REGISTER'))
      for (const src of [OUTSIDE4, OUTSIDE6]) {
        const got = await udp(src, 5060, flood)
        assert.ok(
          got >= REGISTER_PER_MINUTE && got <= REGISTER_PER_MINUTE + 1,
          `${src}: ${got} of 40 REGISTERs passed`,
        )
        assert.equal(await udp(src, 5060, [sip('INVITE')]), 1)
        assert.equal(await udp(src, 5060, [sip('REGISTER')]), 0)
      }
      // admins are not limited
      assert.equal(await udp(ADMIN4, 5060, flood), 40)
    })

    it('SSH: refused from outside, accepted from an admin (IPv4, IPv6)', async () => {
      assert.equal(await tcp(OUTSIDE4, 22), 'ECONNREFUSED')
      assert.equal(await tcp(ADMIN4, 22), 'connected')
      assert.equal(await tcp(OUTSIDE6, 22), 'ECONNREFUSED')
      assert.equal(await tcp(ADMIN6, 22), 'connected')
    })

    it('the RTP range is open, a port beside it closed (IPv4, IPv6)', async () => {
      assert.equal(await udp(OUTSIDE4, IN_A, ['rtp']), 1)
      assert.equal(await udp(OUTSIDE4, IN_B, ['rtp']), 0)
      assert.equal(await udp(OUTSIDE6, IN_A, ['rtp']), 1)
      assert.equal(await udp(OUTSIDE6, IN_B, ['rtp']), 0)
    })

    it('an entry in the ban set drops its source (IPv4, IPv6), others still pass', async () => {
      sh(['nft', 'add', 'element', 'inet', 'sipwarden', 'banned_v4', `{ ${OUTSIDE4} timeout 60s }`], H)
      sh(['nft', 'add', 'element', 'inet', 'sipwarden', 'banned_v6', `{ ${OUTSIDE6} timeout 60s }`], H)
      assert.equal(await udp(OUTSIDE4, 5060, [sip('OPTIONS')]), 0)
      assert.equal(await udp(OUTSIDE6, 5060, [sip('OPTIONS')]), 0)
      assert.equal(await udp(OUTSIDE4, IN_A, ['rtp']), 0)
      assert.equal(await udp(ADMIN4, 5060, [sip('OPTIONS')]), 1)
      sh(['nft', 'delete', 'element', 'inet', 'sipwarden', 'banned_v4', `{ ${OUTSIDE4} }`], H)
      sh(['nft', 'delete', 'element', 'inet', 'sipwarden', 'banned_v6', `{ ${OUTSIDE6} }`], H)
      assert.equal(await udp(OUTSIDE4, 5060, [sip('OPTIONS')]), 1)
    })

    it("the log watcher's nftables action agrees: same table, sets and chain", async () => {
      const before = nftRuleset()
      const sink = new NftablesSink({
        nft: 'ip',
        prefix: ['netns', 'exec', H, 'nft'],
        table: 'sipwarden',
        set4: 'banned_v4',
        set6: 'banned_v6',
      })
      await sink.setup()
      assert.equal(nftRuleset(), before)
    })

    it('a re-apply keeps the bans in the set', () => {
      sh(['nft', 'add', 'element', 'inet', 'sipwarden', 'banned_v4', '{ 10.200.0.99 timeout 60s }'], H)
      exits(cli(['firewall', 'apply', '--policy', policyA, '--no-rollback'], { netns: H }), 0)
      assert.match(sh(['nft', 'list', 'set', 'inet', 'sipwarden', 'banned_v4'], H), /10\.200\.0\.99/)
      sh(['nft', 'delete', 'element', 'inet', 'sipwarden', 'banned_v4', '{ 10.200.0.99 }'], H)
    })

    it('without confirm, the timer restores the previous ruleset', async () => {
      const previous = nftRuleset()
      const r = cli(['firewall', 'apply', '--policy', policyB, '--timeout', '5s'], { netns: H })
      exits(r, 0)
      assert.notEqual(nftRuleset(), previous)
      assert.equal(await udp(OUTSIDE4, IN_B, ['rtp']), 1)
      assert.equal(await udp(OUTSIDE4, IN_A, ['rtp']), 0)
      // another apply must wait for the pending one
      const again = cli(['firewall', 'apply', '--policy', policyA], { netns: H })
      exits(again, 1)
      assert.match(again.stderr, /still waits for confirmation/)
      await waitFor(() => !existsSync(pendingFile()), 15_000, 'the automatic rollback')
      await waitFor(() => /not confirmed in 5 s: restored/.test(rollbackLog()), 5000, 'the rollback log')
      assert.equal(nftRuleset(), previous)
      assert.equal(await udp(OUTSIDE4, IN_A, ['rtp']), 1)
      assert.equal(await udp(OUTSIDE4, IN_B, ['rtp']), 0)
    })

    it('rollback by hand restores the previous ruleset', async () => {
      const previous = nftRuleset()
      exits(cli(['firewall', 'apply', '--policy', policyB, '--no-rollback'], { netns: H }), 0)
      assert.equal(await udp(OUTSIDE4, IN_B, ['rtp']), 1)
      const r = cli(['firewall', 'rollback', '--policy', policyB], { netns: H })
      exits(r, 0)
      assert.match(r.stdout, /restored the nftables ruleset saved at/)
      assert.equal(nftRuleset(), previous)
      assert.equal(await udp(OUTSIDE4, IN_B, ['rtp']), 0)
    })

    it('sysctl --apply sets the kernel settings (in this namespace)', () => {
      const r = cli(['firewall', 'sysctl', '--policy', policyA, '--apply'], { netns: H })
      exits(r, 0)
      assert.match(r.stdout, /^net\.ipv4\.conf\.all\.rp_filter = 1 /m)
      assert.equal(sh(['cat', '/proc/sys/net/ipv4/conf/all/rp_filter'], H).trim(), '1')
      assert.equal(sh(['cat', '/proc/sys/net/ipv4/conf/all/log_martians'], H).trim(), '1')
    })
  })

  describe('iptables', () => {
    const filter = (family: 4 | 6) =>
      sh([family === 4 ? 'iptables-save' : 'ip6tables-save', '-t', 'filter'], H)
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .map((l) => l.replace(/\[\d+:\d+\]/, '[0:0]'))
        .join('\n')

    before(() => {
      // start from a host without the nftables tables of the tests above
      sh(['nft', 'delete', 'table', 'inet', 'sipwarden_fw'], H)
      sh(['nft', 'delete', 'table', 'inet', 'sipwarden'], H)
    })

    it('apply --format iptables loads the rulesets and the ban ipsets', () => {
      const r = cli(['firewall', 'apply', '--policy', policyA, '--format', 'iptables', '--no-rollback'], {
        netns: H,
        ...sshFrom(ADMIN6, HOST6),
      })
      exits(r, 0)
      assert.match(filter(4), /-A INPUT -m set --match-set sipwarden_v4 src -j DROP/)
      assert.match(filter(6), /-A INPUT -m set --match-set sipwarden_v6 src -j DROP/)
      assert.match(sh(['ipset', 'list', '-n'], H), /sipwarden_v4\nsipwarden_v6/)
    })

    it('SIP passes; scanner strings are dropped in the kernel (IPv4, IPv6)', async () => {
      for (const src of [OUTSIDE4, OUTSIDE6]) {
        assert.equal(await udp(src, 5060, [sip('OPTIONS', 'User-Agent: test-phone\r\n')]), 1)
        assert.equal(await udp(src, 5060, [sip('OPTIONS', 'User-Agent: Friendly-Scanner\r\n')]), 0)
        assert.equal(await udp(src, 5060, [sip('OPTIONS', 'User-Agent: sipvicious 0.3\r\n')]), 0)
      }
    })

    it('a REGISTER flood beyond the limit is dropped (IPv4, IPv6)', async () => {
      const flood = Array.from({ length: 40 }, () => sip('REGISTER'))
      for (const src of [OUTSIDE4, OUTSIDE6]) {
        const got = await udp(src, 5060, flood)
        assert.ok(
          got >= REGISTER_PER_MINUTE && got <= REGISTER_PER_MINUTE + 1,
          `${src}: ${got} of 40 REGISTERs passed`,
        )
        assert.equal(await udp(src, 5060, [sip('INVITE')]), 1)
      }
    })

    it('SSH refused from outside, accepted from admins; RTP range open, beside it closed', async () => {
      assert.equal(await tcp(OUTSIDE4, 22), 'ECONNREFUSED')
      assert.equal(await tcp(ADMIN4, 22), 'connected')
      assert.equal(await tcp(OUTSIDE6, 22), 'ECONNREFUSED')
      assert.equal(await tcp(ADMIN6, 22), 'connected')
      assert.equal(await udp(OUTSIDE4, IN_A, ['rtp']), 1)
      assert.equal(await udp(OUTSIDE4, IN_B, ['rtp']), 0)
      assert.equal(await udp(OUTSIDE6, IN_A, ['rtp']), 1)
      assert.equal(await udp(OUTSIDE6, IN_B, ['rtp']), 0)
    })

    it("the log watcher's ipset action agrees: it creates the same sets", async () => {
      const sink = new IpsetSink({
        ipset: 'ip',
        prefix: ['netns', 'exec', H, 'ipset'],
        set4: 'sipwarden_v4',
        set6: 'sipwarden_v6',
        maxElements: 100_000,
      })
      await sink.setup()
    })

    it('an entry in the ban ipset drops its source', async () => {
      sh(['ipset', 'add', 'sipwarden_v4', OUTSIDE4, 'timeout', '60'], H)
      sh(['ipset', 'add', 'sipwarden_v6', OUTSIDE6, 'timeout', '60'], H)
      assert.equal(await udp(OUTSIDE4, 5060, [sip('OPTIONS')]), 0)
      assert.equal(await udp(OUTSIDE6, 5060, [sip('OPTIONS')]), 0)
      sh(['ipset', 'del', 'sipwarden_v4', OUTSIDE4], H)
      sh(['ipset', 'del', 'sipwarden_v6', OUTSIDE6], H)
      assert.equal(await udp(OUTSIDE4, 5060, [sip('OPTIONS')]), 1)
    })

    it('rollback restores the previous filter tables', async () => {
      const [v4, v6] = [filter(4), filter(6)]
      exits(
        cli(['firewall', 'apply', '--policy', policyB, '--format', 'iptables', '--no-rollback'], {
          netns: H,
        }),
        0,
      )
      assert.notEqual(filter(4), v4)
      assert.equal(await udp(OUTSIDE4, IN_B, ['rtp']), 1)
      exits(cli(['firewall', 'rollback', '--policy', policyB], { netns: H }), 0)
      assert.equal(filter(4), v4)
      assert.equal(filter(6), v6)
      assert.equal(await udp(OUTSIDE4, IN_B, ['rtp']), 0)
    })
  })
})
