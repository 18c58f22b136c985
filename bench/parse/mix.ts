// The message mix for bench/parse: what a SIP security gateway in front of a PBX receives
// from desk phones. Generated in code from a fixed seed, so every process of a run (and every
// run) parses the same bytes, and every message carries its own Call-ID, tags and branches
// (no parser can profit from seeing one message over and over).
//
// Documentation addresses only: example.com/.net domains, RFC 5737 public addresses and
// RFC 1918 LAN addresses.

import { seededRandom } from '../../src/state/internal/prng.js'

export type MixKind = 'REGISTER' | 'INVITE' | '200-INVITE' | 'ACK' | 'BYE'

/** The fields a gateway routes on; every parser under test must return exactly these. */
export interface Routing {
  /** request method, or '' for a response */
  readonly method: string
  /** status code, or 0 for a request */
  readonly status: number
  readonly callId: string
  /** branch parameter of the top Via */
  readonly branch: string
  readonly cseq: number
  /** tag parameter of From */
  readonly fromTag: string
}

export interface MixMessage {
  readonly kind: MixKind
  readonly buf: Buffer
  readonly expected: Routing
}

/** Share of each kind in the mix. Sums to 1. */
export const MIX_WEIGHTS: Readonly<Record<MixKind, number>> = {
  REGISTER: 0.3,
  INVITE: 0.2,
  '200-INVITE': 0.25,
  ACK: 0.125,
  BYE: 0.125,
}

/** What one message of each kind is. */
export const MIX_DESCRIPTIONS: Readonly<Record<MixKind, string>> = {
  REGISTER: 'REGISTER with a digest Authorization (qop=auth), Contact with +sip.instance, Expires',
  INVITE:
    'INVITE through an SBC: 2 Vias, Record-Route, Contact, Allow, Supported, Session-Expires, User-Agent, SDP offer',
  '200-INVITE': '200 OK to that INVITE: 2 Vias, Record-Route, To tag, Server, Require, Contact, SDP answer',
  ACK: 'ACK for the 200: Route, both tags, no body',
  BYE: 'in-dialog BYE: Route, both tags, Reason, no body',
}

interface Phone {
  readonly ua: string
  readonly vendor: 'yealink' | 'polycom' | 'grandstream' | 'snom' | 'cisco'
}

const PHONES: readonly Phone[] = [
  { ua: 'Yealink SIP-T46U 108.86.0.45', vendor: 'yealink' },
  { ua: 'Yealink SIP-T54W 96.86.0.100', vendor: 'yealink' },
  { ua: 'PolycomVVX-VVX_450-UA/6.4.3.5018', vendor: 'polycom' },
  { ua: 'Poly/Edge_E350-UA/8.0.2.2118', vendor: 'polycom' },
  { ua: 'Grandstream GXP2170 1.0.11.23', vendor: 'grandstream' },
  { ua: 'Grandstream GRP2614 1.0.5.67', vendor: 'grandstream' },
  { ua: 'snom D785/10.1.54.13', vendor: 'snom' },
  { ua: 'Cisco-CP8845/14.1.1', vendor: 'cisco' },
]

const SERVERS = ['Asterisk PBX 18.20.0', 'FreeSWITCH-mod_sofia/1.10.10-release~64bit', 'FPBX-16.0.33(20.5.2)']

const NAMES = ['Alice Smith', 'Bob Jones', 'Reception', 'Dr. Chen', 'Sales Desk 2', 'Maria Garcia']

const ALLOW = 'INVITE, ACK, OPTIONS, CANCEL, BYE, REFER, NOTIFY, INFO, SUBSCRIBE, UPDATE, PRACK, MESSAGE'

const rng = seededRandom

class Gen {
  readonly next: () => number
  constructor(seed: number) {
    this.next = rng(seed)
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!
  }
  hex(n: number, upper = false): string {
    let s = ''
    for (let i = 0; i < n; i++) s += Math.floor(this.next() * 16).toString(16)
    return upper ? s.toUpperCase() : s
  }
  digits(n: number): string {
    let s = String(this.int(1, 9))
    for (let i = 1; i < n; i++) s += String(this.int(0, 9))
    return s
  }
  alnum(n: number): string {
    const abc = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
    let s = ''
    for (let i = 0; i < n; i++) s += abc[Math.floor(this.next() * abc.length)]
    return s
  }
}

/** One phone on the LAN behind a NAT, as the gateway sees it. */
interface Endpoint {
  readonly phone: Phone
  readonly ext: string
  readonly name: string
  readonly lanIp: string
  readonly publicIp: string
  readonly publicPort: number
}

function endpoint(g: Gen): Endpoint {
  return {
    phone: g.pick(PHONES),
    ext: String(g.int(1001, 1299)),
    name: g.pick(NAMES),
    lanIp: `192.168.${g.int(0, 20)}.${g.int(2, 250)}`,
    publicIp: `198.51.100.${g.int(2, 250)}`,
    publicPort: g.int(1024, 65000),
  }
}

function callId(g: Gen, e: Endpoint): string {
  switch (e.phone.vendor) {
    case 'yealink':
      return `0_${g.digits(10)}@${e.lanIp}`
    case 'polycom':
      return `${g.hex(8)}-${g.hex(8)}-${g.hex(8)}`
    case 'grandstream':
      return `${g.digits(10)}-5060-${g.int(1, 40)}@BJC.BGI.${g.alnum(1).toUpperCase()}.${g.alnum(3).toUpperCase()}`
    case 'snom':
      return `${g.hex(16)}`
    case 'cisco':
      return `${g.hex(8)}-${g.hex(4)}${g.hex(4)}-${g.hex(8)}-${g.hex(8)}@${e.lanIp}`
  }
}

function phoneTag(g: Gen, e: Endpoint): string {
  switch (e.phone.vendor) {
    case 'yealink':
      return g.digits(10)
    case 'polycom':
      return `${g.hex(8, true)}-${g.hex(8, true)}`
    case 'grandstream':
      return g.digits(10)
    case 'snom':
      return g.alnum(10)
    case 'cisco':
      return `${g.hex(12)}${g.hex(4)}-${g.hex(8)}`
  }
}

function phoneBranch(g: Gen, e: Endpoint): string {
  switch (e.phone.vendor) {
    case 'yealink':
    case 'grandstream':
      return `z9hG4bK${g.digits(10)}`
    default:
      return `z9hG4bK${g.hex(8)}${g.alnum(4)}`
  }
}

/** Branch an SBC (Kamailio-style) puts on the Via it adds. */
function sbcBranch(g: Gen): string {
  return `z9hG4bK${g.hex(8)}.${g.hex(5)}`
}

/** Joins header lines and body with CRLF, filling Content-Length in. */
function message(lines: readonly string[], body = ''): Buffer {
  const len = Buffer.byteLength(body, 'utf8')
  const head = lines.map((l) => (l === 'Content-Length: ' ? `Content-Length: ${len}` : l))
  return Buffer.from(head.join('\r\n') + '\r\n\r\n' + body, 'utf8')
}

function sdp(g: Gen, ip: string, offer: boolean): string {
  const sess = g.int(10000, 99999)
  const lines = [
    'v=0',
    `o=- ${sess} ${sess} IN IP4 ${ip}`,
    'c=IN IP4 ' + ip,
    't=0 0',
    `m=audio ${g.int(5000, 32000) & ~1} RTP/AVP ${offer ? '9 0 8 101' : '0 101'}`,
  ]
  lines.splice(2, 0, offer ? 's=SDP data' : 's=SIP Call')
  if (offer) {
    lines.push('a=rtpmap:9 G722/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000')
  } else lines.push('a=rtpmap:0 PCMU/8000')
  lines.push('a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv')
  return lines.join('\r\n') + '\r\n'
}

const DOMAIN = 'pbx.example.com'
const SBC = '203.0.113.10'
const PBX_LAN = '10.0.0.5'

function register(g: Gen): MixMessage {
  const e = endpoint(g)
  const branch = phoneBranch(g, e)
  const tag = phoneTag(g, e)
  const cid = callId(g, e)
  const cseq = g.int(2, 900)
  const nonce = `${g.hex(8)}/${g.hex(32)}`
  const mac = g.hex(12, true)
  const buf = message([
    `REGISTER sip:${DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/UDP ${e.lanIp}:5060;branch=${branch};rport`,
    `From: "${e.name}" <sip:${e.ext}@${DOMAIN}>;tag=${tag}`,
    `To: "${e.name}" <sip:${e.ext}@${DOMAIN}>`,
    `Call-ID: ${cid}`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:${e.ext}@${e.lanIp}:5060>;reg-id=1;+sip.instance="<urn:uuid:00000000-0000-1000-8000-${mac}>"`,
    `Authorization: Digest username="${e.ext}", realm="${DOMAIN}", nonce="${nonce}", uri="sip:${DOMAIN}", ` +
      `response="${g.hex(32)}", algorithm=MD5, cnonce="${g.hex(8)}", qop=auth, nc=${String(g.int(1, 9)).padStart(8, '0')}`,
    'Max-Forwards: 70',
    `User-Agent: ${e.phone.ua}`,
    'Expires: 3600',
    `Allow: ${ALLOW}`,
    'Content-Length: ',
  ])
  return {
    kind: 'REGISTER',
    buf,
    expected: { method: 'REGISTER', status: 0, callId: cid, branch, cseq, fromTag: tag },
  }
}

/** One call: the INVITE (as the SBC forwards it to the PBX), its 200 OK, the ACK and the BYE. */
interface Call {
  readonly e: Endpoint
  readonly cid: string
  readonly fromTag: string
  readonly toTag: string
  readonly callee: string
  readonly cseq: number
  readonly rrTag: string
}

function call(g: Gen): Call {
  const e = endpoint(g)
  return {
    e,
    cid: callId(g, e),
    fromTag: phoneTag(g, e),
    toTag: `as${g.hex(8)}`,
    callee: `+1415555${g.digits(4)}`,
    cseq: g.int(1, 3),
    rrTag: g.hex(16),
  }
}

function fromHeader(c: Call): string {
  return `From: "${c.e.name}" <sip:${c.e.ext}@${DOMAIN}>;tag=${c.fromTag}`
}

function invite(g: Gen, c: Call, status: 0 | 200): MixMessage {
  const top = sbcBranch(g)
  const e = c.e
  const vias = [
    `Via: SIP/2.0/UDP ${SBC}:5060;branch=${top}`,
    `Via: SIP/2.0/UDP ${e.lanIp}:5060;received=${e.publicIp};rport=${e.publicPort};branch=${phoneBranch(g, e)}`,
  ]
  const rr = `Record-Route: <sip:${SBC};lr;ftag=${c.fromTag};nat=yes>`
  const to = `To: <sip:${c.callee}@${DOMAIN};user=phone>`
  if (status === 0) {
    const buf = message(
      [
        `INVITE sip:${c.callee}@${DOMAIN};user=phone SIP/2.0`,
        ...vias,
        rr,
        'Max-Forwards: 69',
        fromHeader(c),
        to,
        `Call-ID: ${c.cid}`,
        `CSeq: ${c.cseq} INVITE`,
        `Contact: <sip:${e.ext}@${e.publicIp}:${e.publicPort};transport=udp>`,
        `Allow: ${ALLOW}`,
        'Supported: 100rel, replaces, timer, norefersub',
        'Session-Expires: 1800',
        `User-Agent: ${e.phone.ua}`,
        'Content-Type: application/sdp',
        'Content-Length: ',
      ],
      sdp(g, e.lanIp, true),
    )
    return {
      kind: 'INVITE',
      buf,
      expected: { method: 'INVITE', status: 0, callId: c.cid, branch: top, cseq: c.cseq, fromTag: c.fromTag },
    }
  }
  const buf = message(
    [
      'SIP/2.0 200 OK',
      ...vias,
      rr,
      fromHeader(c),
      `${to};tag=${c.toTag}`,
      `Call-ID: ${c.cid}`,
      `CSeq: ${c.cseq} INVITE`,
      `Server: ${g.pick(SERVERS)}`,
      `Allow: ${ALLOW}`,
      'Supported: replaces, timer',
      'Session-Expires: 1800;refresher=uac',
      'Require: timer',
      `Contact: <sip:${c.callee}@${PBX_LAN}:5060>`,
      'Content-Type: application/sdp',
      'Content-Length: ',
    ],
    sdp(g, PBX_LAN, false),
  )
  return {
    kind: '200-INVITE',
    buf,
    expected: { method: '', status: 200, callId: c.cid, branch: top, cseq: c.cseq, fromTag: c.fromTag },
  }
}

function inDialog(g: Gen, c: Call, method: 'ACK' | 'BYE'): MixMessage {
  const e = c.e
  const branch = phoneBranch(g, e)
  const cseq = method === 'ACK' ? c.cseq : c.cseq + 1
  const lines = [
    `${method} sip:${c.callee}@${PBX_LAN}:5060 SIP/2.0`,
    `Via: SIP/2.0/UDP ${e.lanIp}:5060;branch=${branch};rport`,
    `Route: <sip:${SBC};lr;ftag=${c.fromTag};nat=yes>`,
    'Max-Forwards: 70',
    fromHeader(c),
    `To: <sip:${c.callee}@${DOMAIN};user=phone>;tag=${c.toTag}`,
    `Call-ID: ${c.cid}`,
    `CSeq: ${cseq} ${method}`,
  ]
  if (method === 'BYE') lines.push('Reason: Q.850;cause=16;text="Normal call clearing"')
  lines.push(`User-Agent: ${e.phone.ua}`, 'Content-Length: ')
  return {
    kind: method,
    buf: message(lines),
    expected: { method, status: 0, callId: c.cid, branch, cseq, fromTag: c.fromTag },
  }
}

export const DEFAULT_MIX_SIZE = 1000
export const MIX_SEED = 0x5157a7d

/**
 * `size` messages in the proportions of MIX_WEIGHTS (rounded), shuffled, from a fixed seed.
 * Each message belongs to its own registration or call.
 */
export function buildMix(size = DEFAULT_MIX_SIZE, seed = MIX_SEED): MixMessage[] {
  const g = new Gen(seed)
  const out: MixMessage[] = []
  const kinds = Object.keys(MIX_WEIGHTS) as MixKind[]
  let left = size
  kinds.forEach((kind, i) => {
    const n = i === kinds.length - 1 ? left : Math.round(size * MIX_WEIGHTS[kind])
    left -= n
    for (let j = 0; j < n; j++) {
      switch (kind) {
        case 'REGISTER':
          out.push(register(g))
          break
        case 'INVITE':
          out.push(invite(g, call(g), 0))
          break
        case '200-INVITE':
          out.push(invite(g, call(g), 200))
          break
        case 'ACK':
        case 'BYE':
          out.push(inDialog(g, call(g), kind))
          break
      }
    }
  })
  // Fisher-Yates, same generator: the order is part of the fixed mix.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(g.next() * (i + 1))
    const t = out[i]!
    out[i] = out[j]!
    out[j] = t
  }
  return out
}

/** Sum the timed loops compute from what a parser returns; equal to the expected one iff all parsed. */
export function routingChecksum(r: Routing): number {
  return r.method.length + r.status + r.cseq + tail(r.callId) + tail(r.branch) + tail(r.fromTag)
}

/** length plus the last character: cheap, and different for a wrong slice of the right length. */
function tail(s: string): number {
  return s.length === 0 ? 0 : s.length + s.charCodeAt(s.length - 1)
}
