// Property tests (fast-check, fixed seed, bounded runs: a few seconds in all). Whatever the
// bytes, the parser returns a value: it never throws, it returns quickly, what it builds stays
// proportional to the input, and every typed accessor of an accepted message returns a value
// or null without throwing. Any throw fails the property.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  applyEdits,
  messageToJson,
  parseChallenge,
  parseCredentials,
  parseCSeq,
  parseMessage,
  parseNameAddr,
  parseNameAddrList,
  parseSdp,
  parseUri,
  parseViaList,
  type SipMessage,
  SipStreamFramer,
} from '../../src/sip/index.js'
import { INVITE, REGISTER, sip, TORTURE_DIR } from './helpers.js'

const SEED = 20_260_401
/** wall-clock bound for one parse plus every accessor (generous: CI machines are noisy) */
const MAX_MS = 250
/** JSON of a parsed message may not exceed K × input bytes + C */
const K = 40
const C = 4096

const VALID: readonly Buffer[] = [
  INVITE,
  REGISTER,
  sip(
    'SIP/2.0 200 OK\nVia: SIP/2.0/UDP a;branch=z9hG4bK1;received=192.0.2.1\nTo: <sip:b@c>;tag=2\nFrom: <sip:a@c>;tag=1\nCall-ID: x\nCSeq: 1 INVITE\nContent-Length: 0\n\n',
  ),
  ...['wsinv', 'intmeth', 'esc01', 'longreq', 'mpart01', 'ipv4-mapped-ipv6', 'unreason', 'regescrt'].map(
    (n) => readFileSync(new URL(`${n}.dat`, TORTURE_DIR)),
  ),
]

const INSERTS = [
  '\r',
  '\n',
  '\r\n',
  '\r\n ',
  '\r\n\r\n',
  ' ',
  '\t',
  ':',
  ';',
  ',',
  '=',
  '"',
  '\\',
  '<',
  '>',
  '[',
  ']',
  '@',
  '%',
  '%0',
  '\0',
  '\x7f',
  '\xff',
  '99999999999999999999',
  '4294967296',
  '-1',
  'SIP/2.0',
  'Content-Length: 9999\r\n',
  'l: 0\r\n',
  'Via: SIP/2.0/UDP [::1;branch=\r\n',
  'Contact: *\r\n',
  'Authorization: Digest a="\r\n',
].map((s) => Buffer.from(s, 'latin1'))

type Mutation =
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'flip'; readonly at: number; readonly byte: number }
  | { readonly kind: 'insert'; readonly at: number; readonly what: number }
  | { readonly kind: 'delete'; readonly at: number; readonly len: number }
  | { readonly kind: 'dupLine'; readonly at: number; readonly times: number }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('truncate' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('flip' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      byte: fc.integer({ min: 0, max: 255 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      what: fc.integer({ min: 0, max: INSERTS.length - 1 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      len: fc.integer({ min: 1, max: 40 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('dupLine' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      times: fc.integer({ min: 1, max: 30 }),
    }),
  },
)

function mutate(base: Buffer, ms: readonly Mutation[]): Buffer {
  let b = base
  for (const m of ms) {
    const at = Math.min(b.length, Math.floor(m.at * b.length))
    switch (m.kind) {
      case 'truncate':
        b = b.subarray(0, at)
        break
      case 'flip': {
        if (b.length === 0) break
        const c = Buffer.from(b)
        c[Math.min(at, c.length - 1)] = m.byte
        b = c
        break
      }
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), INSERTS[m.what]!, b.subarray(at)])
        break
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)])
        break
      case 'dupLine': {
        // repeat the whole line around `at` (repeated headers, repeated Via/Content-Length …)
        const s = b.lastIndexOf(0x0a, at - 1) + 1
        const e = b.indexOf(0x0a, at)
        if (e < 0) break
        const line = b.subarray(s, e + 1)
        b = Buffer.concat([
          b.subarray(0, e + 1),
          ...Array.from({ length: m.times }, () => line),
          b.subarray(e + 1),
        ])
        break
      }
    }
  }
  return b
}

/** Every accessor of a message; returns the JSON size. Throws only if an accessor throws. */
function exercise(m: SipMessage): number {
  m.uri()
  m.topVia()
  const vias = m.vias()
  void m.from()?.uri
  void m.to()?.uri
  m.callId()
  m.cseq()
  m.maxForwards()
  m.isContactWildcard()
  for (const c of m.contacts() ?? []) void c.uri
  for (const r of m.routes() ?? []) void r.uri
  for (const r of m.recordRoutes() ?? []) void r.uri
  m.authorization()
  m.authorization('x')
  m.proxyAuthorization()
  m.wwwAuthenticate()
  m.proxyAuthenticate()
  m.contentType()
  m.sdp()
  void m.startLine
  void m.body
  void m.requestUri
  void m.reason
  for (let i = 0; i < m.headerCount; i++) {
    m.header(m.lineName(i))
    m.headers(m.lineName(i))
  }
  if (vias !== null) assert.ok(vias.length <= 1000)
  // forwarding with no edits reproduces the message's own bytes
  assert.ok(applyEdits(m, []).equals(m.bytes))
  return JSON.stringify(messageToJson(m)).length
}

function check(buf: Buffer, mode: 'lazy' | 'full', framing: 'datagram' | 'stream' = 'datagram'): void {
  const t0 = performance.now()
  const r = parseMessage(buf, { mode, framing })
  let size: number
  if (r.ok) {
    size = exercise(r.message)
  } else {
    assert.ok(
      r.error.offset >= 0 && r.error.offset <= Math.max(buf.length, 65535),
      `offset ${r.error.offset}`,
    )
    assert.ok(r.error.status === null || (r.error.status >= 400 && r.error.status <= 699))
    size = JSON.stringify(r.error).length
  }
  const ms = performance.now() - t0
  assert.ok(ms < MAX_MS, `took ${ms.toFixed(1)} ms for ${buf.length} bytes`)
  assert.ok(size <= K * buf.length + C, `JSON ${size} bytes for ${buf.length} input bytes`)
}

describe('fuzz: parseMessage never throws', () => {
  test('random bytes (lazy and full)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (a) => {
        const buf = Buffer.from(a)
        check(buf, 'lazy')
        check(buf, 'full')
      }),
      { seed: SEED, numRuns: 400 },
    )
  })

  test('random text built from SIP-ish tokens', () => {
    const piece = fc.constantFrom(
      'INVITE ',
      'SIP/2.0',
      ' ',
      '\r\n',
      'Via: ',
      'v:',
      'SIP/2.0/UDP ',
      'host',
      '[::1]',
      ':5060',
      ';branch=z9hG4bK',
      ';rport',
      ';received=',
      'From: ',
      'To: ',
      '"',
      '\\',
      '<sip:',
      'a@b',
      '>',
      ';tag=',
      ',',
      'Call-ID: ',
      'CSeq: ',
      '1 INVITE',
      'l: ',
      '0',
      '9',
      'Content-Type: application/sdp',
      'Authorization: Digest ',
      'username=',
      'v=0\r\n',
      'c=IN IP6 ',
      'm=audio ',
      '\r\n\r\n',
    )
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 80 }), (parts) => {
        const buf = Buffer.from(parts.join(''), 'latin1')
        check(buf, 'lazy')
        check(buf, 'full')
      }),
      { seed: SEED + 1, numRuns: 500 },
    )
  })

  test('mutations of valid messages: truncate, flip, insert CR/LF/quotes/huge numbers, delete, repeat lines', () => {
    let lazyAccepted = 0
    let fullAccepted = 0
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: VALID.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (i, ms) => {
          const buf = mutate(VALID[i]!, ms)
          check(buf, 'lazy')
          check(buf, 'full')
          check(buf, 'full', 'stream')
          if (parseMessage(buf).ok) lazyAccepted++
          if (parseMessage(buf, { mode: 'full' }).ok) fullAccepted++
        },
      ),
      { seed: SEED + 2, numRuns: 1500 },
    )
    // the property must also have exercised the accessors of accepted (mutated) messages:
    // lazily accepted ones carry malformed values the accessors must survive
    assert.ok(lazyAccepted > 250, `only ${lazyAccepted} mutated messages were accepted (lazy)`)
    assert.ok(fullAccepted > 100, `only ${fullAccepted} mutated messages were accepted (full)`)
  })

  test('typed parsers on arbitrary strings return a value or null', () => {
    const str = fc.oneof(fc.string({ maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 120 }))
    fc.assert(
      fc.property(str, (s) => {
        parseUri(s)
        void parseNameAddr(s)?.uri
        parseNameAddrList(s)
        parseViaList(s)
        parseCSeq(s)
        parseCredentials(s)
        parseChallenge(s)
        parseSdp(s)
      }),
      { seed: SEED + 3, numRuns: 1500 },
    )
  })

  test('stream framer: any chunking of any bytes', () => {
    const all = Buffer.concat([INVITE, REGISTER, Buffer.from('\r\n\r\n'), INVITE])
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 30 }),
        fc.array(mutation, { maxLength: 3 }),
        (sizes, ms) => {
          const input = mutate(all, ms)
          const framer = new SipStreamFramer({ maxHeaderBytes: 2048, maxBodyBytes: 1024 })
          let at = 0
          let k = 0
          while (at < input.length) {
            const size = sizes[k++ % sizes.length]!
            const r = framer.push(input.subarray(at, at + size))
            at += size
            for (const m of r.messages) parseMessage(m, { framing: 'stream', mode: 'full' })
            assert.ok(framer.buffered <= 2048 + 1024 + 200)
            if (r.error !== null) break
          }
        },
      ),
      { seed: SEED + 4, numRuns: 300 },
    )
    // and the unmutated stream always frames to the same three messages, whatever the chunking
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }), (sizes) => {
        const framer = new SipStreamFramer()
        const out: Buffer[] = []
        let at = 0
        let k = 0
        while (at < all.length) {
          const size = sizes[k++ % sizes.length]!
          out.push(...framer.push(all.subarray(at, at + size)).messages)
          at += size
        }
        assert.equal(out.length, 3)
        assert.ok(out[0]!.equals(INVITE) && out[1]!.equals(REGISTER) && out[2]!.equals(INVITE))
      }),
      { seed: SEED + 5, numRuns: 200 },
    )
  })
})

describe('adversarial inputs stay linear', () => {
  const head = 'OPTIONS sip:a@example.com SIP/2.0\r\n'
  const tail = 'From: <sip:b@c>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n'
  const cases: readonly [string, string][] = [
    ['60 KB of ";" in a Via', `Via: SIP/2.0/UDP h${';'.repeat(60000)}\r\n`],
    ['30 000 empty list elements', `Via: SIP/2.0/UDP h${','.repeat(30000)}\r\n`],
    ['10 000 Contact values', `Contact: ${Array.from({ length: 10000 }, () => '<sip:a@b>').join(',')}\r\n`],
    ['one long unterminated quote', `Contact: "${'a'.repeat(60000)}\r\n`],
    ['many escaped quotes', `To: "${'\\"'.repeat(25000)}" <sip:a@b>\r\n`],
    ['2 000 continuation lines', `Subject: a${'\r\n b'.repeat(2000)}\r\n`],
    ['255 header lines', Array.from({ length: 250 }, (_, i) => `X-H${i}: ${i}\r\n`).join('')],
    ['a 60 KB Request-URI parameter', `Route: <sip:p;${'x'.repeat(60000)}>\r\n`],
    [
      'digest with 5 000 parameters',
      `Authorization: Digest ${Array.from({ length: 5000 }, (_, i) => `p${i}=v`).join(',')}\r\n`,
    ],
  ]
  for (const [name, lines] of cases) {
    test(name, () => {
      const buf = Buffer.from(head + lines + tail, 'latin1')
      for (const mode of ['lazy', 'full'] as const) {
        const t0 = performance.now()
        const r = parseMessage(buf, { mode, maxHeaderLineBytes: 65535, maxHeaderBytes: 65535 })
        if (r.ok) exercise(r.message)
        const ms = performance.now() - t0
        assert.ok(ms < 1000, `${mode}: ${ms.toFixed(0)} ms`)
      }
    })
  }
})
