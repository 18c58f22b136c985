import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { mediaConnection, newFailure, parseSdp } from '../../src/sip/index.js'

const OFFER = [
  'v=0',
  'o=alice 2890844526 2890844527 IN IP4 198.51.100.1',
  's=Call',
  'c=IN IP4 198.51.100.1',
  't=0 0',
  'a=sendrecv',
  'm=audio 49170 RTP/SAVP 0 8 101',
  'a=rtcp:53020 IN IP4 198.51.100.9',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32 KDR=1',
  'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj',
  'a=rtpmap:101 telephone-event/8000',
  'a=sendonly',
  'm=video 51372/2 RTP/AVP 99',
  'c=IN IP6 2001:db8::2',
  'a=rtcp:51373',
  'a=inactive',
  'm=image 0 udptl t38',
  '',
]

describe('parseSdp', () => {
  test('session and media: connections, ports, formats, rtcp, crypto, direction', () => {
    const s = parseSdp(OFFER.join('\r\n'))!
    assert.equal(s.version, 0)
    assert.deepEqual(s.origin, {
      username: 'alice',
      sessionId: '2890844526',
      sessionVersion: '2890844527',
      netType: 'IN',
      addrType: 'IP4',
      address: '198.51.100.1',
    })
    assert.equal(s.sessionName, 'Call')
    assert.deepEqual(s.connection, {
      netType: 'IN',
      addrType: 'IP4',
      address: '198.51.100.1',
      ttl: null,
      count: null,
    })
    assert.equal(s.direction, 'sendrecv')
    assert.equal(s.media.length, 3)
    const [audio, video, image] = s.media as [(typeof s.media)[0], (typeof s.media)[0], (typeof s.media)[0]]
    assert.equal(audio.type, 'audio')
    assert.equal(audio.port, 49170)
    assert.equal(audio.proto, 'RTP/SAVP')
    assert.deepEqual(audio.formats, ['0', '8', '101'])
    assert.equal(audio.connection, null)
    assert.equal(mediaConnection(s, audio)!.address, '198.51.100.1')
    assert.deepEqual(audio.rtcp, { port: 53020, netType: 'IN', addrType: 'IP4', address: '198.51.100.9' })
    assert.equal(audio.crypto.length, 2)
    assert.deepEqual(audio.crypto[0], {
      tag: 1,
      suite: 'AES_CM_128_HMAC_SHA1_80',
      keyParams: ['inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32'],
      sessionParams: ['KDR=1'],
    })
    assert.equal(audio.direction, 'sendonly')
    assert.equal(video.port, 51372)
    assert.equal(video.portCount, 2)
    assert.equal(video.connection!.addrType, 'IP6')
    assert.equal(mediaConnection(s, video)!.address, '2001:db8::2')
    assert.deepEqual(video.rtcp, { port: 51373, netType: null, addrType: null, address: null })
    assert.equal(video.direction, 'inactive')
    assert.equal(image.port, 0)
    assert.deepEqual(image.formats, ['t38'])
  })

  test('LF-only line ends and a Buffer body', () => {
    const s = parseSdp(Buffer.from(OFFER.join('\n')))!
    assert.equal(s.media.length, 3)
    assert.equal(s.media[0]!.crypto[1]!.suite, 'AES_CM_128_HMAC_SHA1_32')
  })

  test('multicast c= with ttl and count', () => {
    const s = parseSdp(
      'v=0\r\nc=IN IP4 233.252.0.1/127/3\r\nm=audio 9 RTP/AVP 0\r\nc=IN IP6 ff15::101/3\r\n',
    )!
    assert.deepEqual([s.connection!.ttl, s.connection!.count], [127, 3])
    assert.deepEqual([s.media[0]!.connection!.ttl, s.media[0]!.connection!.count], [null, 3])
  })

  test('malformed descriptions are null, with the offset of the line', () => {
    const bad: readonly [string, RegExp][] = [
      ['', /empty/],
      ['o=a 1 1 IN IP4 h\r\n', /v=/],
      ['v=x\r\n', /v=/],
      ['v=0\r\nno equals\r\n', /type/],
      ['v=0\r\no=a 1 IN IP4 h\r\n', /o=/],
      ['v=0\r\nc=IN IP4\r\n', /c=/],
      ['v=0\r\nc=IN IP4 a/b\r\n', /c=/],
      ['v=0\r\nm=audio\r\n', /m=/],
      ['v=0\r\nm=audio 70000 RTP/AVP 0\r\n', /port/],
      ['v=0\r\nm=audio x RTP/AVP 0\r\n', /port/],
      ['v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtcp:x\r\n', /rtcp/],
      ['v=0\r\nm=audio 1 RTP/AVP 0\r\na=crypto:1 X\r\n', /crypto/],
    ]
    for (const [text, why] of bad) {
      const f = newFailure()
      assert.equal(parseSdp(text, f), null, text)
      assert.match(f.reason, why, text)
    }
    const f = newFailure()
    parseSdp('v=0\r\ns=-\r\nc=bad\r\n', f)
    assert.equal(f.at, 10)
  })
})
