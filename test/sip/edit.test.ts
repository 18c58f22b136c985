import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { SgwError } from '../../src/errors.js'
import { applyEdits, type SipEdit } from '../../src/sip/index.js'
import { accept, FULL, INVITE, sip, torture } from './helpers.js'

/** latin1 keeps one char per byte, so string surgery below is byte surgery. */
const text = (b: Buffer): string => b.toString('latin1')

describe('applyEdits', () => {
  test('no edits: the message bytes come back identical', () => {
    const m = accept(INVITE)
    const out = applyEdits(m, [])
    assert.ok(out.equals(INVITE))
    out[0] = 0x78
    assert.equal(INVITE[0], 0x49, 'a copy, not a view')
  })

  test('insert, remove and replace lines in one pass; every untouched byte identical', () => {
    const buf = torture('wsinv.dat')
    const m = accept(buf, FULL)
    const lines = m.headerLines()
    const iRoute = m.lineIndexes('Route')[0]!
    const iMf = m.iMaxForwards
    const iVia = m.iVia
    const out = applyEdits(m, [
      { op: 'insertBefore', line: iVia, text: 'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKproxy1' },
      { op: 'remove', line: iRoute },
      { op: 'replaceValue', line: iMf, value: '67' },
      { op: 'insertAfter', line: lines.length - 1, text: 'Record-Route: <sip:proxy.example.com;lr>' },
    ])
    const src = text(buf)
    const viaLine = lines[iVia]!
    const mf = lines[iMf]!
    const route = lines[iRoute]!
    const last = lines[lines.length - 1]!
    const expected =
      src.slice(0, mf.valueStart) +
      '67' +
      src.slice(mf.valueEnd, viaLine.start) +
      'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKproxy1\r\n' +
      src.slice(viaLine.start, route.start) +
      src.slice(route.end, last.end) +
      'Record-Route: <sip:proxy.example.com;lr>\r\n' +
      src.slice(last.end)
    assert.equal(text(out), expected)
    // folding, odd case and compact names survive; the result still parses
    assert.ok(text(out).includes('MaX-fOrWaRdS: 67\r\n'))
    assert.ok(text(out).includes('Via  : SIP  /   2.0\r\n /UDP\r\n'))
    const again = accept(out, FULL)
    assert.equal(again.maxForwards(), 67)
    assert.equal(again.topVia()!.host, 'proxy.example.com')
    assert.equal(again.vias()!.length, 4)
    assert.equal(again.routes()!.length, 0)
    assert.equal(again.recordRoutes()!.length, 1)
    assert.ok(again.body.equals(m.body))
  })

  test('replaceLine and replaceStartLine', () => {
    const m = accept(INVITE)
    const out = applyEdits(m, [
      { op: 'replaceStartLine', text: 'INVITE sip:bob@192.0.2.4 SIP/2.0' },
      { op: 'replaceLine', line: m.iContact, text: 'Contact: <sip:alice@198.51.100.1>' },
    ])
    const src = text(INVITE)
    const c = m.headerLines()[m.iContact]!
    assert.equal(
      text(out),
      'INVITE sip:bob@192.0.2.4 SIP/2.0\r\n' +
        src.slice(m.headerLines()[0]!.start, c.start) +
        'Contact: <sip:alice@198.51.100.1>\r\n' +
        src.slice(c.end),
    )
  })

  test('replaceBody rewrites Content-Length in place (compact form kept) or appends one', () => {
    const buf = sip('MESSAGE sip:a@b SIP/2.0\nl: 5\nX: y\n\nhello')
    const m = accept(buf)
    const out = applyEdits(m, [{ op: 'replaceBody', body: 'hello, world' }])
    assert.equal(text(out), 'MESSAGE sip:a@b SIP/2.0\r\nl: 12\r\nX: y\r\n\r\nhello, world')
    const noCl = accept(torture('inv2543.dat'), FULL)
    const out2 = applyEdits(noCl, [{ op: 'replaceBody', body: Buffer.from('v=0\r\n') }])
    assert.ok(text(out2).endsWith('Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n'))
    const again = accept(out2, FULL)
    assert.equal(again.contentLength, 5)
    // an empty body, UTF-8 length counted in bytes
    assert.equal(text(applyEdits(m, [{ op: 'replaceBody', body: '' }])).split('\r\n')[1], 'l: 0')
    assert.equal(text(applyEdits(m, [{ op: 'replaceBody', body: 'é' }])).split('\r\n')[1], 'l: 2')
  })

  test('datagram noise is not forwarded: leading CRLFs and bytes after the body', () => {
    const dbl = torture('dblreq.dat')
    const m = accept(dbl, FULL)
    const out = applyEdits(m, [])
    assert.ok(out.equals(dbl.subarray(0, m.end)))
    assert.ok(!text(out).includes('INVITE'))
    const padded = Buffer.concat([Buffer.from('\r\n\r\n'), INVITE])
    assert.ok(applyEdits(accept(padded), []).equals(INVITE))
  })

  test('append adds lines at the end of the header section, in order', () => {
    const m = accept(INVITE)
    const out = applyEdits(m, [
      { op: 'append', text: 'X-A: 1' },
      { op: 'append', text: 'X-B: 2' },
      { op: 'insertBefore', line: 0, text: 'X-0: 0' },
      { op: 'insertBefore', line: 0, text: 'X-00: 00' },
    ])
    const again = accept(out)
    assert.deepEqual(
      again.headerLines().map((_, i) => again.lineName(i)),
      [
        'X-0',
        'X-00',
        'Via',
        'Max-Forwards',
        'To',
        'From',
        'Call-ID',
        'CSeq',
        'Contact',
        'Content-Type',
        'Content-Length',
        'X-A',
        'X-B',
      ],
    )
  })

  test('invalid edit lists throw SGW_ERR_SIP_EDIT (caller bugs), header injection included', () => {
    const m = accept(INVITE)
    const bad: readonly (readonly SipEdit[])[] = [
      [{ op: 'append', text: 'X: a\r\nInjected: yes' }],
      [{ op: 'replaceValue', line: 0, value: 'a\nb' }],
      [{ op: 'replaceStartLine', text: 'INVITE x SIP/2.0\r\n' }],
      [{ op: 'insertBefore', line: 0, text: 'X: \0' }],
      [{ op: 'remove', line: 99 }],
      [{ op: 'remove', line: -1 }],
      [{ op: 'remove', line: 1.5 }],
      [
        { op: 'remove', line: 1 },
        { op: 'replaceValue', line: 1, value: '2' },
      ],
      [
        { op: 'replaceBody', body: 'x' },
        { op: 'replaceValue', line: m.headerCount - 1, value: '9' },
      ],
      [
        { op: 'replaceBody', body: 'x' },
        { op: 'replaceBody', body: 'y' },
      ],
    ]
    for (const edits of bad) {
      assert.throws(
        () => applyEdits(m, edits),
        (e: unknown) => e instanceof SgwError && e.code === 'SGW_ERR_SIP_EDIT',
        JSON.stringify(edits),
      )
    }
    // removing Content-Length and replacing the body is fine: a new one is appended
    const out = applyEdits(m, [
      { op: 'remove', line: m.headerCount - 1 },
      { op: 'replaceBody', body: 'x' },
    ])
    assert.equal(accept(out).contentLength, 1)
  })
})
