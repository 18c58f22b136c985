// End to end: `sipwarden watch --policy` follows a PBX log, bans a brute-forcing source, and
// the ban arrives as an alert at the policy's webhook (a local receiver started here).
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'sgw-alerts-watch-'))

async function waitFor(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
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

describe('watch --policy with an alerting webhook', () => {
  const got: Record<string, unknown>[] = []
  let server: Server
  let child: ChildProcess | null = null
  let stderr = ''

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        got.push(JSON.parse(Buffer.concat(chunks).toString('utf8')))
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  })

  after(async () => {
    if (child !== null) child.kill('SIGKILL')
    await new Promise<void>((r) => server.close(() => r()))
    rmSync(dir, { recursive: true, force: true })
  })

  it('a ban of the watcher reaches the webhook once, repeats are folded into a digest on stop', async () => {
    const port = (server.address() as AddressInfo).port
    const policy = join(dir, 'sipwarden.yaml')
    const log = join(dir, 'pbx.log')
    writeFileSync(log, '')
    writeFileSync(
      policy,
      `version: 1
upstream: udp:127.0.0.1:5080
site: { name: watch-e2e, dataDir: ./data }
events: { logLevel: info }
logwatch:
  sources: [{ path: ./pbx.log, format: asterisk }]
  rules: { unknownAccount: { maxEvents: 3 } }
alerting:
  webhooks: [{ name: ops, url: "http://127.0.0.1:${port}/hook" }]
  rateLimit: { maxAlertsPerWindow: 1, windowMs: 1h }
`,
    )
    const c = spawn(
      process.execPath,
      [CLI, 'watch', '--policy', policy, '--action', 'none', '--poll-ms', '50', '--rescan-ms', '100'],
      { env: { ...process.env, TZ: 'UTC' }, stdio: ['ignore', 'ignore', 'pipe'] },
    )
    child = c
    c.stderr!.on('data', (b: Buffer) => {
      stderr += b.toString()
    })
    await waitFor('the watcher to start', () => stderr.includes('"msg":"watching') || c.exitCode !== null)
    assert.equal(c.exitCode, null, stderr)
    for (const u of ['100', '101', '102']) appendFileSync(log, line('203.0.113.71', u))
    await waitFor('the alert', () => got.length >= 1)
    // a second source banned: over the rate limit (1 per hour), held back for the digest
    for (const u of ['100', '101', '102']) appendFileSync(log, line('203.0.113.72', u))
    await new Promise((r) => setTimeout(r, 500))
    const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)))
    c.kill('SIGTERM')
    assert.equal(await exited, 0, stderr)
    child = null
    assert.equal(got[0]!['type'], 'alert')
    assert.equal(got[0]!['site'], 'watch-e2e')
    const e = got[0]!['event'] as { action: string; address: string; code: string }
    assert.equal(e.action, 'ban')
    assert.equal(e.address, '203.0.113.71')
    assert.equal(e.code, 'logwatch.unknown-account')
    assert.equal(got.length, 2, JSON.stringify(got))
    assert.equal(got[1]!['type'], 'digest')
    assert.equal((got[1]!['digest'] as { rateLimited: number }).rateLimited, 1)
    assert.doesNotMatch(stderr, /alert delivery failed/)
  })
})
