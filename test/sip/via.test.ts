import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { newFailure, parseFirstVia, parseVia, parseViaList } from '../../src/sip/index.js'

describe('parseVia', () => {
  test('protocol, transport, sent-by, branch, received, rport with value, maddr, ttl', () => {
    const v = parseVia(
      'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;received=198.51.100.7;rport=40012;maddr=224.2.0.1;ttl=16;x-ext',
    )!
    assert.equal(v.protocol, 'SIP')
    assert.equal(v.version, '2.0')
    assert.equal(v.transport, 'UDP')
    assert.equal(v.host, '192.0.2.1')
    assert.equal(v.hostType, 'ipv4')
    assert.equal(v.port, 5060)
    assert.equal(v.branch, 'z9hG4bK776asdhds')
    assert.equal(v.received, '198.51.100.7')
    assert.equal(v.rport, 40012)
    assert.equal(v.hasRport, true)
    assert.equal(v.maddr, '224.2.0.1')
    assert.equal(v.ttl, 16)
    assert.deepEqual(v.params.at(-1), { name: 'x-ext', value: null })
  })

  test('rport without a value; transports upper-cased; LWS around / ; = and :', () => {
    const v = parseVia('sip / 2.0 / tls   client.example.com : 5061 ;  rport ; BRANCH = z9hG4bKx')!
    assert.equal(v.protocol, 'SIP')
    assert.equal(v.transport, 'TLS')
    assert.equal(v.port, 5061)
    assert.equal(v.hasRport, true)
    assert.equal(v.rport, null)
    assert.equal(v.branch, 'z9hG4bKx')
    assert.equal(parseVia('SIP/2.0/ws df7jal23ls0d.invalid;branch=z9hG4bK1')!.transport, 'WS')
    assert.equal(parseVia('SIP/2.0/WSS h;branch=z9hG4bK1')!.transport, 'WSS')
    assert.equal(parseVia('SIP/2.0/FOO h')!.transport, 'FOO')
  })

  test('IPv6 sent-by, received with and without brackets', () => {
    const v = parseVia('SIP/2.0/UDP [2001:db8::9:1]:6050;received=[2001:db8::9:255];branch=z9hG4bKas3')!
    assert.equal(v.host, '[2001:db8::9:1]')
    assert.equal(v.hostType, 'ipv6')
    assert.equal(v.port, 6050)
    assert.equal(v.received, '[2001:db8::9:255]')
    assert.equal(parseVia('SIP/2.0/UDP [::1];received=2001:db8::9:255')!.received, '2001:db8::9:255')
    assert.equal(parseVia('SIP/2.0/UDP [::ffff:192.0.2.10]:19823')!.port, 19823)
  })

  test('malformed values', () => {
    const bad: readonly [string, RegExp][] = [
      ['', /protocol/],
      ['SIP/2.0', /"\/"/],
      ['SIP/2.0/UDP', /white space/],
      ['SIP/2.0/UDPhost', /white space|host/],
      ['SIP/2.0/UDP ', /host/],
      ['SIP/2.0/UDP 192.0.2.15;;,;,,', /empty parameter/],
      ['SIP/2.0/UDP h:0x50', /port|unexpected/],
      ['SIP/2.0/UDP h:99999', /port/],
      ['SIP/2.0/UDP h;branch', /branch/],
      ['SIP/2.0/UDP h;branch=a;branch=b', /repeated branch/],
      ['SIP/2.0/UDP h;received=evil.example.com', /received/],
      ['SIP/2.0/UDP h;rport=70000', /rport/],
      ['SIP/2.0/UDP h;ttl=256', /ttl/],
      ['SIP/2.0/UDP h;maddr=bad..host', /maddr/],
      ['SIP/2.0/UDP [2001:db8::1', /host/],
      ['SIP/2.0/UDP h x', /unexpected/],
    ]
    for (const [s, why] of bad) {
      const f = newFailure()
      assert.equal(parseVia(s, f), null, s)
      assert.match(f.reason, why, s)
    }
  })

  test('lists and the first value only', () => {
    const list = parseViaList('SIP/2.0/UDP a;branch=z9hG4bK1 ,SIP/2.0/TCP b:5060 , SIP/2.0/TLS [::1]')!
    assert.deepEqual(
      list.map((v) => [v.transport, v.host, v.port]),
      [
        ['UDP', 'a', null],
        ['TCP', 'b', 5060],
        ['TLS', '[::1]', null],
      ],
    )
    assert.equal(parseViaList('SIP/2.0/UDP a,'), null)
    assert.equal(parseViaList('SIP/2.0/UDP a,,SIP/2.0/UDP b'), null)
    assert.equal(parseFirstVia('SIP/2.0/UDP a;branch=z9hG4bK1, garbage')!.host, 'a')
    assert.equal(parseFirstVia('SIP/2.0/UDP a garbage'), null)
  })
})
