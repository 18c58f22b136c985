// The policy file's logwatch/bans/adminNetworks/state/events sections mapped onto the watcher,
// with the schema as the one source of defaults, and flags on top.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { loadPolicy } from '../../src/config/load.js'
import { PolicySchema } from '../../src/config/schema.js'
import { replayFormat, resolveWatchConfig } from '../../src/logwatch/config.js'
import { DEFAULT_DETECTOR_OPTIONS, LOOPBACK } from '../../src/logwatch/options.js'
import { CLI, FIXTURES } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'sipwarden-lwcfg-'))
after(() => rmSync(dir, { recursive: true, force: true }))

let n = 0
function policyFile(yaml: string): string {
  const path = join(dir, `p${++n}.yaml`)
  writeFileSync(path, `version: 1\nupstream: udp:127.0.0.1:5080\n${yaml}`)
  return path
}

const MIN = 60_000

describe('defaults come from the policy schema', () => {
  it("the detector's defaults are what an empty logwatch/bans section gives", () => {
    const lw = PolicySchema.in.shape.logwatch.parse(undefined)
    const bans = PolicySchema.in.shape.bans.parse(undefined)
    const d = DEFAULT_DETECTOR_OPTIONS
    const byName = new Map(d.rules.map((r) => [r.name, r]))
    assert.equal(byName.get('auth-failure')!.threshold, lw.rules.authFailure.maxEvents)
    assert.equal(byName.get('auth-failure')!.windowMs, lw.rules.authFailure.windowMs)
    assert.equal(byName.get('enumeration')!.threshold, lw.rules.enumeration.maxDistinctAccounts)
    assert.equal(byName.get('any-failure')!.windowMs, lw.rules.anyFailure.windowMs)
    assert.equal(byName.get('pbx-block')!.threshold, lw.rules.pbxBlock.maxEvents)
    for (const r of d.rules) assert.equal(r.banTtlMs, bans.defaultTtlMs, r.name)
    assert.equal(d.maxSources, lw.maxSources)
    assert.equal(d.maxBans, bans.maxEntries)
    assert.equal(d.repeatBanFactor, bans.escalation.factor)
    assert.equal(d.maxBanTtlMs, bans.maxTtlMs)
    assert.equal(d.offenceMemoryMs, bans.escalation.memoryMs)
    assert.deepEqual(d.allow, LOOPBACK)
    assert.deepEqual(
      d.rules.map((r) => r.name),
      [
        'enumeration',
        'auth-failure',
        'unknown-account',
        'acl-refused',
        'unknown-extension',
        'any-failure',
        'pbx-block',
      ],
    )
  })

  it('without a policy: sqlite under the default data dir, nftables with the bans.kernel names', () => {
    const c = resolveWatchConfig(null, { source: ['/var/log/asterisk/messages'], format: 'asterisk' })
    assert.deepEqual(c.state, { adapter: 'sqlite', path: '/var/lib/sipwarden/sipwarden.db' })
    assert.deepEqual(c.action, { type: 'nftables', table: 'sipwarden', set4: 'banned_v4', set6: 'banned_v6' })
    assert.equal(c.events.jsonl.path, '/var/lib/sipwarden/events.jsonl')
    assert.equal(c.positionsPath, '/var/lib/sipwarden/logwatch-positions.json')
    assert.deepEqual(c.sources, [{ path: '/var/log/asterisk/messages', format: 'asterisk' }])
  })
})

describe('watch --policy: the logwatch section mapped onto the detector', () => {
  const file = policyFile(`
site: { dataDir: ./data }
adminNetworks: [198.51.100.0/24]
trunks:
  - { name: prov, addresses: [203.0.113.0/28, sip.example.net] }
bans:
  defaultTtlMs: 2h
  maxTtlMs: 1d
  escalation: { factor: 3, memoryMs: 2d }
  maxEntries: 5000
  kernel: { table: swtest, setV4: b4, setV6: b6 }
state: { adapter: memory }
events: { jsonl: { enabled: false } }
logwatch:
  sources:
    - { path: logs/*.log, format: freeswitch }
    - { journald: asterisk.service, format: asterisk }
  ignoreNetworks: [2001:db8:77::/48]
  maxSources: 2000
  rules:
    authFailure: { maxEvents: 3, windowMs: 30s, banTtlMs: 10m }
    unknownExtension: { enabled: false }
    enumeration: { maxDistinctAccounts: 4 }
  action: { type: ipset, setV4: s4 }
`)
  const policy = loadPolicy(file)
  const c = resolveWatchConfig(policy, {})

  it('rules: thresholds, windows, ban times; disabled rules left out', () => {
    const byName = new Map(c.detector.rules.map((r) => [r.name, r]))
    assert.deepEqual(
      { ...byName.get('auth-failure')! },
      {
        name: 'auth-failure',
        kinds: ['auth-failed'],
        threshold: 3,
        windowMs: 30_000,
        distinctAccounts: false,
        banTtlMs: 10 * MIN,
      },
    )
    assert.equal(byName.get('enumeration')!.threshold, 4)
    assert.equal(byName.get('any-failure')!.banTtlMs, 2 * 60 * MIN, 'bans.defaultTtlMs')
    assert.equal(byName.has('unknown-extension'), false)
  })

  it('allow-list: loopback + adminNetworks + ignoreNetworks + trunk networks (host names skipped)', () => {
    assert.deepEqual([...c.detector.allow].sort(), [
      '127.0.0.0/8',
      '198.51.100.0/24',
      '2001:db8:77::/48',
      '203.0.113.0/28',
      '::1/128',
    ])
  })

  it('bounds and escalation from bans and logwatch', () => {
    assert.equal(c.detector.maxSources, 2000)
    assert.equal(c.detector.maxBans, 5000)
    assert.equal(c.detector.repeatBanFactor, 3)
    assert.equal(c.escalate, 3)
    assert.equal(c.detector.maxBanTtlMs, 24 * 60 * MIN)
    assert.equal(c.detector.offenceMemoryMs, 2 * 24 * 60 * MIN)
  })

  it('sources (relative paths resolved against the policy file), action, state, events', () => {
    assert.deepEqual(c.sources, [
      { path: join(dir, 'logs/*.log'), format: 'freeswitch' },
      { journald: 'asterisk.service', format: 'asterisk' },
    ])
    assert.deepEqual(c.action, { type: 'ipset', set4: 's4', set6: 'sipwarden_v6', maxElements: 5000 })
    assert.deepEqual(c.state, { adapter: 'memory' })
    assert.equal(c.positionsPath, null)
    assert.equal(c.events.jsonl.enabled, false)
  })

  it('flags override: sources, format, allow, action, state, data dir', () => {
    const f = resolveWatchConfig(policy, {
      source: ['/var/log/pbx/x.log'],
      format: 'asterisk',
      allow: ['192.0.2.0/24'],
      defaultAllow: false,
      action: 'nftables',
      nftTable: 'other',
      state: 'sqlite',
      dataDir: '/srv/sw',
    })
    assert.deepEqual(f.sources, [{ path: '/var/log/pbx/x.log', format: 'asterisk' }])
    assert.ok(f.detector.allow.includes('192.0.2.0/24'))
    assert.ok(!f.detector.allow.includes('127.0.0.0/8'))
    assert.ok(f.detector.allow.includes('198.51.100.0/24'), 'admin networks stay')
    assert.deepEqual(f.action, { type: 'nftables', table: 'other', set4: 'b4', set6: 'b6' })
    assert.deepEqual(f.state, { adapter: 'sqlite', path: '/srv/sw/sipwarden.db' })
    assert.equal(f.positionsPath, '/srv/sw/logwatch-positions.json')
    assert.equal(f.events.jsonl.path, '/srv/sw/events.jsonl')
    // --format alone re-formats the policy's sources
    assert.ok(resolveWatchConfig(policy, { format: 'yate' }).sources.every((s) => s.format === 'yate'))
  })

  it('escalation disabled → factor 1; the gateway action takes its token from the policy or the environment', () => {
    const p = loadPolicy(
      policyFile(`
bans: { escalation: { enabled: false } }
logwatch:
  action: { type: gateway, url: "http://127.0.0.1:9060" }
`),
    )
    const g = resolveWatchConfig(p, {}, { SIPWARDEN_GATEWAY_TOKEN: 'from-env' })
    assert.equal(g.escalate, 1)
    assert.deepEqual(g.action, { type: 'gateway', url: 'http://127.0.0.1:9060', token: 'from-env' })
  })

  it('usage errors: unknown action, redis state, a command without argv, bad placeholders, bad glob', () => {
    assert.throws(() => resolveWatchConfig(policy, { action: 'iptables' }), /unknown --action 'iptables'/)
    assert.throws(() => resolveWatchConfig(policy, { state: 'redis' }), /redis/)
    assert.throws(() => resolveWatchConfig(policy, { action: 'command' }), /needs --exec/)
    assert.throws(
      () => resolveWatchConfig(policy, { action: 'command', exec: '["/bin/x","{ttl}"]' }),
      /unknown placeholder\(s\) \{ttl\}/,
    )
    assert.throws(() => resolveWatchConfig(policy, { action: 'gateway' }), /--gateway-url/)
    assert.throws(
      () => resolveWatchConfig(null, { source: ['/var/log/[z-a].log'], format: 'asterisk' }),
      /invalid glob pattern/,
    )
  })

  it('replay format: --format, else the one format of the policy sources', () => {
    assert.throws(() => replayFormat(policy, undefined), /several formats/)
    assert.equal(replayFormat(policy, 'kamailio'), 'kamailio')
    assert.throws(() => replayFormat(null, undefined), /--format is required/)
  })
})

describe('watch --policy end to end (replay)', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, 'watch', ...args], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC' },
    })

  it("uses the policy's rules: authFailure maxEvents 3 bans at the third wrong password", () => {
    const strict = policyFile(`
logwatch:
  sources: [{ path: /var/log/asterisk/messages, format: asterisk }]
  rules: { authFailure: { maxEvents: 3, banTtlMs: 5m } }
`)
    const r = run('--policy', strict, '--replay', `${FIXTURES}replay-attack.log`, '--json')
    assert.equal(r.status, 0, r.stderr)
    const first = JSON.parse(r.stdout.trim().split('\n')[0]!) as Record<string, unknown>
    assert.deepEqual(
      [first['ip'], first['rule'], first['count'], first['ttl']],
      ['203.0.113.50', 'auth-failure', 3, 300],
    )
    assert.equal(first['time'], '2024-05-01T10:00:02.000Z')
  })

  it('the allow-list of the policy (adminNetworks) is honoured', () => {
    const allow = policyFile('adminNetworks: ["2001:db8::/32"]\n')
    const r = run(
      '--policy',
      allow,
      '--replay',
      `${FIXTURES}replay-attack.log`,
      '--format',
      'asterisk',
      '--json',
    )
    assert.equal(r.status, 0, r.stderr)
    assert.deepEqual(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { ip: string }).ip),
      ['203.0.113.50'],
    )
  })

  it('an invalid policy is refused with the same messages as `sipwarden check`', () => {
    const bad = policyFile('logwatch:\n  rules: { authFailure: { maxEvents: 5000 } }\n')
    const r = run('--policy', bad, '--replay', `${FIXTURES}replay-attack.log`, '--format', 'asterisk')
    assert.equal(r.status, 2)
    assert.match(r.stderr, /invalid policy/)
    assert.match(r.stderr, /logwatch\.rules\.authFailure\.maxEvents/)
    const check = spawnSync(process.execPath, [CLI, 'check', bad], { encoding: 'utf8' })
    assert.equal(check.status, 1)
    const line = check.stdout.split('\n').find((l) => l.includes('maxEvents'))!
    assert.ok(r.stderr.includes(line), `${line} not in ${r.stderr}`)
  })
})
