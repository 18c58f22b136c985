import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { type ParseOptions, parseMessage, type SipMessage, type SipParseError } from '../../src/sip/index.js'

/** test/fixtures/sip-torture (tests run from dist/test/sip, fixtures stay in the source tree). */
export const TORTURE_DIR = new URL('../../../test/fixtures/sip-torture/', import.meta.url)

export function torture(file: string): Buffer {
  return readFileSync(new URL(file, TORTURE_DIR))
}

/** A message from readable text: every '\n' becomes CRLF. */
export function sip(text: string): Buffer {
  return Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8')
}

export function accept(buf: Buffer, opts?: ParseOptions): SipMessage {
  const r = parseMessage(buf, opts)
  if (!r.ok) assert.fail(`expected accept, got ${r.error.code} at ${r.error.offset}: ${r.error.message}`)
  return r.message
}

export function reject(buf: Buffer, opts?: ParseOptions): SipParseError {
  const r = parseMessage(buf, opts)
  if (r.ok) assert.fail('expected reject, got accept')
  return r.error
}

export const FULL: ParseOptions = { mode: 'full' }

/** Header text (no empty line) + body; appends a correct Content-Length and the empty line. */
export function sipWithBody(head: string, body: string | Buffer): Buffer {
  const b = typeof body === 'string' ? sip(body) : body
  return Buffer.concat([sip(`${head.replace(/\n$/, '')}\nContent-Length: ${b.length}\n\n`), b])
}

/** A small valid INVITE with an SDP body. */
export const INVITE = sipWithBody(
  `INVITE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>
From: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.atlanta.example.com
CSeq: 314159 INVITE
Contact: <sip:alice@pc33.atlanta.example.com>
Content-Type: application/sdp`,
  `v=0
o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com
s=-
c=IN IP4 192.0.2.101
t=0 0
m=audio 49172 RTP/AVP 0
`,
)

/** A REGISTER with digest credentials. */
export const REGISTER = sip(`REGISTER sip:registrar.biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>
From: Bob <sip:bob@biloxi.example.com>;tag=456248
Call-ID: 843817637684230@998sdasdh09
CSeq: 1826 REGISTER
Contact: <sip:bob@192.0.2.4>;expires=7200
Authorization: Digest username="bob", realm="biloxi.example.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:registrar.biloxi.example.com", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41", algorithm=MD5
Content-Length: 0

`)
