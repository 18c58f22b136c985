// `firewall check`: hands the rendered ruleset to the real tools in their dry-run modes
// (`nft -c -f -`, `iptables-restore --test`) and explains what they refuse in policy terms:
// the line number they report is mapped back to the rule and the policy key it comes from.
//
// nft runs in the host's network namespace when we are root, so it also sees conflicts
// with what is loaded now (a ban set of another type, say). iptables-restore --test needs
// the ban ipsets to exist, so it runs with them in a fresh network namespace (unshare):
// nothing on the host changes. Without root, both run in a user + network namespace.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Origin } from './model.js'
import type { RenderedIptables } from './render-iptables.js'
import { formatOrigin, originAt, type Rendered } from './rendered.js'
import { isPermissionError, isRoot, missingTool, runTool } from './tools.js'

export type FirewallFormat = 'nftables' | 'iptables'

export interface CheckProblem {
  readonly tool: string
  /** 1-based line in the rendered text the tool complained about */
  readonly line?: number
  readonly origin?: Origin
  /** the tool's message */
  readonly message: string
  /** what it probably means */
  readonly hint?: string
}

export interface CheckResult {
  readonly ok: boolean
  readonly problems: readonly CheckProblem[]
  /** the commands that ran, for the report */
  readonly commands: readonly string[]
}

const HINTS: readonly [RegExp, string][] = [
  [
    /Operation not permitted|Permission denied|must be root/i,
    'changing or testing the firewall needs root (CAP_NET_ADMIN)',
  ],
  [
    /Couldn't load (match|target) `?([a-z0-9_]+)/i,
    'the kernel lacks an xtables module this rule needs (xt_string, xt_hashlimit, xt_set, xt_conntrack …); ' +
      'a container may not be allowed to load modules',
  ],
  [/Set .* doesn't exist/i, 'the ban ipset is missing: create it with the ipset rendering first'],
  [/conflicting intervals|interval overlaps/i, 'two address blocks in this set overlap'],
  [
    /syntax error/i,
    'this nft does not understand the rendered syntax: sipwarden needs nftables 1.0 or newer',
  ],
  [
    /No such file or directory|not supported/i,
    'the kernel lacks an nf_tables feature this rule needs (a module or a kernel that is too old), ' +
      'or an object it references is missing',
  ],
  [/File exists|Device or resource busy/i, 'an object of the same name exists with other properties'],
  [/Numerical result out of range|too large|too fast/i, 'a limit or burst in the policy is out of range'],
]

function hintFor(message: string): string | undefined {
  return HINTS.find(([re]) => re.test(message))?.[1]
}

function problem(tool: string, message: string, rendered: Rendered | undefined, line?: number): CheckProblem {
  const origin = line !== undefined && rendered !== undefined ? originAt(rendered, line) : undefined
  const hint = hintFor(message)
  return {
    tool,
    message,
    ...(line !== undefined ? { line } : {}),
    ...(origin !== undefined ? { origin } : {}),
    ...(hint !== undefined ? { hint } : {}),
  }
}

/** nft prints `/dev/stdin:LINE:COL-COL: Error: message`, then the line and carets. */
export function explainNftOutput(stderr: string, rendered: Rendered): CheckProblem[] {
  const out: CheckProblem[] = []
  const re = /^(?:[^:\n]*):(\d+):\d+(?:-\d+)?: Error: (.*)$/
  for (const l of stderr.split('\n')) {
    const m = re.exec(l)
    if (m !== null) out.push(problem('nft', m[2]!.trim(), rendered, Number(m[1])))
    else if (/^Error: /.test(l)) out.push(problem('nft', l.slice('Error: '.length).trim(), rendered))
  }
  if (out.length === 0 && stderr.trim() !== '') out.push(problem('nft', stderr.trim(), rendered))
  return out
}

/** iptables-restore prints the cause, then `Error occurred at line: N` (or `line N failed`). */
export function explainIptablesOutput(
  tool: string,
  stderr: string,
  rendered: Rendered | undefined,
): CheckProblem[] {
  const lineMatch = /Error occurred at line: (\d+)/.exec(stderr) ?? /line (\d+) failed/.exec(stderr)
  const line = lineMatch !== null ? Number(lineMatch[1]) : undefined
  const message =
    stderr
      .split('\n')
      .map((l) => l.trim())
      .filter(
        (l) =>
          l !== '' &&
          !/^Error occurred at line/.test(l) &&
          !/^Try `/.test(l) &&
          !/^(ip6?tables-restore|ipset): line \d+ failed$/.test(l),
      )
      .map((l) => l.replace(/^(ip6?tables-restore|ipset)( v[\d.]+)?( \([a-z_]+\))?: /, ''))
      .join('; ') || `failed${line !== undefined ? ` at line ${line}` : ''}`
  return [problem(tool, message, rendered, line)]
}

/** Human-readable report of the problems, one block per problem. */
export function formatProblems(problems: readonly CheckProblem[]): string {
  return problems
    .map((p) => {
      const where =
        p.line !== undefined
          ? `line ${p.line}${p.origin !== undefined ? `, ${formatOrigin(p.origin)}` : ''}`
          : 'the ruleset'
      const lines = [`${p.tool}: ${where}: ${p.message}`]
      if (p.hint !== undefined) lines.push(`  (${p.hint})`)
      return lines.join('\n')
    })
    .join('\n')
}

/** unshare itself failed: a missing program, or no right to create namespaces. */
function unshareFailed(stderr: string, commands: readonly string[]): CheckResult {
  const missing = /failed to execute (\S+): No such file or directory/.exec(stderr)
  if (missing !== null) throw missingTool(missing[1]!)
  return {
    ok: false,
    problems: [
      {
        tool: 'unshare',
        message: stderr.trim() || 'failed',
        hint: isPermissionError(stderr)
          ? 'cannot create a network namespace for the test: run firewall check as root'
          : 'cannot create a network namespace for the test',
      },
    ],
    commands,
  }
}

function isolated(args: readonly string[]): { program: string; args: string[] } {
  const ns = isRoot() ? ['--net'] : ['--user', '--map-root-user', '--net']
  return { program: 'unshare', args: [...ns, '--', ...args] }
}

/** `nft -c -f -`: parses the ruleset and dry-runs the transaction in the kernel. */
export function checkNftables(rendered: Rendered): CheckResult {
  const cmd = isRoot() ? { program: 'nft', args: ['-c', '-f', '-'] } : isolated(['nft', '-c', '-f', '-'])
  const r = runTool(cmd.program, cmd.args, { input: rendered.text })
  const commands = [[cmd.program, ...cmd.args].join(' ')]
  if (r.code === 0) return { ok: true, problems: [], commands }
  if (cmd.program === 'unshare' && /^unshare: /m.test(r.stderr)) return unshareFailed(r.stderr, commands)
  return { ok: false, problems: explainNftOutput(r.stderr, rendered), commands }
}

const IPTABLES_SCRIPT =
  'ipset restore -exist < "$1" || exit 90; ' +
  'iptables-restore --test < "$2" || exit 91; ' +
  'ip6tables-restore --test < "$3" || exit 92'

/** ipset restore + iptables-restore --test + ip6tables-restore --test, in a fresh
 * network namespace (the ban sets must exist for the rules that reference them). */
export function checkIptables(rendered: RenderedIptables): CheckResult {
  // fail early, with the package name, when a program is missing
  for (const p of ['ipset', 'iptables-restore', 'ip6tables-restore']) runTool(p, ['--version'])
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-fw-check-'))
  try {
    const files = [
      ['ipset', rendered.ipset.text],
      ['rules.v4', rendered.v4.text],
      ['rules.v6', rendered.v6.text],
    ].map(([name, text]) => {
      const f = join(dir, name!)
      writeFileSync(f, text!, { mode: 0o600 })
      return f
    })
    const cmd = isolated(['sh', '-c', IPTABLES_SCRIPT, 'sh', ...files])
    const r = runTool(cmd.program, cmd.args)
    const commands = [
      `${cmd.program} ${cmd.args.slice(0, cmd.args.indexOf('--')).join(' ')} -- ` +
        'ipset restore -exist; iptables-restore --test; ip6tables-restore --test',
    ]
    if (r.code === 0) return { ok: true, problems: [], commands }
    if (r.code !== 90 && r.code !== 91 && r.code !== 92) return unshareFailed(r.stderr, commands)
    const [tool, text] =
      r.code === 90
        ? (['ipset', rendered.ipset] as const)
        : r.code === 91
          ? (['iptables-restore', rendered.v4] as const)
          : (['ip6tables-restore', rendered.v6] as const)
    return { ok: false, problems: explainIptablesOutput(tool, r.stderr, text), commands }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
