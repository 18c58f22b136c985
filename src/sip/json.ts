// Plain JSON view of a parsed message, for the CLI, logs and tests. Not on the packet path.

import { type Challenge, type Credentials, parseChallenge, parseCredentials } from './auth.js'
import type { CSeq } from './cseq.js'
import type { SipMessage } from './message.js'
import type { NameAddr } from './name-addr.js'
import type { Sdp, SdpAttribute, SdpCrypto } from './sdp.js'
import type { Uri } from './uri.js'
import type { Via } from './via.js'

export interface SipMessageJson {
  readonly kind: 'request' | 'response'
  readonly startLine:
    | { readonly method: string; readonly requestUri: string; readonly version: string }
    | { readonly version: string; readonly status: number; readonly reason: string }
  readonly requestUri?: Uri | null
  readonly headers: readonly { readonly name: string; readonly value: string; readonly offset: number }[]
  readonly via: readonly Via[] | null
  readonly from: NameAddr | null
  readonly to: NameAddr | null
  readonly callId: string | null
  readonly cseq: CSeq | null
  readonly maxForwards: number | null
  readonly contacts: readonly NameAddr[] | '*' | null
  readonly routes: readonly NameAddr[] | null
  readonly recordRoutes: readonly NameAddr[] | null
  readonly authorization: readonly (Credentials | null)[]
  readonly proxyAuthorization: readonly (Credentials | null)[]
  readonly wwwAuthenticate: readonly (Challenge | null)[]
  readonly proxyAuthenticate: readonly (Challenge | null)[]
  readonly contentType: string | null
  readonly contentLength: number | null
  readonly body: { readonly offset: number; readonly length: number; readonly ignoredTrailingBytes: number }
  readonly sdp: Sdp | null
}

export interface MessageJsonOptions {
  /** replace SRTP key material (a=crypto inline: keys) by a placeholder; default true */
  readonly redactKeys?: boolean
}

function redactKey(k: string): string {
  if (!k.toLowerCase().startsWith('inline:')) return k
  const bar = k.indexOf('|')
  return `inline:<redacted>${bar < 0 ? '' : k.slice(bar)}`
}

function redactCrypto(c: SdpCrypto): SdpCrypto {
  return { ...c, keyParams: c.keyParams.map(redactKey) }
}

/** a=crypto:<tag> <suite> <key-params> [<session-params>]: redact the key-params field */
function redactAttribute(a: SdpAttribute): SdpAttribute {
  if (a.name !== 'crypto' || a.value === null) return a
  const parts = a.value.split(' ')
  if (parts.length >= 3) parts[2] = parts[2]!.split(';').map(redactKey).join(';')
  return { name: a.name, value: parts.join(' ') }
}

function redactSdp(sdp: Sdp | null): Sdp | null {
  if (sdp === null) return null
  return {
    ...sdp,
    attributes: sdp.attributes.map(redactAttribute),
    media: sdp.media.map((m) => ({
      ...m,
      attributes: m.attributes.map(redactAttribute),
      crypto: m.crypto.map(redactCrypto),
    })),
  }
}

/** Builds the JSON view. Every typed field is null when absent or malformed. */
export function messageToJson(msg: SipMessage, opts?: MessageJsonOptions): SipMessageJson {
  const lines = msg.headerLines()
  const headers = lines.map((l, i) => ({ name: msg.lineName(i), value: msg.lineValue(i), offset: l.start }))
  const all = <T>(name: string, parse: (s: string) => T | null): (T | null)[] =>
    msg.lineIndexes(name).map((i) => parse(msg.lineValue(i)))
  const sdp = msg.sdp()
  return {
    kind: msg.isRequest ? 'request' : 'response',
    startLine: msg.isRequest
      ? { method: msg.method ?? '', requestUri: msg.requestUri ?? '', version: msg.version }
      : { version: msg.version, status: msg.status ?? 0, reason: msg.reason ?? '' },
    ...(msg.isRequest ? { requestUri: msg.uri() } : {}),
    headers,
    via: msg.vias(),
    from: msg.from(),
    to: msg.to(),
    callId: msg.callId(),
    cseq: msg.cseq(),
    maxForwards: msg.maxForwards(),
    contacts: msg.isContactWildcard() ? '*' : msg.contacts(),
    routes: msg.routes(),
    recordRoutes: msg.recordRoutes(),
    authorization: all('Authorization', parseCredentials),
    proxyAuthorization: all('Proxy-Authorization', parseCredentials),
    wwwAuthenticate: all('WWW-Authenticate', parseChallenge),
    proxyAuthenticate: all('Proxy-Authenticate', parseChallenge),
    contentType: msg.contentType(),
    contentLength: msg.contentLength,
    body: {
      offset: msg.bodyStart,
      length: msg.end - msg.bodyStart,
      ignoredTrailingBytes: msg.buf.length - msg.end,
    },
    sdp: opts?.redactKeys === false ? sdp : redactSdp(sdp),
  }
}
