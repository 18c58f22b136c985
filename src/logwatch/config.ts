// What `sipwarden watch` runs with: the policy file's sections (validated by `loadPolicy`, the
// same function as `sipwarden check`) or, without a file, the schema's defaults; then the
// command-line flags on top. Kept apart from the CLI so the mapping is tested directly.
import { join } from 'node:path'
import { DEFAULT_EVENTS_FILE, DEFAULT_STATE_FILE } from '../config/constants.js'
import type { Policy } from '../config/schema.js'
import { ErrorCodes, SgwError } from '../errors.js'
import { isCidr } from '../net/cidr.js'
import { unknownPlaceholders } from './actions/command.js'
import { watchDefaults } from './defaults.js'
import { isFormatName } from './formats/index.js'
import {
  type DetectorOptions,
  defaultWatchPolicy,
  detectorOptionsFromPolicy,
  LOOPBACK,
  resolveDetectorOptions,
} from './options.js'
import { checkGlob } from './sources/glob.js'
import { FORMAT_NAMES, type FormatName } from './types.js'

/** The flags that change the configuration (see src/cli/watch.ts for their help). */
export interface WatchConfigFlags {
  readonly source?: readonly string[] | undefined
  readonly journal?: string | undefined
  readonly format?: string | undefined
  readonly allow?: readonly string[] | undefined
  /** false with --no-default-allow */
  readonly defaultAllow?: boolean | undefined
  readonly action?: string | undefined
  readonly exec?: string | undefined
  readonly unbanExec?: string | undefined
  readonly nftTable?: string | undefined
  readonly gatewayUrl?: string | undefined
  readonly state?: string | undefined
  readonly dataDir?: string | undefined
  readonly stateFile?: string | undefined
  /** --ami HOST[:PORT], --ami-user NAME, --ami-tls; the secret from $SIPWARDEN_AMI_SECRET */
  readonly ami?: string | undefined
  readonly amiUser?: string | undefined
  readonly amiTls?: boolean | undefined
}

/** An Asterisk Manager Interface connection (its security events). */
export interface AmiConfig {
  readonly host: string
  readonly port: number
  readonly username: string
  readonly secret: string
  readonly tls: boolean
}

export interface WatchSource {
  /** a file or a glob pattern */
  readonly path?: string
  /** a systemd unit */
  readonly journald?: string
  /** an AMI connection (format is then `asterisk-security`, the events' family) */
  readonly ami?: AmiConfig
  readonly format: FormatName
}

export type ActionConfig =
  | { readonly type: 'nftables'; readonly table: string; readonly set4: string; readonly set6: string }
  | { readonly type: 'ipset'; readonly set4: string; readonly set6: string; readonly maxElements: number }
  | { readonly type: 'gateway'; readonly url: string; readonly token: string | undefined }
  | {
      readonly type: 'command'
      readonly ban: readonly string[]
      readonly unban: readonly string[] | undefined
    }
  | { readonly type: 'none' }

export interface WatchConfig {
  readonly detector: DetectorOptions
  readonly sources: readonly WatchSource[]
  readonly action: ActionConfig
  readonly state:
    | { readonly adapter: 'memory' }
    | { readonly adapter: 'sqlite'; readonly path: string }
    | { readonly adapter: 'redis'; readonly url: string; readonly keyPrefix: string }
  readonly events: {
    readonly logLevel: Policy['events']['logLevel']
    readonly jsonl: { readonly enabled: boolean; readonly path: string }
    readonly retentionMs: number
  }
  /** where read positions are kept across restarts (null: memory only) */
  readonly positionsPath: string | null
  /** ban escalation factor (1: none) */
  readonly escalate: number
  /** trunk addresses that are host names: resolved at start and every few minutes (live mode) */
  readonly trunkHosts: readonly string[]
}

/** Sections of a policy that the watcher reads (a loaded Policy has them all). */
export type WatchPolicySections = Pick<
  Policy,
  'site' | 'adminNetworks' | 'trunks' | 'bans' | 'logwatch' | 'state' | 'events'
>

/** File name of the read positions under the data directory. */
export const POSITIONS_FILE = 'logwatch-positions.json'
/** Environment variable with the gateway API token when the policy gives none. */
export const GATEWAY_TOKEN_ENV = 'SIPWARDEN_GATEWAY_TOKEN'
/** Environment variable with the AMI secret for --ami (never a flag: argv is visible to all). */
export const AMI_SECRET_ENV = 'SIPWARDEN_AMI_SECRET'
export const AMI_DEFAULT_PORT = 5038

const ACTION_TYPES = ['nftables', 'ipset', 'gateway', 'command', 'none'] as const

function usage(message: string): never {
  throw new SgwError(ErrorCodes.CLI_INPUT, message)
}

/** The watcher's sections as an empty policy gives them: the schema's defaults. */
export function defaultPolicySections(): WatchPolicySections {
  const { site, state, events } = watchDefaults()
  return {
    ...defaultWatchPolicy(),
    site,
    state: {
      ...state,
      path: state.adapter === 'sqlite' ? join(site.dataDir, DEFAULT_STATE_FILE) : undefined,
    },
    events: { ...events, jsonl: { ...events.jsonl, path: join(site.dataDir, DEFAULT_EVENTS_FILE) } },
  }
}

function formatFlag(f: string | undefined): FormatName | undefined {
  if (f === undefined) return undefined
  if (!isFormatName(f)) usage(`unknown --format '${f}' (${FORMAT_NAMES.join('|')})`)
  return f
}

/** `--ami HOST[:PORT]` (IPv6 in brackets) with --ami-user and the secret from the environment. */
function amiFlag(flags: WatchConfigFlags, env: NodeJS.ProcessEnv): AmiConfig {
  const spec = flags.ami!
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+))(?::(\d{1,5}))?$/.exec(spec)
  const port = m?.[3] !== undefined ? Number(m[3]) : AMI_DEFAULT_PORT
  if (m === null || port < 1 || port > 65535)
    usage(`--ami must be HOST or HOST:PORT, e.g. 127.0.0.1:5038 (got '${spec}')`)
  const username = flags.amiUser
  if (username === undefined || username === '')
    usage('--ami needs --ami-user NAME (a manager.conf user with read = security)')
  const secret = env[AMI_SECRET_ENV]
  if (secret === undefined || secret === '')
    usage(`--ami needs the AMI secret in $${AMI_SECRET_ENV} (it is never taken from the command line)`)
  if (/[\r\n]/.test(username) || /[\r\n]/.test(secret))
    usage('--ami-user and the AMI secret must be one line each')
  return { host: m[1] ?? m[2]!, port, username, secret, tls: flags.amiTls === true }
}

function argvFlag(json: string, flag: string): string[] {
  let argv: unknown
  try {
    argv = JSON.parse(json)
  } catch {
    usage(`${flag} must be a JSON array of strings, e.g. '["/usr/local/sbin/block","{ip}","{ttlSeconds}"]'`)
  }
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== 'string' || a === ''))
    usage(`${flag} must be a non-empty JSON array of non-empty strings`)
  const bad = unknownPlaceholders(argv as string[])
  if (bad.length > 0)
    usage(`${flag}: unknown placeholder(s) ${bad.join(', ')} (use {ip}, {family}, {ttlSeconds}, {rule})`)
  return argv as string[]
}

function actionConfig(p: WatchPolicySections, flags: WatchConfigFlags, env: NodeJS.ProcessEnv): ActionConfig {
  const policyAction = p.logwatch.action
  const type = flags.action ?? policyAction.type
  if (!(ACTION_TYPES as readonly string[]).includes(type))
    usage(`unknown --action '${type}' (${ACTION_TYPES.join('|')})`)
  switch (type as (typeof ACTION_TYPES)[number]) {
    case 'none':
      return { type: 'none' }
    case 'nftables': {
      const k = p.bans.kernel
      return { type: 'nftables', table: flags.nftTable ?? k.table, set4: k.setV4, set6: k.setV6 }
    }
    case 'ipset': {
      const a = policyAction.type === 'ipset' ? policyAction : watchDefaults().ipsetAction
      if (a.type !== 'ipset') throw new Error('unreachable')
      return { type: 'ipset', set4: a.setV4, set6: a.setV6, maxElements: p.bans.maxEntries }
    }
    case 'gateway': {
      const url = flags.gatewayUrl ?? (policyAction.type === 'gateway' ? policyAction.url : undefined)
      if (url === undefined)
        usage('--action gateway needs --gateway-url URL (or logwatch.action.url in the policy)')
      const token =
        (policyAction.type === 'gateway' ? policyAction.token : undefined) ?? env[GATEWAY_TOKEN_ENV]
      return { type: 'gateway', url, token: token === '' ? undefined : token }
    }
    case 'command': {
      const fromPolicy = policyAction.type === 'command' ? policyAction : undefined
      const ban = flags.exec !== undefined ? argvFlag(flags.exec, '--exec') : fromPolicy?.ban
      if (ban === undefined)
        usage(
          '--action command needs --exec \'["/path/prog","{ip}","{ttlSeconds}"]\' (or logwatch.action.ban)',
        )
      const unban =
        flags.unbanExec !== undefined ? argvFlag(flags.unbanExec, '--unban-exec') : fromPolicy?.unban
      return { type: 'command', ban, unban }
    }
  }
}

/**
 * The configuration of a run: `policy` null means no policy file (the schema's defaults).
 * Flags override: --source/--journal replace the policy's sources, --format sets the format of
 * every source, --allow adds to the allow-list, --no-default-allow removes loopback, --action
 * and its options replace the policy's action, --state/--data-dir/--state-file the storage.
 */
export function resolveWatchConfig(
  policy: WatchPolicySections | null,
  flags: WatchConfigFlags,
  env: NodeJS.ProcessEnv = process.env,
): WatchConfig {
  const p = policy ?? defaultPolicySections()

  // detector: rules, bounds, escalation and allow-list from the policy
  let detector = detectorOptionsFromPolicy(p)
  let allow = [...detector.allow]
  if (flags.defaultAllow === false) allow = allow.filter((a) => !LOOPBACK.includes(a))
  allow.push(...(flags.allow ?? []))
  detector = resolveDetectorOptions({ allow: [...new Set(allow)] }, detector)

  // sources
  const format = formatFlag(flags.format)
  let sources: WatchSource[]
  if (flags.ami === undefined && (flags.amiUser !== undefined || flags.amiTls === true))
    usage('--ami-user and --ami-tls go with --ami HOST[:PORT]')
  if ((flags.source?.length ?? 0) > 0 || flags.journal !== undefined || flags.ami !== undefined) {
    const logs = (flags.source?.length ?? 0) > 0 || flags.journal !== undefined
    if (format === undefined && logs)
      usage(`--format is required with --source/--journal (${FORMAT_NAMES.join('|')})`)
    const f = format ?? 'asterisk-security'
    sources = [
      ...(flags.source ?? []).map((path) => ({ path, format: f })),
      ...(flags.journal !== undefined ? [{ journald: flags.journal, format: f }] : []),
      ...(flags.ami !== undefined
        ? [{ ami: amiFlag(flags, env), format: 'asterisk-security' as const }]
        : []),
    ]
  } else {
    sources = p.logwatch.sources.map((s): WatchSource => {
      // AMI sources carry security events: their format is ignored
      if (s.ami !== undefined) return { ami: { ...s.ami }, format: 'asterisk-security' }
      const f = format ?? s.format!
      return s.path !== undefined ? { path: s.path, format: f } : { journald: s.journald!, format: f }
    })
  }
  for (const s of sources) if (s.path !== undefined) checkGlob(s.path)

  // storage: the policy's data directory, state adapter and paths; --data-dir re-derives the
  // paths that were derived from site.dataDir
  const policyDir = p.site.dataDir
  const dataDir = flags.dataDir ?? policyDir
  const derived = (path: string | undefined, file: string) =>
    path === undefined || path === join(policyDir, file) ? join(dataDir, file) : path
  const adapter = flags.state ?? p.state.adapter
  if (adapter !== 'sqlite' && adapter !== 'memory' && adapter !== 'redis')
    usage(`unknown --state '${adapter}' (memory|sqlite|redis)`)
  if (adapter === 'redis' && p.state.url === undefined)
    usage('--state redis needs the redis URL in the policy (state.url)')
  const state =
    adapter === 'memory'
      ? ({ adapter: 'memory' } as const)
      : adapter === 'redis'
        ? ({ adapter: 'redis', url: p.state.url!, keyPrefix: p.state.keyPrefix } as const)
        : ({ adapter: 'sqlite', path: derived(p.state.path, DEFAULT_STATE_FILE) } as const)
  const events = {
    logLevel: p.events.logLevel,
    jsonl: { enabled: p.events.jsonl.enabled, path: derived(p.events.jsonl.path, DEFAULT_EVENTS_FILE) },
    retentionMs: p.state.eventRetentionMs,
  }
  const positionsPath = flags.stateFile ?? (adapter !== 'memory' ? join(dataDir, POSITIONS_FILE) : null)

  return {
    detector,
    sources,
    action: actionConfig(p, flags, env),
    state,
    events,
    positionsPath,
    escalate: detector.repeatBanFactor,
    trunkHosts: [...new Set(p.trunks.flatMap((t) => t.addresses.filter((a) => !isCidr(a))))],
  }
}

/** The format for `--replay`: --format, or the one format all the policy's sources share. */
export function replayFormat(policy: WatchPolicySections | null, format: string | undefined): FormatName {
  const f = formatFlag(format)
  if (f !== undefined) return f
  const formats = [
    ...new Set(
      policy?.logwatch.sources.flatMap((s) =>
        s.format !== undefined && s.ami === undefined ? [s.format] : [],
      ) ?? [],
    ),
  ]
  if (formats.length === 1) return formats[0]!
  usage(
    formats.length === 0
      ? `--format is required (${FORMAT_NAMES.join('|')})`
      : `the policy's sources have several formats (${formats.join(', ')}): give --format`,
  )
}
