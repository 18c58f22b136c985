// Public API. Named exports only.

export { formatPolicyIssues, loadPolicy, parsePolicy } from './config/load.js'
export { effectiveAccount } from './config/resolve.js'
export type { Policy, PolicyInput } from './config/schema.js'
export { PolicySchema } from './config/schema.js'
export { ErrorCodes, PolicyError, SgwError } from './errors.js'
export type { SecurityEvent } from './events/index.js'
export { createEventBus } from './events/index.js'
export { createCidrMatcher, parseCidr, parseIp } from './net/cidr.js'
export type { ParseOptions, ParseResult, SipMessage } from './sip/index.js'
export { parseMessage, SipStreamFramer } from './sip/index.js'
export type { Store, SyncStore } from './state/index.js'
export { createStore } from './state/index.js'
