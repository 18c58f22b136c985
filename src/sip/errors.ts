// SIP parse errors. A rejected packet is a value (SipParseError), not an exception: under
// attack the reject path is the hot path and `new Error()` would capture a stack trace per
// bad packet. `toError()` gives a real SgwError when one must be thrown or logged.

import { SgwError } from '../errors.js'
import { reasonPhrase } from './status.js'

/**
 * Every SIP parse error code, with the status a server should answer by default (null: drop
 * silently). One table; a code keeps its meaning forever and a retired code is never reused.
 * Errors on responses always carry status null (a response is never answered, RFC 3261 §18.3).
 */
export const SipErrors = {
  EMPTY: { code: 'SGW_ERR_SIP_EMPTY', status: null, title: 'no message (only CRLF keep-alive bytes)' },
  INCOMPLETE: {
    code: 'SGW_ERR_SIP_INCOMPLETE',
    status: 400,
    title: 'message ends inside the header section',
  },
  BAD_LINE_END: { code: 'SGW_ERR_SIP_BAD_LINE_END', status: 400, title: 'line not terminated by CRLF' },
  BAD_START_LINE: { code: 'SGW_ERR_SIP_BAD_START_LINE', status: 400, title: 'malformed start line' },
  BAD_VERSION: { code: 'SGW_ERR_SIP_BAD_VERSION', status: 505, title: 'SIP version is not SIP/2.0' },
  BAD_STATUS_CODE: {
    code: 'SGW_ERR_SIP_BAD_STATUS_CODE',
    status: null,
    title: 'status code not in 100..699',
  },
  BAD_REQUEST_URI: { code: 'SGW_ERR_SIP_BAD_REQUEST_URI', status: 400, title: 'malformed Request-URI' },
  BAD_HEADER_LINE: { code: 'SGW_ERR_SIP_BAD_HEADER_LINE', status: 400, title: 'malformed header line' },
  TOO_LARGE: { code: 'SGW_ERR_SIP_TOO_LARGE', status: 513, title: 'message larger than maxMessageBytes' },
  START_LINE_TOO_LONG: {
    code: 'SGW_ERR_SIP_START_LINE_TOO_LONG',
    status: 414,
    title: 'start line longer than maxStartLineBytes',
  },
  HEADER_TOO_LONG: {
    code: 'SGW_ERR_SIP_HEADER_TOO_LONG',
    status: 513,
    title: 'header field longer than maxHeaderLineBytes',
  },
  HEADERS_TOO_LARGE: {
    code: 'SGW_ERR_SIP_HEADERS_TOO_LARGE',
    status: 513,
    title: 'header section larger than maxHeaderBytes',
  },
  TOO_MANY_HEADERS: {
    code: 'SGW_ERR_SIP_TOO_MANY_HEADERS',
    status: 513,
    title: 'more header fields than maxHeaders',
  },
  TOO_MANY_VIAS: { code: 'SGW_ERR_SIP_TOO_MANY_VIAS', status: 483, title: 'more Via values than maxVias' },
  BODY_TOO_LARGE: {
    code: 'SGW_ERR_SIP_BODY_TOO_LARGE',
    status: 513,
    title: 'Content-Length above maxBodyBytes',
  },
  CONTENT_LENGTH: {
    code: 'SGW_ERR_SIP_CONTENT_LENGTH',
    status: 400,
    title: 'invalid or unusable Content-Length',
  },
  MISSING_HEADER: {
    code: 'SGW_ERR_SIP_MISSING_HEADER',
    status: 400,
    title: 'mandatory header field missing',
  },
  DUPLICATE_HEADER: {
    code: 'SGW_ERR_SIP_DUPLICATE_HEADER',
    status: 400,
    title: 'single-valued header field repeated',
  },
  CSEQ_MISMATCH: {
    code: 'SGW_ERR_SIP_CSEQ_MISMATCH',
    status: 400,
    title: 'CSeq method differs from the request method',
  },
  BAD_CSEQ: { code: 'SGW_ERR_SIP_BAD_CSEQ', status: 400, title: 'malformed CSeq' },
  BAD_MAX_FORWARDS: { code: 'SGW_ERR_SIP_BAD_MAX_FORWARDS', status: 400, title: 'malformed Max-Forwards' },
  BAD_CALL_ID: { code: 'SGW_ERR_SIP_BAD_CALL_ID', status: 400, title: 'malformed Call-ID' },
  BAD_VIA: { code: 'SGW_ERR_SIP_BAD_VIA', status: 400, title: 'malformed Via' },
  BAD_ADDRESS: {
    code: 'SGW_ERR_SIP_BAD_ADDRESS',
    status: 400,
    title: 'malformed address header (From, To, Contact, Route …)',
  },
  BAD_AUTH: { code: 'SGW_ERR_SIP_BAD_AUTH', status: 400, title: 'malformed authorization or challenge' },
  BAD_CONTENT_TYPE: { code: 'SGW_ERR_SIP_BAD_CONTENT_TYPE', status: 400, title: 'malformed Content-Type' },
  BAD_HEADER_VALUE: { code: 'SGW_ERR_SIP_BAD_HEADER_VALUE', status: 400, title: 'malformed header value' },
  /** not a parse error: a caller passed an invalid edit list to applyEdits() (a bug; thrown) */
  EDIT: { code: 'SGW_ERR_SIP_EDIT', status: null, title: 'invalid message edit' },
} as const satisfies Record<string, { code: string; status: number | null; title: string }>

export type SipErrorKind = keyof typeof SipErrors
export type SipErrorCode = (typeof SipErrors)[SipErrorKind]['code']

/** Plain JSON form of a SipParseError. */
export interface SipParseErrorJson {
  readonly code: SipErrorCode
  readonly offset: number
  readonly status: number | null
  readonly reason: string | null
  readonly message: string
}

/** A thrown form of SipParseError, for callers that want an exception. */
export class SipError extends SgwError {
  readonly offset: number
  readonly status: number | null
  constructor(err: SipParseError) {
    super(err.code, `${err.message} (at byte ${err.offset})`)
    this.name = 'SipError'
    this.offset = err.offset
    this.status = err.status
  }
}

/** Why a message was rejected. Cheap to build: no stack trace. */
export class SipParseError {
  readonly code: SipErrorCode
  /** byte offset of the problem in the parsed buffer */
  readonly offset: number
  /** status a server should answer with, or null to drop silently */
  readonly status: number | null
  /** reason phrase for `status` */
  readonly reason: string | null
  /** human-readable description */
  readonly message: string

  constructor(kind: SipErrorKind, offset: number, detail?: string, status?: number | null) {
    const def = SipErrors[kind]
    this.code = def.code
    this.offset = offset
    this.status = status === undefined ? def.status : status
    this.reason = this.status === null ? null : reasonPhrase(this.status)
    this.message = detail === undefined ? def.title : `${def.title}: ${detail}`
  }

  toError(): SipError {
    return new SipError(this)
  }

  toJSON(): SipParseErrorJson {
    return {
      code: this.code,
      offset: this.offset,
      status: this.status,
      reason: this.reason,
      message: this.message,
    }
  }
}

/** Builds the error; a response is never answered, so its status becomes null. */
export function sipError(
  kind: SipErrorKind,
  offset: number,
  isResponse: boolean,
  detail?: string,
): SipParseError {
  return new SipParseError(kind, offset, detail, isResponse ? null : undefined)
}
