// Helpers shared by the adapters: argument checks, key bounding, the coarse sweep timer.

import { createHash } from 'node:crypto'
import { isIP } from 'node:net'
import { ErrorCodes, SgwError } from '../../errors.js'
import { normalizeIp } from '../../events/event.js'

export function argError(message: string): SgwError {
  return new SgwError(ErrorCodes.STORE_ARGUMENT, message)
}

export function closedError(adapter: string): SgwError {
  return new SgwError(ErrorCodes.STORE_CLOSED, `the ${adapter} state store is closed`)
}

/**
 * Keys and set members longer than `max` become `prefix#digest` (SHA-256, base64url), so an
 * attacker-chosen account name cannot make an entry arbitrarily large, and two different long
 * keys stay different. Short keys (the normal case) are returned as they are, at the cost of
 * one length comparison.
 */
export function boundKey(key: string, max: number): string {
  if (typeof key !== 'string') throw argError(`a key must be a string, got ${typeof key}`)
  if (key.length <= max) return key
  const digest = createHash('sha256').update(key).digest('base64url')
  return `${key.slice(0, max - digest.length - 2)}#${digest}`
}

/** A TTL for keys and set members: a positive, finite number of milliseconds. */
export function checkTtl(ttlMs: number | undefined, what: string): void {
  if (ttlMs === undefined) return
  if (typeof ttlMs !== 'number' || !(ttlMs > 0) || ttlMs === Number.POSITIVE_INFINITY) {
    throw argError(`${what}: ttlMs must be a positive, finite number of milliseconds, got ${String(ttlMs)}`)
  }
}

export function checkWindow(windowMs: number): void {
  if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
    throw argError(`windowMs must be a positive integer, got ${String(windowMs)}`)
  }
}

export function checkAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount < 0) {
    throw argError(`a counter amount must be a non-negative integer, got ${String(amount)}`)
  }
}

/** Ban addresses are stored in one canonical form so that the watcher and the gateway agree. */
export function banAddress(address: string): string {
  if (typeof address !== 'string') throw argError(`a ban address must be a string, got ${typeof address}`)
  const a = normalizeIp(address)
  if (isIP(a) === 0) throw argError(`not an IP address: ${JSON.stringify(address.slice(0, 64))}`)
  return a
}

/**
 * The timer reports ban expiries on every tick and runs the full sweep (every table, event
 * retention, SQLite flushes) every TICKS_PER_FULL_SWEEP ticks: with the default 1 s interval a
 * full scan of 100k entries costs ~1 ms every 10 s instead of every second.
 */
export const TICKS_PER_FULL_SWEEP = 10

export interface SweepTarget {
  /** called by the timer; must not throw */
  sweepTick(): void
}

/**
 * One coarse, unref()ed interval per store (habit 11: no per-key timers). The callback is a
 * module-level function that reaches the store through a WeakRef, so a store that was
 * dropped without close() can still be collected.
 */
export function startSweepTimer(target: SweepTarget, intervalMs: number): NodeJS.Timeout | null {
  if (intervalMs === 0) return null
  const t = setInterval(onSweepTimer, intervalMs, new WeakRef(target))
  t.unref()
  return t
}

function onSweepTimer(this: NodeJS.Timeout, ref: WeakRef<SweepTarget>): void {
  const target = ref.deref()
  if (target === undefined) clearInterval(this)
  else target.sweepTick()
}

export function checkSweepInterval(ms: number | undefined): number {
  if (ms === undefined) return 1000
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new SgwError(
      ErrorCodes.STORE_OPTIONS,
      `sweepIntervalMs must be a non-negative integer, got ${String(ms)}`,
    )
  }
  return ms
}

/** Default reporting of a throwing ban listener: one process warning per listener. */
export function makeListenerErrorHandler(
  custom: ((error: unknown) => void) | undefined,
): (listener: object, error: unknown) => void {
  if (custom !== undefined) {
    return (_listener, error) => {
      try {
        custom(error)
      } catch {
        // the error handler itself failed; nothing sensible is left to do
      }
    }
  }
  const warned = new WeakSet<object>()
  return (listener, error) => {
    if (warned.has(listener)) return
    warned.add(listener)
    const message = error instanceof Error ? error.message : String(error)
    process.emitWarning(`a ban listener threw (further errors from it are not reported): ${message}`, {
      code: 'SGW_WARN_BAN_LISTENER',
    })
  }
}
