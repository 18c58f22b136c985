// The external programs the firewall drives: nft, iptables-restore and friends, ipset,
// unshare. Every argument goes as argv (never through a shell), input through stdin, and a
// missing program is reported with the Debian package that provides it.

import { spawnSync } from 'node:child_process'
import { SgwError } from '../errors.js'

/** Error codes of the firewall (SGW_ERR_FIREWALL_*). Never renumber or reuse. */
export const FirewallErrorCodes = {
  /** a program the firewall needs is missing, or could not be run */
  TOOL: 'SGW_ERR_FIREWALL_TOOL',
  /** nft / iptables-restore refused the rendered ruleset */
  CHECK: 'SGW_ERR_FIREWALL_CHECK',
  /** applying or restoring a ruleset failed */
  APPLY: 'SGW_ERR_FIREWALL_APPLY',
  /** the ruleset would cut the operator's SSH session */
  SSH: 'SGW_ERR_FIREWALL_SSH',
  /** the state directory (previous ruleset, pending confirmation) is missing or unusable */
  STATE: 'SGW_ERR_FIREWALL_STATE',
  /** changing the firewall needs root (CAP_NET_ADMIN) */
  PRIVILEGE: 'SGW_ERR_FIREWALL_PRIVILEGE',
} as const

/** Debian package of each program. */
export const PACKAGE_OF: Readonly<Record<string, string>> = {
  nft: 'nftables',
  iptables: 'iptables',
  'iptables-restore': 'iptables',
  'ip6tables-restore': 'iptables',
  'iptables-save': 'iptables',
  'ip6tables-save': 'iptables',
  ipset: 'ipset',
  unshare: 'util-linux',
  ip: 'iproute2',
}

export interface ToolResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly input?: string
  /** default 30 s: nft and iptables-restore answer in milliseconds, a hang is a bug */
  readonly timeoutMs?: number
}

export function missingTool(program: string): SgwError {
  const pkg = PACKAGE_OF[program]
  const install = pkg === undefined ? '' : `: install the Debian package ${pkg} (apt-get install ${pkg})`
  return new SgwError(FirewallErrorCodes.TOOL, `${program} not found${install}`)
}

/** Runs `program args…`; throws SgwError only when it cannot be started. */
export function runTool(program: string, args: readonly string[], options: RunOptions = {}): ToolResult {
  const r = spawnSync(program, args as string[], {
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 30_000,
    maxBuffer: 64 * 1024 * 1024,
  })
  if (r.error !== undefined) {
    const code = (r.error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw missingTool(program)
    if (code === 'ETIMEDOUT')
      throw new SgwError(FirewallErrorCodes.TOOL, `${program} ${args.join(' ')} did not finish in time`)
    throw new SgwError(FirewallErrorCodes.TOOL, `cannot run ${program}: ${r.error.message}`)
  }
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0
}

/** True when an error text says the caller lacks CAP_NET_ADMIN. */
export function isPermissionError(text: string): boolean {
  return /Operation not permitted|Permission denied|must be root|you must be root/i.test(text)
}

export function requireRoot(what: string): void {
  if (!isRoot())
    throw new SgwError(
      FirewallErrorCodes.PRIVILEGE,
      `${what} changes the kernel firewall and needs root (CAP_NET_ADMIN): run it with sudo`,
    )
}
