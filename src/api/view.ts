// How bans look through the API and the CLI (kept apart from the server: `sipwarden bans`
// must not load fastify).
import type { BanRecord } from '../state/store.js'

/** `source` of the bans made through the API. */
export const API_SOURCE = 'api'
/** event/ban code of a ban made by an operator through the API or the CLI */
export const API_BAN_CODE = 'admin.manual'
/** event code of an operator's early unban */
export const API_UNBAN_CODE = 'admin.unban'

export function banView(b: BanRecord, now: number): Record<string, unknown> {
  return {
    address: b.address,
    code: b.code,
    source: b.source,
    reason: b.reason ?? null,
    createdAt: new Date(b.createdAt).toISOString(),
    expiresAt: new Date(b.expiresAt).toISOString(),
    remainingMs: Math.max(0, b.expiresAt - now),
    offences: b.offences,
  }
}
