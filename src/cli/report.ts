// `sipwarden report daily`: the morning report per customer/account — calls, minutes, cost,
// top and new destinations, fraud findings and bans — as text, JSON or a self-contained HTML
// page, to stdout, a file, or by email (alerting.email of the policy).
//
// Exit codes: 0 report written, 2 usage error or unreadable input.

import { existsSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { type Command, Option } from 'commander'
import { CDR_FORMATS, type CdrFormat, readCdrFile } from '../cdr/import.js'
import { CdrStore, DEFAULT_CDR_FILE } from '../cdr/store.js'
import type { Cdr } from '../cdr/types.js'
import { loadPolicy } from '../config/load.js'
import { DEFAULT_STATE_FILE, type Policy } from '../config/schema.js'
import { ErrorCodes, SgwError } from '../errors.js'
import type { SecurityEvent } from '../events/event.js'
import { createMailer } from '../events/sinks/email.js'
import { createClassifier } from '../fraud/classify.js'
import { buildDailyReport, type ClassifyFn, DAY_MS, type DailyReport, dayStart } from '../report/daily.js'
import { renderHtml } from '../report/html.js'
import { renderText } from '../report/text.js'
import { MAX_EVENT_QUERY_LIMIT } from '../state/limits.js'
import { createStore } from '../state/store.js'

export const REPORT_FORMATS = ['text', 'json', 'html'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

export interface DailyFlags {
  readonly date?: string
  readonly policy?: string
  readonly cdrDb?: string
  readonly cdr?: string
  readonly cdrFormat?: CdrFormat
  readonly cdrTimezone?: string
  readonly state?: string
  readonly history?: string
  readonly format?: ReportFormat
  readonly output?: string
  readonly email?: boolean
}

export interface ReportIo {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  /** today, for the default date (yesterday) */
  readonly now?: () => number
}

const processIo: ReportIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
}

function usage(message: string): never {
  throw new SgwError(ErrorCodes.CLI_INPUT, message)
}

/** Builds the report the flags describe (no output). */
export async function dailyReport(flags: DailyFlags, now: () => number = Date.now): Promise<DailyReport> {
  const date = flags.date ?? new Date(now() - DAY_MS).toISOString().slice(0, 10)
  const from = dayStart(date)
  if (from === null) usage(`--date must be a date YYYY-MM-DD, got '${date}'`)
  const historyDays = flags.history !== undefined ? Number(flags.history) : 30
  if (!Number.isInteger(historyDays) || historyDays < 0 || historyDays > 400)
    usage('--history must be a whole number of days from 0 to 400')
  const policy: Policy | null = flags.policy !== undefined ? loadPolicy(flags.policy) : null

  let cdrs: Iterable<Cdr> | AsyncIterable<Cdr>
  let cdrStore: CdrStore | null = null
  if (flags.cdr !== undefined && flags.cdrDb !== undefined)
    usage('give either --cdr FILE or --cdr-db FILE, not both')
  if (flags.cdr !== undefined) {
    if (flags.cdrFormat === undefined) usage(`--cdr needs --cdr-format (${CDR_FORMATS.join(', ')})`)
    if (!existsSync(flags.cdr)) usage(`cannot read the CDR file ${flags.cdr}: no such file`)
    cdrs = readCdrFile(
      flags.cdr,
      flags.cdrFormat,
      flags.cdrTimezone !== undefined ? { timezone: flags.cdrTimezone } : {},
    )
  } else {
    // --cdr-db, else the gateway's CDR database next to the policy's state
    let path = flags.cdrDb
    if (path === undefined && policy !== null) {
      const candidate = join(policy.site.dataDir, DEFAULT_CDR_FILE)
      if (existsSync(candidate)) path = candidate
    }
    if (path === undefined) usage('give the calls: --cdr FILE --cdr-format FORMAT, or --cdr-db FILE')
    if (!existsSync(path)) usage(`cannot read the CDR database ${path}: no such file`)
    cdrStore = new CdrStore({ path, flushIntervalMs: 0 })
    cdrs = cdrStore.query({ from: from - historyDays * DAY_MS, to: from + DAY_MS })
  }

  const classifier =
    policy !== null
      ? createClassifier(
          policy,
          flags.policy !== undefined ? { baseDir: dirname(resolve(flags.policy)) } : {},
        )
      : null
  const classify: ClassifyFn = (dialled, tenant) => {
    if (classifier === null) return { country: null, cls: 'unknown' }
    try {
      return classifier.classify(dialled, tenant)
    } catch {
      return { country: null, cls: 'unknown' }
    }
  }

  const events = readEvents(flags, policy, from)
  try {
    return await buildDailyReport({
      date,
      cdrs,
      classify,
      historyDays,
      ...(events !== null ? { events: events.events, eventsTruncated: events.truncated } : {}),
      ...(policy !== null ? { site: policy.site.name, currency: policy.fraud.currency } : {}),
    })
  } finally {
    classifier?.close()
    cdrStore?.close()
  }
}

/** The day's events from the state store (SQLite): --state, else the policy's store when it exists. */
function readEvents(
  flags: DailyFlags,
  policy: Policy | null,
  from: number,
): { events: SecurityEvent[]; truncated: boolean } | null {
  let path = flags.state
  if (path === undefined && policy !== null && policy.state.adapter === 'sqlite') {
    path = policy.state.path ?? join(policy.site.dataDir, DEFAULT_STATE_FILE)
    if (!existsSync(path)) return null
  }
  if (path === undefined) return null
  if (!existsSync(path)) usage(`cannot read the state store ${path}: no such file`)
  const store = createStore({ adapter: 'sqlite', path })
  try {
    const events = store.queryEvents({ since: from, until: from + DAY_MS, limit: MAX_EVENT_QUERY_LIMIT })
    return { events, truncated: events.length >= MAX_EVENT_QUERY_LIMIT }
  } finally {
    store.close()
  }
}

export function render(report: DailyReport, format: ReportFormat): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`
  if (format === 'html') return renderHtml(report)
  return renderText(report)
}

export async function runDaily(flags: DailyFlags, io: ReportIo = processIo): Promise<void> {
  const format = flags.format ?? 'text'
  if (!(REPORT_FORMATS as readonly string[]).includes(format))
    usage(`--format must be one of ${REPORT_FORMATS.join(', ')}`)
  let mailPolicy: NonNullable<Policy['alerting']['email']> | undefined
  if (flags.email === true) {
    if (flags.policy === undefined) usage('--email needs --policy with an alerting.email section')
  }
  const report = await dailyReport(flags, io.now)
  if (flags.email === true) {
    const policy = loadPolicy(flags.policy!)
    mailPolicy = policy.alerting.email
    if (mailPolicy === undefined) usage('--email needs an alerting.email section in the policy')
  }
  const body = render(report, format)
  if (flags.output !== undefined) {
    try {
      writeFileSync(flags.output, body, { mode: 0o640 })
    } catch (err) {
      usage(`cannot write ${flags.output}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
    }
  } else if (flags.email !== true) io.stdout(body)
  if (mailPolicy !== undefined) {
    const s = mailPolicy.smtp
    const mailer = createMailer(
      {
        host: s.host,
        port: s.port,
        security: s.security,
        ...(s.username !== undefined ? { username: s.username } : {}),
        ...(s.password !== undefined ? { password: s.password } : {}),
      },
      mailPolicy.from,
      mailPolicy.to,
    )
    try {
      await mailer.send({
        subject: `[${report.site}] daily report ${report.date}: ${report.totals.calls} calls, ${report.findings.length} finding types, ${report.bans.count} bans`,
        text: renderText(report),
        html: renderHtml(report),
      })
    } catch (err) {
      throw new SgwError(
        ErrorCodes.REPORT_EMAIL,
        `the report could not be emailed: ${(err as Error).message}`,
      )
    } finally {
      mailer.close()
    }
    io.stderr(`report for ${report.date} sent to ${mailPolicy.to.length} recipient(s)\n`)
  }
}

export function register(program: Command): void {
  const report = program.command('report').description('Reports from CDRs and the security event log.')
  report
    .command('daily')
    .description(
      'Daily report per tenant/account: calls, answered, minutes, cost, top and new destinations ' +
        '(vs the previous days), fraud findings and bans; text, JSON or a self-contained HTML page.',
    )
    .option('--date <YYYY-MM-DD>', 'the UTC day to report (default: yesterday)')
    .option(
      '--policy <file>',
      'policy file: tenants and numbering (classification), currency, state store, email',
    )
    .option('--cdr-db <file>', "the gateway's CDR database")
    .option('--cdr <file>', 'a CDR file (Asterisk Master.csv, FreeSWITCH CSV, sipwarden CSV)')
    .addOption(new Option('--cdr-format <format>', 'format of --cdr').choices(CDR_FORMATS))
    .option('--cdr-timezone <zone>', 'IANA time zone of the wall-clock times in --cdr (default UTC)')
    .option('--state <file>', "state store (SQLite) with the event log (default: the policy's)")
    .option('--history <days>', 'days before the report day that define known destinations', '30')
    .addOption(new Option('--format <format>', 'output format').choices(REPORT_FORMATS).default('text'))
    .option('--output <file>', 'write the report to this file instead of stdout')
    .option('--email', "send the report (text and HTML) to the policy's alerting.email recipients")
    .action(async (flags: DailyFlags) => {
      await runDaily(flags)
    })
}
