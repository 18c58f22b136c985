// The admin API's bearer token: `api.token` from the policy, or on loopback without one a
// random token kept in <dataDir>/api-token (mode 0600), created once and reused, so that
// `sipwarden bans` on the same host finds it. Compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Policy } from '../config/schema.js'
import { ErrorCodes, SgwError } from '../errors.js'

export const TOKEN_FILE = 'api-token'

export function tokenFilePath(policy: Policy): string {
  return join(policy.site.dataDir, TOKEN_FILE)
}

/** Reads a token file: its first line, trimmed. */
export function readTokenFile(path: string): string {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message
    throw new SgwError(ErrorCodes.API_CLIENT, `cannot read the API token from ${path}: ${why}`)
  }
  const token = text.split(/\r?\n/)[0]!.trim()
  if (token === '') throw new SgwError(ErrorCodes.API_CLIENT, `the API token file ${path} is empty`)
  return token
}

export interface ResolvedToken {
  readonly token: string
  /** the file it came from or was written to; undefined when the policy gives it */
  readonly file: string | undefined
  readonly created: boolean
}

/** The policy's token, else the token file's (created when missing). */
export function resolveApiToken(policy: Policy): ResolvedToken {
  if (policy.api.token !== undefined) return { token: policy.api.token, file: undefined, created: false }
  const file = tokenFilePath(policy)
  try {
    const st = statSync(file)
    // a token others can read is not a secret any more: tighten it
    if ((st.mode & 0o077) !== 0) chmodSync(file, 0o600)
    return { token: readTokenFile(file), file, created: false }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (err instanceof SgwError) throw new SgwError(ErrorCodes.API_START, err.message)
      throw new SgwError(
        ErrorCodes.API_START,
        `cannot use the API token file ${file}: ${(err as Error).message}`,
      )
    }
  }
  const token = randomBytes(32).toString('base64url')
  try {
    mkdirSync(policy.site.dataDir, { recursive: true, mode: 0o750 })
    // wx: never overwrite a token another process has just written
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      return { token: readTokenFile(file), file, created: false }
    throw new SgwError(
      ErrorCodes.API_START,
      `cannot create the API token file ${file}: ${(err as Error).message}`,
    )
  }
  return { token, file, created: true }
}

/** Constant-time comparison (of digests, so lengths do not leak either). */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}
