import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  getParam,
  newFailure,
  parseNameAddr,
  parseNameAddrList,
  scanNameAddr,
  scanNameAddrList,
} from '../../src/sip/index.js'

describe('parseNameAddr', () => {
  test('quoted display name with escapes, <uri>, params and tag', () => {
    const a = parseNameAddr('"J Rosenberg \\\\\\"" <sip:jdrosen@example.com> ; tag = 98asjd8 ;x="a;b"')!
    assert.equal(a.displayName, 'J Rosenberg \\"')
    assert.equal(a.uri!.user, 'jdrosen')
    assert.equal(a.uriText, 'sip:jdrosen@example.com')
    assert.equal(a.bracketed, true)
    assert.equal(a.tag, '98asjd8')
    assert.equal(getParam(a.params, 'x'), 'a;b')
  })

  test('token display names, with or without LWS before <', () => {
    assert.equal(parseNameAddr('A. G. Bell <sip:bell@example.com>')!.displayName, 'A. G. Bell')
    assert.equal(parseNameAddr('caller<sip:caller@example.com>')!.displayName, 'caller')
    assert.equal(parseNameAddr('<sip:a@b>')!.displayName, null)
    assert.equal(parseNameAddr('"" <sip:a@b>')!.displayName, '')
    assert.equal(parseNameAddr('"Ünïcödé 名前" <sip:a@b>')!.displayName, 'Ünïcödé 名前')
  })

  test('addr-spec: params after the URI belong to the header', () => {
    const a = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam;tag=x')!
    assert.equal(a.bracketed, false)
    assert.deepEqual(a.uri!.params, [])
    assert.equal(a.tag, 'x')
    assert.deepEqual(
      a.params.map((p) => p.name),
      ['unknownparam', 'tag'],
    )
    const b = parseNameAddr('<sip:+19725552222@gw1.example.net;unknownparam>')!
    assert.deepEqual(b.uri!.params, [{ name: 'unknownparam', value: null }])
    assert.deepEqual(b.params, [])
  })

  test('other URI schemes', () => {
    assert.equal(parseNameAddr('<http://www.example.com>;tag=1')!.uri!.scheme, 'http')
    assert.equal(parseNameAddr('isbn:2983792873')!.uri!.opaque, '2983792873')
    assert.equal(parseNameAddr('tel:+15551234;tag=9')!.tag, '9')
  })

  test('malformed addresses are null, with where and why', () => {
    const bad: readonly [string, RegExp][] = [
      ['', /empty/],
      ['"Mr. J. User <sip:j.user@example.com>', /unterminated/],
      ['"quoted" sip:a@b', /not followed by </],
      ['Bell, Alexander <sip:a.g.bell@example.com>', /display name/],
      ['< sip:t.watson@example.org >', /scheme/],
      ['<sip:a@b', /missing >/],
      ['<sip:a@b> junk', /unexpected text/],
      ['<sip:a@b>;;', /empty parameter/],
      ['<sip:a@b>;tag=', /no value/],
      ['sip:user@example.com?Route=%3Csip:x%3E', /enclosed in <>/],
      ['<sip:a@b@c>', /invalid host|unexpected/],
      ['"bad \u0007 ctl" <sip:a@b>', /unterminated/],
    ]
    for (const [s, why] of bad) {
      const f = newFailure()
      assert.equal(parseNameAddr(s, f), null, s)
      assert.match(f.reason, why, s)
    }
  })

  test('lists split at commas outside quotes and brackets', () => {
    const l = parseNameAddrList('"Doe, John" <sip:j@x;p=a>, <sip:k@y>;expires=60 ,sip:l@z;q=0.5')!
    assert.deepEqual(
      l.map((a) => [a.displayName, a.uri!.user, a.params.map((p) => `${p.name}=${p.value}`).join(';')]),
      [
        ['Doe, John', 'j', ''],
        [null, 'k', 'expires=60'],
        [null, 'l', 'q=0.5'],
      ],
    )
    assert.equal(parseNameAddrList('<sip:a@b>,'), null)
    assert.equal(parseNameAddrList('<sip:a@b> <sip:c@d>'), null)
  })

  test('scan* variants delimit the URI and parse it on first use', () => {
    const a = scanNameAddr('Bob <not a uri>;tag=1')!
    assert.equal(a.tag, '1')
    assert.equal(a.uriText, 'not a uri')
    assert.equal(a.uri, null)
    assert.equal(parseNameAddr('Bob <not a uri>;tag=1'), null)
    const l = scanNameAddrList('<sip:a@b>, <sip:c@d>')!
    assert.equal(l[1]!.uri!.host, 'd')
    assert.equal(l[1]!.uri, l[1]!.uri, 'parsed once')
  })

  test('JSON form includes the parsed URI', () => {
    const json = JSON.parse(JSON.stringify(parseNameAddr('A <sip:a@b>;tag=t'))) as Record<string, unknown>
    assert.deepEqual(Object.keys(json), ['displayName', 'uri', 'bracketed', 'params', 'tag'])
    assert.equal((json['uri'] as { host: string }).host, 'b')
  })
})
