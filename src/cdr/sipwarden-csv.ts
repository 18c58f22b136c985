// sipwarden's own CDR CSV (what `sipwarden cdr export` writes): a header line with the Cdr
// field names, times as ISO 8601 UTC, durations in ms, empty fields for null.
import { csvField } from './csv.js'
import type { Cdr, CdrDisposition } from './types.js'
import type { RowContext } from './row.js'

export const SIPWARDEN_COLUMNS = [
  'id',
  'account',
  'tenant',
  'caller',
  'dialled',
  'start',
  'answer',
  'end',
  'durationMs',
  'billableMs',
  'disposition',
  'sipStatus',
  'sourceAddress',
  'cost',
  'origin',
] as const satisfies readonly (keyof Cdr)[]

export const SIPWARDEN_HEADER = SIPWARDEN_COLUMNS.join(',')

const DISPOSITIONS = new Set<string>(['answered', 'no-answer', 'busy', 'failed', 'cancelled', 'rejected'])
const ORIGINS = new Set<string>(['gateway', 'asterisk', 'freeswitch', 'sipwarden'])

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString())

export function cdrToCsv(c: Cdr): string {
  return [
    csvField(c.id),
    csvField(c.account),
    csvField(c.tenant),
    csvField(c.caller),
    csvField(c.dialled),
    iso(c.start),
    iso(c.answer),
    iso(c.end),
    c.durationMs,
    c.billableMs,
    c.disposition,
    csvField(c.sipStatus),
    csvField(c.sourceAddress),
    csvField(c.cost),
    c.origin,
  ].join(',')
}

const nullable = (s: string) => (s === '' ? null : s)

function time(s: string): number {
  return s === '' ? NaN : Date.parse(s)
}

export function sipwardenRow(f: readonly string[], ctx: RowContext): Cdr | string {
  if (f.length !== SIPWARDEN_COLUMNS.length)
    return `${f.length} columns; sipwarden CSV has ${SIPWARDEN_COLUMNS.length}`
  if (f[0] === 'id' && f[1] === 'account') return 'header'
  const start = time(f[5]!)
  if (Number.isNaN(start)) return `start '${f[5]}' is not an ISO 8601 time`
  const answer = f[6] === '' ? null : time(f[6]!)
  if (Number.isNaN(answer)) return `answer '${f[6]}' is not an ISO 8601 time`
  const end = time(f[7]!)
  if (Number.isNaN(end)) return `end '${f[7]}' is not an ISO 8601 time`
  const durationMs = Number(f[8])
  const billableMs = Number(f[9])
  if (f[8] === '' || !Number.isSafeInteger(durationMs) || durationMs < 0)
    return `durationMs '${f[8]}' is not a number`
  if (f[9] === '' || !Number.isSafeInteger(billableMs) || billableMs < 0)
    return `billableMs '${f[9]}' is not a number`
  if (!DISPOSITIONS.has(f[10]!)) return `unknown disposition '${f[10]}'`
  const sipStatus = f[11] === '' ? null : Number(f[11])
  if (sipStatus !== null && !(Number.isInteger(sipStatus) && sipStatus >= 100 && sipStatus <= 699))
    return `sipStatus '${f[11]}' is not a SIP status`
  const cost = f[13] === '' ? null : Number(f[13])
  if (cost !== null && !Number.isFinite(cost)) return `cost '${f[13]}' is not a number`
  const origin = f[14]!
  if (!ORIGINS.has(origin)) return `unknown origin '${origin}'`
  return {
    id: f[0] !== '' ? f[0]! : `sipwarden:${ctx.line}`,
    account: nullable(f[1]!),
    tenant: nullable(f[2]!),
    caller: f[3]!,
    dialled: f[4]!,
    start,
    answer,
    end,
    durationMs,
    billableMs,
    disposition: f[10] as CdrDisposition,
    sipStatus,
    sourceAddress: nullable(f[12]!),
    cost,
    origin: origin as Cdr['origin'],
  }
}

export function looksSipwarden(f: readonly string[]): boolean {
  return f.length === SIPWARDEN_COLUMNS.length && (f[0] === 'id' || DISPOSITIONS.has(f[10]!))
}
