import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { newFailure, parseChallenge, parseCredentials } from '../../src/sip/index.js'

describe('parseCredentials (Authorization, Proxy-Authorization)', () => {
  test('RFC 2617 digest response', () => {
    const c = parseCredentials(
      'Digest username="bob",realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",uri="sip:bob@biloxi.com",' +
        ' qop=auth,nc=00000001,cnonce="0a4f113b",response="6629fae49393a05397450978507c4ef1",' +
        ' opaque="5ccc069c403ebaf9f0171e9517f40e41", algorithm=MD5',
    )!
    assert.equal(c.scheme, 'Digest')
    assert.equal(c.username, 'bob')
    assert.equal(c.realm, 'biloxi.com')
    assert.equal(c.nonce, 'dcd98b7102dd2f0e8b11d0f600bfb0c093')
    assert.equal(c.uri, 'sip:bob@biloxi.com')
    assert.equal(c.qop, 'auth')
    assert.equal(c.nc, '00000001')
    assert.equal(c.cnonce, '0a4f113b')
    assert.equal(c.response, '6629fae49393a05397450978507c4ef1')
    assert.equal(c.opaque, '5ccc069c403ebaf9f0171e9517f40e41')
    assert.equal(c.algorithm, 'MD5')
    assert.equal(c.userhash, null)
    assert.equal(c.usernameStar, null)
    assert.deepEqual(
      c.params.find((p) => p.name === 'qop'),
      { name: 'qop', value: 'auth', quoted: false },
    )
  })

  test('RFC 7616: SHA-256-sess, userhash, username* (RFC 5987), quoted-string escapes', () => {
    const c = parseCredentials(
      'digest USERNAME*=UTF-8\'\'J%C3%A4s%C3%B8n%20Doe, realm="api@example.org", uri="/doe.json", ' +
        'algorithm=SHA-256-sess, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", nc=00000001, ' +
        'cnonce="NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v", qop=auth, userhash=true, ' +
        'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", opaque="a\\"b\\\\c"',
    )!
    assert.equal(c.usernameStar, 'Jäsøn Doe')
    assert.equal(c.username, null)
    assert.equal(c.algorithm, 'SHA-256-sess')
    assert.equal(c.userhash, true)
    assert.equal(c.opaque, 'a"b\\c')
    assert.equal(c.realm, 'api@example.org')
  })

  test('other schemes keep their parameters or token68', () => {
    const u = parseCredentials('NoOneKnowsThisScheme opaque-data=here')!
    assert.deepEqual(u.params, [{ name: 'opaque-data', value: 'here', quoted: false }])
    const b = parseCredentials('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==')!
    assert.equal(b.token68, 'QWxhZGRpbjpvcGVuIHNlc2FtZQ==')
    assert.deepEqual(b.params, [])
    assert.equal(
      parseCredentials('Bearer eyJhbGciOiJIUzI1NiJ9.e30.x-_y')!.token68,
      'eyJhbGciOiJIUzI1NiJ9.e30.x-_y',
    )
  })

  test('malformed or ambiguous credentials are null', () => {
    const bad: readonly [string, RegExp][] = [
      ['', /scheme/],
      ['Digest', /without parameters/],
      ['Digest username', /name=value/],
      ['Digest username=', /missing value/],
      ['Digest username="bob', /unterminated/],
      ['Digest realm="r" nonce="n"', /","/],
      ['Digest username="a", username="b"', /repeated username/],
      ['Digest response="a", Response="b"', /repeated response/],
      ['Digest username="a", username*=UTF-8\'\'b', /both/],
      ['Digest username*=b', /username\*/],
      ['Digest nc=1', /nc/],
      ['Digest=x', /white space|name=value/],
    ]
    for (const [s, why] of bad) {
      const f = newFailure()
      assert.equal(parseCredentials(s, f), null, s)
      assert.match(f.reason, why, s)
    }
  })

  test('empty list elements are tolerated', () => {
    assert.equal(parseCredentials('Digest username="a",, realm="r",')!.realm, 'r')
  })
})

describe('parseChallenge (WWW-Authenticate, Proxy-Authenticate)', () => {
  test('digest challenge with qop options, domain list, stale, charset', () => {
    const c = parseChallenge(
      'Digest realm="atlanta.example.com", domain="sip:ss1.example.com sip:ss2.example.com", qop="auth,auth-int", ' +
        'nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=TRUE, algorithm=SHA-256, charset=UTF-8, userhash=false',
    )!
    assert.equal(c.realm, 'atlanta.example.com')
    assert.deepEqual(c.domain, ['sip:ss1.example.com', 'sip:ss2.example.com'])
    assert.deepEqual(c.qop, ['auth', 'auth-int'])
    assert.equal(c.nonce, 'f84f1cec41e6cbe5aea9c8e88d359')
    assert.equal(c.opaque, '')
    assert.equal(c.stale, true)
    assert.equal(c.algorithm, 'SHA-256')
    assert.equal(c.charset, 'UTF-8')
    assert.equal(c.userhash, false)
  })

  test('absent fields are null', () => {
    const c = parseChallenge('Digest realm="r", nonce="n"')!
    assert.equal(c.stale, null)
    assert.equal(c.qop, null)
    assert.equal(c.domain, null)
    assert.equal(parseChallenge('Digest realm="r", realm="s"'), null)
  })
})
