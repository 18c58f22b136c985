// Secrets never leave the auditor in clear: evidence keeps the key, at most the first character
// (only for long secrets) and the length (reference §2.10).

const SECRET_KEY =
  /(secret|passw|password|passwd|pass$|^pass|pin$|md5|a1-hash|token|apikey|api_key|auth-pass|userpass|private)/i

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key)
}

export function maskSecret(value: string): string {
  if (value.length === 0) return '(empty)'
  const head = value.length >= 8 ? value[0] : ''
  return `${head}*** (${value.length} chars)`
}

/** Scrub `user:password@host` credentials embedded in a dial string, URL or register line. */
export function scrubInlineCredentials(text: string): string {
  return text.replace(/([A-Za-z0-9_.+-]+):([^@\s/:;,()]+)@/g, (_m, user: string, pass: string) => {
    return `${user}:${maskSecret(pass)}@`
  })
}

/** `key = value` with the value masked when the key names a secret. */
export function excerptKv(key: string, value: string, op = '='): string {
  const shown = isSecretKey(key) ? maskSecret(value) : scrubInlineCredentials(value)
  return `${key} ${op} ${shown}`
}
