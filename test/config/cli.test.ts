// `sipwarden check` and `sipwarden schema` as a user runs them: a child process, its exit code,
// what it prints.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const MAIN = join(ROOT, 'dist/src/cli/main.js')
const dir = mkdtempSync(join(tmpdir(), 'sipwarden-cli-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    input,
    env: { ...process.env, SIPWARDEN_DEBUG: '' },
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Asserts the exit code, showing stderr when it differs. */
function exits(r: { code: number | null; stderr: string }, code: number): void {
  assert.equal(r.code, code, `exit ${r.code}, stderr:\n${r.stderr}`)
}

function file(name: string, text: string): string {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}

describe('sipwarden check', () => {
  it('exits 0 and prints a summary for the example policy', () => {
    const r = run(['check', 'examples/sipwarden.yaml'])
    exits(r, 0)
    assert.match(r.stdout, /^examples\/sipwarden\.yaml: valid policy$/m)
    assert.match(
      r.stdout,
      /listen +udp:127\.0\.0\.1:5060, tcp:127\.0\.0\.1:5060, udp:\[::1\]:5060, tcp:\[::1\]:5060/,
    )
    assert.match(r.stdout, /upstream +udp:127\.0\.0\.1:5080/)
    assert.match(r.stdout, /2 tenants with 7 accounts, 1 trunk, 2 admin networks/)
    assert.match(r.stdout, /state +sqlite examples\/data\/sipwarden\.db/)
  })

  it('accepts --policy and stdin', () => {
    exits(run(['check', '--policy', 'examples/minimal.yaml']), 0)
    const r = run(['check', '-'], 'version: 1\nupstream: udp:127.0.0.1:5080\n')
    exits(r, 0)
    assert.match(r.stdout, /<stdin>: valid policy/)
  })

  it('exits 1 and prints every problem as file:line:col: path: message', () => {
    const p = file(
      'bad.yaml',
      'version: 1\nupstream: udp:127.0.0.1:5080\ngateway:\n  flood:\n    enabled: yes\nbans:\n  bantime: 1h\n',
    )
    const r = run(['check', p])
    exits(r, 1)
    const lines = r.stdout.trim().split('\n')
    assert.deepEqual(lines, [
      `${p}:5:14: gateway.flood.enabled: expected true or false, got a string "yes" (YAML 1.2 reads yes/no/on/off as strings: write true or false)`,
      `${p}:7:3: bans.bantime: "bantime" is not a sipwarden key: use "bans.defaultTtlMs" (fail2ban calls it bantime)`,
    ])
    assert.match(r.stderr, /invalid policy \(2 problems\)/)
  })

  it('exits 1 on a YAML syntax error, with its line', () => {
    const p = file('syntax.yaml', 'version: 1\nupstream: [udp:127.0.0.1:5080\n')
    const r = run(['check', p])
    exits(r, 1)
    assert.match(r.stdout, new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: YAML: `))
  })

  it('prints machine-readable results with --json', () => {
    const ok = run(['check', '--json', 'examples/minimal.yaml'])
    exits(ok, 0)
    const okJson = JSON.parse(ok.stdout)
    assert.equal(okJson.ok, true)
    assert.deepEqual(okJson.summary.listen, ['udp:0.0.0.0:5060', 'tcp:0.0.0.0:5060'])
    assert.equal(okJson.summary.state.adapter, 'sqlite')

    const p = file('bad2.yaml', 'version: 1\nupstream: udp:127.0.0.1:5080\nadminNetworks: [10.0.0.1/8]\n')
    const bad = run(['check', '--json', p])
    exits(bad, 1)
    const badJson = JSON.parse(bad.stdout)
    assert.equal(badJson.ok, false)
    assert.equal(badJson.code, 'SGW_ERR_POLICY_INVALID')
    assert.equal(badJson.problems.length, 1)
    assert.equal(badJson.problems[0].path, 'adminNetworks[0]')
    assert.equal(badJson.problems[0].line, 3)
    assert.equal(badJson.problems[0].column, 17)
  })

  it('exits 2 for a missing file, a directory, and no file at all', () => {
    const missing = run(['check', join(dir, 'nope.yaml')])
    exits(missing, 2)
    assert.match(missing.stderr, /cannot read policy file .*nope\.yaml: no such file/)
    exits(run(['check', dir]), 2)
    const none = run(['check'])
    exits(none, 2)
    assert.match(none.stderr, /no policy file given/)
    assert.match(none.stderr, /sipwarden check examples\/sipwarden\.yaml/)
    const json = run(['check', '--json', join(dir, 'nope.yaml')])
    exits(json, 2)
    assert.equal(JSON.parse(json.stdout).code, 'SGW_ERR_POLICY_READ')
  })

  it('prints the effective policy with secrets redacted', () => {
    const p = file(
      'secret.yaml',
      `version: 1\nupstream: udp:127.0.0.1:5080\napi: { token: "$\{env:TEST_API_TOKEN}" }\n`,
    )
    const r = spawnSync(process.execPath, [MAIN, 'check', '--effective', p], {
      encoding: 'utf8',
      env: { ...process.env, TEST_API_TOKEN: 'very-secret-value' },
    })
    assert.equal(r.status, 0, r.stderr)
    assert.ok(!r.stdout.includes('very-secret-value'))
    const eff = JSON.parse(r.stdout)
    assert.equal(eff.api.token, '<redacted>')
    assert.equal(eff.gateway.flood.register.burst, 400)
  })

  it('explains its usage with an example in --help', () => {
    const r = run(['check', '--help'])
    exits(r, 0)
    assert.match(r.stdout, /Usage: sipwarden check \[options\] \[policy\]/)
    assert.match(r.stdout, /sipwarden check examples\/sipwarden\.yaml/)
    assert.match(r.stdout, /Exit codes: 0 valid, 1 invalid, 2/)
  })
})

describe('sipwarden schema', () => {
  it('prints the committed JSON Schema', () => {
    const r = run(['schema'])
    exits(r, 0)
    assert.equal(r.stdout, readFileSync(join(ROOT, 'docs/sipwarden.schema.json'), 'utf8'))
    assert.equal(JSON.parse(r.stdout).title, 'sipwarden policy')
  })

  it('writes to --output and prints markdown with --format markdown', () => {
    const out = join(dir, 'schema.json')
    const written = run(['schema', '--output', out])
    exits(written, 0)
    assert.equal(readFileSync(out, 'utf8'), readFileSync(join(ROOT, 'docs/sipwarden.schema.json'), 'utf8'))
    const md = run(['schema', '--format', 'markdown'])
    exits(md, 0)
    assert.match(md.stdout, /^\| `bans\.defaultTtlMs` \| duration \| `1h` \|/m)
  })

  it('explains its usage with an example in --help', () => {
    const r = run(['schema', '--help'])
    exits(r, 0)
    assert.match(r.stdout, /sipwarden schema --output sipwarden\.schema\.json/)
  })
})
