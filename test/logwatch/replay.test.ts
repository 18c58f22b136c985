// `sipwarden watch --replay` end to end, through the real CLI.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { CLI, FIXTURES } from './helpers.js'

function watch(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'watch', ...args], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' },
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('watch --replay', () => {
  it('prints one JSON ban decision per line and a JSON summary on stderr', () => {
    const r = watch('--replay', `${FIXTURES}replay-attack.log`, '--format', 'asterisk', '--json')
    assert.equal(r.code, 0, r.stderr)
    const bans = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    // 203.0.113.50: 6 wrong passwords in 6 s; 2001:db8::bad: 5 unknown accounts, distinct, with a
    // victim address injected in the display name; 198.51.100.1 (3 failures) and loopback: none
    assert.deepEqual(
      bans.map((b) => [b['ip'], b['rule'], b['count'], b['time']]),
      [
        ['203.0.113.50', 'auth-failure', 5, '2024-05-01T10:00:04.000Z'],
        ['2001:db8::bad', 'enumeration', 5, '2024-05-01T10:01:04.000Z'],
      ],
    )
    for (const b of bans) {
      assert.equal(b['ttl'], 3600)
      assert.equal(typeof b['until'], 'string')
      assert.equal(b['kind'] === 'auth-failed' || b['kind'] === 'unknown-account', true)
    }
    const summary = (JSON.parse(r.stderr.trim().split('\n').pop()!) as { summary: Record<string, number> })
      .summary
    assert.equal(summary['lines'], 16)
    assert.equal(summary['events'], 15)
    assert.equal(summary['bans'], 2)
    assert.equal(summary['allowListed'], 1)
    assert.equal(summary['whileBanned'], 1)
    assert.ok(summary['linesPerSecond']! > 0)
  })

  it('prints text without --json, and a text summary', () => {
    const r = watch('--replay', `${FIXTURES}replay-attack.log`, '--format', 'asterisk')
    assert.equal(r.code, 0, r.stderr)
    assert.match(
      r.stdout,
      /^2024-05-01T10:00:04\.000Z ban 203\.0\.113\.50 rule=auth-failure count=5 kind=auth-failed ttl=3600s$/m,
    )
    assert.match(r.stderr, /replay: 16 lines in [\d.]+ s \(\d+ lines\/s\), 15 matched events, 2 bans/)
  })

  it('--allow keeps a network from being banned', () => {
    const r = watch(
      '--replay',
      `${FIXTURES}replay-attack.log`,
      '--format',
      'asterisk',
      '--json',
      '--allow',
      '2001:db8::/32',
    )
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim().split('\n').length, 1)
  })

  it('usage errors exit 2 with a message', () => {
    const missing = watch('--replay', `${FIXTURES}does-not-exist.log`, '--format', 'asterisk')
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /cannot read .*does-not-exist\.log.*SGW_ERR_LOGWATCH_SOURCE/)
    const fmt = watch('--replay', `${FIXTURES}replay-attack.log`, '--format', 'opensips')
    assert.equal(fmt.code, 2)
    assert.match(fmt.stderr, /unknown --format 'opensips'/)
    assert.equal(watch('--format', 'asterisk').code, 2)
  })

  it('other formats replay too', () => {
    const r = watch('--replay', `${FIXTURES}kamailio.log`, '--format', 'kamailio', '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout.trim()).ip, '10.10.10.10')
  })
})
