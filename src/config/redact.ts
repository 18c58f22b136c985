// Secrets in a loaded policy (API token, SMTP password, URLs with credentials) must never be
// printed. `redactPolicy` returns a plain copy with each SECRET_PATHS value replaced.

import { type Policy, SECRET_PATHS } from './schema.js'

export const REDACTED = '<redacted>'

function redactAt(value: unknown, segments: readonly string[]): unknown {
  if (segments.length === 0) return value === undefined ? value : REDACTED
  const [head, ...rest] = segments
  if (head === '[]') return Array.isArray(value) ? value.map((v) => redactAt(v, rest)) : value
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  const obj = value as Record<string, unknown>
  if (!(head! in obj)) return value
  return { ...obj, [head!]: redactAt(obj[head!], rest) }
}

/** A JSON-ready copy of the policy with secrets replaced by "<redacted>". */
export function redactPolicy(policy: Policy): unknown {
  let out: unknown = policy
  for (const path of SECRET_PATHS) {
    const segments = path.replace(/\[\]/g, '.[]').split('.').filter(Boolean)
    out = redactAt(out, segments)
  }
  return out
}
