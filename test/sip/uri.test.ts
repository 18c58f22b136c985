import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { hostType, isIpv4, isIpv6, newFailure, parseUri, uriParam } from '../../src/sip/index.js'

describe('parseUri: sip and sips', () => {
  test('all parts', () => {
    const u = parseUri(
      'sips:alice:secret@atlanta.example.com:5061;transport=tcp;lr;maddr=239.255.255.1?subject=project&priority=urgent',
    )!
    assert.equal(u.scheme, 'sips')
    assert.equal(u.user, 'alice')
    assert.equal(u.password, 'secret')
    assert.equal(u.host, 'atlanta.example.com')
    assert.equal(u.hostType, 'domain')
    assert.equal(u.port, 5061)
    assert.deepEqual(u.params, [
      { name: 'transport', value: 'tcp' },
      { name: 'lr', value: null },
      { name: 'maddr', value: '239.255.255.1' },
    ])
    assert.deepEqual(u.headers, [
      { name: 'subject', value: 'project' },
      { name: 'priority', value: 'urgent' },
    ])
    assert.equal(uriParam(u, 'lr'), null)
    assert.equal(uriParam(u, 'transport'), 'tcp')
    assert.equal(uriParam(u, 'ttl'), undefined)
    assert.equal(u.opaque, null)
  })

  test('host only, IPv4, IPv6 reference, scheme case', () => {
    assert.deepEqual(
      [
        parseUri('SIP:example.com')!.scheme,
        parseUri('SIP:example.com')!.user,
        parseUri('SIP:example.com')!.port,
      ],
      ['sip', null, null],
    )
    const v4 = parseUri('sip:192.0.2.1:5060')!
    assert.equal(v4.hostType, 'ipv4')
    assert.equal(v4.port, 5060)
    const v6 = parseUri('sip:bob@[2001:db8::1]:5070;transport=udp')!
    assert.equal(v6.host, '[2001:db8::1]')
    assert.equal(v6.hostType, 'ipv6')
    assert.equal(v6.port, 5070)
  })

  test('escapes are decoded once into the fields; raw user kept', () => {
    const u = parseUri('sip:%61lice%40home@example.com;n%61me=v%61lue%25%34%31?Route=%3Csip:p%3E')!
    assert.equal(u.user, 'alice@home')
    assert.equal(u.userRaw, '%61lice%40home')
    assert.deepEqual(u.params, [{ name: 'name', value: 'value%41' }])
    assert.deepEqual(u.headers, [{ name: 'Route', value: '<sip:p>' }])
    assert.equal(parseUri('sip:J%C3%A4rvi@example.com')!.user, 'Järvi')
    // not valid UTF-8: kept byte for byte
    assert.equal(parseUri('sip:%FF%00@example.com')!.user, '\u00ff\u0000')
  })

  test('user parts with ; ? / and passwords with = , are legal', () => {
    const u = parseUri('sip:user;par=u%40example.net@example.com')!
    assert.equal(u.user, 'user;par=u@example.net')
    assert.deepEqual(u.params, [])
    assert.equal(parseUri('sip:a:b=c,d@h')!.password, 'b=c,d')
  })

  test('malformed URIs are null, with a reason', () => {
    const bad = [
      '',
      'sip',
      ':x',
      '1sip:x',
      'sip:',
      'sip:@host',
      'sip:user@',
      'sip:user@host:',
      'sip:user@host:65536',
      'sip:user@host:123456',
      'sip:user@host:abc',
      'sip:2001:db8::10',
      'sip:user@[2001:db8::1',
      'sip:user@[2001:db8::1]x',
      'sip:user@[not-ipv6]',
      'sip:user@host;',
      'sip:user@host;=x',
      'sip:user@host;a=',
      'sip:user@host?x',
      'sip:user@host?=v',
      'sip:us er@host',
      'sip:user@ho st',
      'sip:user@host>',
      'sip:us%2@host',
      'sip:us%zz@host',
      'sip:user@256.1.1.1',
      'sip:user@1.2.3',
      'sip:user@exa..mple.com',
      'sip:user@host;p=%',
    ]
    for (const s of bad) {
      const f = newFailure()
      assert.equal(parseUri(s, f), null, s)
      assert.notEqual(f.reason, '', s)
      assert.ok(f.at >= 0 && f.at <= s.length, s)
    }
  })
})

describe('parseUri: tel and other schemes', () => {
  test('tel URIs keep the number and parameters', () => {
    const t = parseUri('tel:+1-201-555-0123;phone-context=example.com;ext=22')!
    assert.equal(t.scheme, 'tel')
    assert.equal(t.user, '+1-201-555-0123')
    assert.equal(t.host, null)
    assert.deepEqual(t.params, [
      { name: 'phone-context', value: 'example.com' },
      { name: 'ext', value: '22' },
    ])
    assert.equal(parseUri('tel:'), null)
  })

  test('other schemes are opaque absoluteURIs', () => {
    const h = parseUri('http://www.example.com/a?b=c')!
    assert.equal(h.scheme, 'http')
    assert.equal(h.opaque, '//www.example.com/a?b=c')
    assert.equal(h.host, null)
    assert.equal(parseUri('urn:service:sos')!.opaque, 'service:sos')
    assert.equal(parseUri('isbn:2983792873')!.opaque, '2983792873')
    for (const bad of ['http:', 'http://a b', 'x:<y>', 'x:"q"', 'x:é']) assert.equal(parseUri(bad), null, bad)
  })
})

describe('hosts', () => {
  test('IPv4', () => {
    for (const ok of ['0.0.0.0', '192.0.2.1', '255.255.255.255']) assert.ok(isIpv4(ok, 0, ok.length), ok)
    for (const bad of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01234.1.1.1', '1.2.3.', 'a.b.c.d', '']) {
      assert.ok(!isIpv4(bad, 0, bad.length), bad)
    }
  })

  test('IPv6 (RFC 4291), with the RFC 5118 three-colon tolerance', () => {
    const ok = [
      '::',
      '::1',
      '1::',
      '2001:db8::10',
      '2001:db8:0:0:0:0:0:1',
      '2001:db8::10:5070',
      '::ffff:192.0.2.2',
      '2001:db8::192.0.2.1',
      '2001:db8:::192.0.2.1',
      'fe80::1:2:3:4:5:6',
    ]
    for (const s of ok) assert.ok(isIpv6(s, 0, s.length), s)
    const bad = [
      '',
      ':',
      ':1',
      '1:',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      '12345::',
      'g::1',
      '2001:db8:::10',
      '::ffff:192.0.2.256',
      '1:2:3:4:5:6:7:8::',
    ]
    for (const s of bad) assert.ok(!isIpv6(s, 0, s.length), s)
  })

  test('hostType', () => {
    const t = (s: string) => hostType(s, 0, s.length)
    assert.equal(t('example.com'), 'domain')
    assert.equal(t('example.com.'), 'domain')
    assert.equal(t('host_1.example'), 'domain')
    assert.equal(t('3com.com'), 'domain')
    assert.equal(t('192.0.2.1'), 'ipv4')
    assert.equal(t('[::1]'), 'ipv6')
    assert.equal(t('::1'), null)
    assert.equal(t('192.0.2.300'), null)
    assert.equal(t('-'), null)
    assert.equal(t('-a.example'), null)
    assert.equal(t('a-.example'), null)
    assert.equal(t('a-b.example'), 'domain')
    assert.equal(t('a b'), null)
    assert.equal(t('[]'), null)
  })
})
