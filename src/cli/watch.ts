// `sipwarden watch`: the log watcher. `--replay FILE` processes a whole log offline and prints
// the ban decisions (nothing is applied); otherwise the sources (from `--policy FILE` or
// `--source`/`--journal`) are followed live, bans are written to the state store, applied by the
// action (nftables set with timeouts by default, ipset, the gateway's ban API, or a command) and
// published as security events. At start, the watcher's active bans are re-applied.
import { type Command, Option } from 'commander'
import type { Policy } from '../config/schema.js'
import { ErrorCodes, SgwError } from '../errors.js'
import { replayFormat, resolveWatchConfig } from '../logwatch/config.js'
import { createParser } from '../logwatch/formats/index.js'
import { PrintSink } from '../logwatch/print.js'
import { replayFile } from '../logwatch/replay.js'
import { Detector } from '../logwatch/rules.js'
import { FORMAT_NAMES } from '../logwatch/types.js'
import { LogWatcher } from '../logwatch/watcher.js'

export { formatBan } from '../logwatch/print.js'

interface WatchFlags {
  policy?: string
  replay?: string
  source?: string[]
  journal?: string
  format?: string
  json?: boolean
  allow?: string[]
  defaultAllow: boolean
  year?: string
  action?: string
  exec?: string
  unbanExec?: string
  nftTable?: string
  gatewayUrl?: string
  state?: string
  dataDir?: string
  stateFile?: string
  fromStart?: boolean
  progress: boolean
  pollMs?: string
  rescanMs?: string
  ami?: string
  amiUser?: string
  amiTls?: boolean
}

function usage(message: string): never {
  throw new SgwError(ErrorCodes.CLI_INPUT, message)
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

function referenceYear(flags: WatchFlags): number | undefined {
  if (flags.year === undefined) return undefined
  const y = Number(flags.year)
  if (!Number.isInteger(y) || y < 1970 || y > 9999) usage(`--year must be a year (got '${flags.year}')`)
  return y
}

function msFlag(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > 3_600_000) usage(`${flag} must be a number of milliseconds`)
  return n
}

async function replay(flags: WatchFlags, policy: Policy | null, file: string): Promise<void> {
  const format = replayFormat(policy, flags.format)
  // nothing is applied or stored in replay: the state and the action are not even opened
  const config = resolveWatchConfig(policy, { ...flags, source: undefined, state: 'memory', action: 'none' })
  const json = flags.json === true
  const sink = new PrintSink(json)
  const detector = new Detector(config.detector)
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

async function live(flags: WatchFlags, policy: Policy | null): Promise<void> {
  const config = resolveWatchConfig(policy, flags)
  if (config.sources.length === 0)
    usage(
      'nothing to watch: give --source PATH / --journal UNIT / --ami HOST:PORT, or a policy with logwatch.sources',
    )
  const { runLive } = await import('../logwatch/live.js')
  await runLive(config, {
    json: flags.json === true,
    fromStart: flags.fromStart === true,
    referenceYear: referenceYear(flags),
    pollMs: msFlag(flags.pollMs, '--poll-ms', 10),
    rescanMs: msFlag(flags.rescanMs, '--rescan-ms', 10),
    alerting: policy ?? undefined,
  })
}

export function register(program: Command): void {
  program
    .command('watch')
    .description(
      'Log watcher: detect brute force, enumeration and scans in PBX logs (Asterisk, FreeSWITCH, ' +
        'Kamailio, Yate) and ban the sources. --replay processes a file offline; otherwise the ' +
        "policy's logwatch.sources (or --source/--journal) are followed live.",
    )
    .option(
      '--policy <file>',
      'policy file: rules, allow-list, sources, action, state and events (as `sipwarden check`)',
    )
    .option('--replay <file>', 'process a whole log offline and print each ban decision; nothing is applied')
    .option(
      '--source <path>',
      'follow this log file or glob (*, ?, [..]; re-scanned for new files); repeatable; replaces the policy sources',
      collect,
    )
    .option('--journal <unit>', 'follow a systemd unit through journalctl')
    .option(
      '--ami <host:port>',
      "follow Asterisk's security events over AMI (port 5038 by default); secret from $SIPWARDEN_AMI_SECRET",
    )
    .option('--ami-user <name>', 'with --ami: manager.conf user with read = security')
    .option('--ami-tls', 'with --ami: connect with TLS (certificate verified)')
    .option('--format <name>', `log format: ${FORMAT_NAMES.join('|')} (overrides the policy sources' format)`)
    .option('--json', 'print ban decisions as JSON lines (and the replay summary as JSON on stderr)')
    .option('--allow <cidr>', 'never ban this network (repeatable; added to the policy allow-list)', collect)
    .option('--no-default-allow', 'do not allow-list loopback (127.0.0.0/8, ::1)')
    .option('--year <yyyy>', 'year for log dates printed without one (default: the current year)')
    .option(
      '--action <name>',
      'live: nftables | ipset | gateway | command | none (default: the policy action, nftables)',
    )
    .option(
      '--exec <json-argv>',
      'with --action command: ban argv as a JSON array; {ip} {ttlSeconds} {rule} {family}',
    )
    .option('--unban-exec <json-argv>', 'with --action command: argv run when a ban ends')
    .option(
      '--nft-table <name>',
      'with --action nftables: table (inet) holding the ban sets (default bans.kernel.table)',
    )
    .option(
      '--gateway-url <url>',
      `with --action gateway: admin API base URL (token: policy or $SIPWARDEN_GATEWAY_TOKEN)`,
    )
    .option(
      '--state <adapter>',
      'live: where bans persist, sqlite | memory (default: the policy state.adapter, sqlite)',
    )
    .option(
      '--data-dir <dir>',
      'live: directory of the SQLite store, events.jsonl and read positions (default site.dataDir)',
    )
    .option(
      '--state-file <path>',
      'live: read positions file (default <data-dir>/logwatch-positions.json with sqlite)',
    )
    .option('--from-start', 'live: read files seen for the first time from their start (default: their end)')
    .option('--no-progress', 'replay: no progress line on stderr')
    .addOption(new Option('--poll-ms <ms>', 'file poll interval').hideHelp())
    .addOption(new Option('--rescan-ms <ms>', 'glob re-scan interval').hideHelp())
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  sipwarden watch --policy /etc/sipwarden/sipwarden.yaml\n' +
        '  sipwarden watch --replay /var/log/asterisk/messages --format asterisk --json\n' +
        "  sipwarden watch --source '/var/log/asterisk/messages' --source '/var/log/asterisk/security*' \\\n" +
        '                  --format asterisk --data-dir /var/lib/sipwarden\n' +
        '\nRules (defaults, policy logwatch.rules): enumeration 5 distinct accounts/10min, auth-failure 5/60s,\n' +
        'unknown-account 5/60s, acl-refused 5/60s, unknown-extension 5/60s, any-failure 10/10min, pbx-block 1;\n' +
        'ban bans.defaultTtlMs (1 h), times bans.escalation.factor (2) per repeat, up to bans.maxTtlMs (7 days).',
    )
    .action(async (flags: WatchFlags) => {
      const following =
        (flags.source?.length ?? 0) > 0 || flags.journal !== undefined || flags.ami !== undefined
      if (flags.replay !== undefined && following)
        usage('--replay cannot be combined with --source/--journal/--ami')
      // the same loader and validation as `sipwarden check`; the YAML parser only when needed
      const policy =
        flags.policy !== undefined ? (await import('../config/load.js')).loadPolicy(flags.policy) : null
      if (flags.replay !== undefined) return replay(flags, policy, flags.replay)
      if (following || policy !== null) return live(flags, policy)
      usage('give --policy FILE, --replay FILE, or --source PATH / --journal UNIT to follow live logs')
    })
}
