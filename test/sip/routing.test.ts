// The routing accessors (topViaBranch, fromTag, toTag, cseqNumber, cseqMethod) read the bytes
// and build no typed object. They must return what the typed accessors return whenever those
// return a value, and never throw. Checked over the torture corpus (lazy and full mode), the
// bench mix, and seeded mutations of both.

import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { buildMix } from '../../bench/parse/mix.js'
import { type ParseOptions, parseMessage, type SipMessage } from '../../src/sip/index.js'
import { FULL, sip, TORTURE_DIR } from './helpers.js'
import { seededRandom } from '../../src/state/internal/prng.js'

const LAZY: ParseOptions = {}

const TORTURE: readonly Buffer[] = readdirSync(TORTURE_DIR)
  .filter((f) => f.endsWith('.dat'))
  .sort()
  .map((f) => readFileSync(new URL(f, TORTURE_DIR)))

const MIX: readonly Buffer[] = buildMix(200).map((m) => m.buf)

/** The routing accessors of m against the typed ones; `strict`: typed values must all be non-null. */
function check(m: SipMessage, label: string, strict: boolean): number {
  const via = m.topVia()
  const from = m.from()
  const to = m.to()
  const cseq = m.cseq()
  const branch = m.topViaBranch()
  const fromTag = m.fromTag()
  const toTag = m.toTag()
  const seq = m.cseqNumber()
  const method = m.cseqMethod()
  let compared = 0
  if (strict) {
    assert.notEqual(via, null, `${label}: topVia`)
    assert.notEqual(from, null, `${label}: from`)
    assert.notEqual(to, null, `${label}: to`)
    assert.notEqual(cseq, null, `${label}: cseq`)
  }
  if (via !== null) {
    assert.equal(branch, via.branch, `${label}: topViaBranch`)
    compared++
  }
  if (from !== null) {
    assert.equal(fromTag, from.tag, `${label}: fromTag`)
    compared++
  }
  if (to !== null) {
    assert.equal(toTag, to.tag, `${label}: toTag`)
    compared++
  }
  // the CSeq accessors read the same scan as cseq(): equal, null included
  assert.equal(seq, cseq?.seq ?? null, `${label}: cseqNumber`)
  assert.equal(method, cseq?.method ?? null, `${label}: cseqMethod`)
  // repeated calls return the cached value
  assert.equal(m.topViaBranch(), branch)
  assert.equal(m.fromTag(), fromTag)
  assert.equal(m.toTag(), toTag)
  return compared + 2
}

/** Routing accessors first (the gateway's order), then the typed ones on a fresh parse. */
function checkBoth(buf: Buffer, opts: ParseOptions, label: string, strict: boolean): number {
  const r = parseMessage(buf, opts)
  if (!r.ok) return 0
  const r2 = parseMessage(buf, opts)
  assert.ok(r2.ok)
  // typed first on the second parse: the routing accessors may then reuse nothing wrongly
  const m2 = r2.message
  m2.topVia()
  m2.from()
  m2.to()
  m2.cseq()
  return check(r.message, label, strict) + check(m2, `${label} (typed first)`, strict)
}

const rng = seededRandom

const INSERTS = [
  '\r\n ',
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
  ';tag=',
  ';branch=',
  ';tag="q"',
  ';branch="z9"',
  ';TAG=x',
  ';Branch=y',
  '"a\\"b" ',
  '\u00e9',
  '\u0000',
  '\xff',
  '[::1]',
  'sip:',
]

const ROUTING_NAMES = ['\nVia:', '\nv:', '\nFrom:', '\nf:', '\nTo:', '\nt:', '\nCSeq:'].map((n) =>
  Buffer.from(n.replace('\n', '\r\n')),
)

/** One to four random edits: insert a snippet, delete a run, or overwrite a byte. */
function mutate(buf: Buffer, next: () => number): Buffer {
  let b = buf
  const edits = 1 + Math.floor(next() * 4)
  for (let e = 0; e < edits; e++) {
    let at = Math.floor(next() * b.length)
    // mostly inside a routing header (Via, From, To, CSeq, compact forms too)
    if (next() < 0.7) {
      const name = ROUTING_NAMES[Math.floor(next() * ROUTING_NAMES.length)]!
      const h = b.indexOf(name)
      if (h >= 0) at = Math.min(b.length - 1, h + Math.floor(next() * 70))
    }
    const kind = next()
    if (kind < 0.5) {
      const ins = INSERTS[Math.floor(next() * INSERTS.length)]!
      const bytes = ins === '\xff' ? Buffer.from([0xff]) : Buffer.from(ins, 'utf8')
      b = Buffer.concat([b.subarray(0, at), bytes, b.subarray(at)])
    } else if (kind < 0.8) {
      const n = 1 + Math.floor(next() * 8)
      b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + n))])
    } else {
      b = Buffer.from(b)
      b[at] = Math.floor(next() * 256)
    }
  }
  return b
}

/** Mutations land mostly in the routing headers: only the header section of each base. */
function headerSection(buf: Buffer): Buffer {
  const e = buf.indexOf('\r\n\r\n')
  return e < 0 ? buf : Buffer.concat([buf.subarray(0, e + 4)])
}

describe('routing accessors', () => {
  test('torture corpus: equal to the typed accessors (lazy and full mode)', () => {
    let accepted = 0
    let compared = 0
    for (const [k, buf] of TORTURE.entries()) {
      for (const opts of [LAZY, FULL]) {
        const n = checkBoth(buf, opts, `torture #${k} ${opts === FULL ? 'full' : 'lazy'}`, false)
        if (n > 0) accepted++
        compared += n
      }
    }
    assert.ok(accepted >= 38 + 38, `accepted ${accepted}`)
    assert.ok(compared > 400, `compared ${compared}`)
  })

  test('bench mix: equal to the typed accessors, none null', () => {
    for (const [k, buf] of MIX.entries()) {
      const r = parseMessage(buf)
      assert.ok(r.ok)
      const m = r.message
      assert.notEqual(m.topViaBranch(), null)
      assert.notEqual(m.fromTag(), null)
      assert.ok(checkBoth(buf, LAZY, `mix #${k}`, true) > 0)
      assert.ok(checkBoth(buf, FULL, `mix #${k} full`, true) > 0)
    }
  })

  test('hand-written edge cases', () => {
    const cases: [string, string | null, string | null, string | null][] = [
      // [Via / From / To lines, branch, from tag, to tag]
      ['Via: SIP/2.0/UDP h;branch=z9hG4bKa\nFrom: <sip:a@b>;tag=1\nTo: sip:c@d', 'z9hG4bKa', '1', null],
      [
        'Via: SIP/2.0/UDP h , SIP/2.0/UDP g;branch=z\nFrom: "x;tag=no" <sip:a@b;tag=no>;tag=2\nTo: a b <sip:c>;tag=3',
        null,
        '2',
        '3',
      ],
      [
        'Via: SIP/2.0/UDP [::1]:5060 ; BRANCH = z9 ;rport\nFrom: sip:a@b;tag=4\nTo: <sip:c>;x="q;tag=n";tag=5',
        'z9',
        '4',
        '5',
      ],
      ['Via: SIP/2.0/UDP h;branch="z9q"\nFrom: <sip:a>;tag="qt"\nTo: <sip:c>;tag;tag=6', 'z9q', 'qt', '6'],
      [
        'Via: SIP/2.0/UDP h;rport;branch=b\n  ;received=192.0.2.1\nFrom: "a\\"b" <sip:a>;TAG=7\nTo: <sip:c>',
        'b',
        '7',
        null,
      ],
    ]
    for (const [hdrs, branch, fromTag, toTag] of cases) {
      const buf = sip(`OPTIONS sip:x SIP/2.0\n${hdrs}\nCall-ID: c\nCSeq: 9 OPTIONS\nContent-Length: 0\n\n`)
      const r = parseMessage(buf)
      assert.ok(r.ok, hdrs)
      const m = r.message
      assert.equal(m.topViaBranch(), branch, hdrs)
      assert.equal(m.fromTag(), fromTag, hdrs)
      assert.equal(m.toTag(), toTag, hdrs)
      assert.equal(m.cseqNumber(), 9)
      assert.equal(m.cseqMethod(), 'OPTIONS')
      check(m, hdrs, false)
    }
    const none = parseMessage(sip('SIP/2.0 200 OK\nContent-Length: 0\n\n'))
    assert.ok(none.ok)
    const m = none.message
    assert.deepEqual(
      [m.topViaBranch(), m.fromTag(), m.toTag(), m.cseqNumber(), m.cseqMethod()],
      [null, null, null, null, null],
    )
  })

  test('mutations: never throw, equal whenever the typed accessor has a value', () => {
    const next = rng(20_261_122)
    const bases = [...TORTURE, ...MIX.slice(0, 50)].map(headerSection)
    let accepted = 0
    for (let n = 0; n < 6000; n++) {
      const base = bases[n % bases.length]!
      const buf = mutate(base, next)
      for (const opts of [LAZY, FULL]) {
        if (checkBoth(buf, opts, `mutation ${n}: ${JSON.stringify(buf.toString('latin1'))}`, false) > 0)
          accepted++
      }
    }
    assert.ok(accepted > 2000, `only ${accepted} mutations accepted`)
  })
})
