// A fixed set of CDRs and events for the daily report tests (day 2026-11-20, UTC).
import type { Cdr } from '../../src/cdr/types.js'
import type { SecurityEvent } from '../../src/events/event.js'
import type { ClassifyFn } from '../../src/report/daily.js'

export const EVIL = '<script>alert("x")</script>&'
export const DAY = '2026-11-20'
export const T = (iso: string) => Date.parse(iso)

export function cdr(over: Partial<Cdr> & Pick<Cdr, 'id' | 'dialled' | 'start'>): Cdr {
  const billableMs = over.billableMs ?? 0
  return {
    account: '1001',
    tenant: 'acme',
    caller: '1001',
    answer: billableMs > 0 ? over.start + 5000 : null,
    end: over.start + 5000 + billableMs,
    durationMs: 5000 + billableMs,
    billableMs,
    disposition: billableMs > 0 ? 'answered' : 'no-answer',
    sipStatus: null,
    sourceAddress: null,
    cost: null,
    origin: 'sipwarden',
    ...over,
  }
}

/** The fixed set: one history call, four calls on the day, one the day after. */
export const CDRS: readonly Cdr[] = [
  cdr({ id: 'h1', dialled: '+4930123456', start: T('2026-11-10T10:00:00Z'), billableMs: 60_000, cost: 0.01 }),
  cdr({
    id: 'c1',
    dialled: '+4930123457',
    start: T('2026-11-20T09:15:00Z'),
    billableMs: 120_000,
    cost: 0.02,
  }),
  cdr({ id: 'c2', dialled: '+4930123458', start: T('2026-11-20T09:40:00Z') }),
  cdr({
    id: 'c3',
    dialled: '+447911123456',
    start: T('2026-11-20T13:05:00Z'),
    billableMs: 90_000,
    cost: 0.15,
  }),
  cdr({
    id: 'c4',
    account: EVIL,
    caller: '1002',
    dialled: '+4930999',
    start: T('2026-11-20T23:59:59Z'),
    billableMs: 30_000,
    cost: 0.01,
  }),
  cdr({ id: 'n1', dialled: '+4930123457', start: T('2026-11-21T00:00:00Z'), billableMs: 60_000, cost: 5 }),
]

export const classify: ClassifyFn = (d) =>
  d.startsWith('+49')
    ? { country: 'DE', cls: 'fixed' }
    : d.startsWith('+44')
      ? { country: 'GB', cls: 'mobile' }
      : { country: null, cls: 'unknown' }

const ev = (over: Partial<SecurityEvent> & Pick<SecurityEvent, 'code' | 'action'>): SecurityEvent => ({
  time: T('2026-11-20T12:00:00Z'),
  address: '203.0.113.9',
  ...over,
})

export const EVENTS: readonly SecurityEvent[] = [
  ev({ code: 'flood.register', action: 'ban' }),
  ev({ code: 'flood.register', action: 'ban', time: T('2026-11-20T18:00:00Z') }),
  ev({ code: 'auth.brute-force', action: 'ban', address: '198.51.100.4' }),
  ev({ code: 'fraud.destination', action: 'alert', account: '1001', severity: 'critical' }),
  ev({
    code: 'fraud.destination',
    action: 'alert',
    account: '1001',
    severity: 'warning',
    address: '192.0.2.10',
  }),
  ev({ code: 'auth.failure', action: 'reply' }),
  ev({ code: 'flood.register', action: 'ban', time: T('2026-11-19T12:00:00Z') }),
]
