// FreeSWITCH mod_cdr_csv. Three templates are recognised by their width:
// - 13 columns: the compiled-in default template (legacy; a space before the last field),
// - 15 columns: the vanilla `example` template (adds read_codec, write_codec),
// - 18 columns: the Asterisk-compatible template (accountcode first, hangup_cause as disposition).
// Timestamps are local wall-clock time; hangup causes are Q.850 names.
import type { Cdr, CdrDisposition } from './types.js'
import { type RowContext, toUtc } from './row.js'

export const FREESWITCH_WIDTHS: readonly number[] = [13, 15, 18]

const CAUSE_RE = /^[A-Z][A-Z0-9_]*$/

function disposition(cause: string, answered: boolean): CdrDisposition {
  if (answered) return 'answered'
  switch (cause) {
    case 'NO_ANSWER':
    case 'NO_USER_RESPONSE':
    case 'ALLOTTED_TIMEOUT':
    case 'RECOVERY_ON_TIMER_EXPIRE':
      return 'no-answer'
    case 'USER_BUSY':
      return 'busy'
    case 'ORIGINATOR_CANCEL':
    case 'LOSE_RACE':
      return 'cancelled'
    case 'CALL_REJECTED':
    case 'OUTGOING_CALL_BARRED':
    case 'INCOMING_CALL_BARRED':
      return 'rejected'
    default:
      return 'failed'
  }
}

interface Columns {
  accountcode: number
  cidNumber: number
  dest: number
  start: number
  uuid: number
  cause: number
  duration: number
}

const DEFAULT_COLS: Columns = {
  accountcode: 12,
  cidNumber: 1,
  dest: 2,
  start: 4,
  duration: 7,
  cause: 9,
  uuid: 10,
}
const ASTERISK_COLS: Columns = {
  accountcode: 0,
  cidNumber: 1,
  dest: 2,
  start: 9,
  duration: 12,
  cause: 14,
  uuid: 16,
}

export function freeswitchRow(f: readonly string[], ctx: RowContext): Cdr | string {
  const w = f.length
  if (w !== 13 && w !== 15 && w !== 18) return `${w} columns; FreeSWITCH CSV templates have 13, 15 or 18`
  const c = w === 18 ? ASTERISK_COLS : DEFAULT_COLS
  const cause = f[c.cause]!
  if (!CAUSE_RE.test(cause) || ASTERISK_DISPOSITIONS.has(cause))
    return `hangup cause '${cause}' is not a Q.850 name`
  const duration = Number(f[c.duration])
  const billsec = Number(f[c.duration + 1])
  if (f[c.duration] === '' || !Number.isInteger(duration) || duration < 0)
    return `duration '${f[c.duration]}' is not a number`
  if (f[c.duration + 1] === '' || !Number.isInteger(billsec) || billsec < 0)
    return `billsec '${f[c.duration + 1]}' is not a number`
  const start = toUtc(f[c.start]!, ctx)
  if (Number.isNaN(start)) return `start '${f[c.start]}' is not a date (YYYY-MM-DD HH:MM:SS)`
  let answer: number | null = null
  const answerText = f[c.start + 1]!
  if (answerText !== '') {
    answer = toUtc(answerText, ctx)
    if (Number.isNaN(answer)) return `answer '${answerText}' is not a date`
  }
  let end = start + duration * 1000
  const endText = f[c.start + 2]!
  if (endText !== '') {
    end = toUtc(endText, ctx)
    if (Number.isNaN(end)) return `end '${endText}' is not a date`
  }
  const answered = answer !== null || billsec > 0
  const accountcode = f[c.accountcode]!
  const cid = f[c.cidNumber]!
  const uuid = f[c.uuid]!
  return {
    id: uuid !== '' ? uuid : `freeswitch:${ctx.line}`,
    account: accountcode !== '' ? accountcode : cid !== '' ? cid : null,
    tenant: null,
    caller: cid,
    dialled: f[c.dest]!,
    start,
    answer: answered ? (answer ?? end - billsec * 1000) : null,
    end,
    durationMs: duration * 1000,
    billableMs: billsec * 1000,
    disposition: disposition(cause, answered),
    sipStatus: null,
    sourceAddress: null,
    cost: null,
    origin: 'freeswitch',
  }
}

/** Asterisk dispositions: not Q.850 cause names, and what tells the 18-column templates apart */
const ASTERISK_DISPOSITIONS = new Set([
  'ANSWERED',
  'NO ANSWER',
  'BUSY',
  'FAILED',
  'CONGESTION',
  'CANCEL',
  'UNKNOWN',
])

export function looksFreeswitch(f: readonly string[]): boolean {
  const w = f.length
  if (w !== 13 && w !== 15 && w !== 18) return false
  const c = w === 18 ? ASTERISK_COLS : DEFAULT_COLS
  const cause = f[c.cause]!
  return CAUSE_RE.test(cause) && !ASTERISK_DISPOSITIONS.has(cause) && /^\d+$/.test(f[c.duration]!)
}
