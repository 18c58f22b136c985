// Public API of the SIP message core. Named exports only.

export { type AuthParam, type Challenge, type Credentials, parseChallenge, parseCredentials } from './auth.js'
export { type CSeq, parseCSeq } from './cseq.js'
export { applyEdits, type SipEdit } from './edit.js'
export {
  SipError,
  type SipErrorCode,
  type SipErrorKind,
  SipErrors,
  SipParseError,
  type SipParseErrorJson,
} from './errors.js'
export {
  canonicalName,
  H,
  HEADER_INFO,
  type HeaderNameInfo,
  headerId,
  isListHeader,
  isSingleHeader,
} from './header-names.js'
export { type HostType, hostType, isIpv4, isIpv6 } from './host.js'
export { type MessageJsonOptions, messageToJson, type SipMessageJson } from './json.js'
export { HeaderLine, SipMessage } from './message.js'
export { NameAddr, parseNameAddr, parseNameAddrList, scanNameAddr, scanNameAddrList } from './name-addr.js'
export {
  DEFAULT_LIMITS,
  type Framing,
  type ParseMode,
  type ParseOptions,
  type ParseResult,
  parseMessage,
  type SipLimits,
} from './parse.js'
export { getParam, newFailure, type Param, type ParseFailure, splitList } from './scan.js'
export {
  mediaConnection,
  parseSdp,
  type Sdp,
  type SdpAttribute,
  type SdpConnection,
  type SdpCrypto,
  type SdpDirection,
  type SdpMedia,
  type SdpOrigin,
  type SdpRtcp,
} from './sdp.js'
export { KNOWN_METHODS, reasonPhrase } from './status.js'
export { type FrameResult, type FramerLimits, SipStreamFramer } from './stream.js'
export { parseUri, type Uri, uriParam } from './uri.js'
export { parseFirstVia, parseVia, parseViaList, Via } from './via.js'
