// `sipwarden cdr`: call detail records.
// - analyze: replays a CDR file (Asterisk Master.csv, FreeSWITCH CSV, sipwarden CSV) in time
//   order through the toll-fraud engine and the learned patterns, and prints the findings.
// - import: writes a CDR file into the CDR store (<site.dataDir>/cdr.db).
// - export: writes stored CDRs as sipwarden CSV.
// - purge: deletes stored CDRs older than fraud.cdr.retentionMs.
import {
  closeSync,
  createWriteStream,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
} from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { Command } from 'commander'
import type { Policy } from '../config/schema.js'
import { ErrorCodes, SgwError } from '../errors.js'
import { CDR_FORMATS, type CdrFormat, detectFormats, readCdrBatches } from '../cdr/import.js'
import { parseCsvLine } from '../cdr/csv.js'
import type { ReplayFinding } from '../cdr/replay.js'

const DAY = 86_400_000
/** bad-line warnings printed before they are only counted */
const MAX_WARNINGS = 20
/** memoised classifications during `cdr analyze` */
const ANALYZE_CLASSIFIER_CACHE = 100_000

interface CommonFlags {
  policy?: string
  country?: string
}

interface AnalyzeFlags extends CommonFlags {
  format?: string
  json?: boolean
  timezone?: string
  learnDays?: string
  learning: boolean
  progress: boolean
  prefetch?: boolean
  baseline?: string
}

interface StoreFlags extends CommonFlags {
  db?: string
  dataDir?: string
}

interface ImportFlags extends StoreFlags {
  format?: string
  timezone?: string
}

interface ExportFlags extends StoreFlags {
  from?: string
  to?: string
  account?: string
  tenant?: string
  output?: string
}

function usage(message: string): never {
  throw new SgwError(ErrorCodes.CDR_INPUT, message)
}

async function policyFor(flags: CommonFlags): Promise<Policy> {
  const { loadPolicy, parsePolicy } = await import('../config/load.js')
  const overrides =
    flags.country !== undefined
      ? { tenants: [{ name: 'default', country: flags.country.toUpperCase() }] }
      : undefined
  if (flags.policy !== undefined) {
    const policy = loadPolicy(flags.policy)
    if (overrides === undefined) return policy
    if (policy.tenants.length > 0)
      usage('--country is for policies without tenants: the tenants set their countries')
    return loadPolicy(flags.policy, { overrides })
  }
  // no policy: the defaults (upstream is required by the schema but unused here)
  return parsePolicy(
    'version: 1\nupstream: udp:127.0.0.1:5080\n',
    '<defaults>',
    overrides ? { overrides } : {},
  )
}

/** The format named, or the one the first lines of the file look like. */
function resolveFormat(file: string, format: string | undefined): CdrFormat {
  if (format !== undefined) {
    if (!(CDR_FORMATS as readonly string[]).includes(format))
      usage(`unknown CDR format '${format}' (use ${CDR_FORMATS.join(', ')})`)
    return format as CdrFormat
  }
  let text = ''
  try {
    const fd = openSync(file, 'r')
    try {
      const buf = Buffer.alloc(64 * 1024)
      text = buf.toString('utf8', 0, readSync(fd, buf, 0, buf.length, 0))
    } finally {
      closeSync(fd)
    }
  } catch (err) {
    const code = (err as { code?: string }).code
    usage(`cannot read the CDR file ${file}: ${code === 'ENOENT' ? 'no such file' : String(err)}`)
  }
  const lines = text
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .slice(0, 5)
  for (const line of lines) {
    const fields = parseCsvLine(line)
    const guesses = fields ? detectFormats(fields) : []
    if (guesses.length === 1) return guesses[0]!
  }
  if (lines.length === 0) return 'sipwarden'
  usage(`cannot tell the format of ${file}: give --format ${CDR_FORMATS.join('|')}`)
}

function timeZoneOf(flags: { timezone?: string }, policy: Policy): string {
  return flags.timezone ?? policy.site.timezone
}

function warner(file: string): { warn(line: number, message: string): void; readonly count: number } {
  let count = 0
  return {
    warn(line, message) {
      if (++count <= MAX_WARNINGS) process.stderr.write(`cdr: ${file}:${line}: ${message} (line skipped)\n`)
      else if (count === MAX_WARNINGS + 1)
        process.stderr.write('cdr: more bad lines: only counted from now on\n')
    },
    get count() {
      return count
    },
  }
}

export function formatFinding(f: ReplayFinding): string {
  const where = f.country !== null ? `${f.cls}/${f.country}` : f.cls
  return (
    `${new Date(f.time).toISOString()} ${f.account} ${f.dialled} (${where}) ${f.rule} ${f.severity} ` +
    `${f.action}: ${f.message} [${f.code}]`
  )
}

async function analyze(file: string, flags: AnalyzeFlags): Promise<void> {
  const format = resolveFormat(file, flags.format)
  const policy = await policyFor(flags)
  let minHistoryMs = policy.fraud.learning.minHistoryMs
  if (flags.learnDays !== undefined) {
    const d = Number(flags.learnDays)
    if (!Number.isFinite(d) || d < 0 || d > 3650)
      usage(`--learn-days must be a number of days (got '${flags.learnDays}')`)
    minHistoryMs = d * DAY
  }
  const [
    { createClassifier },
    { FraudEngine },
    { LearnedPatterns, patternOptions },
    { CdrReplay },
    { startPrefetch },
  ] = await Promise.all([
    import('../fraud/classify.js'),
    import('../fraud/engine.js'),
    import('../fraud/patterns.js'),
    import('../cdr/replay.js'),
    import('../cdr/prefetch.js'),
  ])
  const classifier = createClassifier(policy, {
    ...(flags.policy !== undefined ? { baseDir: dirname(resolve(flags.policy)) } : {}),
    // a file of CDRs repeats the contacts of thousands of accounts: a larger memo than the
    // gateway's (bounded: about 20 MB) saves most libphonenumber parses
    cacheSize: ANALYZE_CLASSIFIER_CACHE,
  })
  const learning = flags.learning && policy.fraud.learning.enabled
  const popts = { ...patternOptions(policy), minHistoryMs }
  let patterns = learning ? new LearnedPatterns(popts) : null
  if (patterns !== null && flags.baseline !== undefined && existsSync(flags.baseline)) {
    try {
      patterns = LearnedPatterns.fromJSON(JSON.parse(readFileSync(flags.baseline, 'utf8')), popts)
    } catch (err) {
      usage(`cannot read the baseline ${flags.baseline}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  let clock = 0
  const engine = new FraudEngine({ policy, classifier, patterns, now: () => clock })
  const json = flags.json === true
  const out: string[] = []
  const flush = () => {
    if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`)
    out.length = 0
  }
  const replay = new CdrReplay({
    policy,
    classifier,
    engine: {
      checkNewCall: (c) => ((clock = c.time), engine.checkNewCall(c)),
      answered: (id, t) => ((clock = t), engine.answered(id, t)),
      ended: (id, t) => ((clock = t), engine.ended(id, t)),
      tick: (t) => ((clock = t), engine.tick(t)),
    },
    patterns,
    onFinding: (f) => {
      out.push(json ? JSON.stringify(findingJson(f)) : formatFinding(f))
    },
  })
  const warnings = warner(file)
  const tty = process.stderr.isTTY === true && flags.progress
  let lastProgress = 0
  const reader = readCdrBatches(file, format, {
    timezone: timeZoneOf(flags, policy),
    onWarning: warnings.warn,
    onProgress: tty
      ? (bytes, total) => {
          const now = Date.now()
          if (now - lastProgress < 200) return
          lastProgress = now
          const pct = total > 0 ? ((100 * bytes) / total).toFixed(1) : '?'
          process.stderr.write(`\rcdr: ${pct}% ${replay.stats.rows} rows, ${replay.stats.findings} findings`)
        }
      : undefined,
  })
  const t0 = process.hrtime.bigint()
  const cpu0 = process.cpuUsage()
  // --prefetch: the second core classifies numbers ahead of the replay (a cache warmer: the
  // same findings; less wall time when a core is free, more CPU time)
  const prefetch =
    flags.prefetch === true && availableParallelism() > 1
      ? startPrefetch({ file, format, timezone: timeZoneOf(flags, policy), policy }, classifier)
      : null
  try {
    for await (const batch of reader) {
      for (const cdr of batch) replay.push(cdr)
      prefetch?.progress(reader.stats.rows)
      if (out.length >= 256) flush()
    }
    replay.finish()
  } finally {
    await prefetch?.stop()
    classifier.close()
  }
  flush()
  if (tty) process.stderr.write('\r\x1b[K')
  if (patterns !== null && flags.baseline !== undefined) {
    // written whole, then renamed: a crash never leaves half a baseline
    const tmp = `${flags.baseline}.tmp`
    writeFileSync(tmp, JSON.stringify(patterns), { mode: 0o600 })
    renameSync(tmp, flags.baseline)
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(cpu0)
  const cpuSecs = (cpu.user + cpu.system) / 1e6
  const s = replay.stats
  const summary = {
    file,
    format,
    timezone: timeZoneOf(flags, policy),
    rows: reader.stats.rows,
    badLines: reader.stats.badLines,
    calls: s.calls,
    noAccount: s.noAccount,
    outOfOrder: s.late,
    findings: s.findings,
    byRule: s.byRule,
    byCode: s.byCode,
    accountsLearned: patterns?.size ?? 0,
    prefetched: prefetch?.received ?? 0,
    seconds: Number(secs.toFixed(3)),
    rowsPerSecond: Math.round(reader.stats.rows / Math.max(secs, 1e-6)),
    cpuSeconds: Number(cpuSecs.toFixed(3)),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  }
  if (json) process.stderr.write(`${JSON.stringify({ summary })}\n`)
  else {
    const rules = Object.entries(s.byRule)
      .sort((a, b) => b[1] - a[1])
      .map(([r, n]) => `${r} ${n}`)
      .join(', ')
    process.stderr.write(
      `cdr: ${summary.rows} rows (${summary.badLines} bad lines, ${summary.noAccount} without an account) in ` +
        `${summary.seconds} s (${summary.rowsPerSecond} rows/s), ${summary.findings} findings` +
        (rules ? ` (${rules})` : '') +
        `, peak RSS ${summary.peakRssMB} MB\n`,
    )
  }
  if (s.findings > 0) process.exitCode = 1
}

function findingJson(f: ReplayFinding): Record<string, unknown> {
  return {
    time: new Date(f.time).toISOString(),
    account: f.account,
    tenant: f.tenant,
    callId: f.callId,
    dialled: f.dialled,
    cls: f.cls,
    country: f.country,
    rule: f.rule,
    code: f.code,
    action: f.action,
    severity: f.severity,
    message: f.message,
    detail: f.detail,
  }
}

async function openStore(flags: StoreFlags, policy: Policy) {
  const { CdrStore, DEFAULT_CDR_FILE } = await import('../cdr/store.js')
  const path = flags.db ?? join(flags.dataDir ?? policy.site.dataDir, DEFAULT_CDR_FILE)
  return new CdrStore({ path, flushIntervalMs: 0 })
}

async function importFile(file: string, flags: ImportFlags): Promise<void> {
  const format = resolveFormat(file, flags.format)
  const policy = await policyFor(flags)
  const store = await openStore(flags, policy)
  const warnings = warner(file)
  const reader = readCdrBatches(file, format, {
    timezone: timeZoneOf(flags, policy),
    onWarning: warnings.warn,
  })
  try {
    for await (const batch of reader) for (const cdr of batch) store.insert(cdr)
  } finally {
    store.close()
  }
  process.stderr.write(
    `cdr: imported ${reader.stats.rows} rows into ${store.path} (${reader.stats.badLines} bad lines skipped)\n`,
  )
}

function timeFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const t = /^\d{4}-\d\d-\d\d$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value)
  if (Number.isNaN(t)) usage(`${flag} must be a date or an ISO 8601 time (got '${value}')`)
  return t
}

async function exportCdrs(flags: ExportFlags): Promise<void> {
  const q = {
    from: timeFlag(flags.from, '--from'),
    to: timeFlag(flags.to, '--to'),
    account: flags.account,
    tenant: flags.tenant,
  }
  const policy = await policyFor(flags)
  const store = await openStore(flags, policy)
  try {
    const out =
      flags.output !== undefined && flags.output !== '-' ? createWriteStream(flags.output) : process.stdout
    const n = await store.exportCsv(q, out)
    if (out !== process.stdout) {
      await new Promise<void>((res, rej) => {
        out.once('error', rej)
        out.end(res)
      })
    }
    process.stderr.write(`cdr: exported ${n} CDRs\n`)
  } finally {
    store.close()
  }
}

async function purge(flags: StoreFlags): Promise<void> {
  const policy = await policyFor(flags)
  const store = await openStore(flags, policy)
  try {
    const n = store.purgeOlderThan(policy.fraud.cdr.retentionMs)
    process.stderr.write(
      `cdr: purged ${n} CDRs older than ${Math.round(policy.fraud.cdr.retentionMs / DAY)} days\n`,
    )
  } finally {
    store.close()
  }
}

export function register(program: Command): void {
  const cdr = program
    .command('cdr')
    .description('Call detail records: analyze PBX CDR files for toll fraud, import, export, purge.')
  const formatHelp = `${CDR_FORMATS.join('|')} (default: detected from the first lines)`
  cdr
    .command('analyze')
    .description(
      'Replay a CDR file in time order through the toll-fraud engine (classification, calling rights, ' +
        'limits, dialling patterns) and the patterns it learns per account; print the findings.',
    )
    .argument('<file>', 'CDR file: Asterisk Master.csv, FreeSWITCH cdr-csv, or sipwarden CSV')
    .option('--format <format>', formatHelp)
    .option(
      '--policy <file>',
      'policy file: tenants, accounts, calling rights, limits, learning (default: defaults)',
    )
    .option('--country <cc>', 'without tenants in the policy: the home country of the numbers (ISO, e.g. DE)')
    .option('--timezone <tz>', 'time zone of the times in the file (default site.timezone, UTC)')
    .option(
      '--learn-days <n>',
      'history needed before learned patterns alert (default fraud.learning.minHistoryMs)',
    )
    .option('--no-learning', 'no learned patterns, only the rules')
    .option(
      '--baseline <file>',
      'learned patterns: start from this JSON file when it exists, and write it back after the run',
    )
    .option('--json', 'one JSON object per finding; the summary as JSON on stderr')
    .option('--no-progress', 'no progress line on stderr')
    .option('--prefetch', 'a worker thread classifies numbers ahead of the replay (uses a second core)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  sipwarden cdr analyze /var/log/asterisk/cdr-csv/Master.csv --policy /etc/sipwarden/sipwarden.yaml\n' +
        '  sipwarden cdr analyze Master.csv --format freeswitch --country GB --timezone Europe/London --json\n' +
        '\nExit code 1 when there are findings.',
    )
    .action((file: string, flags: AnalyzeFlags) => analyze(file, flags))
  const storeOptions = (c: Command) =>
    c
      .option('--policy <file>', 'policy file (site.dataDir, site.timezone, fraud.cdr.retentionMs)')
      .option('--db <file>', 'CDR store file (default <site.dataDir>/cdr.db)')
      .option('--data-dir <dir>', 'directory of cdr.db (default site.dataDir)')
  storeOptions(
    cdr
      .command('import')
      .description('Write the CDRs of a file into the CDR store.')
      .argument('<file>', 'CDR file')
      .option('--format <format>', formatHelp)
      .option('--timezone <tz>', 'time zone of the times in the file (default site.timezone)'),
  ).action((file: string, flags: ImportFlags) => importFile(file, flags))
  storeOptions(
    cdr
      .command('export')
      .description('Write stored CDRs as sipwarden CSV (readable by `cdr analyze --format sipwarden`).')
      .option('--from <time>', 'calls that started at or after (YYYY-MM-DD or ISO 8601)')
      .option('--to <time>', 'calls that started before')
      .option('--account <name>', 'only this account')
      .option('--tenant <name>', 'only this tenant')
      .option('--output <file>', 'write here instead of stdout'),
  ).action((flags: ExportFlags) => exportCdrs(flags))
  storeOptions(
    cdr.command('purge').description('Delete stored CDRs older than fraud.cdr.retentionMs.'),
  ).action((flags: StoreFlags) => purge(flags))
}
