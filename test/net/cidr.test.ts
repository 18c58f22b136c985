import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  createCidrMatcher,
  isLoopbackIp,
  isUnspecifiedIp,
  normalizeIp,
  parseCidr,
  parseIp,
  parseIpv4ToUint32,
} from '../../src/net/cidr.js'

describe('parseIp', () => {
  it('accepts dotted-decimal IPv4 and returns it canonical', () => {
    assert.deepEqual(parseIp('192.0.2.7'), { family: 4, text: '192.0.2.7' })
    assert.deepEqual(parseIp('0.0.0.0'), { family: 4, text: '0.0.0.0' })
    assert.deepEqual(parseIp('255.255.255.255'), { family: 4, text: '255.255.255.255' })
  })

  it('refuses ambiguous or malformed IPv4', () => {
    for (const bad of [
      '010.0.0.1',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1.2.3.-4',
      '0x7f.0.0.1',
      '1..2.3',
      ' 1.2.3.4',
      '',
    ])
      assert.equal(parseIp(bad), null, bad)
  })

  it('normalises IPv6 to RFC 5952 and IPv4-mapped IPv6 to IPv4', () => {
    assert.deepEqual(parseIp('2001:DB8:0:0:0:0:0:1'), { family: 6, text: '2001:db8::1' })
    assert.deepEqual(parseIp('::1'), { family: 6, text: '::1' })
    assert.deepEqual(parseIp('::ffff:192.0.2.1'), { family: 4, text: '192.0.2.1' })
    assert.equal(normalizeIp('::FFFF:c000:0201'), '192.0.2.1')
  })

  it('refuses IPv6 zone ids and garbage', () => {
    assert.equal(parseIp('fe80::1%eth0'), null)
    assert.equal(parseIp('2001:db8::g'), null)
    assert.equal(parseIp('example.net'), null)
  })

  it('parses IPv4 into an unsigned 32-bit value', () => {
    assert.equal(parseIpv4ToUint32('255.255.255.255'), 0xffffffff)
    assert.equal(parseIpv4ToUint32('10.0.0.1'), 0x0a000001)
    assert.equal(parseIpv4ToUint32('10.0.0.01'), -1)
  })

  it('knows loopback and unspecified addresses', () => {
    assert.equal(isLoopbackIp('127.0.0.53'), true)
    assert.equal(isLoopbackIp('::1'), true)
    assert.equal(isLoopbackIp('::ffff:127.0.0.1'), true)
    assert.equal(isLoopbackIp('128.0.0.1'), false)
    assert.equal(isUnspecifiedIp('::'), true)
    assert.equal(isUnspecifiedIp('0.0.0.0'), true)
    assert.equal(isUnspecifiedIp('0.0.0.1'), false)
  })
})

describe('parseCidr', () => {
  it('parses blocks and bare addresses', () => {
    assert.deepEqual(parseCidr('10.0.0.0/8'), {
      ok: true,
      value: { family: 4, network: '10.0.0.0', prefix: 8, text: '10.0.0.0/8' },
    })
    const host = parseCidr('203.0.113.7')
    assert.ok(host.ok)
    assert.equal(host.value.text, '203.0.113.7/32')
    const v6 = parseCidr('2001:DB8::/32')
    assert.ok(v6.ok)
    assert.equal(v6.value.text, '2001:db8::/32')
  })

  it('refuses host bits and names the intended network', () => {
    const r = parseCidr('10.1.2.3/8')
    assert.equal(r.ok, false)
    assert.ok(!r.ok && r.reason.includes('10.0.0.0/8'), !r.ok ? r.reason : '')
    const r6 = parseCidr('2001:db8::1/32')
    assert.ok(!r6.ok && r6.reason.includes('2001:db8::/32'))
  })

  it('refuses bad prefix lengths', () => {
    for (const bad of [
      '10.0.0.0/33',
      '10.0.0.0/',
      '10.0.0.0/08',
      '10.0.0.0/-1',
      '2001:db8::/129',
      '10.0.0.0/8/8',
    ])
      assert.equal(parseCidr(bad).ok, false, bad)
  })

  it('maps an IPv4-mapped block onto IPv4', () => {
    const r = parseCidr('::ffff:10.0.0.0/104')
    assert.ok(r.ok)
    assert.equal(r.value.text, '10.0.0.0/8')
    assert.equal(parseCidr('::ffff:10.0.0.0/90').ok, false)
  })

  it('can require a prefix length', () => {
    assert.equal(parseCidr('192.0.2.1', { allowBareAddress: false }).ok, false)
  })
})

describe('createCidrMatcher', () => {
  const m = createCidrMatcher([
    '10.0.0.0/8',
    '10.1.0.0/16',
    '192.0.2.7',
    '2001:db8::/32',
    '2001:db8:1::5',
    '198.51.100.0/24',
  ])

  it('matches exact addresses, IPv4 and IPv6 blocks', () => {
    assert.equal(m.has('192.0.2.7'), true)
    assert.equal(m.has('192.0.2.8'), false)
    assert.equal(m.has('10.255.255.255'), true)
    assert.equal(m.has('11.0.0.0'), false)
    assert.equal(m.has('198.51.100.200'), true)
    assert.equal(m.has('2001:db8:ffff::1'), true)
    assert.equal(m.has('2001:db9::1'), false)
    assert.equal(m.has('2001:DB8:1:0::5'), true)
  })

  it('matches IPv4-mapped IPv6 input against IPv4 entries', () => {
    assert.equal(m.has('::ffff:10.2.3.4'), true)
    assert.equal(m.has('::ffff:192.0.2.7'), true)
    assert.equal(m.has('::ffff:11.2.3.4'), false)
  })

  it('returns the most specific entry', () => {
    assert.equal(m.find('10.1.2.3'), '10.1.0.0/16')
    assert.equal(m.find('10.2.2.3'), '10.0.0.0/8')
    assert.equal(m.find('192.0.2.7'), '192.0.2.7')
    assert.equal(m.find('2001:db8:1::5'), '2001:db8:1::5')
  })

  it('never matches malformed input', () => {
    for (const bad of ['', 'x', '010.0.0.1', '10.0.0', 'fe80::1%eth0', '::ffff:'])
      assert.equal(m.has(bad), false, bad)
  })

  it('counts distinct entries and throws on invalid ones', () => {
    assert.equal(createCidrMatcher(['10.0.0.0/8', '10.0.0.0/8', '::1']).size, 2)
    assert.throws(() => createCidrMatcher(['10.0.0.0/33']), /prefix length/)
  })

  it('matches everything with /0', () => {
    const all = createCidrMatcher(['0.0.0.0/0', '::/0'])
    assert.equal(all.has('203.0.113.1'), true)
    assert.equal(all.has('2001:db8::1'), true)
  })
})
