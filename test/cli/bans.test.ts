// `sipwarden bans list|add|remove` against a running `sipwarden gateway` process (admin API,
// token file written by the gateway) and against its SQLite state file once it has stopped;
// and the gateway's SIGHUP plan reload (an invalid policy is refused, a valid one swapped in).
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { freePort, request, UdpPeer } from '../gateway/helpers.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

async function freeTcpPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const a = s.address()
  const port = typeof a === 'object' && a !== null ? a.port : 0
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** `sipwarden bans …` as a process (killed after 20 s); independent calls run in parallel. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, 'bans', ...args], {
      env: { ...process.env, SIPWARDEN_API_TOKEN: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    c.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    c.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    const t = setTimeout(() => c.kill('SIGKILL'), 20_000)
    c.on('close', (code) => {
      clearTimeout(t)
      resolve({ code, stdout, stderr })
    })
  })
}

async function waitFor(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (ok()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  assert.fail(`timed out waiting for ${what}`)
}

describe('sipwarden bans (cli) and SIGHUP reload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-bans-'))
  const data = join(dir, 'data')
  const policyFile = join(dir, 'sipwarden.yaml')
  let gw: ChildProcess | null = null
  let output = ''
  let upstream: UdpPeer
  let phone: UdpPeer
  let port = 0
  let apiPort = 0

  const policy = (extra = ''): string =>
    [
      'version: 1',
      `site: { dataDir: ${JSON.stringify(data)} }`,
      `listen: [udp:127.0.0.1:${port}]`,
      `upstream: udp:127.0.0.2:${upstream.port}`,
      `api: { listen: 127.0.0.1:${apiPort} }`,
      'adminNetworks: [198.51.100.0/24]',
      // kernel ban sets are covered by test/gateway/netns.test.ts, inside a namespace
      'bans: { kernel: { enabled: false } }',
      extra,
      '',
    ].join('\n')

  before(async () => {
    upstream = await new UdpPeer('127.0.0.2').bind()
    upstream.onMessage = (text, address, p) => {
      if (text.startsWith('OPTIONS'))
        upstream.send(text.replace(/^OPTIONS [^\r]*/, 'SIP/2.0 200 OK'), p, address)
    }
    phone = await new UdpPeer('127.0.0.1').bind()
    port = await freePort()
    apiPort = await freeTcpPort()
    writeFileSync(policyFile, policy())
    const c = spawn(process.execPath, [CLI, 'gateway', '--policy', policyFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    c.stdout.on('data', (b: Buffer) => (output += b.toString()))
    c.stderr.on('data', (b: Buffer) => (output += b.toString()))
    gw = c
    await waitFor('the gateway and its API', () => /admin API listening/.test(output) || c.exitCode !== null)
    assert.equal(c.exitCode, null, output)
  })

  after(async () => {
    if (gw !== null && gw.exitCode === null) gw.kill('SIGKILL')
    await upstream?.close()
    await phone?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('the gateway wrote its API token to <dataDir>/api-token, mode 0600', () => {
    assert.equal(statSync(join(data, 'api-token')).mode & 0o777, 0o600)
    assert.match(output, /admin API token created/)
  })

  it('add, list (table and --json) and remove through the API of the running gateway', async () => {
    const add = await cli([
      'add',
      '203.0.113.9',
      '--ttl',
      '2h',
      '--reason',
      'cli test',
      '--policy',
      policyFile,
    ])
    assert.equal(add.code, 0, add.stderr)
    assert.match(add.stdout, /^banned 203\.0\.113\.9 until \d{4}-/)

    const [json, table] = await Promise.all([
      cli(['list', '--policy', policyFile, '--json']),
      cli(['list', '--policy', policyFile]),
    ])
    assert.equal(json.code, 0, json.stderr)
    const bans = JSON.parse(json.stdout) as {
      address: string
      source: string
      reason: string
      remainingMs: number
    }[]
    assert.equal(bans.length, 1)
    assert.equal(bans[0]!.address, '203.0.113.9')
    assert.equal(bans[0]!.source, 'api')
    assert.equal(bans[0]!.reason, 'cli test')
    assert.ok(bans[0]!.remainingMs > 7_000_000)
    assert.equal(table.code, 0)
    assert.match(
      table.stdout,
      /^ADDRESS +REMAINING +CODE +SOURCE +OFFENCES +REASON\n203\.0\.113\.9 +(2h|1h59m\d+s) +admin\.manual +api +1 +cli test\n$/,
    )

    const rm = await cli(['remove', '203.0.113.9', '--policy', policyFile])
    assert.equal(rm.code, 0, rm.stderr)
    assert.equal(rm.stdout, 'unbanned 203.0.113.9\n')
    const again = await cli(['remove', '203.0.113.9', '--policy', policyFile])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /203\.0\.113\.9 is not banned/)
  })

  it('token from SIPWARDEN_API_TOKEN or --token-file; clear errors for a bad token, address, API', async () => {
    const token = join(data, 'api-token')
    const api = `http://127.0.0.1:${apiPort}`
    const env = await cli(['add', '2001:db8::9', '--api', api], {
      SIPWARDEN_API_TOKEN: readFileSync(token, 'utf8').trim(),
    })
    assert.equal(env.code, 0, env.stderr)
    const wrongFile = join(dir, 'wrong-token')
    writeFileSync(wrongFile, 'not-the-token\n')
    const closed = await freeTcpPort()
    const [rm, wrong, bad, admin, down] = await Promise.all([
      cli(['remove', '2001:db8::9', '--api', api, '--token-file', token]),
      cli(['list', '--api', api, '--token-file', wrongFile]),
      cli(['add', '203.0.113.300', '--policy', policyFile]),
      cli(['add', '198.51.100.4', '--policy', policyFile]),
      cli(['list', '--api', `http://127.0.0.1:${closed}`, '--token-file', token]),
    ])
    assert.equal(rm.code, 0, rm.stderr)
    assert.equal(wrong.code, 1)
    assert.equal(wrong.stderr, `sipwarden bans list: admin API at ${api} refused the token\n`)
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /"203\.0\.113\.300" is not a valid IPv4 address/)
    assert.equal(admin.code, 1)
    assert.match(admin.stderr, /198\.51\.100\.4 is in adminNetworks/)
    assert.equal(down.code, 1)
    assert.match(down.stderr, /admin API at http:\/\/127\.0\.0\.1:\d+ unreachable: connection refused/)
    assert.doesNotMatch(down.stderr, /at .*\.js:\d+/, 'no stack trace')
  })

  it('SIGHUP: an invalid policy is refused and the running one stays; a valid one is swapped in', async () => {
    // before: this User-Agent is not a scanner
    phone.send(request('OPTIONS', { port: phone.port, callId: 'hup1@t', ua: 'h3probe-tool/1' }), port)
    assert.ok(await phone.waitFor((t) => t.includes('hup1@t') && t.startsWith('SIP/2.0 200'), 3000), output)

    writeFileSync(policyFile, policy('gateway: { flood: { nosuchkey: 1 } }'))
    gw!.kill('SIGHUP')
    await waitFor('the refusal', () => /reload refused/.test(output))
    assert.match(output, /reload refused, the running policy stays: .*nosuchkey/)
    phone.send(request('OPTIONS', { port: phone.port, callId: 'hup2@t', ua: 'h3probe-tool/1' }), port)
    assert.ok(
      await phone.waitFor((t) => t.includes('hup2@t') && t.startsWith('SIP/2.0 200'), 3000),
      'still relaying',
    )

    writeFileSync(
      policyFile,
      policy('gateway: { scanner: { extraUserAgents: [h3probe-tool] } }').replace(
        `127.0.0.1:${apiPort}`,
        `127.0.0.1:${apiPort + 1}`,
      ),
    )
    gw!.kill('SIGHUP')
    await waitFor('the reload', () => /policy reloaded/.test(output))
    assert.match(output, /changes to api take effect after a restart/)
    phone.send(request('OPTIONS', { port: phone.port, callId: 'hup3@t', ua: 'h3probe-tool/1' }), port)
    await waitFor('the scanner ban', () => /"code":"scanner\.user-agent"/.test(output))
    assert.equal(await phone.waitFor((t) => t.includes('hup3@t'), 500), null, 'not relayed')
    // the API still listens where it was started
    const res = await fetch(`http://127.0.0.1:${apiPort}/api/bans`, {
      headers: { authorization: `Bearer ${readFileSync(join(data, 'api-token'), 'utf8').trim()}` },
    })
    const { bans } = (await res.json()) as { bans: { address: string; code: string }[] }
    assert.deepEqual(
      bans.map((b) => [b.address, b.code]),
      [['127.0.0.1', 'scanner.user-agent']],
    )
  })

  it('with the gateway stopped: --store works on the SQLite state file', async () => {
    const c = gw!
    const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)))
    c.kill('SIGTERM')
    assert.equal(await exited, 0, output)

    const [down, add] = await Promise.all([
      cli(['list', '--policy', policyFile]),
      cli(['add', '192.0.2.44', '--ttl', '30m', '--store', '--policy', policyFile]),
    ])
    assert.equal(down.code, 1)
    assert.match(down.stderr, /connection refused \(is the gateway running\? without it, use --store\)/)
    assert.equal(add.code, 0, add.stderr)
    const list = await cli(['list', '--store', join(data, 'sipwarden.db'), '--json'])
    assert.equal(list.code, 0, list.stderr)
    const bans = JSON.parse(list.stdout) as { address: string; source: string }[]
    assert.deepEqual(bans.map((b) => [b.address, b.source]).sort(), [
      ['127.0.0.1', 'gateway'],
      ['192.0.2.44', 'cli'],
    ])
    const [rm, admin, missing] = await Promise.all([
      cli(['remove', '192.0.2.44', '--store', '--policy', policyFile]),
      cli(['add', '198.51.100.4', '--store', '--policy', policyFile]),
      cli(['list', '--store', join(dir, 'nope.db')]),
    ])
    assert.equal(rm.code, 0, rm.stderr)
    assert.equal(admin.code, 2)
    assert.match(admin.stderr, /198\.51\.100\.4 is in adminNetworks: admin addresses are never banned/)
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /no state file at .*nope\.db/)
  })
})
