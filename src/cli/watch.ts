// `sipwarden watch`: the log watcher. `--replay FILE` processes a whole log offline and prints
// the ban decisions (nothing is applied); `--source PATH` / `--journal UNIT` follow live logs and
// apply bans (nftables set with timeouts by default, or a custom command).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { Command } from 'commander'
import { ErrorCodes, SgwError } from '../errors.js'
import { CommandSink } from '../logwatch/actions/command.js'
import { NftablesSink } from '../logwatch/actions/nftables.js'
import { createParser, isFormatName } from '../logwatch/formats/index.js'
import { LineSplitter } from '../logwatch/line-splitter.js'
import { DEFAULT_DETECTOR_OPTIONS } from '../logwatch/options.js'
import { replayFile } from '../logwatch/replay.js'
import { Detector } from '../logwatch/rules.js'
import { FileFollower } from '../logwatch/sources/follow.js'
import { PositionStore } from '../logwatch/sources/positions.js'
import { type BanDecision, type BanSink, FORMAT_NAMES, type FormatName } from '../logwatch/types.js'
import { LogWatcher } from '../logwatch/watcher.js'

interface WatchFlags {
  replay?: string
  source?: string[]
  journal?: string
  format?: string
  json?: boolean
  allow?: string[]
  defaultAllow: boolean
  year?: string
  action: string
  exec?: string
  nftTable: string
  stateFile?: string
  fromStart?: boolean
  progress: boolean
}

function usage(message: string): never {
  throw new SgwError(ErrorCodes.CLI_INPUT, message)
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

/** One ban decision as printed: JSON line or text. */
export function formatBan(d: BanDecision, json: boolean): string {
  if (json) {
    return JSON.stringify({
      ip: d.ip,
      time: new Date(d.time).toISOString(),
      rule: d.rule,
      count: d.count,
      kind: d.kind,
      ttl: Math.round(d.ttlMs / 1000),
      until: new Date(d.until).toISOString(),
      nth: d.nth,
    })
  }
  return `${new Date(d.time).toISOString()} ban ${d.ip} rule=${d.rule} count=${d.count} kind=${d.kind} ttl=${Math.round(d.ttlMs / 1000)}s`
}

/** Buffered stdout printer (one write per 64 KiB, not per ban). */
class PrintSink implements BanSink {
  readonly #json: boolean
  #buf: string[] = []
  #size = 0

  constructor(json: boolean) {
    this.#json = json
  }

  ban(d: BanDecision): void {
    const line = `${formatBan(d, this.#json)}\n`
    this.#buf.push(line)
    this.#size += line.length
    if (this.#size >= 65536) this.flush()
  }

  flush(): void {
    if (this.#buf.length === 0) return
    process.stdout.write(this.#buf.join(''))
    this.#buf = []
    this.#size = 0
  }
}

class TeeSink implements BanSink {
  readonly #sinks: readonly BanSink[]
  constructor(sinks: readonly BanSink[]) {
    this.#sinks = sinks
  }
  ban(d: BanDecision): void {
    for (const s of this.#sinks) void s.ban(d)
  }
  async flush(): Promise<void> {
    for (const s of this.#sinks) await s.flush?.()
  }
  async close(): Promise<void> {
    for (const s of this.#sinks) await s.close?.()
  }
}

function formatOf(flags: WatchFlags): FormatName {
  if (flags.format === undefined) usage(`--format is required (${FORMAT_NAMES.join('|')})`)
  if (!isFormatName(flags.format)) usage(`unknown --format '${flags.format}' (${FORMAT_NAMES.join('|')})`)
  return flags.format
}

function detectorFor(flags: WatchFlags): Detector {
  const allow = [...(flags.defaultAllow ? DEFAULT_DETECTOR_OPTIONS.allow : []), ...(flags.allow ?? [])]
  return new Detector({ allow })
}

function referenceYear(flags: WatchFlags): number | undefined {
  if (flags.year === undefined) return undefined
  const y = Number(flags.year)
  if (!Number.isInteger(y) || y < 1970 || y > 9999) usage(`--year must be a year (got '${flags.year}')`)
  return y
}

async function replay(flags: WatchFlags, file: string): Promise<void> {
  const format = formatOf(flags)
  const json = flags.json === true
  const sink = new PrintSink(json)
  const detector = detectorFor(flags)
  const watcher = new LogWatcher(
    createParser(format, { referenceYear: referenceYear(flags) }),
    detector,
    sink,
  )
  const tty = process.stderr.isTTY === true && flags.progress
  const result = await replayFile(file, watcher, {
    onProgress: tty
      ? (p) => {
          const pct = p.totalBytes > 0 ? ((100 * p.bytes) / p.totalBytes).toFixed(1) : '?'
          process.stderr.write(`\rreplay: ${pct}% ${p.lines} lines, ${watcher.counters.bans} bans`)
        }
      : undefined,
  })
  sink.flush()
  if (tty) process.stderr.write('\r\x1b[K')
  const secs = result.elapsedMs / 1000
  const summary = {
    file,
    format,
    lines: result.lines,
    seconds: Number(secs.toFixed(3)),
    linesPerSecond: Math.round(result.lines / Math.max(secs, 1e-6)),
    events: watcher.counters.events,
    ambiguous: watcher.counters.ambiguous,
    bans: watcher.counters.bans,
    allowListed: detector.stats.allowListed,
    whileBanned: detector.stats.whileBanned,
    uncounted: detector.stats.uncounted,
    longLinesSkipped: result.longLines,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  }
  if (json) process.stderr.write(`${JSON.stringify({ summary })}\n`)
  else {
    process.stderr.write(
      `replay: ${summary.lines} lines in ${summary.seconds} s (${summary.linesPerSecond} lines/s), ` +
        `${summary.events} matched events, ${summary.bans} bans, ${summary.ambiguous} ambiguous lines ignored, ` +
        `${summary.allowListed} allow-listed, ${summary.whileBanned} while banned, ${summary.longLinesSkipped} long lines skipped\n`,
    )
  }
}

function actionSink(
  flags: WatchFlags,
  onError: (m: string) => void,
): { sink: BanSink | null; setup?: () => Promise<void> } {
  switch (flags.action) {
    case 'none':
      return { sink: null }
    case 'nftables': {
      const nft = new NftablesSink({ table: flags.nftTable, onError })
      return { sink: nft, setup: () => nft.setup() }
    }
    case 'command': {
      if (flags.exec === undefined) usage('--action command needs --exec \'["/path/prog","{ip}","{ttl}"]\'')
      let argv: unknown
      try {
        argv = JSON.parse(flags.exec)
      } catch {
        usage('--exec must be a JSON array of strings, e.g. \'["/usr/local/sbin/block","{ip}","{ttl}"]\'')
      }
      if (!Array.isArray(argv) || argv.some((a) => typeof a !== 'string'))
        usage('--exec must be a JSON array of strings')
      return { sink: new CommandSink({ argv: argv as string[], onError }) }
    }
    default:
      return usage(`unknown --action '${flags.action}' (nftables|command|none)`)
  }
}

async function live(flags: WatchFlags): Promise<void> {
  const format = formatOf(flags)
  const json = flags.json === true
  const warn = (m: string): void => {
    process.stderr.write(`sipwarden watch: ${m}\n`)
  }
  const printer = new PrintSink(json)
  const { sink: action, setup } = actionSink(flags, warn)
  if (setup !== undefined) await setup()
  const sink = new TeeSink(action === null ? [printer] : [printer, action])
  const detector = detectorFor(flags)
  const year = referenceYear(flags)
  const positions = new PositionStore(flags.stateFile ?? null)
  const followers: FileFollower[] = []
  const watcherFor = () =>
    new LogWatcher(createParser(format, { referenceYear: year }), detector, sink, (err) =>
      warn(`ban action failed: ${(err as Error).message}`),
    )
  for (const path of flags.source ?? []) {
    const w = watcherFor()
    followers.push(
      new FileFollower(path, (l) => w.line(l), {
        positions,
        fromStart: flags.fromStart === true,
        onError: (err) => warn(`${path}: ${(err as Error).message}`),
      }),
    )
  }
  let journal: ReturnType<typeof spawn> | null = null
  if (flags.journal !== undefined) {
    const w = watcherFor()
    const args = ['-f', '-o', 'short-iso', '-u', flags.journal]
    if (flags.stateFile !== undefined) {
      const cursor = `${flags.stateFile}.journal-cursor`
      if (!existsSync(cursor)) args.push('-n', '0')
      args.push(`--cursor-file=${cursor}`)
    } else args.push('-n', '0')
    journal = spawn('journalctl', args, { stdio: ['ignore', 'pipe', 'inherit'] })
    const splitter = new LineSplitter((l) => w.line(l))
    journal.stdout?.on('data', (b: Buffer) => splitter.push(b))
    journal.on('error', (err) => warn(`journalctl: ${err.message}`))
  }
  for (const f of followers) await f.start()
  const tick = setInterval(() => {
    printer.flush()
    void positions.save().catch((err: unknown) => warn(`cannot save positions: ${(err as Error).message}`))
  }, 1000)
  warn(
    `following ${followers.length} file(s)${journal !== null ? ` and journald unit ${flags.journal}` : ''} ` +
      `as ${format}; action ${flags.action}`,
  )
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  clearInterval(tick)
  for (const f of followers) await f.stop()
  journal?.kill('SIGTERM')
  await sink.close()
  printer.flush()
  await positions.save()
}

export function register(program: Command): void {
  program
    .command('watch')
    .description(
      'Log watcher: detect brute force, enumeration and scans in PBX logs (Asterisk, FreeSWITCH, ' +
        'Kamailio, Yate) and ban the sources. --replay processes a file offline; --source/--journal follow live logs.',
    )
    .option('--replay <file>', 'process a whole log offline and print each ban decision; nothing is applied')
    .option(
      '--source <path>',
      'follow this log file (repeatable; rotation and truncation are handled)',
      collect,
    )
    .option('--journal <unit>', 'follow a systemd unit through journalctl')
    .option('--format <name>', `log format: ${FORMAT_NAMES.join('|')}`)
    .option('--json', 'print ban decisions as JSON lines (and the replay summary as JSON on stderr)')
    .option('--allow <cidr>', 'never ban this network (repeatable; IPv4 or IPv6)', collect)
    .option('--no-default-allow', 'do not allow-list loopback (127.0.0.0/8, ::1) by default')
    .option('--year <yyyy>', 'year for log dates printed without one (default: the current year)')
    .option('--action <name>', 'live mode: nftables | command | none', 'nftables')
    .option(
      '--exec <json-argv>',
      'with --action command: argv as a JSON array; {ip} {ttl} {rule} {count} {family}',
    )
    .option(
      '--nft-table <name>',
      'with --action nftables: table (inet family) holding sets banned4/banned6',
      'sipwarden',
    )
    .option('--state-file <path>', 'live mode: remember read positions here across restarts')
    .option(
      '--from-start',
      'live mode: read files seen for the first time from their start (default: their end)',
    )
    .option('--no-progress', 'replay: no progress line on stderr')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  sipwarden watch --replay /var/log/asterisk/messages --format asterisk --json\n' +
        '  sipwarden watch --source /var/log/asterisk/messages --source /var/log/asterisk/security \\\n' +
        '                  --format asterisk --state-file /var/lib/sipwarden/logwatch.json\n' +
        '\nRules (defaults): failed-auth 5/60s, unknown-account 5/60s, enumeration 5 distinct accounts/10min,\n' +
        'acl 5/60s, scan (calls to unknown extensions) 5/60s, failures (any of these) 10/10min, pbx-block 1;\n' +
        'ban 1 h, doubled for each repeat ban up to 7 days. Not yet: --policy (rules from the policy file),\n' +
        'ipset and gateway-API actions, glob patterns in --source, restoring bans from the store.',
    )
    .action(async (flags: WatchFlags) => {
      const modes = [
        flags.replay !== undefined,
        (flags.source?.length ?? 0) > 0 || flags.journal !== undefined,
      ]
      if (modes[0] && modes[1]) usage('--replay cannot be combined with --source/--journal')
      if (flags.replay !== undefined) return replay(flags, flags.replay)
      if (modes[1]) return live(flags)
      usage('give --replay FILE, or --source PATH / --journal UNIT to follow live logs')
    })
}
