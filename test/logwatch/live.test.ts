// `sipwarden watch --policy` live, without root: the policy's gateway action against a local
// HTTP server on 127.0.0.1, bans persisted in SQLite and re-sent after a restart, a glob
// source picking up a file created after start.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createStore } from '../../src/state/store.js'
import { CLI } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'sipwarden-live-'))

async function waitFor(what: string, ok: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (ok()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  assert.fail(`timed out waiting for ${what}`)
}

const line = (ip: string, user: string) => {
  const t = new Date().toISOString().replace('T', ' ').slice(0, 19)
  return `[${t}] NOTICE[1638] chan_sip.c: Registration from '<sip:${user}@pbx.example.com>' failed for '${ip}:5060' - No matching peer found\n`
}

describe('watch --policy, live, gateway action', () => {
  const posts: { address: string; ttlMs: number; reason: string; auth: string | undefined }[] = []
  let server: Server
  let child: ChildProcess | null = null
  let stderr = ''
  let policy = ''

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/api/bans')
          posts.push({ ...JSON.parse(Buffer.concat(chunks).toString()), auth: req.headers.authorization })
        res.writeHead(201).end()
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    policy = join(dir, 'sipwarden.yaml')
    writeFileSync(
      policy,
      `version: 1
upstream: udp:127.0.0.1:5080
site: { dataDir: ./data }
events: { logLevel: info }
logwatch:
  sources: [{ path: ./logs/pbx-*.log, format: asterisk }]
  rules: { unknownAccount: { maxEvents: 3 } }
  action: { type: gateway, url: "http://127.0.0.1:${port}", token: "\${env:GW_TOKEN}" }
`,
    )
  })

  async function start(): Promise<void> {
    stderr = ''
    const c = spawn(
      process.execPath,
      [CLI, 'watch', '--policy', policy, '--poll-ms', '50', '--rescan-ms', '100'],
      {
        env: { ...process.env, TZ: 'UTC', GW_TOKEN: 'tok-123' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
    c.stderr.on('data', (b: Buffer) => {
      stderr += b.toString()
    })
    child = c
    await waitFor('the watcher to start', () => stderr.includes('"msg":"watching') || c.exitCode !== null)
    assert.equal(c.exitCode, null, stderr)
  }

  async function stop(): Promise<void> {
    const c = child
    child = null
    if (c === null || c.exitCode !== null) return
    const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)))
    c.kill('SIGTERM')
    assert.equal(await exited, 0, stderr)
  }

  after(async () => {
    if (child !== null) child.kill('SIGKILL')
    await new Promise<void>((r) => server.close(() => r()))
    rmSync(dir, { recursive: true, force: true })
  })

  it('a log file created after start (glob) is followed; the ban is POSTed with the token and stored', async () => {
    mkdirSync(join(dir, 'logs'))
    await start()
    const log = join(dir, 'logs', 'pbx-1.log')
    writeFileSync(log, '')
    for (const u of ['100', '101', '102']) appendFileSync(log, line('203.0.113.61', u))
    await waitFor('the POST', () => posts.length === 1)
    assert.deepEqual(posts[0], {
      address: '203.0.113.61',
      ttlMs: 3_600_000,
      reason: 'logwatch.unknown-account: 3 unknown-account event(s)',
      auth: 'Bearer tok-123',
    })
    // two failures from another source, one short of a ban, before the restart
    for (const u of ['200', '201']) appendFileSync(log, line('203.0.113.62', u))
    await new Promise((r) => setTimeout(r, 300))
    await stop()
    const store = createStore({
      adapter: 'sqlite',
      path: join(dir, 'data', 'sipwarden.db'),
      sweepIntervalMs: 0,
    })
    const rec = store.getBan('203.0.113.61')
    store.close()
    assert.equal(rec?.code, 'logwatch.unknown-account')
  })

  it('after a restart the active ban is sent again (restore), and no line is counted twice', async () => {
    await start()
    assert.match(stderr, /restored 1 active ban\(s\) to gateway/)
    await waitFor('the restore POST', () => posts.length === 2)
    assert.equal(posts[1]!.address, '203.0.113.61')
    assert.ok(posts[1]!.ttlMs <= 3_600_000 && posts[1]!.ttlMs > 3_500_000, String(posts[1]!.ttlMs))
    // a third failure of 203.0.113.62: a ban only if the two before the restart were read again
    appendFileSync(join(dir, 'logs', 'pbx-1.log'), line('203.0.113.62', '202'))
    await new Promise((r) => setTimeout(r, 500))
    assert.equal(posts.length, 2)
    await stop()
  })
})
