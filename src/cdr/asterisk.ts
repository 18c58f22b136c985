// Asterisk cdr_csv (Master.csv). Columns (cdr/cdr_csv.c build_csv_record): accountcode, src,
// dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start, answer, end, duration,
// billsec, disposition, amaflags, then uniqueid (loguniqueid=yes), userfield (loguserfield=yes),
// then peeraccount, linkedid, sequence (newcdrcolumns=yes). The width tells which are there:
// 16, 17, 18, 19, 20 or 21 columns. Times are local wall-clock time (or GMT with usegmtime).
import type { Cdr, CdrDisposition } from './types.js'
import { type RowContext, toUtc } from './row.js'

const DISPOSITIONS: Readonly<Record<string, CdrDisposition>> = {
  ANSWERED: 'answered',
  'NO ANSWER': 'no-answer',
  BUSY: 'busy',
  FAILED: 'failed',
  CONGESTION: 'failed',
  UNKNOWN: 'failed',
  CANCEL: 'cancelled',
}

export const ASTERISK_WIDTHS: readonly number[] = [16, 17, 18, 19, 20, 21]

const UNIQUEID = /^[\w.-]*\d+\.\d+$/

/** The SIP peer of a channel name: `PJSIP/1001-0000002a` → `1001`; null for other technologies. */
export function channelPeer(channel: string): string | null {
  const slash = channel.indexOf('/')
  if (slash < 0) return null
  const tech = channel.slice(0, slash).toUpperCase()
  if (tech !== 'SIP' && tech !== 'PJSIP' && tech !== 'IAX2') return null
  const dash = channel.lastIndexOf('-')
  const peer = dash > slash ? channel.slice(slash + 1, dash) : channel.slice(slash + 1)
  return peer.length > 0 && peer.length <= 64 ? peer : null
}

export function asteriskRow(f: readonly string[], ctx: RowContext): Cdr | string {
  const w = f.length
  if (w < 16 || w > 21) return `${w} columns; Asterisk Master.csv has 16 to 21`
  const disposition = DISPOSITIONS[f[14]!]
  if (disposition === undefined) return `unknown disposition '${f[14]}'`
  const duration = Number(f[12])
  const billsec = Number(f[13])
  if (f[12] === '' || !Number.isInteger(duration) || duration < 0)
    return `duration '${f[12]}' is not a number`
  if (f[13] === '' || !Number.isInteger(billsec) || billsec < 0) return `billsec '${f[13]}' is not a number`
  const start = toUtc(f[9]!, ctx)
  if (Number.isNaN(start)) return `start '${f[9]}' is not a date (YYYY-MM-DD HH:MM:SS)`
  let answer: number | null = null
  if (f[10] !== '') {
    const a = toUtc(f[10]!, ctx)
    if (Number.isNaN(a)) return `answer '${f[10]}' is not a date`
    // older versions wrote the epoch for "not answered"
    if (a > 0) answer = a
  }
  let end = start + duration * 1000
  if (f[11] !== '') {
    const e = toUtc(f[11]!, ctx)
    if (Number.isNaN(e)) return `end '${f[11]}' is not a date`
    end = e
  }
  // uniqueid: present with 17 (if it looks like one), 18, 20 (likewise) and 21 columns
  let id: string | null = null
  if (w === 18 || w === 21) id = f[16]!
  else if ((w === 17 || w === 20) && UNIQUEID.test(f[16]!)) id = f[16]!
  const account = channelPeer(f[5]!) ?? (f[0] !== '' ? f[0]! : f[1] !== '' ? f[1]! : null)
  return {
    id: id !== null && id !== '' ? id : `asterisk:${ctx.line}`,
    account,
    tenant: null,
    caller: f[1]!,
    dialled: f[2]!,
    start,
    answer: disposition === 'answered' ? (answer ?? end - billsec * 1000) : answer,
    end,
    durationMs: duration * 1000,
    billableMs: billsec * 1000,
    disposition,
    sipStatus: null,
    sourceAddress: null,
    cost: null,
    origin: 'asterisk',
  }
}

/** Does this row look like Asterisk Master.csv? (format detection) */
export function looksAsterisk(f: readonly string[]): boolean {
  return f.length >= 16 && f.length <= 21 && DISPOSITIONS[f[14]!] !== undefined && /^\d+$/.test(f[12]!)
}
