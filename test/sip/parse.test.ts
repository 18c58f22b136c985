import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { SgwError } from '../../src/errors.js'
import {
  DEFAULT_LIMITS,
  H,
  HEADER_INFO,
  headerId,
  parseCSeq,
  parseMessage,
  SipErrors,
  SipParseError,
} from '../../src/sip/index.js'
import { accept, FULL, INVITE, REGISTER, reject, sip } from './helpers.js'

describe('error table', () => {
  test('codes are unique, SGW_ERR_SIP_*, statuses are SIP statuses or null', () => {
    const codes = Object.values(SipErrors).map((e) => e.code)
    assert.equal(new Set(codes).size, codes.length)
    for (const [kind, e] of Object.entries(SipErrors)) {
      assert.equal(e.code, `SGW_ERR_SIP_${kind}`)
      assert.ok(e.status === null || (e.status >= 400 && e.status <= 699), kind)
    }
  })

  test('SipParseError is a cheap value: JSON-serialisable, toError() gives an SgwError', () => {
    const e = reject(sip('OPTIONS sip:a@b SIP/3.0\n\n'))
    assert.ok(e instanceof SipParseError)
    assert.ok(!((e as unknown) instanceof Error), 'no stack trace captured on the reject path')
    const json = JSON.parse(JSON.stringify(e)) as Record<string, unknown>
    assert.deepEqual(Object.keys(json).sort(), ['code', 'message', 'offset', 'reason', 'status'])
    assert.deepEqual(json, {
      code: 'SGW_ERR_SIP_BAD_VERSION',
      offset: 16,
      status: 505,
      reason: 'Version Not Supported',
      message: 'SIP version is not SIP/2.0: SIP/3.0',
    })
    const err = e.toError()
    assert.ok(err instanceof SgwError)
    assert.ok(err instanceof Error)
    assert.equal(err.code, 'SGW_ERR_SIP_BAD_VERSION')
    assert.equal(err.offset, 16)
    assert.equal(err.status, 505)
    assert.match(err.message, /at byte 16/)
  })

  test('every error on a response carries status null (responses are never answered)', () => {
    const e = reject(sip('SIP/2.0 200 OK\nVia: SIP/2.0/UDP h\nContent-Length: 99\n\n'))
    assert.equal(e.code, 'SGW_ERR_SIP_CONTENT_LENGTH')
    assert.equal(e.status, null)
    assert.equal(e.reason, null)
  })
})

describe('header names', () => {
  test('compact forms of RFC 3261 §7.3.3 and the IANA registry', () => {
    const compact: Record<string, string> = {
      a: 'Accept-Contact',
      b: 'Referred-By',
      c: 'Content-Type',
      d: 'Request-Disposition',
      e: 'Content-Encoding',
      f: 'From',
      i: 'Call-ID',
      j: 'Reject-Contact',
      k: 'Supported',
      l: 'Content-Length',
      m: 'Contact',
      n: 'Identity-Info',
      o: 'Event',
      r: 'Refer-To',
      s: 'Subject',
      t: 'To',
      u: 'Allow-Events',
      v: 'Via',
      x: 'Session-Expires',
      y: 'Identity',
    }
    for (const [short, long] of Object.entries(compact)) {
      assert.notEqual(headerId(long), H.OTHER, long)
      assert.equal(headerId(short), headerId(long), short)
      assert.equal(headerId(short.toUpperCase()), headerId(long), short)
      assert.equal(HEADER_INFO[headerId(long)]!.compact, short)
    }
    assert.equal(headerId('call-id'), H.CALL_ID)
    assert.equal(headerId('CALL-ID'), H.CALL_ID)
    assert.equal(headerId('X-Unknown'), H.OTHER)
  })

  test('lookup by any spelling finds the lines written in any other spelling', () => {
    const m = accept(
      sip(`MESSAGE sip:a@example.com SIP/2.0
v: SIP/2.0/UDP h1;branch=z9hG4bK1
VIA: SIP/2.0/UDP h2;branch=z9hG4bK2
f: <sip:b@example.com>;tag=1
T: <sip:a@example.com>
I: id1
cSeQ: 1 MESSAGE
c: text/plain
k: path
X-Custom: one
x-custom: two
l: 0

`),
    )
    assert.deepEqual(m.headers('Via'), ['SIP/2.0/UDP h1;branch=z9hG4bK1', 'SIP/2.0/UDP h2;branch=z9hG4bK2'])
    assert.deepEqual(m.headers('v'), m.headers('via'))
    assert.equal(m.header('From'), '<sip:b@example.com>;tag=1')
    assert.equal(m.header('call-id'), 'id1')
    assert.equal(m.callId(), 'id1')
    assert.equal(m.header('Content-Type'), 'text/plain')
    assert.equal(m.header('Supported'), 'path')
    assert.deepEqual(m.headers('X-CUSTOM'), ['one', 'two'])
    assert.equal(m.header('X-Missing'), null)
    assert.deepEqual(m.headers('X-Missing'), [])
    assert.equal(m.hasHeader('x-custom'), true)
    assert.deepEqual(m.lineIndexes('x-Custom'), [8, 9])
    assert.equal(m.lineName(0), 'v')
    assert.equal(m.contentLength, 0)
  })
})

describe('lazy parse', () => {
  test('start line, routing headers located, body framed by Content-Length', () => {
    const m = accept(INVITE)
    assert.equal(m.isRequest, true)
    assert.equal(m.method, 'INVITE')
    assert.equal(m.requestUri, 'sip:bob@biloxi.example.com')
    assert.equal(m.version, 'SIP/2.0')
    assert.equal(m.status, null)
    assert.equal(m.reason, null)
    assert.equal(m.startLine, 'INVITE sip:bob@biloxi.example.com SIP/2.0')
    assert.deepEqual(
      [m.iVia, m.iMaxForwards, m.iTo, m.iFrom, m.iCallId, m.iCSeq, m.iContact],
      [0, 1, 2, 3, 4, 5, 6],
    )
    assert.equal(m.headerCount, 9)
    assert.equal(m.body.toString().slice(0, 4), 'v=0\r')
    assert.equal(m.body.length, m.contentLength)
    assert.equal(m.end, INVITE.length)
    assert.equal(m.body.buffer, INVITE.buffer, 'body is a view, not a copy')
  })

  test('response start line', () => {
    const m = accept(sip('SIP/2.0 486 Busy Here\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nContent-Length: 0\n\n'))
    assert.equal(m.isRequest, false)
    assert.equal(m.status, 486)
    assert.equal(m.reason, 'Busy Here')
    assert.equal(m.method, null)
    assert.equal(m.uri(), null)
  })

  test('header line records carry exact byte offsets; folded values are unfolded', () => {
    const buf = sip('OPTIONS sip:a@b SIP/2.0\nSubject :  hello\n  world  \nX: 1\n\n')
    const m = accept(buf)
    const [subject, x] = m.headerLines()
    assert.equal(buf.toString('latin1', subject!.start, subject!.nameEnd), 'Subject')
    assert.equal(buf.toString('latin1', subject!.valueStart, subject!.valueEnd), 'hello\r\n  world')
    assert.equal(subject!.folded, true)
    assert.equal(subject!.end, x!.start)
    assert.equal(m.header('subject'), 'hello  world')
    assert.equal(x!.folded, false)
    assert.equal(buf.toString('latin1', x!.start, x!.end), 'X: 1\r\n')
    assert.equal(m.headerEnd, x!.end)
    assert.equal(m.bodyStart, x!.end + 2)
  })

  test('list headers split at commas outside quotes and <>; other headers never split', () => {
    const m = accept(
      sip(`SIP/2.0 401 Unauthorized
Via: SIP/2.0/UDP a;branch=z9hG4bK1 , SIP/2.0/UDP b;branch=z9hG4bK2
Contact: "Doe, John" <sip:j@x;p=a,b>, <sip:k@y>
Contact: sip:l@z
WWW-Authenticate: Digest realm="r", nonce="n", qop="auth,auth-int"
Date: Sat, 13 Nov 2010 23:29:00 GMT
Allow: INVITE,ACK , BYE
Content-Length: 0

`),
    )
    assert.deepEqual(m.headers('Via'), ['SIP/2.0/UDP a;branch=z9hG4bK1', 'SIP/2.0/UDP b;branch=z9hG4bK2'])
    assert.equal(m.header('Via'), 'SIP/2.0/UDP a;branch=z9hG4bK1')
    assert.deepEqual(m.headers('Contact'), ['"Doe, John" <sip:j@x;p=a,b>', '<sip:k@y>', 'sip:l@z'])
    assert.deepEqual(m.headers('WWW-Authenticate'), ['Digest realm="r", nonce="n", qop="auth,auth-int"'])
    assert.deepEqual(m.headers('Date'), ['Sat, 13 Nov 2010 23:29:00 GMT'])
    assert.deepEqual(m.headers('Allow'), ['INVITE', 'ACK', 'BYE'])
    assert.equal(m.contacts()!.length, 3)
    assert.equal(m.contacts()![0]!.displayName, 'Doe, John')
  })

  test('leading CRLF keep-alives are skipped; only CRLFs is EMPTY (drop)', () => {
    const m = accept(Buffer.concat([Buffer.from('\r\n\r\n'), INVITE]))
    assert.equal(m.start, 4)
    assert.equal(m.method, 'INVITE')
    const e = reject(Buffer.from('\r\n\r\n'))
    assert.equal(e.code, 'SGW_ERR_SIP_EMPTY')
    assert.equal(e.status, null)
    assert.equal(reject(Buffer.alloc(0)).code, 'SGW_ERR_SIP_EMPTY')
  })

  test('line ends must be CRLF', () => {
    assert.equal(reject(Buffer.from('OPTIONS sip:a@b SIP/2.0\nVia: x\n\n')).code, 'SGW_ERR_SIP_BAD_LINE_END')
    assert.equal(
      reject(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: x\n\r\n')).code,
      'SGW_ERR_SIP_BAD_LINE_END',
    )
    assert.equal(
      reject(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\n')).code,
      'SGW_ERR_SIP_BAD_LINE_END',
    )
    assert.equal(
      reject(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\rX')).code,
      'SGW_ERR_SIP_BAD_LINE_END',
    )
    // a bare CR inside a value is only looked for in full mode
    const bareCr = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nSubject: a\rb\r\nl: 0\r\n\r\n')
    accept(bareCr)
    assert.equal(reject(bareCr, FULL).code, 'SGW_ERR_SIP_BAD_LINE_END')
  })

  test('truncated messages are INCOMPLETE', () => {
    for (const text of [
      'OPTIONS sip:a@b SIP/2.0',
      'OPTIONS sip:a@b SIP/2.0\r\nVia: x',
      'OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n',
    ]) {
      assert.equal(reject(Buffer.from(text)).code, 'SGW_ERR_SIP_INCOMPLETE', JSON.stringify(text))
    }
  })

  test('malformed header lines', () => {
    const bad = [
      'OPTIONS sip:a@b SIP/2.0\r\n folded-first: x\r\n\r\n',
      'OPTIONS sip:a@b SIP/2.0\r\nNoColon\r\n\r\n',
      'OPTIONS sip:a@b SIP/2.0\r\n: no name\r\n\r\n',
      'OPTIONS sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n',
      'OPTIONS sip:a@b SIP/2.0\r\nBad@Name: x\r\n\r\n',
    ]
    for (const text of bad) assert.equal(reject(Buffer.from(text)).code, 'SGW_ERR_SIP_BAD_HEADER_LINE', text)
  })

  test('start line grammar', () => {
    const cases: readonly [string, string, number | null][] = [
      ['INVITE sip:a@b SIP/2.1', 'SGW_ERR_SIP_BAD_VERSION', 505],
      ['INVITE sip:a@b HTTP/1.1', 'SGW_ERR_SIP_BAD_START_LINE', 400],
      ['INVITE sip:a@b', 'SGW_ERR_SIP_BAD_START_LINE', 400],
      ['INVITE', 'SGW_ERR_SIP_BAD_START_LINE', 400],
      ['INV@TE sip:a@b SIP/2.0', 'SGW_ERR_SIP_BAD_START_LINE', 400],
      ['INVITE\tsip:a@b SIP/2.0', 'SGW_ERR_SIP_BAD_START_LINE', 400],
      ['INVITE  sip:a@b SIP/2.0', 'SGW_ERR_SIP_BAD_START_LINE', 400],
      ['INVITE sip:a@b  SIP/2.0', 'SGW_ERR_SIP_BAD_START_LINE', 400],
      ['INVITE sip:a@b SIP/2.0 ', 'SGW_ERR_SIP_BAD_START_LINE', 400],
      ['INVITE sip:a @b SIP/2.0', 'SGW_ERR_SIP_BAD_REQUEST_URI', 400],
      ['INVITE <sip:a@b> SIP/2.0', 'SGW_ERR_SIP_BAD_REQUEST_URI', 400],
      ['INVITE nocolon SIP/2.0', 'SGW_ERR_SIP_BAD_REQUEST_URI', 400],
      ['SIP/2.0 99 Low', 'SGW_ERR_SIP_BAD_STATUS_CODE', null],
      ['SIP/2.0 700 High', 'SGW_ERR_SIP_BAD_STATUS_CODE', null],
      ['SIP/2.0 2000 Long', 'SGW_ERR_SIP_BAD_STATUS_CODE', null],
      ['SIP/2.0 OK', 'SGW_ERR_SIP_BAD_START_LINE', null],
      ['SIP/2.0 200OK', 'SGW_ERR_SIP_BAD_START_LINE', null],
      ['SIP/3.0 200 OK', 'SGW_ERR_SIP_BAD_VERSION', null],
      ['SIP/2 200 OK', 'SGW_ERR_SIP_BAD_START_LINE', null],
    ]
    for (const [line, code, status] of cases) {
      const e = reject(Buffer.from(`${line}\r\nContent-Length: 0\r\n\r\n`))
      assert.equal(e.code, code, line)
      assert.equal(e.status, status, line)
    }
    // "SIP" is case-insensitive in the ABNF; a missing reason phrase is tolerated
    assert.equal(accept(sip('OPTIONS sip:a@b sip/2.0\nl: 0\n\n')).version, 'SIP/2.0')
    const r = accept(sip('SIP/2.0 200\nl: 0\n\n'))
    assert.equal(r.status, 200)
    assert.equal(r.reason, '')
  })

  test('common methods are interned, others are kept as written', () => {
    assert.equal(accept(INVITE).method, 'INVITE')
    assert.equal(accept(sip('invite sip:a@b SIP/2.0\nl: 0\n\n')).method, 'invite')
    assert.equal(accept(sip('FOO.BAR sip:a@b SIP/2.0\nl: 0\n\n')).method, 'FOO.BAR')
  })
})

describe('Content-Length framing', () => {
  const head = 'MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n'
  test('datagram: bytes after the body are ignored; a shorter datagram is rejected (400)', () => {
    const m = accept(Buffer.from(`${head}Content-Length: 5\r\n\r\nhelloEXTRA`))
    assert.equal(m.body.toString(), 'hello')
    assert.equal(m.end, m.buf.length - 5)
    const e = reject(Buffer.from(`${head}Content-Length: 50\r\n\r\nhello`))
    assert.equal(e.code, 'SGW_ERR_SIP_CONTENT_LENGTH')
    assert.equal(e.status, 400)
  })

  test('datagram without Content-Length: body is the rest', () => {
    assert.equal(accept(Buffer.from(`${head}\r\nhello`)).body.toString(), 'hello')
  })

  test('stream framing: Content-Length mandatory, short body INCOMPLETE, extra bytes are the next message', () => {
    const stream = { framing: 'stream' } as const
    assert.equal(reject(Buffer.from(`${head}\r\nhello`), stream).code, 'SGW_ERR_SIP_CONTENT_LENGTH')
    assert.equal(reject(Buffer.from(`${head}l: 9\r\n\r\nhello`), stream).code, 'SGW_ERR_SIP_INCOMPLETE')
    const m = accept(Buffer.from(`${head}l: 5\r\n\r\nhelloNEXT`), stream)
    assert.equal(m.end, m.buf.length - 4)
  })

  test('invalid and conflicting values are rejected even in lazy mode; equal repeats only in full mode', () => {
    for (const v of ['-1', 'abc', '1 2', '', '12345678901', '0x10']) {
      assert.equal(
        reject(Buffer.from(`${head}Content-Length: ${v}\r\n\r\n`)).code,
        'SGW_ERR_SIP_CONTENT_LENGTH',
        v,
      )
    }
    const conflicting = Buffer.from(`${head}Content-Length: 1\r\nl: 2\r\n\r\nab`)
    assert.match(reject(conflicting).message, /conflicting/)
    const repeated = Buffer.from(`${head}Content-Length: 2\r\nl: 2\r\n\r\nab`)
    assert.equal(accept(repeated).body.toString(), 'ab')
    assert.equal(reject(repeated, FULL).code, 'SGW_ERR_SIP_DUPLICATE_HEADER')
  })
})

describe('limits', () => {
  test('DEFAULT_LIMITS are frozen and sane', () => {
    assert.ok(Object.isFrozen(DEFAULT_LIMITS))
    assert.deepEqual(DEFAULT_LIMITS, {
      maxMessageBytes: 65535,
      maxStartLineBytes: 4096,
      maxHeaderBytes: 32768,
      maxHeaders: 256,
      maxHeaderLineBytes: 8192,
      maxVias: 70,
      maxBodyBytes: 65535,
    })
  })

  test('each limit rejects with its own code and status', () => {
    const big = Buffer.concat([INVITE, Buffer.alloc(70000, 0x61)])
    const tooLarge = reject(big)
    assert.equal(tooLarge.code, 'SGW_ERR_SIP_TOO_LARGE')
    assert.equal(tooLarge.status, 513)
    assert.equal(reject(INVITE, { maxMessageBytes: 100 }).code, 'SGW_ERR_SIP_TOO_LARGE')

    const e414 = reject(INVITE, { maxStartLineBytes: 10 })
    assert.equal(e414.code, 'SGW_ERR_SIP_START_LINE_TOO_LONG')
    assert.equal(e414.status, 414)
    assert.equal(reject(INVITE, { maxHeaders: 3 }).code, 'SGW_ERR_SIP_TOO_MANY_HEADERS')
    assert.equal(reject(INVITE, { maxHeaders: 3 }).status, 513)
    assert.equal(reject(INVITE, { maxHeaderLineBytes: 40 }).code, 'SGW_ERR_SIP_HEADER_TOO_LONG')
    assert.equal(reject(INVITE, { maxHeaderBytes: 200 }).code, 'SGW_ERR_SIP_HEADERS_TOO_LARGE')
    assert.equal(reject(INVITE, { maxBodyBytes: 100 }).code, 'SGW_ERR_SIP_BODY_TOO_LARGE')
    accept(INVITE, { maxHeaders: 9, maxBodyBytes: 131 })
  })

  test('maxVias: lazy counts Via lines, full counts Via values (483)', () => {
    const vias = Array.from({ length: 5 }, (_, i) => `Via: SIP/2.0/UDP h${i};branch=z9hG4bK${i}`).join('\n')
    const lines = sip(`OPTIONS sip:a@b SIP/2.0\n${vias}\nl: 0\n\n`)
    const e = reject(lines, { maxVias: 4 })
    assert.equal(e.code, 'SGW_ERR_SIP_TOO_MANY_VIAS')
    assert.equal(e.status, 483)
    const oneLine = sip(
      `OPTIONS sip:a@b SIP/2.0\nVia: ${Array.from({ length: 5 }, (_, i) => `SIP/2.0/UDP h${i}`).join(', ')}\nFrom: <sip:a@b>;tag=1\nTo: <sip:a@b>\nCall-ID: x\nCSeq: 1 OPTIONS\nl: 0\n\n`,
    )
    accept(oneLine, { maxVias: 4 })
    assert.equal(reject(oneLine, { maxVias: 4, mode: 'full' }).code, 'SGW_ERR_SIP_TOO_MANY_VIAS')
  })
})

describe('full mode validation', () => {
  const base = {
    start: 'OPTIONS sip:a@example.com SIP/2.0',
    via: 'Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1',
    from: 'From: <sip:b@example.com>;tag=1',
    to: 'To: <sip:a@example.com>',
    callId: 'Call-ID: abc@h',
    cseq: 'CSeq: 1 OPTIONS',
    mf: 'Max-Forwards: 70',
  }
  const build = (over: Partial<typeof base>, extra: string[] = []): Buffer => {
    const b = { ...base, ...over }
    const lines = [
      b.start,
      b.via,
      b.from,
      b.to,
      b.callId,
      b.cseq,
      b.mf,
      ...extra,
      'Content-Length: 0',
    ].filter((l) => l !== '')
    return sip(`${lines.join('\n')}\n\n`)
  }

  test('a well-formed request passes', () => {
    const m = accept(build({}), FULL)
    assert.equal(m.maxForwards(), 70)
    assert.equal(accept(build({ mf: 'Max-Forwards: 000000000255' }), FULL).maxForwards(), 255)
    accept(REGISTER, FULL)
    accept(INVITE, FULL)
  })

  test('mandatory headers (Max-Forwards may be absent)', () => {
    accept(build({ mf: '' }), FULL)
    for (const k of ['via', 'from', 'to', 'callId', 'cseq'] as const) {
      const e = reject(build({ [k]: '' }), FULL)
      assert.equal(e.code, 'SGW_ERR_SIP_MISSING_HEADER', k)
    }
    // lazy mode does not check
    accept(build({ from: '', to: '' }))
  })

  test('repeated single-valued headers', () => {
    const repeats = [
      ['From: <sip:c@example.com>;tag=2'],
      ['t: <sip:x@y>'],
      ['i: other'],
      ['CSeq: 2 OPTIONS'],
      ['Max-Forwards: 1'],
      ['c: text/plain', 'Content-Type: text/html'],
    ]
    for (const extra of repeats) {
      const e = reject(build({}, extra), FULL)
      assert.equal(e.code, 'SGW_ERR_SIP_DUPLICATE_HEADER', extra.join())
      assert.equal(e.status, 400)
    }
  })

  test('typed values', () => {
    const cases: readonly [Partial<typeof base>, string[], string][] = [
      [{ mf: 'Max-Forwards: 256' }, [], 'SGW_ERR_SIP_BAD_MAX_FORWARDS'],
      [{ mf: 'Max-Forwards: -1' }, [], 'SGW_ERR_SIP_BAD_MAX_FORWARDS'],
      [{ mf: 'Max-Forwards: 99999999999999999999' }, [], 'SGW_ERR_SIP_BAD_MAX_FORWARDS'],
      [{ callId: 'Call-ID: a b' }, [], 'SGW_ERR_SIP_BAD_CALL_ID'],
      [{ callId: 'Call-ID: a@b@c' }, [], 'SGW_ERR_SIP_BAD_CALL_ID'],
      [{ cseq: 'CSeq: x OPTIONS' }, [], 'SGW_ERR_SIP_BAD_CSEQ'],
      [{ cseq: 'CSeq: 4294967296 OPTIONS' }, [], 'SGW_ERR_SIP_BAD_CSEQ'],
      [{ cseq: 'CSeq: 1 INVITE' }, [], 'SGW_ERR_SIP_CSEQ_MISMATCH'],
      [{ via: 'Via: SIP/2.0/UDP' }, [], 'SGW_ERR_SIP_BAD_VIA'],
      [{ via: 'Via: SIP/2.0/UDP h;received=host.example.com' }, [], 'SGW_ERR_SIP_BAD_VIA'],
      [{ from: 'From: sip:b@example.com;;tag=1' }, [], 'SGW_ERR_SIP_BAD_ADDRESS'],
      [{ to: 'To: <sip:a@example.com' }, [], 'SGW_ERR_SIP_BAD_ADDRESS'],
      [{ to: 'To: <sip:a@exa mple.com>' }, [], 'SGW_ERR_SIP_BAD_ADDRESS'],
      [{ start: 'OPTIONS sip:a@[::1 SIP/2.0' }, [], 'SGW_ERR_SIP_BAD_REQUEST_URI'],
      [{}, ['Contact: <sip:x@y>;;'], 'SGW_ERR_SIP_BAD_ADDRESS'],
      [{}, ['Route: sip:proxy.example.com;lr'], 'SGW_ERR_SIP_BAD_ADDRESS'],
      [{}, ['Record-Route: <sip:p1;lr>, junk'], 'SGW_ERR_SIP_BAD_ADDRESS'],
      [{}, ['Authorization: Digest username="a", username="b"'], 'SGW_ERR_SIP_BAD_AUTH'],
      [{}, ['Proxy-Authorization: Digest realm="r" nonce="n"'], 'SGW_ERR_SIP_BAD_AUTH'],
      [{}, ['Content-Type: sdp'], 'SGW_ERR_SIP_BAD_CONTENT_TYPE'],
      [{}, ['Subject: nul\0here'], 'SGW_ERR_SIP_BAD_HEADER_VALUE'],
      // a bare CR is never white space (a peer could read it as a line break)
      [{ via: 'Via: SIP/2.0/UDP\rh.example.com;branch=z9hG4bK1' }, [], 'SGW_ERR_SIP_BAD_VIA'],
      [{ from: 'From: "a\rb" <sip:b@example.com>;tag=1' }, [], 'SGW_ERR_SIP_BAD_ADDRESS'],
      [{ from: 'From: <sip:b@example.com>;tag=1\0' }, [], 'SGW_ERR_SIP_BAD_ADDRESS'],
      [{}, ['Authorization: Digest username="a\0"'], 'SGW_ERR_SIP_BAD_AUTH'],
      [{}, ['Subject: bare\rCR'], 'SGW_ERR_SIP_BAD_LINE_END'],
      [{}, ['X-Bell: \x07'], 'SGW_ERR_SIP_BAD_HEADER_VALUE'],
    ]
    for (const [over, extra, code] of cases) {
      const buf = build(over, extra)
      const e = reject(buf, FULL)
      assert.equal(e.code, code, JSON.stringify([over, extra]))
      if (code !== 'SGW_ERR_SIP_BAD_REQUEST_URI') accept(buf)
    }
  })

  test('quoted-pairs may carry control characters; Contact * is accepted', () => {
    accept(build({ to: 'To: "a\\\0b" <sip:a@example.com>' }, ['Contact: *', 'Expires: 0']), FULL)
  })

  test('an unknown method with a mismatching CSeq gets 501', () => {
    const e = reject(build({ start: 'FOO sip:a@example.com SIP/2.0', cseq: 'CSeq: 1 BAR' }), FULL)
    assert.equal(e.code, 'SGW_ERR_SIP_CSEQ_MISMATCH')
    assert.equal(e.status, 501)
  })
})

describe('typed accessors', () => {
  test('routing values of a request', () => {
    const m = accept(INVITE)
    assert.equal(m.topVia()!.branch, 'z9hG4bK776asdhds')
    assert.equal(m.topVia()!.hasRport, true)
    assert.equal(m.from()!.tag, '1928301774')
    assert.equal(m.from()!.displayName, 'Alice')
    assert.equal(m.to()!.tag, null)
    assert.equal(m.to()!.uri!.user, 'bob')
    assert.deepEqual(m.cseq(), { seq: 314159, method: 'INVITE' })
    assert.equal(m.maxForwards(), 70)
    assert.equal(m.contentType(), 'application/sdp')
    assert.equal(m.sdp()!.connection!.address, '192.0.2.101')
    assert.equal(m.uri()!.host, 'biloxi.example.com')
    assert.deepEqual(m.routes(), [])
    assert.equal(m.authorization(), null)
    assert.equal(m.isContactWildcard(), false)
  })

  test('digest credentials, selected by realm', () => {
    const m = accept(REGISTER)
    const a = m.authorization()!
    assert.equal(a.username, 'bob')
    assert.equal(a.realm, 'biloxi.example.com')
    assert.equal(a.nc, '00000001')
    assert.equal(m.authorization('biloxi.example.com'), a)
    assert.equal(m.authorization('other.example.com'), null)
    assert.equal(m.proxyAuthorization(), null)
  })

  test('accessors return null for malformed values in a lazily parsed message, never throw', () => {
    const m = accept(
      sip(`OPTIONS sip:a@b SIP/2.0
Via: SIP/2.0/UDP good;branch=z9hG4bK1
Via: garbage
From: "unterminated <sip:x@y>
To: <sip:a@b@c@>
CSeq: x
Max-Forwards: many
Contact: <sip:c@d>;;
Authorization: Digest ,,=
l: 0

`),
    )
    assert.equal(m.topVia()!.host, 'good')
    assert.equal(m.vias(), null)
    assert.equal(m.topVia()!.host, 'good')
    assert.equal(m.from(), null)
    assert.notEqual(m.to(), null)
    assert.equal(m.to()!.uri, null)
    assert.equal(m.cseq(), null)
    assert.equal(m.maxForwards(), null)
    assert.equal(m.contacts(), null)
    assert.equal(m.authorization(), null)
    assert.equal(m.sdp(), null)
  })

  test('a ParseResult is JSON-serialisable either way (for logs)', () => {
    const ok = JSON.parse(JSON.stringify(parseMessage(INVITE))) as {
      ok: boolean
      message: Record<string, unknown>
    }
    assert.equal(ok.ok, true)
    assert.equal((ok.message['startLine'] as { method: string }).method, 'INVITE')
    assert.equal((ok.message['cseq'] as { seq: number }).seq, 314159)
    const bad = JSON.parse(JSON.stringify(parseMessage(Buffer.from('junk\r\n\r\n')))) as Record<
      string,
      unknown
    >
    assert.deepEqual(Object.keys(bad['error'] as object).sort(), [
      'code',
      'message',
      'offset',
      'reason',
      'status',
    ])
  })

  test('typed values are cached', () => {
    const m = accept(INVITE)
    assert.equal(m.from(), m.from())
    assert.equal(m.vias(), m.vias())
    assert.equal(m.topVia(), m.vias()![0])
    assert.equal(m.sdp(), m.sdp())
  })

  test('parseCSeq', () => {
    assert.deepEqual(parseCSeq('0009  INVITE'), { seq: 9, method: 'INVITE' })
    assert.deepEqual(parseCSeq('4294967295 ACK'), { seq: 4294967295, method: 'ACK' })
    for (const bad of ['4294967296 ACK', 'INVITE', '1', '1INVITE', '1 INVITE x', ' ', '-1 BYE']) {
      assert.equal(parseCSeq(bad), null, bad)
    }
  })
})
