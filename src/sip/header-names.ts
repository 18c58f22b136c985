// Interned header names (style-by-example habit 8). Every known header has a small integer
// id; the parser looks a name up from its bytes (case-insensitive, compact forms included)
// through a table bucketed by length and first letter, so no string is built and nothing is
// lower-cased per header line. Unknown names get id 0 (H.OTHER).

import { LOWER as LOWER_ } from './chars.js'

// Module-local copies: V8 reads an imported binding through its module cell on every use
// (measured ~30% slower in the byte loops); a local const is folded.
const LOWER = LOWER_

/** Header ids. Stable within a process; do not persist them. */
export const H = {
  OTHER: 0,
  VIA: 1,
  FROM: 2,
  TO: 3,
  CALL_ID: 4,
  CSEQ: 5,
  MAX_FORWARDS: 6,
  CONTENT_LENGTH: 7,
  CONTACT: 8,
  CONTENT_TYPE: 9,
  ROUTE: 10,
  RECORD_ROUTE: 11,
  AUTHORIZATION: 12,
  PROXY_AUTHORIZATION: 13,
  WWW_AUTHENTICATE: 14,
  PROXY_AUTHENTICATE: 15,
  EXPIRES: 16,
} as const

/** Header is a comma-separated list (RFC 3261 §7.3.1): headers() splits its values. */
export const HF_LIST = 1
/** Header may appear at most once; a repeat is rejected in full mode. */
export const HF_SINGLE = 2

export interface HeaderNameInfo {
  readonly id: number
  /** canonical spelling, e.g. `Call-ID` */
  readonly name: string
  /** compact form (RFC 3261 §7.3.3 and the IANA registry), lower case */
  readonly compact: string | null
  readonly flags: number
}

const L = HF_LIST
const S = HF_SINGLE

// [canonical name, compact form, flags, fixed id]. Fixed ids first, then the rest in order.
const KNOWN: ReadonlyArray<readonly [string, string | null, number, number?]> = [
  ['Via', 'v', L, H.VIA],
  ['From', 'f', S, H.FROM],
  ['To', 't', S, H.TO],
  ['Call-ID', 'i', S, H.CALL_ID],
  ['CSeq', null, S, H.CSEQ],
  ['Max-Forwards', null, S, H.MAX_FORWARDS],
  ['Content-Length', 'l', S, H.CONTENT_LENGTH],
  ['Contact', 'm', L, H.CONTACT],
  ['Content-Type', 'c', S, H.CONTENT_TYPE],
  ['Route', null, L, H.ROUTE],
  ['Record-Route', null, L, H.RECORD_ROUTE],
  ['Authorization', null, 0, H.AUTHORIZATION],
  ['Proxy-Authorization', null, 0, H.PROXY_AUTHORIZATION],
  ['WWW-Authenticate', null, 0, H.WWW_AUTHENTICATE],
  ['Proxy-Authenticate', null, 0, H.PROXY_AUTHENTICATE],
  ['Expires', null, 0, H.EXPIRES],
  ['Accept', null, L],
  ['Accept-Contact', 'a', L],
  ['Accept-Encoding', null, L],
  ['Accept-Language', null, L],
  ['Accept-Resource-Priority', null, L],
  ['Alert-Info', null, L],
  ['Allow', null, L],
  ['Allow-Events', 'u', L],
  ['Authentication-Info', null, 0],
  ['Call-Info', null, L],
  ['Content-Disposition', null, 0],
  ['Content-Encoding', 'e', L],
  ['Content-Language', null, L],
  ['Date', null, 0],
  ['Diversion', null, L],
  ['Error-Info', null, L],
  ['Event', 'o', 0],
  ['History-Info', null, L],
  ['Identity', 'y', 0],
  ['Identity-Info', 'n', 0],
  ['In-Reply-To', null, L],
  ['Max-Breadth', null, 0],
  ['MIME-Version', null, 0],
  ['Min-Expires', null, 0],
  ['Min-SE', null, 0],
  ['Organization', null, 0],
  ['P-Asserted-Identity', null, L],
  ['P-Preferred-Identity', null, L],
  ['P-Charging-Vector', null, 0],
  ['P-Access-Network-Info', null, 0],
  ['Path', null, L],
  ['Priority', null, 0],
  ['Privacy', null, 0],
  ['Proxy-Require', null, L],
  ['RAck', null, 0],
  ['Reason', null, L],
  ['Refer-To', 'r', 0],
  ['Referred-By', 'b', 0],
  ['Reject-Contact', 'j', L],
  ['Remote-Party-ID', null, L],
  ['Replaces', null, 0],
  ['Reply-To', null, 0],
  ['Request-Disposition', 'd', L],
  ['Require', null, L],
  ['Resource-Priority', null, L],
  ['Retry-After', null, 0],
  ['RSeq', null, 0],
  ['Security-Client', null, L],
  ['Security-Server', null, L],
  ['Security-Verify', null, L],
  ['Server', null, 0],
  ['Service-Route', null, L],
  ['Session-Expires', 'x', 0],
  ['SIP-ETag', null, 0],
  ['SIP-If-Match', null, 0],
  ['Subject', 's', 0],
  ['Subscription-State', null, 0],
  ['Supported', 'k', L],
  ['Timestamp', null, 0],
  ['Unsupported', null, L],
  ['User-Agent', null, 0],
  ['Warning', null, L],
]

const INFOS: HeaderNameInfo[] = [{ id: H.OTHER, name: '', compact: null, flags: 0 }]
{
  let next = H.EXPIRES + 1
  for (const [name, compact, flags, fixed] of KNOWN) {
    const id = fixed ?? next++
    INFOS[id] = { id, name, compact, flags }
  }
}

/** Metadata of every known header, indexed by id. */
export const HEADER_INFO: readonly HeaderNameInfo[] = INFOS

interface Candidate {
  readonly id: number
  readonly lower: Uint8Array
}

// Buckets keyed by (length << 7) | lower-case first byte. Names are at most 31 bytes here.
const BUCKETS: (Candidate[] | undefined)[] = new Array(32 << 7)
const BY_STRING = new Map<string, number>()

function addSpelling(spelling: string, id: number): void {
  const lower = spelling.toLowerCase()
  BY_STRING.set(lower, id)
  BY_STRING.set(spelling, id)
  const key = (lower.length << 7) | lower.charCodeAt(0)
  let bucket = BUCKETS[key]
  if (bucket === undefined) {
    bucket = []
    BUCKETS[key] = bucket
  }
  bucket.push({ id, lower: Buffer.from(lower, 'latin1') })
}

for (const info of INFOS) {
  if (info.id === H.OTHER) continue
  addSpelling(info.name, info.id)
  if (info.compact !== null) {
    addSpelling(info.compact, info.id)
    BY_STRING.set(info.compact.toUpperCase(), info.id)
  }
}

/** Id of the header name in buf[start, end), compared case-insensitively; 0 if unknown. */
export function headerIdFromBytes(buf: Uint8Array, start: number, end: number): number {
  const len = end - start
  if (len >= 32) return H.OTHER
  const bucket = BUCKETS[(len << 7) | (LOWER[buf[start]!]! & 0x7f)]
  if (bucket === undefined) return H.OTHER
  for (let k = 0; k < bucket.length; k++) {
    const cand = bucket[k]!
    const lower = cand.lower
    let i = 0
    while (i < len && LOWER[buf[start + i]!] === lower[i]) i++
    if (i === len) return cand.id
  }
  return H.OTHER
}

/** Id of a header name given as a string (any case, compact forms included); 0 if unknown. */
export function headerId(name: string): number {
  return BY_STRING.get(name) ?? BY_STRING.get(name.toLowerCase()) ?? H.OTHER
}

/** Canonical spelling for a known header id. */
export function canonicalName(id: number): string {
  return INFOS[id]?.name ?? ''
}

export function isListHeader(id: number): boolean {
  return ((INFOS[id]?.flags ?? 0) & HF_LIST) !== 0
}

export function isSingleHeader(id: number): boolean {
  return ((INFOS[id]?.flags ?? 0) & HF_SINGLE) !== 0
}
