// sipwarden's parser as the bench runs it: the lazy path the gateway takes on every datagram
// (parse, then read the routing fields with the routing accessors), and the full path (mode
// 'full', then every typed header materialised).

import type { SipMessage } from '../../src/sip/message.js'
import { parseMessage } from '../../src/sip/parse.js'
import type { Routing } from './mix.js'
import type { ParserCase } from './peers.js'

const FULL = { mode: 'full' } as const

/** No options for the lazy path: the default, as the gateway calls it. */
function parsed(buf: Buffer, opts?: typeof FULL): SipMessage {
  const r = parseMessage(buf, opts)
  if (!r.ok) throw new Error(`sipwarden rejected the message: ${r.error.code} ${r.error.message}`)
  return r.message
}

/** The gateway's lazy path: the routing accessors read the bytes, no typed object is built. */
function routingLazy(m: SipMessage): Routing {
  return {
    method: m.method ?? '',
    status: m.status ?? 0,
    callId: m.callId() ?? '',
    branch: m.topViaBranch() ?? '',
    cseq: m.cseqNumber() ?? 0,
    fromTag: m.fromTag() ?? '',
  }
}

/** The same fields from the typed values (the full row has built them already). */
function routing(m: SipMessage): Routing {
  return {
    method: m.method ?? '',
    status: m.status ?? 0,
    callId: m.callId() ?? '',
    branch: m.topVia()?.branch ?? '',
    cseq: m.cseq()?.seq ?? 0,
    fromTag: m.from()?.tag ?? '',
  }
}

export const OUR_CASES: readonly ParserCase[] = [
  {
    id: 'sipwarden-lazy',
    label: 'sipwarden (lazy)',
    pkg: 'sipwarden (this tree)',
    ours: true,
    does:
      '`parseMessage(buf)` on the Buffer itself (no decode of the whole message), then what the gateway ' +
      'reads to route, with the routing accessors (byte scans, no typed object): `method` / `status`, ' +
      '`topViaBranch()`, `callId()`, `cseqNumber()`, `fromTag()`',
    route: (buf) => routingLazy(parsed(buf)),
  },
  {
    id: 'sipwarden-full',
    label: 'sipwarden (full)',
    pkg: 'sipwarden (this tree)',
    ours: true,
    does:
      "`parseMessage(buf, { mode: 'full' })` (typed parse and validation of every known header), then every " +
      'typed accessor: Request-URI, all Vias, From, To, CSeq, Max-Forwards, Contact, Route, Record-Route, ' +
      'Authorization, SDP body',
    route: (buf) => {
      const m = parsed(buf, FULL)
      // materialise every typed header; a null where the mix has a value is a parse failure
      const typed = [m.vias(), m.from(), m.to(), m.cseq(), m.contacts(), m.routes(), m.recordRoutes()]
      if (
        typed.includes(null) ||
        (m.isRequest && m.uri() === null) ||
        (m.maxForwards() === null && m.isRequest)
      )
        throw new Error('sipwarden: a typed header of the mix did not parse')
      if (m.method === 'REGISTER' && m.authorization() === null)
        throw new Error('sipwarden: Authorization did not parse')
      if (m.body.length > 0 && m.sdp() === null) throw new Error('sipwarden: SDP did not parse')
      return routing(m)
    },
  },
]
