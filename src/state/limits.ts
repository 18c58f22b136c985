// Bounds for every table an attacker can grow (style-by-example habit 12). This file is the
// one source of truth for the defaults; docs/state.md copies the table below.
//
// Rough memory at the defaults, worst case (long keys, values at their cap):
//   counters  100k × ~200 B            ≈  20 MB
//   keys      100k × (~200 B + value)   ≈  20 MB (typical) … 120 MB (1 KiB values)
//   sets      100k members in total     ≈  15 MB
//   bans      100k records × ~400 B     ≈  40 MB
//   events    10k (memory) × ~500 B     ≈   5 MB   (SQLite keeps them on disk: 1M rows)

import { ErrorCodes, SgwError } from '../errors.js'

export interface StoreLimits {
  /** windowed counters held (LRU beyond) */
  readonly maxCounters: number
  /** keys held (LRU beyond) */
  readonly maxKeys: number
  /** sets held (LRU beyond) */
  readonly maxSets: number
  /** members in one set (oldest member dropped beyond; scard then saturates at this value) */
  readonly maxSetMembers: number
  /** members over all sets (least recently used sets dropped beyond) */
  readonly maxTotalSetMembers: number
  /** ban records, active or remembered for their offence count */
  readonly maxBans: number
  /** the longest ban; every ban's TTL is clamped to it */
  readonly maxBanTtlMs: number
  /** how long an address's offence count is remembered after its last ban ends */
  readonly offenceMemoryMs: number
  /** events held (the earliest appended are dropped beyond) */
  readonly maxEvents: number
  /** events older than this are purged by the sweep */
  readonly eventRetentionMs: number
  /**
   * Keys and set members longer than this are replaced by a prefix plus a SHA-256 digest,
   * so an attacker-chosen account name cannot make one entry large. Same rule in every adapter.
   */
  readonly maxKeyLength: number
  /** set() values longer than this are refused (values are ours, not the attacker's) */
  readonly maxValueLength: number
}

const DAY = 86_400_000

export const DEFAULT_LIMITS: Readonly<StoreLimits> = Object.freeze({
  maxCounters: 100_000,
  maxKeys: 100_000,
  maxSets: 10_000,
  maxSetMembers: 1_000,
  maxTotalSetMembers: 100_000,
  maxBans: 100_000,
  maxBanTtlMs: 7 * DAY,
  offenceMemoryMs: 7 * DAY,
  maxEvents: 10_000,
  eventRetentionMs: 30 * DAY,
  maxKeyLength: 256,
  maxValueLength: 1024,
})

/** SQLite keeps events on disk, so it holds more of them. */
export const SQLITE_DEFAULT_LIMITS: Readonly<StoreLimits> = Object.freeze({
  ...DEFAULT_LIMITS,
  maxEvents: 1_000_000,
})

export const DEFAULT_EVENT_QUERY_LIMIT = 100
export const MAX_EVENT_QUERY_LIMIT = 10_000

/** Merges overrides onto the adapter's defaults; rejects unknown keys and non-positive values. */
export function resolveLimits(
  overrides: Partial<StoreLimits> | undefined,
  adapter: 'memory' | 'sqlite',
): Readonly<StoreLimits> {
  const base = adapter === 'sqlite' ? SQLITE_DEFAULT_LIMITS : DEFAULT_LIMITS
  if (overrides === undefined) return base
  if (typeof overrides !== 'object' || overrides === null) {
    throw new SgwError(ErrorCodes.STORE_OPTIONS, 'store limits must be an object')
  }
  const out: Record<string, number> = { ...base }
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue
    if (!Object.hasOwn(base, k)) {
      throw new SgwError(
        ErrorCodes.STORE_OPTIONS,
        `unknown store limit '${k}'; known limits: ${Object.keys(base).join(', ')}`,
      )
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw new SgwError(
        ErrorCodes.STORE_OPTIONS,
        `store limit '${k}' must be a positive integer, got ${String(v)}`,
      )
    }
    out[k] = v
  }
  if (out['maxKeyLength']! < 32) {
    throw new SgwError(ErrorCodes.STORE_OPTIONS, `store limit 'maxKeyLength' must be at least 32`)
  }
  return Object.freeze(out as unknown as StoreLimits)
}
