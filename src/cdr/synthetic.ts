// Deterministic synthetic CDRs: a site's ordinary traffic (office hours, national calls,
// some extensions, a habitual foreign country for a few accounts) and, optionally, a toll-fraud
// attack (a night-time burst from one account to premium, satellite and never-called countries,
// several calls at once, long). Shared by the tests and bench/cdr so both judge the same data.
import { csvField } from './csv.js'
import { zoneClock } from './time.js'
import type { Cdr, CdrDisposition } from './types.js'
import { seededRandom } from '../state/internal/prng.js'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR

export interface SyntheticOptions {
  readonly seed?: number
  /** accounts 1000, 1001, …; default 20 */
  readonly accounts?: number
  readonly days?: number
  /** first day, local midnight of a Monday as if UTC (Date.UTC(…)); default 2026-03-02 */
  readonly startDay?: number
  readonly timeZone?: string
  readonly tenant?: string | null
  /** inject the attack in the night of this day (0-based; default: none) */
  readonly attackDay?: number | null
  /** account index of the attacker; default 0 */
  readonly attackAccount?: number
}

/** Where the attack was put: what the tests expect to see reported. */
export interface AttackInfo {
  readonly account: string
  readonly from: number
  readonly to: number
  readonly calls: number
}

const rng = seededRandom

const digits = (r: () => number, n: number) => {
  let s = ''
  for (let i = 0; i < n; i++) s += String(Math.floor(r() * 10))
  return s
}

/** habitual foreign numbers: international prefix, country, area, digits that follow */
const HABITS: ReadonlyArray<readonly [string, number]> = [
  ['0033' + '1', 8],
  ['0044' + '207', 7],
  ['0033' + '61', 7],
]

export function attackWindow(opts: SyntheticOptions): AttackInfo | null {
  if (opts.attackDay === undefined || opts.attackDay === null) return null
  const zone = zoneClock(opts.timeZone ?? 'UTC')
  const startDay = opts.startDay ?? Date.UTC(2026, 2, 2)
  const from = zone.fromLocal(startDay + opts.attackDay * DAY + 1 * HOUR)
  return { account: accountName(opts.attackAccount ?? 0), from, to: from + 5 * HOUR, calls: ATTACK_CALLS }
}

export const ATTACK_CALLS = 36

export function accountName(i: number): string {
  return String(1000 + i)
}

/** Synthetic CDRs in start-time order. */
export function* syntheticCdrs(opts: SyntheticOptions = {}): Generator<Cdr> {
  const r = rng(opts.seed ?? 1)
  const accounts = opts.accounts ?? 20
  const days = opts.days ?? 21
  const zone = zoneClock(opts.timeZone ?? 'UTC')
  const startDay = opts.startDay ?? Date.UTC(2026, 2, 2)
  const tenant = opts.tenant ?? null
  let seq = 0
  const day: Cdr[] = []
  const hours = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17]
  const contacts: string[][] = []
  for (let d = 0; d < days; d++) {
    day.length = 0
    const weekday = d % 7 < 5
    const local0 = startDay + d * DAY
    for (let a = 0; a < accounts && weekday; a++) {
      const account = accountName(a)
      const habit = a % 5 === 1 ? HABITS[a % HABITS.length]! : null
      const n = 2 + Math.floor(r() * 7)
      // distinct office hours: a person does not make five calls within one hour every day
      for (let i = hours.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1))
        const t = hours[i]!
        hours[i] = hours[j]!
        hours[j] = t
      }
      for (let c = 0; c < n; c++) {
        const start = zone.fromLocal(local0 + hours[c]! * HOUR + Math.floor(r() * 3500) * 1000)
        const roll = r()
        let dialled: string
        if (habit !== null && (c === 0 || roll < 0.1)) dialled = habit[0] + digits(r, habit[1])
        else if (r() < REPEAT) {
          // people mostly call the numbers they called before: a contact of the account
          const list = (contacts[a] ??= Array.from({ length: CONTACTS }, () => ordinaryNumber(r, r())))
          dialled = list[Math.floor(r() * CONTACTS)]!
        } else dialled = ordinaryNumber(r, roll)
        day.push(call(r, `syn-${++seq}`, account, tenant, dialled, start, 3600))
      }
    }
    if (opts.attackDay === d) {
      const account = accountName(opts.attackAccount ?? 0)
      const from = zone.fromLocal(local0 + 1 * HOUR)
      const targets = [
        () => '0044909' + digits(r, 7),
        () => '008816' + digits(r, 8),
        () => '00535' + digits(r, 7),
        () => '0025261' + digits(r, 7),
        () => '003712' + digits(r, 7),
      ]
      for (let i = 0; i < ATTACK_CALLS; i++) {
        const start = from + i * 4 * MIN + Math.floor(r() * 60) * 1000
        const dialled = targets[i % targets.length]!()
        const c = call(r, `atk-${i}`, account, tenant, dialled, start, 0, true)
        day.push(
          i === 1
            ? {
                ...c,
                end: c.answer! + 3 * HOUR,
                billableMs: 3 * HOUR,
                durationMs: c.answer! + 3 * HOUR - c.start,
              }
            : c,
        )
      }
    }
    day.sort((x, y) => x.start - y.start)
    yield* day
  }
}

/** share of ordinary calls to one of the account's contacts */
const REPEAT = 0.8
/** contacts per account */
const CONTACTS = 40

/** a national fixed or mobile number, an extension or a toll-free number (German numbering) */
function ordinaryNumber(r: () => number, roll: number): string {
  if (roll < 0.55) return '030' + digits(r, 8)
  if (roll < 0.78) return '0151' + digits(r, 8)
  if (roll < 0.95) return String(100 + Math.floor(r() * 900))
  return '0800' + digits(r, 7)
}

function call(
  r: () => number,
  id: string,
  account: string,
  tenant: string | null,
  dialled: string,
  start: number,
  maxTalkS: number,
  attack = false,
): Cdr {
  const roll = r()
  const disposition: CdrDisposition = attack || roll < 0.8 ? 'answered' : roll < 0.95 ? 'no-answer' : 'busy'
  const ringS = 3 + Math.floor(r() * 20)
  const talkS =
    disposition !== 'answered'
      ? 0
      : attack
        ? 1200 + Math.floor(r() * 1800)
        : Math.min(maxTalkS, 5 + Math.floor(-Math.log(1 - r()) * 180))
  const answer = disposition === 'answered' ? start + ringS * 1000 : null
  const end = start + (ringS + talkS) * 1000
  return {
    id,
    account,
    tenant,
    caller: account,
    dialled,
    start,
    answer,
    end,
    durationMs: end - start,
    billableMs: talkS * 1000,
    disposition,
    sipStatus: null,
    sourceAddress: null,
    cost: null,
    origin: 'sipwarden',
  }
}

const ASTERISK_DISPOSITION: Readonly<Record<CdrDisposition, string>> = {
  answered: 'ANSWERED',
  'no-answer': 'NO ANSWER',
  busy: 'BUSY',
  failed: 'FAILED',
  cancelled: 'CANCEL',
  rejected: 'FAILED',
}

function wallClock(ms: number, timeZone: string): string {
  const local = ms + zoneClock(timeZone).offsetAt(ms)
  return new Date(local).toISOString().slice(0, 19).replace('T', ' ')
}

/** An Asterisk Master.csv line (loguniqueid + loguserfield: 18 columns), times in `timeZone`. */
export function cdrToAsteriskCsv(c: Cdr, timeZone = 'UTC'): string {
  const q = (s: string) => `"${s.replaceAll('"', '""')}"`
  const account = c.account ?? ''
  return [
    q(''),
    q(c.caller),
    q(c.dialled),
    q('from-internal'),
    q(`"${account}" <${c.caller}>`),
    q(`PJSIP/${account}-${c.id.replace(/\W/g, '').slice(-8).padStart(8, '0')}`),
    q(c.disposition === 'answered' ? `PJSIP/trunk-0000${c.id.length}` : ''),
    q('Dial'),
    q(`PJSIP/${c.dialled}@trunk,60,Tt`),
    q(wallClock(c.start, timeZone)),
    q(c.answer !== null ? wallClock(c.answer, timeZone) : ''),
    q(wallClock(c.end, timeZone)),
    String(Math.round(c.durationMs / 1000)),
    String(Math.round(c.billableMs / 1000)),
    q(ASTERISK_DISPOSITION[c.disposition]),
    q('DOCUMENTATION'),
    q(c.id),
    q(''),
  ].join(',')
}

/** A FreeSWITCH CSV line in the vanilla `example` template (15 columns). */
export function cdrToFreeswitchCsv(c: Cdr, timeZone = 'UTC'): string {
  const cause =
    c.disposition === 'answered'
      ? 'NORMAL_CLEARING'
      : c.disposition === 'busy'
        ? 'USER_BUSY'
        : c.disposition === 'no-answer'
          ? 'NO_ANSWER'
          : 'NORMAL_TEMPORARY_FAILURE'
  return [
    c.account ?? '',
    c.caller,
    c.dialled,
    'default',
    wallClock(c.start, timeZone),
    c.answer !== null ? wallClock(c.answer, timeZone) : '',
    wallClock(c.end, timeZone),
    String(Math.round(c.durationMs / 1000)),
    String(Math.round(c.billableMs / 1000)),
    cause,
    c.id,
    '',
    c.account ?? '',
    'PCMA',
    'PCMA',
  ]
    .map((s) => csvField(s) || '""')
    .map((s) => (s.startsWith('"') ? s : `"${s}"`))
    .join(',')
}
