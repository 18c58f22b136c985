import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fixture, ROOT, tempConfig } from './helpers.js'

const MAIN = join(ROOT, 'dist/src/cli/main.js')

function run(...args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' })
}

describe('sipwarden audit (CLI)', () => {
  it('exit 1 and a text report when findings reach --fail-on (default high)', () => {
    const r = run('audit', fixture('asterisk-insecure'))
    assert.equal(r.status, 1)
    assert.match(r.stdout, /CRITICAL \(\d+\)/)
    assert.match(r.stdout, /hardening index: +\d+/)
    assert.match(r.stdout, /at sip\.conf:3: autocreatepeer = yes/)
  })

  it('exit 0 for the hardened configuration and with --fail-on none', () => {
    assert.equal(run('audit', fixture('asterisk-hardened')).status, 0)
    assert.equal(run('audit', '--fail-on', 'none', fixture('asterisk-insecure')).status, 0)
  })

  it('exit 2 with a one-line message for a missing directory, never a stack trace', () => {
    const r = run('audit', '/nonexistent/sipwarden-test')
    assert.equal(r.status, 2)
    assert.equal(r.stderr.trim().split('\n').length, 1)
    assert.match(r.stderr, /no such directory/)
    assert.doesNotMatch(r.stderr, /\s+at /)
  })

  it('exit 2 when the PBX cannot be detected and for bad options', () => {
    const empty = tempConfig({ 'README.txt': 'nothing here' })
    assert.equal(run('audit', empty).status, 2)
    assert.equal(run('audit', '--format', 'pdf', fixture('asterisk-hardened')).status, 2)
    assert.equal(run('audit', '--fail-on', 'severe', fixture('asterisk-hardened')).status, 2)
  })

  it('--format html writes one self-contained page; the exit code still follows --fail-on', () => {
    const r = run('audit', '--format', 'html', fixture('asterisk-insecure'))
    assert.equal(r.status, 1)
    assert.match(r.stdout, /^<!DOCTYPE html>/)
    assert.match(r.stdout, /<code>ast\.sip\.autocreatepeer<\/code>/)
    assert.match(r.stdout, /<\/html>\n$/)
  })

  it('--host adds the host checks to the report', () => {
    const r = run('audit', '--host', '--fail-on', 'none', '--format', 'json', fixture('asterisk-hardened'))
    assert.equal(r.status, 0, r.stderr)
    const a = JSON.parse(r.stdout).audits[0]
    assert.equal(a.hostChecks, true)
    const ids = a.checks.map((c: { id: string }) => c.id)
    for (const id of [
      'ast.files.secrets-readable',
      'ast.files.config-writable',
      'ast.files.owned-by-runtime',
      'ast.host.runs-as-root',
      'ast.host.mgmt-port-public',
    ])
      assert.ok(ids.includes(id), id)
  })

  it('--pbx, json and sarif formats', () => {
    const j = run('audit', '--pbx', 'yate', '--format', 'json', fixture('yate-insecure'))
    assert.equal(j.status, 1)
    const parsed = JSON.parse(j.stdout)
    assert.equal(parsed.audits[0].pbx, 'yate')
    const s = run('audit', '--format', 'sarif', fixture('freeswitch-vanilla'))
    assert.equal(JSON.parse(s.stdout).version, '2.1.0')
  })

  it('--ignore accepts findings with a reason; --fail-on critical then passes', () => {
    const ign = tempConfig({
      'ignore.txt':
        '# accepted\nyate.rm.no-password@rmanager.conf:8 lab box, firewalled\nyate.ext.tcp-listener-public test rig\nyate.reg.empty-password x\nyate.reg.autocreate x\nyate.sip.registrar-noauth x\nyate.rr.no-auth-gate x\n',
    })
    const r = run(
      'audit',
      '--fail-on',
      'critical',
      '--ignore',
      join(ign, 'ignore.txt'),
      fixture('yate-insecure'),
    )
    assert.equal(r.status, 0, r.stdout)
    assert.match(r.stdout, /accepted \(ignore file\): 6/)
    const bad = tempConfig({ 'ignore.txt': 'yate.rm.no-password\n' })
    assert.equal(run('audit', '--ignore', join(bad, 'ignore.txt'), fixture('yate-insecure')).status, 2)
  })
})
