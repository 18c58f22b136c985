// `sipwarden bans list|add|remove`: the bans of a running gateway through its admin API, or of
// the SQLite state file directly (`--store`) when the gateway is not running. The same store
// file is shared by the gateway and the log watcher, so a ban written with `--store` while
// they run is picked up by them within a second.
import { existsSync } from 'node:fs'
import { type Command, Option } from 'commander'
import { API_BAN_CODE, banView } from '../api/view.js'
import { readTokenFile, tokenFilePath } from '../api/token.js'
import { loadPolicy, parsePolicy } from '../config/load.js'
import { DEFAULT_STATE_FILE, type Policy } from '../config/schema.js'
import { formatDuration, parseDuration } from '../config/units.js'
import { ErrorCodes, SgwError } from '../errors.js'
import { createCidrMatcher, explainInvalidIp, normalizeIp } from '../net/cidr.js'
import { createStore, type SyncStore } from '../state/store.js'
import { join } from 'node:path'

interface BansFlags {
  policy?: string
  api?: string
  tokenFile?: string
  store?: string | true
  json?: boolean
  ttl?: string
  reason?: string
}

type BanView = ReturnType<typeof banView>

function usage(message: string): never {
  throw new SgwError(ErrorCodes.CLI_INPUT, message)
}

function policyOf(flags: BansFlags): Policy {
  if (flags.policy !== undefined) return loadPolicy(flags.policy)
  // only the defaults of api, site, state and bans are used: the upstream is a placeholder
  return parsePolicy('version: 1\nupstream: udp:127.0.0.1:5080\n', '<defaults>', {})
}

function address(text: string): string {
  const a = normalizeIp(text)
  if (a === null) usage(explainInvalidIp(text))
  return a
}

// ---- the admin API ----------------------------------------------------------------------

interface Api {
  readonly base: string
  readonly token: string
}

function apiOf(flags: BansFlags, policy: Policy): Api {
  let base: string
  if (flags.api !== undefined) {
    let u: URL
    try {
      u = new URL(flags.api)
    } catch {
      usage(`--api must be a URL such as http://127.0.0.1:9060, not ${JSON.stringify(flags.api)}`)
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') usage(`--api must be http:// or https://`)
    base = `${u.origin}${u.pathname.replace(/\/+$/, '')}`
  } else {
    const l = policy.api.listen
    const host = l.address === '0.0.0.0' ? '127.0.0.1' : l.address === '::' ? '::1' : l.address
    base = `http://${host.includes(':') ? `[${host}]` : host}:${l.port}`
  }
  let token: string
  if (flags.tokenFile !== undefined) token = readTokenFile(flags.tokenFile)
  else if ((process.env['SIPWARDEN_API_TOKEN'] ?? '') !== '') token = process.env['SIPWARDEN_API_TOKEN']!
  else if (policy.api.token !== undefined) token = policy.api.token
  else {
    const file = tokenFilePath(policy)
    if (!existsSync(file))
      usage(
        `no API token: give --token-file FILE, set SIPWARDEN_API_TOKEN, or --policy FILE of the gateway ` +
          `(its token is in ${file})`,
      )
    token = readTokenFile(file)
  }
  return { base, token }
}

async function call(
  api: Api,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  let res: Response
  try {
    res = await fetch(api.base + path, {
      method,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${api.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      redirect: 'error',
      signal: AbortSignal.timeout(10_000),
    })
  } catch (err) {
    const c = (err as { cause?: { code?: string; message?: string } }).cause
    const why =
      c?.code === 'ECONNREFUSED'
        ? 'connection refused (is the gateway running? without it, use --store)'
        : (err as Error).name === 'TimeoutError'
          ? 'no answer within 10 s'
          : (c?.code ?? c?.message ?? (err as Error).message)
    throw new SgwError(ErrorCodes.API_CLIENT, `admin API at ${api.base} unreachable: ${why}`)
  }
  const text = await res.text()
  let json: unknown = null
  try {
    json = text === '' ? null : JSON.parse(text)
  } catch {
    json = null
  }
  if (res.status === 401)
    throw new SgwError(ErrorCodes.API_CLIENT, `admin API at ${api.base} refused the token`)
  if (res.status === 403)
    throw new SgwError(ErrorCodes.API_CLIENT, `admin API at ${api.base}: this host is not in adminNetworks`)
  return { status: res.status, json }
}

function apiError(r: { status: number; json: unknown }): never {
  const m = (r.json as { message?: unknown } | null)?.message
  throw new SgwError(ErrorCodes.API_CLIENT, typeof m === 'string' ? m : `admin API answered HTTP ${r.status}`)
}

// ---- the store --------------------------------------------------------------------------

function storeOf(flags: BansFlags, policy: Policy): SyncStore {
  let path: string
  if (typeof flags.store === 'string') path = flags.store
  else {
    if (policy.state.adapter !== 'sqlite')
      usage(`the policy's state adapter is ${policy.state.adapter}: give the SQLite file with --store FILE`)
    path = policy.state.path ?? join(policy.site.dataDir, DEFAULT_STATE_FILE)
  }
  if (!existsSync(path))
    usage(`no state file at ${path}: give the gateway's SQLite state file with --store FILE`)
  return createStore({
    adapter: 'sqlite',
    path,
    sweepIntervalMs: 0,
    limits: { maxBans: policy.bans.maxEntries, maxBanTtlMs: policy.bans.maxTtlMs },
  })
}

function withStore<T>(flags: BansFlags, policy: Policy, fn: (s: SyncStore) => T): T {
  const s = storeOf(flags, policy)
  try {
    return fn(s)
  } finally {
    s.close()
  }
}

// ---- output -----------------------------------------------------------------------------

function out(text: string): void {
  process.stdout.write(text)
}

function table(bans: readonly BanView[]): string {
  if (bans.length === 0) return 'no active bans\n'
  const rows = bans.map((b) => [
    String(b['address']),
    formatDuration(Math.round(Number(b['remainingMs']) / 1000) * 1000),
    String(b['code']),
    String(b['source']),
    String(b['offences']),
    b['reason'] === null ? '' : String(b['reason']),
  ])
  const head = ['ADDRESS', 'REMAINING', 'CODE', 'SOURCE', 'OFFENCES', 'REASON']
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(width[i]!)))
      .join('  ')
      .trimEnd()
  return `${[line(head), ...rows.map(line)].join('\n')}\n`
}

// ---- commands ---------------------------------------------------------------------------

async function list(flags: BansFlags): Promise<number> {
  const policy = policyOf(flags)
  let bans: BanView[]
  if (flags.store !== undefined) {
    bans = withStore(flags, policy, (s) => {
      const now = Date.now()
      return s.listBans().map((b) => banView(b, now))
    })
  } else {
    const r = await call(apiOf(flags, policy), 'GET', '/api/bans')
    if (r.status !== 200) apiError(r)
    bans = (r.json as { bans: BanView[] }).bans
  }
  out(flags.json === true ? `${JSON.stringify(bans, null, 2)}\n` : table(bans))
  return 0
}

async function add(ip: string, flags: BansFlags): Promise<number> {
  const policy = policyOf(flags)
  const a = address(ip)
  let ttlMs = policy.bans.defaultTtlMs
  if (flags.ttl !== undefined) {
    const t = parseDuration(flags.ttl)
    if (t === undefined || t < 1000)
      usage(`--ttl takes a duration such as 30m, 1h or 7d (at least 1s), not ${flags.ttl}`)
    ttlMs = t
  }
  if (ttlMs > policy.bans.maxTtlMs)
    usage(`--ttl ${flags.ttl} is longer than bans.maxTtlMs (${formatDuration(policy.bans.maxTtlMs)})`)
  let ban: BanView
  if (flags.store !== undefined) {
    if (createCidrMatcher(policy.adminNetworks).has(a))
      usage(`${a} is in adminNetworks: admin addresses are never banned`)
    ban = withStore(flags, policy, (s) =>
      banView(
        s.ban({
          address: a,
          ttlMs,
          code: API_BAN_CODE,
          source: 'cli',
          ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
        }),
        Date.now(),
      ),
    )
  } else {
    const r = await call(apiOf(flags, policy), 'POST', '/api/bans', {
      address: a,
      ttlMs,
      ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
    })
    if (r.status !== 201 && r.status !== 200) apiError(r)
    ban = (r.json as { ban: BanView }).ban
  }
  if (flags.json === true) out(`${JSON.stringify(ban, null, 2)}\n`)
  else out(`banned ${a} until ${String(ban['expiresAt'])}\n`)
  return 0
}

async function remove(ip: string, flags: BansFlags): Promise<number> {
  const policy = policyOf(flags)
  const a = address(ip)
  let lifted: boolean
  if (flags.store !== undefined) {
    lifted = withStore(flags, policy, (s) => s.unban(a) !== undefined)
  } else {
    const r = await call(apiOf(flags, policy), 'DELETE', `/api/bans/${encodeURIComponent(a)}`)
    if (r.status !== 200 && r.status !== 404) apiError(r)
    lifted = r.status === 200
  }
  if (!lifted) {
    process.stderr.write(`sipwarden bans remove: ${a} is not banned\n`)
    return 1
  }
  out(`unbanned ${a}\n`)
  return 0
}

async function guarded(name: string, fn: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await fn()
  } catch (e) {
    if (!(e instanceof SgwError)) throw e
    process.stderr.write(`sipwarden bans ${name}: ${e.message}\n`)
    process.exitCode = e.code === ErrorCodes.CLI_INPUT || e.code.startsWith('SGW_ERR_POLICY_') ? 2 : 1
  }
}

const WHERE_HELP = `
Where the bans are:
  through the admin API of a running gateway (default): the URL from --api, else from the
  policy's api.listen (default http://127.0.0.1:9060). The token, first found of: --token-file,
  the environment variable SIPWARDEN_API_TOKEN, the policy's api.token, <site.dataDir>/api-token
  (written by the gateway on first start; readable by root only).
  --store [FILE]: the SQLite state file directly, when the gateway is not running (or beside it:
  the gateway and the log watcher pick up changes to the shared file within a second). Without
  FILE: the policy's state.path, else <site.dataDir>/sipwarden.db.

Exit codes: 0 done, 1 failed (API unreachable, token refused, address not banned), 2 bad input.`

function common(cmd: Command): Command {
  return cmd
    .option(
      '--policy <file>',
      'the policy file of the gateway (API address, token file, state file, ban limits)',
    )
    .option('--api <url>', 'admin API of the running gateway, e.g. http://127.0.0.1:9060')
    .option('--token-file <file>', 'file holding the API token (first line)')
    .addOption(new Option('--store [file]', 'work on the SQLite state file instead of the API'))
    .option('--json', 'print JSON')
}

export function register(program: Command): void {
  const bans = program
    .command('bans')
    .summary('list, add and remove bans (through the gateway admin API or the state file)')
    .description(
      'List, add and remove the bans of the gateway and the log watcher. Bans have a TTL and are mirrored ' +
        'into the kernel ban sets by the gateway (docs/gateway.md).',
    )
    .addHelpText('after', WHERE_HELP)
  common(bans.command('list').description('List the active bans, newest first.'))
    .addHelpText(
      'after',
      '\nExamples:\n  sipwarden bans list --policy /etc/sipwarden/sipwarden.yaml\n  sipwarden bans list --store /var/lib/sipwarden/sipwarden.db --json' +
        WHERE_HELP,
    )
    .action((flags: BansFlags) => guarded('list', () => list(flags)))
  common(bans.command('add').argument('<address>', 'IPv4 or IPv6 address').description('Ban an address.'))
    .option('--ttl <duration>', 'how long, e.g. 30m, 1h, 7d (default: the policy bans.defaultTtlMs, 1h)')
    .option('--reason <text>', 'free text for operators')
    .addHelpText(
      'after',
      '\nAdmin addresses (adminNetworks) are never banned.\n\nExamples:\n  sipwarden bans add 203.0.113.7 --ttl 1d --reason "toll fraud attempt" --policy sipwarden.yaml\n  SIPWARDEN_API_TOKEN=... sipwarden bans add 2001:db8::7 --api http://127.0.0.1:9060' +
        WHERE_HELP,
    )
    .action((ip: string, flags: BansFlags) => guarded('add', () => add(ip, flags)))
  common(bans.command('remove').argument('<address>', 'IPv4 or IPv6 address').description('Lift a ban.'))
    .addHelpText(
      'after',
      '\nExamples:\n  sipwarden bans remove 203.0.113.7 --policy sipwarden.yaml\n  sipwarden bans remove 203.0.113.7 --store' +
        WHERE_HELP,
    )
    .action((ip: string, flags: BansFlags) => guarded('remove', () => remove(ip, flags)))
}
