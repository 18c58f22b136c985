// Errors are classes with stable codes (style-by-example habit 7). A code, once published,
// keeps its meaning forever; a retired code is never reused. `instanceof` works across
// duplicate copies of the package through a Symbol.for brand.

const BRAND = Symbol.for('sipwarden.error')

export class SgwError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = 'SgwError'
  }
  get [BRAND](): true {
    return true
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses (PolicyError, …) keep the ordinary prototype check: the brand says only
    // "some SgwError", and must not make every SgwError a PolicyError.
    if (this !== SgwError) return Function.prototype[Symbol.hasInstance].call(this, value)
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }
}

/** Policy file could not be read or is invalid. `issues` lists every problem found. */
export class PolicyError extends SgwError {
  readonly issues: readonly PolicyIssue[]
  constructor(code: string, message: string, issues: readonly PolicyIssue[] = []) {
    super(code, message)
    this.name = 'PolicyError'
    this.issues = issues
  }
}

export interface PolicyIssue {
  /** dotted key path, e.g. `tenants[0].accounts[2].networks[1]` */
  readonly path: string
  readonly message: string
  /** 1-based line in the policy file, when known */
  readonly line?: number
  readonly column?: number
}

/** Error codes, one table. Never renumber or reuse. */
export const ErrorCodes = {
  POLICY_READ: 'SGW_ERR_POLICY_READ',
  POLICY_YAML: 'SGW_ERR_POLICY_YAML',
  POLICY_INVALID: 'SGW_ERR_POLICY_INVALID',
  STORE_OPEN: 'SGW_ERR_STORE_OPEN',
  STORE_CLOSED: 'SGW_ERR_STORE_CLOSED',
  CLI_INPUT: 'SGW_ERR_CLI_INPUT',
  AUDIT_INPUT: 'SGW_ERR_AUDIT_INPUT',
  /** the file is a SQLite database, but not one sipwarden wrote */
  STORE_FOREIGN: 'SGW_ERR_STORE_FOREIGN',
  /** the state store was written by a newer sipwarden (schema version unknown to this one) */
  STORE_SCHEMA: 'SGW_ERR_STORE_SCHEMA',
  /** store options (limits, adapter, path) are invalid */
  STORE_OPTIONS: 'SGW_ERR_STORE_OPTIONS',
  /** a store operation got an argument it cannot accept (a caller bug, not an attack) */
  STORE_ARGUMENT: 'SGW_ERR_STORE_ARGUMENT',
  /** a security event does not match the event type */
  EVENT_INVALID: 'SGW_ERR_EVENT_INVALID',
  /** an event sink could not write (file, logger) */
  EVENT_SINK: 'SGW_ERR_EVENT_SINK',
  /** log watcher: unknown log format name */
  LOGWATCH_FORMAT: 'SGW_ERR_LOGWATCH_FORMAT',
  /** log watcher: invalid rule, allow-list or action options */
  LOGWATCH_OPTIONS: 'SGW_ERR_LOGWATCH_OPTIONS',
  /** log watcher: a log source cannot be read */
  LOGWATCH_SOURCE: 'SGW_ERR_LOGWATCH_SOURCE',
  /** log watcher: the ban action (nft, command) cannot be set up */
  LOGWATCH_ACTION: 'SGW_ERR_LOGWATCH_ACTION',
  /** toll fraud: a data file (rate table, blacklist, high-risk ranges) cannot be read or is invalid */
  FRAUD_DATA: 'SGW_ERR_FRAUD_DATA',
  /** admin API: cannot listen, or its token file cannot be read or created */
  API_START: 'SGW_ERR_API_START',
  /** `sipwarden bans`: the admin API is unreachable, refused the token, or answered an error */
  API_CLIENT: 'SGW_ERR_API_CLIENT',
  /** CDR import: the CDR file cannot be read, or an option of `sipwarden cdr` is invalid */
  CDR_INPUT: 'SGW_ERR_CDR_INPUT',
  /** CDR import: the file is not in the format given (the message suggests the likely one) */
  CDR_FORMAT: 'SGW_ERR_CDR_FORMAT',
  /** `sipwarden report`: the report could not be emailed (SMTP refused or unreachable) */
  REPORT_EMAIL: 'SGW_ERR_REPORT_EMAIL',
  /** gateway: the TLS certificate, key or CA bundle cannot be read or used */
  GATEWAY_TLS: 'SGW_ERR_GATEWAY_TLS',
  /** redis state store: the server cannot be reached, or a command failed (connection lost) */
  STORE_UNAVAILABLE: 'SGW_ERR_STORE_UNAVAILABLE',
} as const
