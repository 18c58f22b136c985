// The npm SIP parsers bench/parse compares ours with, each called the way its own stack calls
// it on a datagram, and asked for the fields a gateway routes on (see Routing in mix.ts).
//
// `sip` and `drachtio-sip` ship no types: they are loaded with require() and given the narrow
// shapes below, which cover only what is read here.

import { createRequire } from 'node:module'
import { Core } from 'sip.js'
import type { Routing } from './mix.js'

export interface ParserCase {
  /** stable id, used by --only and in the JSON output */
  readonly id: string
  /** name in the table */
  readonly label: string
  /** package@version */
  readonly pkg: string
  readonly ours: boolean
  /** what the timed loop feeds the parser and asks of it, for the doc */
  readonly does: string
  /** Parse one received datagram and return the routing fields. Throws when the parser rejects it. */
  readonly route: (buf: Buffer) => Routing
}

const require = createRequire(import.meta.url)

export function pkgVersion(name: string): string {
  const pj = require(`${name}/package.json`) as { version?: string }
  return `${name}@${pj.version ?? '?'}`
}

function fail(parser: string): never {
  throw new Error(`${parser} rejected the message`)
}

// --- sip (kirm/sip.js, "Simple SIP implementation") -------------------------------------------

interface KirmParams {
  readonly params: Readonly<Record<string, string | null | undefined>>
}
interface KirmMessage {
  readonly method?: string
  readonly status?: number
  readonly headers: {
    readonly 'call-id'?: string
    readonly via?: readonly KirmParams[]
    readonly cseq?: { readonly seq: number }
    readonly from?: KirmParams
  }
}
const kirm = require('sip') as { parse(data: Buffer | string): KirmMessage | undefined }

const kirmCase: ParserCase = {
  id: 'sip',
  label: 'sip',
  pkg: pkgVersion('sip'),
  ours: false,
  does:
    '`sip.parse(buf)`, as its UDP transport calls it: decodes the Buffer itself (latin1), splits with ' +
    'regexes and parses every known header at once (Via list, From/To, CSeq, Contact, Route, Authorization…)',
  route(buf) {
    const m = kirm.parse(buf) ?? fail('sip')
    const h = m.headers
    return {
      method: m.method ?? '',
      status: m.status ?? 0,
      callId: h['call-id'] ?? '',
      branch: h.via?.[0]?.params['branch'] ?? '',
      cseq: h.cseq?.seq ?? 0,
      fromTag: h.from?.params['tag'] ?? '',
    }
  },
}

// --- sip.js (onsip SIP.js): Core.Parser, its message parser -----------------------------------

const sipjsLogger = (() => {
  const factory = new Core.LoggerFactory()
  factory.builtinEnabled = false
  return factory.getLogger('bench')
})()

const sipjsCase: ParserCase = {
  id: 'sip.js',
  label: 'sip.js',
  pkg: pkgVersion('sip.js'),
  ours: false,
  does:
    "`Core.Parser.parseMessage(buf.toString('utf8'), logger)`, what its transports call: PEG grammar for the " +
    'start line and for top Via, From, To, Call-ID, CSeq, Contact, Record-Route, Content-Length/-Type, ' +
    'Max-Forwards; other headers (Authorization, Allow, …) kept raw. Its generated grammar (ts-pegjs) ' +
    'rebuilds its table of constants, hundreds of RegExps and objects, on every `Grammar.parse` call, ' +
    'about ten per message: hence the figure',
  route(buf) {
    const m = Core.Parser.parseMessage(buf.toString('utf8'), sipjsLogger) ?? fail('sip.js')
    const isResponse = m instanceof Core.IncomingResponseMessage
    return {
      method: isResponse ? '' : m.method,
      status: isResponse ? (m.statusCode ?? 0) : 0,
      callId: m.callId,
      branch: m.viaBranch,
      cseq: m.cseq,
      fromTag: m.fromTag,
    }
  },
}

// --- drachtio-sip: the message layer of drachtio-srf -------------------------------------------

interface DrachtioParsed {
  readonly method?: string
  readonly status?: number
  readonly headers: {
    readonly 'call-id'?: string
    readonly via?: readonly KirmParams[]
    readonly cseq?: { readonly seq: number }
    readonly from?: KirmParams
  }
}
interface DrachtioMessage {
  readonly method?: string
  readonly status?: number
  get(name: string): string | undefined
  getParsedHeader(name: string): unknown
}
const drachtio = require('drachtio-sip') as {
  SipMessage: new (raw: string) => DrachtioMessage
  parser: { parseSipMessage(raw: string, lazy: boolean): DrachtioParsed | undefined }
}

const drachtioLazyCase: ParserCase = {
  id: 'drachtio-lazy',
  label: 'drachtio-sip (lazy)',
  pkg: pkgVersion('drachtio-sip'),
  ours: false,
  does:
    "`new SipMessage(buf.toString('utf8'))`, what drachtio-srf builds for each request: header values kept as " +
    'strings; then `getParsedHeader()` for Via, CSeq and From, as an app must to read branch, seq and tag',
  route(buf) {
    const m = new drachtio.SipMessage(buf.toString('utf8'))
    const via = m.getParsedHeader('via') as readonly KirmParams[]
    const cseq = m.getParsedHeader('cseq') as { seq: number }
    const from = m.getParsedHeader('from') as KirmParams
    return {
      method: m.method ?? '',
      status: m.status ?? 0,
      callId: m.get('call-id') ?? '',
      branch: via[0]?.params['branch'] ?? '',
      cseq: cseq.seq,
      fromTag: from.params['tag'] ?? '',
    }
  },
}

const drachtioFullCase: ParserCase = {
  id: 'drachtio-full',
  label: 'drachtio-sip (full)',
  pkg: pkgVersion('drachtio-sip'),
  ours: false,
  does:
    "`parser.parseSipMessage(buf.toString('utf8'), false)`: regex parse of every known header at once " +
    '(same grammar as `sip`, which it forks)',
  route(buf) {
    const m = drachtio.parser.parseSipMessage(buf.toString('utf8'), false) ?? fail('drachtio-sip')
    const h = m.headers
    return {
      method: m.method ?? '',
      status: m.status ?? 0,
      callId: h['call-id'] ?? '',
      branch: h.via?.[0]?.params['branch'] ?? '',
      cseq: h.cseq?.seq ?? 0,
      fromTag: h.from?.params['tag'] ?? '',
    }
  },
}

export const PEER_CASES: readonly ParserCase[] = [kirmCase, sipjsCase, drachtioLazyCase, drachtioFullCase]
