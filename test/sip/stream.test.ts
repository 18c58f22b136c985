import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseMessage, SipStreamFramer } from '../../src/sip/index.js'
import { INVITE, REGISTER, sip } from './helpers.js'

const OPTIONS = sip(`OPTIONS sip:a@example.com SIP/2.0
Via: SIP/2.0/TCP h.example.com;branch=z9hG4bK1
From: <sip:b@example.com>;tag=1
To: <sip:a@example.com>
Call-ID: opt1
CSeq: 1 OPTIONS
l: 0

`)

/** Feeds `chunks` and collects everything the framer reports. */
function feed(framer: SipStreamFramer, chunks: readonly Buffer[]) {
  const messages: Buffer[] = []
  let pings = 0
  let pongs = 0
  for (const c of chunks) {
    const r = framer.push(c)
    messages.push(...r.messages)
    pings += r.pings
    pongs += r.pongs
    if (r.error !== null) return { messages, pings, pongs, error: r.error }
  }
  return { messages, pings, pongs, error: null }
}

function split(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size))
  return out
}

describe('SipStreamFramer', () => {
  test('many messages in one chunk come back whole, as views of the chunk', () => {
    const all = Buffer.concat([INVITE, REGISTER, OPTIONS, INVITE])
    const r = new SipStreamFramer().push(all)
    assert.equal(r.error, null)
    assert.deepEqual(
      r.messages.map((m) => m.length),
      [INVITE.length, REGISTER.length, OPTIONS.length, INVITE.length],
    )
    assert.ok(r.messages[1]!.equals(REGISTER))
    assert.equal(r.messages[0]!.buffer, all.buffer, 'no copy when nothing was pending')
    for (const m of r.messages) assert.ok(parseMessage(m, { framing: 'stream', mode: 'full' }).ok)
  })

  test('messages split across chunks at every size, byte by byte included', () => {
    const all = Buffer.concat([INVITE, OPTIONS, REGISTER])
    for (const size of [1, 2, 3, 7, 64, 100, 333]) {
      const framer = new SipStreamFramer()
      const r = feed(framer, split(all, size))
      assert.equal(r.error, null, `size ${size}`)
      assert.equal(r.messages.length, 3, `size ${size}`)
      assert.ok(r.messages[0]!.equals(INVITE))
      assert.ok(r.messages[1]!.equals(OPTIONS))
      assert.ok(r.messages[2]!.equals(REGISTER))
      assert.equal(framer.buffered, 0)
    }
  })

  test('every split point of two messages gives the same two messages', () => {
    const all = Buffer.concat([OPTIONS, INVITE])
    for (let at = 1; at < all.length; at++) {
      const r = feed(new SipStreamFramer(), [all.subarray(0, at), all.subarray(at)])
      assert.equal(r.messages.length, 2, `split at ${at}`)
      assert.ok(r.messages[0]!.equals(OPTIONS) && r.messages[1]!.equals(INVITE), `split at ${at}`)
    }
  })

  test('a partial message stays buffered; the copy does not alias the caller chunk', () => {
    const framer = new SipStreamFramer()
    const chunk = Buffer.from(INVITE.subarray(0, 50))
    assert.equal(framer.push(chunk).messages.length, 0)
    assert.equal(framer.buffered, 50)
    chunk.fill(0x20)
    const r = framer.push(INVITE.subarray(50))
    assert.ok(r.messages[0]!.equals(INVITE))
  })

  test('CRLF keep-alives: double CRLF is a ping (answer with CRLF), single CRLF a pong', () => {
    let r = feed(new SipStreamFramer(), [Buffer.from('\r\n\r\n'), OPTIONS, Buffer.from('\r\n\r\n\r\n\r\n')])
    assert.equal(r.pings, 3)
    assert.equal(r.messages.length, 1)
    r = feed(new SipStreamFramer(), [Buffer.concat([Buffer.from('\r\n'), OPTIONS])])
    assert.deepEqual([r.pings, r.pongs, r.messages.length], [0, 1, 1])
    // a ping split in two TCP segments still counts (the first half is reported as a pong)
    r = feed(new SipStreamFramer(), [Buffer.from('\r\n'), Buffer.from('\r\n')])
    assert.deepEqual([r.pings, r.pongs], [1, 1])
    // split inside the CRLF
    r = feed(new SipStreamFramer(), [Buffer.from('\r'), Buffer.from('\n\r'), Buffer.from('\n'), OPTIONS])
    assert.deepEqual([r.pings, r.messages.length], [1, 1])
  })

  test('Content-Length: compact and folded forms; missing, invalid or conflicting is fatal', () => {
    const folded = sip('MESSAGE sip:a@b SIP/2.0\nContent-Length:\n  5\n\nhello')
    assert.equal(new SipStreamFramer().push(folded).messages.length, 1)
    const cases: readonly [string, string][] = [
      ['MESSAGE sip:a@b SIP/2.0\nVia: x\n\nhello', 'SGW_ERR_SIP_CONTENT_LENGTH'],
      ['MESSAGE sip:a@b SIP/2.0\nl: -5\n\nhello', 'SGW_ERR_SIP_CONTENT_LENGTH'],
      ['MESSAGE sip:a@b SIP/2.0\nl: 5x\n\nhello', 'SGW_ERR_SIP_CONTENT_LENGTH'],
      ['MESSAGE sip:a@b SIP/2.0\nl: 5\nContent-Length: 4\n\nhello', 'SGW_ERR_SIP_CONTENT_LENGTH'],
      ['MESSAGE sip:a@b SIP/2.0\nl: 99999999999\n\n', 'SGW_ERR_SIP_CONTENT_LENGTH'],
    ]
    for (const [t, code] of cases) {
      const framer = new SipStreamFramer()
      const r = framer.push(sip(t))
      assert.equal(r.error?.code, code, t)
      assert.equal(r.error?.status, 400)
      // the framer stays failed: the transport closes the connection
      assert.equal(framer.push(OPTIONS).error?.code, code)
      assert.equal(framer.push(OPTIONS).messages.length, 0)
      assert.equal(framer.buffered, 0)
    }
  })

  test('an oversized body is refused at once, before any body byte is buffered', () => {
    const framer = new SipStreamFramer({ maxBodyBytes: 1000 })
    const r = framer.push(sip('MESSAGE sip:a@b SIP/2.0\nl: 1001\n\n'))
    assert.equal(r.error?.code, 'SGW_ERR_SIP_BODY_TOO_LARGE')
    assert.equal(r.error?.status, 513)
    const r2 = new SipStreamFramer({ maxMessageBytes: 100 }).push(sip('MESSAGE sip:a@b SIP/2.0\nl: 90\n\n'))
    assert.equal(r2.error?.code, 'SGW_ERR_SIP_TOO_LARGE')
  })

  test('an endless header section cannot grow memory past maxHeaderBytes', () => {
    const framer = new SipStreamFramer({ maxHeaderBytes: 4096 })
    framer.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\n'))
    let error = null
    for (let i = 0; i < 1000 && error === null; i++) {
      error = framer.push(Buffer.from('X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n')).error
      assert.ok(framer.buffered <= 4096 + 64)
    }
    assert.equal(error?.code, 'SGW_ERR_SIP_HEADERS_TOO_LARGE')
    assert.equal(framer.buffered, 0)
  })

  test('non-SIP bytes fail fast (HTTP on the SIP port, TLS on the TCP port)', () => {
    const http = new SipStreamFramer().push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n'))
    assert.equal(http.error?.code, 'SGW_ERR_SIP_BAD_START_LINE')
    const tls = new SipStreamFramer({ maxStartLineBytes: 512 }).push(Buffer.alloc(600, 0x16))
    assert.equal(tls.error?.code, 'SGW_ERR_SIP_START_LINE_TOO_LONG')
    const bareLf = new SipStreamFramer().push(Buffer.from('OPTIONS sip:a@b SIP/2.0\n'))
    assert.equal(bareLf.error?.code, 'SGW_ERR_SIP_BAD_LINE_END')
  })

  test('errors on a response say drop (status null); offsets are relative to the message', () => {
    const framer = new SipStreamFramer()
    const r = framer.push(Buffer.concat([OPTIONS, sip('SIP/2.0 200 OK\nVia: x\n\n')]))
    assert.equal(r.messages.length, 1)
    assert.equal(r.error?.code, 'SGW_ERR_SIP_CONTENT_LENGTH')
    assert.equal(r.error?.status, null)
    assert.ok(r.error!.offset < 40)
  })
})
