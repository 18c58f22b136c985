import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { keysAt } from '../../src/config/issues.js'
import { buildJsonSchema } from '../../src/config/json-schema.js'
import { formatPolicyIssues, loadPolicy, parsePolicy } from '../../src/config/load.js'
import { redactPolicy } from '../../src/config/redact.js'
import { findRenamedKey, RENAMED_KEYS } from '../../src/config/renamed.js'
import { DEFAULT_SCANNER_USER_AGENTS, type Policy } from '../../src/config/schema.js'
import { ErrorCodes, PolicyError, type PolicyIssue } from '../../src/errors.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const MINIMAL = 'version: 1\nupstream: udp:127.0.0.1:5080\n'

function parse(text: string, env: Record<string, string> = {}): Policy {
  return parsePolicy(text, 'test.yaml', { baseDir: '/srv/policy', env })
}

/** The PolicyError thrown for `text`; fails the test when it parses. */
function errorOf(text: string, env: Record<string, string> = {}): PolicyError {
  try {
    parse(text, env)
  } catch (err) {
    assert.ok(err instanceof PolicyError, String(err))
    return err
  }
  assert.fail('expected the policy to be rejected')
}

function issueAt(err: PolicyError, path: string): PolicyIssue {
  const found = err.issues.find((i) => i.path === path)
  assert.ok(found, `no issue at ${path}; got:\n${err.message}`)
  return found
}

describe('minimal policy and defaults', () => {
  const p = parse(MINIMAL)

  it('needs only version and upstream', () => {
    assert.equal(p.version, 1)
    assert.deepEqual(p.upstream, {
      transport: 'udp',
      host: '127.0.0.1',
      port: 5080,
      transactionTimeoutMs: 32_000,
      connectTimeoutMs: 5000,
      retryAfterMs: 30_000,
      healthCheckIntervalMs: 30_000,
    })
  })

  it('fills secure defaults everywhere', () => {
    assert.deepEqual(p.listen, [
      { transport: 'udp', address: '0.0.0.0', port: 5060 },
      { transport: 'tcp', address: '0.0.0.0', port: 5060 },
    ])
    assert.deepEqual(p.api.listen, { address: '127.0.0.1', port: 9060 })
    assert.equal(p.gateway.ingress.maxMessageBytes, 16_384)
    assert.deepEqual(p.gateway.scanner.userAgents, [...DEFAULT_SCANNER_USER_AGENTS])
    assert.ok(p.gateway.scanner.userAgents.includes('friendly-scanner'))
    assert.equal(p.gateway.scanner.fingerprints, true)
    assert.deepEqual(p.gateway.flood.register, {
      windowMs: 60_000,
      maxRequestsPerWindow: 1200,
      burst: 400,
      action: 'drop',
    })
    assert.equal(p.gateway.authGuard.perSource.maxFailures, 20)
    assert.equal(p.gateway.methods.allow.includes('INVITE'), true)
    assert.equal(p.bans.defaultTtlMs, 3_600_000)
    assert.equal(p.bans.maxTtlMs, 604_800_000)
    assert.deepEqual(p.fraud.defaults.callingRights.allow, [
      'emergency',
      'internal',
      'toll-free',
      'fixed',
      'mobile',
    ])
    assert.equal(p.fraud.defaults.limits.concurrentCalls, 4)
    assert.equal(p.fraud.defaults.limits.international.callsPerHour, 10)
    assert.equal(p.fraud.defaults.limits.maxCallDurationMs, 4 * 3_600_000)
    assert.equal(p.fraud.defaults.limits.spend.perDay, null)
    assert.deepEqual(p.logwatch.action, { type: 'nftables' })
    assert.equal(p.firewall.sshPort, 22)
    assert.deepEqual(p.firewall.rtpPorts, { min: 10000, max: 20000 })
    assert.equal(p.state.adapter, 'sqlite')
  })

  it('derives file paths from site.dataDir', () => {
    assert.equal(p.site.dataDir, '/var/lib/sipwarden')
    assert.equal(p.state.path, '/var/lib/sipwarden/sipwarden.db')
    assert.equal(p.events.jsonl.path, '/var/lib/sipwarden/events.jsonl')
  })

  it('treats an empty key as unset', () => {
    const q = parse(`${MINIMAL}gateway:\nbans:\n  defaultTtlMs:\n`)
    assert.equal(q.bans.defaultTtlMs, 3_600_000)
    assert.equal(q.gateway.flood.enabled, true)
  })
})

describe('values and normalisation', () => {
  it('parses durations and sizes with units', () => {
    const p = parse(
      `${MINIMAL}bans:\n  defaultTtlMs: 90m\n  maxTtlMs: 2w\ngateway:\n  ingress:\n    maxMessageBytes: 8KiB\n  flood:\n    invite: { windowMs: 1m30s, burst: 5 }\n`,
    )
    assert.equal(p.bans.defaultTtlMs, 5_400_000)
    assert.equal(p.bans.maxTtlMs, 1_209_600_000)
    assert.equal(p.gateway.ingress.maxMessageBytes, 8192)
    assert.equal(p.gateway.flood.invite.windowMs, 90_000)
    assert.equal(p.gateway.flood.invite.burst, 5)
    assert.equal(p.gateway.flood.invite.maxRequestsPerWindow, 600)
  })

  it('accepts plain milliseconds too', () => {
    assert.equal(parse(`${MINIMAL}bans: { defaultTtlMs: 120000 }\n`).bans.defaultTtlMs, 120_000)
  })

  it('keeps dialling prefixes and numbers that YAML would read as numbers', () => {
    const p = parse(`${MINIMAL}tenants:
  - name: office
    country: de
    numbering: { nationalPrefix: 0, internationalPrefixes: [00, 011], outsideLinePrefix: 9 }
    accounts:
      - name: 1001
      - name: 0815
trunks:
  - name: carrier
    addresses: [192.0.2.10]
    tenant: office
    dids: [+4930123456, "+4930999*"]
`)
    const t = p.tenants[0]!
    assert.equal(t.country, 'DE')
    assert.equal(t.numbering.nationalPrefix, '0')
    assert.deepEqual(t.numbering.internationalPrefixes, ['00', '011'])
    assert.equal(t.numbering.outsideLinePrefix, '9')
    assert.deepEqual(
      t.accounts.map((a) => a.name),
      ['1001', '0815'],
    )
    assert.deepEqual(p.trunks[0]!.dids, [
      { number: '+4930123456', tenant: 'office' },
      { number: '+4930999*', tenant: 'office' },
    ])
  })

  it('normalises listeners, networks and counts', () => {
    const p = parse(`version: 1
upstream: { host: PBX.example.net, transport: tls }
listen:
  - tls:[::]:5061
  - { address: "::ffff:192.0.2.1" }
tls: { certFile: cert.pem, keyFile: /etc/sipwarden/key.pem }
adminNetworks: [192.0.2.0/24, "2001:DB8::/32", 203.0.113.9]
fraud:
  defaults:
    limits: { concurrentCalls: unlimited }
`)
    assert.deepEqual(p.listen, [
      { transport: 'tls', address: '::', port: 5061 },
      { transport: 'udp', address: '192.0.2.1', port: 5060 },
    ])
    assert.deepEqual(p.upstream.host, 'pbx.example.net')
    assert.equal(p.upstream.port, 5061)
    assert.deepEqual(p.adminNetworks, ['192.0.2.0/24', '2001:db8::/32', '203.0.113.9/32'])
    assert.equal(p.fraud.defaults.limits.concurrentCalls, null)
    assert.equal(p.tls?.certFile, '/srv/policy/cert.pem')
    assert.equal(p.tls?.keyFile, '/etc/sipwarden/key.pem')
  })

  it('resolves relative paths against the policy file directory', () => {
    const p = parse(
      `${MINIMAL}site: { dataDir: ./data }\nfraud: { rateTableFile: rates.csv, blacklistFiles: [bl/a.txt] }\n`,
    )
    assert.equal(p.site.dataDir, '/srv/policy/data')
    assert.equal(p.state.path, '/srv/policy/data/sipwarden.db')
    assert.equal(p.fraud.rateTableFile, '/srv/policy/rates.csv')
    assert.deepEqual(p.fraud.blacklistFiles, ['/srv/policy/bl/a.txt'])
  })

  it('follows YAML anchors and merge keys', () => {
    const p = parse(`${MINIMAL}tenants:
  - name: office
    country: GB
    accounts:
      - &desk { name: "201", networks: [10.0.0.0/8] }
      - { <<: *desk, name: "202" }
`)
    assert.deepEqual(p.tenants[0]!.accounts[1]!.networks, ['10.0.0.0/8'])
    assert.equal(p.tenants[0]!.accounts[1]!.name, '202')
  })

  it('expands schedule days', () => {
    const p = parse(`${MINIMAL}fraud:
  defaults:
    schedule:
      windows:
        - { days: fri-mon, from: "22:00", to: "06:00" }
        - { days: [Tue, wednesday], from: "08:00", to: "24:00" }
`)
    const w = p.fraud.defaults.schedule!.windows
    assert.deepEqual(w[0]!.days, ['mon', 'fri', 'sat', 'sun'])
    assert.deepEqual(w[1]!.days, ['tue', 'wed'])
  })
})

describe('overrides (command-line flags)', () => {
  it('replace top-level keys before validation', () => {
    const p = parsePolicy(`${MINIMAL}listen: [udp:0.0.0.0:5060]\n`, 'p.yaml', {
      env: {},
      overrides: { listen: ['tcp:127.0.0.1:5070'], upstream: 'udp:127.0.0.1:5090' },
    })
    assert.deepEqual(p.listen, [{ transport: 'tcp', address: '127.0.0.1', port: 5070 }])
    assert.equal(p.upstream.port, 5090)
  })

  it('report their problems without a file position', () => {
    try {
      parsePolicy(MINIMAL, 'p.yaml', { env: {}, overrides: { listen: ['udp:[::1'] } })
      assert.fail('expected a rejection')
    } catch (err) {
      assert.ok(err instanceof PolicyError)
      assert.equal(err.issues.length, 1)
      assert.equal(err.issues[0]!.path, 'listen[0]')
      assert.equal(err.issues[0]!.line, undefined)
      assert.deepEqual(formatPolicyIssues(err, 'p.yaml'), ['p.yaml: listen[0]: missing "]" in "udp:[::1"'])
    }
  })
})

describe('environment references', () => {
  it('substitutes env references with defaults, and keeps $${…} literal', () => {
    const p = parse(
      `${MINIMAL}api: { token: "\${env:API_TOKEN}" }\nalerting:\n  webhooks:\n    - url: "http://127.0.0.1:\${env:HOOK_PORT:-8099}/x?a=$\${b}"\n`,
      { API_TOKEN: 's3cret-token' },
    )
    assert.equal(p.api.token, 's3cret-token')
    assert.equal(p.alerting.webhooks[0]!.url, `http://127.0.0.1:8099/x?a=$\{b}`)
    assert.equal((redactPolicy(p) as { api: { token: string } }).api.token, '<redacted>')
  })

  it('reports an unset variable once, at its line, without a follow-up error', () => {
    const err = errorOf(
      `${MINIMAL}alerting:\n  email:\n    smtp: { host: 127.0.0.1, username: a, password: "\${env:SMTP_PW}" }\n    from: a@example.net\n    to: [b@example.net]\n`,
    )
    assert.equal(err.issues.length, 1, err.message)
    const i = issueAt(err, 'alerting.email.smtp.password')
    assert.match(i.message, /SMTP_PW is not set/)
    assert.equal(i.line, 5)
  })
})

describe('located errors', () => {
  it('points an unknown key at the key itself, deep in the file, with a suggestion', () => {
    const err = errorOf(`version: 1
upstream: udp:127.0.0.1:5080
tenants:
  - name: office
    country: DE
    accounts:
      - name: "100"
      - name: "101"
        netwroks: [10.0.0.0/8]
`)
    assert.equal(err.code, ErrorCodes.POLICY_INVALID)
    const i = issueAt(err, 'tenants[0].accounts[1].netwroks')
    assert.deepEqual([i.line, i.column], [9, 9])
    assert.match(i.message, /unknown key "netwroks": did you mean "networks"\?/)
  })

  it('reports a wrong type at the value', () => {
    const err = errorOf(`${MINIMAL}gateway:\n  flood:\n    enabled: yes\n    invite:\n      burst: many\n`)
    const a = issueAt(err, 'gateway.flood.enabled')
    assert.deepEqual([a.line, a.column], [5, 14])
    assert.match(a.message, /expected true or false, got a string "yes".*write true or false/)
    const b = issueAt(err, 'gateway.flood.invite.burst')
    assert.deepEqual([b.line, b.column], [7, 14])
    assert.match(b.message, /expected a number, got a string "many"/)
  })

  it('reports a bad CIDR at the list item', () => {
    const err = errorOf(`version: 1
upstream: udp:127.0.0.1:5080
tenants:
  - name: office
    country: DE
    accounts:
      - name: "100"
        networks:
          - 10.0.0.0/8
          - 10.1.2.3/8
          - 300.1.1.1
`)
    const a = issueAt(err, 'tenants[0].accounts[0].networks[1]')
    assert.deepEqual([a.line, a.column], [10, 13])
    assert.match(a.message, /host bits set; the network is 10\.0\.0\.0\/8/)
    const b = issueAt(err, 'tenants[0].accounts[0].networks[2]')
    assert.equal(b.line, 11)
    assert.match(b.message, /not a valid IPv4 address/)
    assert.equal(err.issues.length, 2)
  })

  it('reports a bad duration', () => {
    const err = errorOf(`${MINIMAL}bans:\n  defaultTtlMs: 10 minutes\n  maxTtlMs: 30s\n`)
    const a = issueAt(err, 'bans.defaultTtlMs')
    assert.deepEqual([a.line, a.column], [4, 17])
    assert.match(a.message, /a duration needs a unit/)
    const b = issueAt(err, 'bans.maxTtlMs')
    assert.equal(b.line, 5)
    assert.match(b.message, /at least 1m/)
  })

  it('reports YAML syntax errors with line and column', () => {
    const err = errorOf('version: 1\nupstream: udp:127.0.0.1:5080\nlisten: [udp:127.0.0.1:5060\nbans: {}\n')
    assert.equal(err.code, ErrorCodes.POLICY_YAML)
    assert.ok(err.issues.length >= 1)
    assert.equal(err.issues[0]!.path, '')
    assert.equal(typeof err.issues[0]!.line, 'number')
    assert.ok(err.issues[0]!.line! >= 3, err.message)
    assert.match(err.issues[0]!.message, /^YAML: /)
  })

  it('reports tabs used as indentation', () => {
    const err = errorOf('version: 1\nupstream: udp:127.0.0.1:5080\nbans:\n\tdefaultTtlMs: 1h\n')
    assert.equal(err.code, ErrorCodes.POLICY_YAML)
    assert.equal(err.issues[0]!.line, 4)
  })

  it('reports a duplicate key at the second occurrence, with its path', () => {
    const err = errorOf(`${MINIMAL}gateway:\n  scanner:\n    enabled: true\n    enabled: false\n`)
    assert.equal(err.code, ErrorCodes.POLICY_INVALID)
    const i = issueAt(err, 'gateway.scanner.enabled')
    assert.deepEqual([i.line, i.column], [6, 5])
    assert.match(i.message, /duplicate key "enabled"/)
  })

  it('names the replacement of a renamed key', () => {
    const err = errorOf(`${MINIMAL}bans:\n  bantime: 1h\ngateway:\n  flood:\n    register: { window: 10s }\n`)
    const a = issueAt(err, 'bans.bantime')
    assert.deepEqual([a.line, a.column], [4, 3])
    assert.match(a.message, /use "bans\.defaultTtlMs"/)
    const b = issueAt(err, 'gateway.flood.register.window')
    assert.equal(b.line, 7)
    assert.match(b.message, /use "gateway\.flood\.register\.windowMs"/)
  })

  it('explains why account passwords are not keys', () => {
    const err = errorOf(
      `${MINIMAL}tenants:\n  - name: t\n    country: DE\n    accounts:\n      - { name: "1", secret: hunter2 }\n`,
    )
    assert.match(issueAt(err, 'tenants[0].accounts[0].secret').message, /never needs account passwords/)
  })

  it('reports a missing required key at the object that lacks it', () => {
    const err = errorOf(`version: 1
upstream: udp:127.0.0.1:5080
tenants:
  - name: office
    accounts: []
`)
    const i = issueAt(err, 'tenants[0].country')
    assert.deepEqual([i.line, i.column], [4, 5])
    assert.match(i.message, /^required/)
  })

  it('lists every problem, sorted by line', () => {
    const err = errorOf(`version: 2
upstreem: udp:127.0.0.1:5080
listen: [sip:1.2.3.4]
state: { adapter: redis }
logwatch: { action: { type: comand } }
`)
    assert.deepEqual(
      err.issues.map((i) => i.path),
      ['upstream', 'version', 'upstreem', 'listen[0]', 'state.url', 'logwatch.action.type'],
    )
    assert.match(issueAt(err, 'upstreem').message, /did you mean "upstream"/)
    assert.match(issueAt(err, 'logwatch.action.type').message, /did you mean command\?/)
    assert.match(issueAt(err, 'listen[0]').message, /unknown transport "sip"/)
    const lines = err.issues.map((i) => i.line ?? 0)
    assert.deepEqual(
      lines,
      [...lines].sort((a, b) => a - b),
    )
  })

  it('checks cross-field rules: tls listener, trunk tenant, duplicate accounts, loops, RTP range', () => {
    const err = errorOf(`version: 1
upstream: udp:127.0.0.1:5060
listen: [udp:0.0.0.0:5060, tls:0.0.0.0:5061]
trunks:
  - { name: carrier, addresses: [192.0.2.10], tenant: ofice }
tenants:
  - name: office
    country: DE
    accounts:
      - name: "100"
      - name: "100"
      - { name: field, extension: "100" }
firewall:
  rtpPorts: { min: 20000, max: 10000 }
`)
    assert.match(issueAt(err, 'tenants[0].accounts[1].name').message, /listed twice/)
    assert.equal(issueAt(err, 'tenants[0].accounts[1].name').line, 11)
    assert.equal(err.issues.filter((i) => i.path === 'tenants[0].accounts[1].name').length, 1)
    assert.match(
      issueAt(err, 'tenants[0].accounts[2].extension').message,
      /extension 100 is used by two accounts/,
    )
    assert.equal(issueAt(err, 'tenants[0].accounts[2].extension').line, 12)
    assert.match(issueAt(err, 'firewall.rtpPorts.max').message, /must be above min/)
    // the cross-section rules run once the sections themselves are valid
    const err2 = errorOf(`version: 1
upstream: udp:127.0.0.1:5060
listen: [udp:0.0.0.0:5060, tls:0.0.0.0:5061]
trunks:
  - { name: carrier, addresses: [192.0.2.10], tenant: ofice }
tenants:
  - { name: office, country: DE }
`)
    assert.match(issueAt(err2, 'listen[1]').message, /tls listener needs the tls section/)
    assert.equal(issueAt(err2, 'listen[1]').line, 3)
    assert.match(issueAt(err2, 'trunks[0].tenant').message, /no tenant "ofice" \(tenants: office\)/)
    assert.match(issueAt(err2, 'upstream').message, /loop/)
  })

  it('refuses an empty file and a non-mapping', () => {
    assert.match(errorOf('').issues[0]!.message, /empty/)
    assert.match(errorOf('# only a comment\n').issues[0]!.message, /empty/)
    assert.match(errorOf('- a\n- b\n').issues[0]!.message, /must be a mapping/)
  })

  it('formats issues as file:line:col: path: message', () => {
    const err = errorOf(`${MINIMAL}bans: { ttl: 1h }\n`)
    assert.deepEqual(formatPolicyIssues(err, 'site.yaml'), [
      'site.yaml:3:9: bans.ttl: "ttl" is not a sipwarden key: use "bans.defaultTtlMs"',
    ])
    assert.match(err.message, /^test\.yaml: invalid policy \(1 problem\)\ntest\.yaml:3:9: bans\.ttl: /)
  })
})

describe('result', () => {
  it('is deep-frozen', () => {
    const p = parse(`${MINIMAL}adminNetworks: [192.0.2.0/24]\n`)
    assert.ok(Object.isFrozen(p))
    assert.ok(Object.isFrozen(p.gateway.flood.register))
    assert.ok(Object.isFrozen(p.adminNetworks))
    assert.throws(() => {
      ;(p.adminNetworks as string[]).push('0.0.0.0/0')
    }, TypeError)
    assert.throws(() => {
      ;(p.bans as { defaultTtlMs: number }).defaultTtlMs = 1
    }, TypeError)
  })

  it('does not share defaults between two loads', () => {
    const a = parse(MINIMAL)
    const b = parse(MINIMAL)
    assert.notEqual(a.listen, b.listen)
    assert.notEqual(a.gateway.scanner.userAgents, b.gateway.scanner.userAgents)
  })
})

describe('renamed keys table', () => {
  it('matches patterns with array indexes and any depth', () => {
    assert.equal(findRenamedKey(['tenants', 3, 'accounts', 0, 'password'])?.use, undefined)
    assert.ok(findRenamedKey(['tenants', 3, 'accounts', 0, 'password']))
    assert.equal(findRenamedKey(['gateway', 'scanner', 'enumeration', 'window'])?.use, '.windowMs')
    assert.equal(findRenamedKey(['gateway', 'unknown']), undefined)
  })

  it('names replacements that are real keys', () => {
    const schema = buildJsonSchema()
    for (const e of RENAMED_KEYS) {
      if (e.use === undefined) continue
      // `.key` is a sibling of the renamed key; `a[].b` walks through a list
      const where = /banT/.test(e.path) ? 'gateway.scanner.' : 'gateway.flood.register.'
      const full = e.use.startsWith('.')
        ? `${e.path.replace(/^\*\*\./, where).replace(/\.[^.]+$/, '')}${e.use}`
        : e.use
      const segs = full.replace(/\[\]/g, '.0').split('.')
      const key = segs.pop()!
      const path = segs.map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/\[\]$/, '')))
      assert.ok(keysAt(schema, path).includes(key), `${e.path} → ${e.use}: "${full}" is not a key`)
    }
  })
})

describe('example policies', () => {
  it('examples/sipwarden.yaml is valid and describes two tenants, a trunk and the demo sockets', () => {
    const p = loadPolicy(join(ROOT, 'examples/sipwarden.yaml'), { env: {} })
    assert.deepEqual(
      p.tenants.map((t) => [t.name, t.accounts.length]),
      [
        ['office', 5],
        ['dental', 2],
      ],
    )
    assert.equal(p.trunks[0]!.name, 'carrier')
    assert.deepEqual(p.trunks[0]!.dids[1], { number: '+442079460123', tenant: 'dental' })
    assert.deepEqual(
      p.listen.map((l) => `${l.transport}:${l.address}:${l.port}`),
      ['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060', 'udp:::1:5060', 'tcp:::1:5060'],
    )
    assert.equal(p.upstream.port, 5080)
    assert.equal(p.state.path, resolve(ROOT, 'examples/data/sipwarden.db'))
  })

  it('examples/minimal.yaml is valid', () => {
    const p = loadPolicy(join(ROOT, 'examples/minimal.yaml'), { env: {} })
    assert.equal(p.upstream.host, '127.0.0.1')
    assert.equal(p.tenants.length, 0)
  })

  it('reports an unreadable file as POLICY_READ', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipwarden-policy-'))
    try {
      assert.throws(
        () => loadPolicy(join(dir, 'missing.yaml')),
        (e: unknown) =>
          e instanceof PolicyError && e.code === ErrorCodes.POLICY_READ && /no such file/.test(e.message),
      )
      assert.throws(
        () => loadPolicy(dir),
        (e: unknown) =>
          e instanceof PolicyError && e.code === ErrorCodes.POLICY_READ && /directory/.test(e.message),
      )
      writeFileSync(join(dir, 'p.yaml'), `${MINIMAL}site: { dataDir: state }\n`)
      assert.equal(loadPolicy(join(dir, 'p.yaml')).site.dataDir, join(dir, 'state'))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
