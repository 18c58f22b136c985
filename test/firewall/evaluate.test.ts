// The model evaluator: the oracle behind "refuse a ruleset that would cut the operator's
// SSH session". Its verdicts are checked against real packets in netns.test.ts.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parsePolicy } from '../../src/config/load.js'
import { checkSshSession, evaluate, parseSshConnection } from '../../src/firewall/evaluate.js'
import { buildFirewallModel } from '../../src/firewall/model.js'
import { findSshConnection } from '../../src/firewall/session.js'
import { fixture } from './helpers.js'

const office = buildFirewallModel(fixture('office'))
const v4only = buildFirewallModel(fixture('ipv4-only'))

describe('evaluate', () => {
  it('accepts SIP and RTP from anyone, refuses what is not listed', () => {
    // eth1 is not a public interface: documentation addresses are not bogons there
    const sip = {
      family: 4,
      src: '203.0.113.99',
      iif: 'eth1',
      proto: 'udp',
      dport: 5060,
      ct: 'new',
      payload: 'OPTIONS sip:x SIP/2.0',
    } as const
    assert.equal(evaluate(office, sip).verdict, 'accept')
    assert.equal(evaluate(office, { ...sip, dport: 15000 }).verdict, 'accept')
    assert.equal(evaluate(office, { ...sip, dport: 9999 }).verdict, 'reject')
    assert.equal(evaluate(office, { ...sip, family: 6, src: '2001:db8:5::1' }).verdict, 'accept')
    // a bound IPv6 TCP listener: only to its address
    const tcp6 = {
      family: 6,
      src: '2001:db8:5::1',
      iif: 'eth1',
      proto: 'tcp',
      dport: 5060,
      tcpSyn: true,
      ct: 'new',
    } as const
    assert.equal(evaluate(office, { ...tcp6, dst: '2001:db8:1::5' }).verdict, 'accept')
    assert.equal(evaluate(office, { ...tcp6, dst: '2001:db8:1::6' }).verdict, 'reject')
  })

  it('drops scanner strings (the model has them; nftables leaves them to the gateway)', () => {
    const d = evaluate(office, {
      family: 4,
      src: '203.0.113.99',
      iif: 'eth1',
      proto: 'udp',
      dport: 5060,
      ct: 'new',
      payload: 'OPTIONS sip:100@x SIP/2.0\r\nUser-Agent: Friendly-Scanner\r\n',
    })
    assert.equal(d.verdict, 'drop')
    assert.equal(d.rule?.origin.key, 'firewall.sipLimits.dropScannerStrings, gateway.scanner.userAgents')
  })

  it('SSH: admins in, others refused by the SSH rule; denied and banned-looking sources out', () => {
    const ssh = { family: 4, iif: 'eth1', proto: 'tcp', dport: 22, tcpSyn: true, ct: 'new' } as const
    assert.equal(evaluate(office, { ...ssh, src: '198.51.100.230' }).verdict, 'accept')
    const out = evaluate(office, { ...ssh, src: '203.0.113.99' })
    assert.equal(out.verdict, 'reject')
    assert.equal(out.rule?.origin.key, 'firewall.sshPort')
    assert.equal(evaluate(office, { ...ssh, src: '203.0.113.66' }).rule?.origin.key, 'gateway.acl.deny')
    assert.equal(evaluate(office, { ...ssh, src: '224.0.0.9' }).rule?.origin.key, 'firewall.antiSpoof')
  })

  it('unknown interface: bogon checks on public interfaces are assumed to apply (pessimistic)', () => {
    const p = { family: 4, src: '10.99.0.1', proto: 'udp', dport: 5060, ct: 'new' } as const
    assert.equal(evaluate(office, p).verdict, 'drop')
    assert.equal(evaluate(office, { ...p, iif: 'eth1' }).verdict, 'accept')
    assert.equal(evaluate(office, { ...p, iif: 'wan3' }).verdict, 'drop')
    // a network the policy names is not a bogon, even on the public interface
    assert.equal(evaluate(office, { ...p, src: '10.20.0.7', iif: 'eth0' }).verdict, 'accept')
  })

  it('ipv6: false drops IPv6 except loopback', () => {
    const p = { family: 6, src: '2001:db8::1', proto: 'udp', dport: 5060, ct: 'new' } as const
    assert.equal(evaluate(v4only, p).verdict, 'drop')
    assert.equal(evaluate(v4only, { ...p, src: '::1', iif: 'lo' }).verdict, 'accept')
  })
})

describe('checkSshSession', () => {
  it('parses SSH_CONNECTION', () => {
    assert.deepEqual(parseSshConnection('198.51.100.230 51234 192.0.2.5 22'), {
      client: '198.51.100.230',
      clientPort: 51234,
      server: '192.0.2.5',
      serverPort: 22,
    })
    assert.deepEqual(
      parseSshConnection('::ffff:198.51.100.230 1 ::ffff:192.0.2.5 22')?.client,
      '198.51.100.230',
    )
    assert.equal(parseSshConnection(undefined), null)
    assert.equal(parseSshConnection('garbage'), null)
  })

  it('no session: nothing to protect', () => {
    assert.deepEqual(checkSshSession(office, undefined), { status: 'none' })
  })

  it('an admin client stays reachable (IPv4 and IPv6), a loopback client too', () => {
    assert.equal(checkSshSession(office, '198.51.100.230 5000 192.0.2.5 22').status, 'allowed')
    assert.equal(checkSshSession(office, '2001:db8:ffff::7 5000 2001:db8:1::5 22').status, 'allowed')
    assert.equal(
      checkSshSession(buildFirewallModel(fixture('minimal')), '127.0.0.1 5000 127.0.0.1 22').status,
      'allowed',
    )
  })

  it('a client outside adminNetworks would be cut, and the reason says what to do', () => {
    const r = checkSshSession(v4only, '192.0.2.99 5000 192.0.2.5 2222')
    assert.equal(r.status, 'cut')
    assert.match(
      r.status === 'cut' ? r.reason : '',
      /your SSH session from 192\.0\.2\.99 to port 2222 would be cut: the rule "SSH: admin networks only" \(firewall\.sshPort\) refuses it; add 192\.0\.2\.99 \(or its network\) to adminNetworks/,
    )
    const v4 = checkSshSession(v4only, '192.0.2.99 5000 192.0.2.5 22')
    assert.match(
      v4.status === 'cut' ? v4.reason : '',
      /default policy \(drop\).*listens on port 22, firewall\.sshPort is 2222/,
    )
    // unknown interface: a documentation address might be a bogon on eth0, so it is not trusted
    const o = checkSshSession(office, '203.0.113.99 5000 192.0.2.5 22')
    assert.match(o.status === 'cut' ? o.reason : '', /firewall\.publicInterfaces/)
    const none = checkSshSession(
      buildFirewallModel(parsePolicy('version: 1\nupstream: udp:127.0.0.1:5080\n', '<t>')),
      '192.0.2.99 5000 192.0.2.5 22',
    )
    assert.equal(none.status, 'cut')
  })
})

describe('findSshConnection', () => {
  it('takes SSH_CONNECTION from the environment', () => {
    assert.deepEqual(findSshConnection({ SSH_CONNECTION: '192.0.2.1 1 192.0.2.2 22' }), {
      value: '192.0.2.1 1 192.0.2.2 22',
      source: 'environment',
    })
  })

  it('under sudo, from the nearest ancestor that has it (the login shell)', () => {
    // sh (with SSH_CONNECTION) → env -u SSH_CONNECTION SUDO_USER=op → node: as after sudo
    const session = fileURLToPath(new URL('../../src/firewall/session.js', import.meta.url))
    const script = `import('${session}').then((m) => console.log(JSON.stringify(m.findSshConnection())))`
    const r = spawnSync(
      'sh',
      ['-c', 'env -u SSH_CONNECTION SUDO_USER=op "$0" -e "$1"; exit $?', process.execPath, script],
      {
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] ?? '', SSH_CONNECTION: '198.51.100.230 5 192.0.2.5 22' },
      },
    )
    assert.equal(r.status, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout), {
      value: '198.51.100.230 5 192.0.2.5 22',
      source: 'parent process',
    })
  })

  it('without sudo and without SSH_CONNECTION there is no session', () => {
    assert.deepEqual(findSshConnection({}), { source: 'none' })
  })
})
