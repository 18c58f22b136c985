// `sipwarden gateway` as a process: flags without a policy file, a clear error when the port is
// taken, graceful shutdown on SIGTERM.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createStore } from '../../src/state/store.js'
import { freePort, request, UdpPeer } from './helpers.js'

const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js')

function start(args: string[]) {
  const child = spawn(process.execPath, [MAIN, 'gateway', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString()
  })
  child.stderr.on('data', (b: Buffer) => {
    out += b.toString()
  })
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  return { child, exited, output: () => out }
}

async function waitForOutput(output: () => string, re: RegExp, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (re.test(output())) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

describe('sipwarden gateway (cli)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-gwcli-'))
  const children: ReturnType<typeof start>[] = []
  after(() => {
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('runs without a policy file from --listen/--upstream, relays, and stops cleanly on SIGTERM', async () => {
    const upstream = await new UdpPeer('127.0.0.2').bind()
    const phone = await new UdpPeer('127.0.0.1').bind()
    try {
      upstream.onMessage = (text, address, port) => {
        if (text.startsWith('OPTIONS'))
          upstream.send(text.replace(/^OPTIONS [^\r]*/, 'SIP/2.0 200 OK'), port, address)
      }
      const port = await freePort()
      const gw = start([
        '--listen',
        `udp:127.0.0.1:${port}`,
        '--upstream',
        `udp:127.0.0.2:${upstream.port}`,
        '--state',
        'sqlite',
        '--data-dir',
        dir,
      ])
      children.push(gw)
      assert.ok(await waitForOutput(gw.output, /gateway started/, 10_000), gw.output())
      phone.send(request('OPTIONS', { port: phone.port, callId: 'cli1@t' }), port)
      assert.ok(await upstream.waitFor((t) => t.includes('cli1@t'), 3000))
      // a scanner is banned; after SIGTERM the ban and its event are in the SQLite store and events.jsonl
      phone.send(request('OPTIONS', { port: phone.port, callId: 'cli2@t', ua: 'friendly-scanner' }), port)
      assert.ok(await waitForOutput(gw.output, /scanner\.user-agent/, 3000), gw.output())
      gw.child.kill('SIGTERM')
      assert.equal(await gw.exited, 0, gw.output())
      assert.match(gw.output(), /"msg":"stopped"/)
      const store = createStore({ adapter: 'sqlite', path: join(dir, 'sipwarden.db'), sweepIntervalMs: 0 })
      try {
        assert.equal(store.isBanned('127.0.0.1'), true)
        assert.equal(store.queryEvents({ code: 'scanner.user-agent' }).length, 1)
      } finally {
        store.close()
      }
      assert.match(readFileSync(join(dir, 'events.jsonl'), 'utf8'), /"code":"scanner.user-agent"/)
    } finally {
      await upstream.close()
      await phone.close()
    }
  })

  it('fails with a clear error when the port is in use', async () => {
    const taken = createSocket('udp4')
    await new Promise<void>((r) => taken.bind(0, '127.0.0.1', () => r()))
    try {
      const port = taken.address().port
      const gw = start([
        '--listen',
        `udp:127.0.0.1:${port}`,
        '--upstream',
        'udp:127.0.0.2:5080',
        '--state',
        'memory',
        '--data-dir',
        dir,
      ])
      children.push(gw)
      assert.equal(await gw.exited, 2)
      assert.match(
        gw.output(),
        /cannot listen on udp:127\.0\.0\.1:\d+: the port is already in use \[SGW_ERR_GATEWAY_LISTEN\]/,
      )
    } finally {
      taken.close()
    }
  })

  it('asks for --policy or --upstream', async () => {
    const gw = start(['--state', 'memory'])
    children.push(gw)
    assert.equal(await gw.exited, 2)
    assert.match(gw.output(), /give --policy FILE or at least --upstream/)
  })
})
