// `sipwarden firewall …`: render the host firewall from the policy (nftables, iptables),
// check it with the real tools, apply it with an automatic rollback unless confirmed, and
// print or set the kernel settings that go with it. The work is in src/firewall/; this file
// parses flags and prints.
//
// Exit codes: 0 success; 1 refused (check failed, apply refused or failed, nothing to
// confirm); 2 rejected input (policy invalid or unreadable, bad flags).

import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type Command, Option } from 'commander'
import { loadPolicy } from '../config/load.js'
import type { Policy } from '../config/schema.js'
import { parseDuration } from '../config/units.js'
import { ErrorCodes, SgwError } from '../errors.js'
import {
  applyFirewall,
  confirmFirewall,
  DEFAULT_ROLLBACK_SECONDS,
  MAX_ROLLBACK_SECONDS,
  MIN_ROLLBACK_SECONDS,
  rollbackAfter,
  rollbackFirewall,
  stateDirOf,
} from '../firewall/apply.js'
import {
  type CheckResult,
  checkIptables,
  checkNftables,
  type FirewallFormat,
  formatProblems,
} from '../firewall/check.js'
import { checkSshSession } from '../firewall/evaluate.js'
import { buildFirewallModel } from '../firewall/model.js'
import { renderIpsetModel, renderIptablesModel } from '../firewall/render-iptables.js'
import { renderNftablesModel } from '../firewall/render-nftables.js'
import type { Rendered } from '../firewall/rendered.js'
import { findSshConnection } from '../firewall/session.js'
import { applySysctls, recommendedSysctls, renderSysctlConf } from '../firewall/sysctl.js'
import { requireRoot } from '../firewall/tools.js'

const RENDER_FORMATS = ['nftables', 'iptables', 'ip6tables', 'ipset'] as const
type RenderFormat = (typeof RENDER_FORMATS)[number]
const APPLY_FORMATS = ['nftables', 'iptables'] as const

/** argv that runs this CLI again (for the detached rollback process). */
const CLI = [process.execPath, fileURLToPath(new URL('./main.js', import.meta.url))]

function out(text: string): void {
  process.stdout.write(text)
}
function err(text: string): void {
  process.stderr.write(text)
}

function inputError(message: string): never {
  throw new SgwError(ErrorCodes.CLI_INPUT, message)
}

/** Runs an action; errors become one clear line (no stack) and an exit code. */
async function guarded(name: string, fn: () => number | Promise<number>): Promise<void> {
  try {
    process.exitCode = await fn()
  } catch (e) {
    if (!(e instanceof SgwError)) throw e
    err(`sipwarden firewall ${name}: ${e.message}\n`)
    // (instanceof PolicyError would hold for every SgwError: the brand check is inherited)
    const input = e.code.startsWith('SGW_ERR_POLICY_') || e.code === ErrorCodes.CLI_INPUT
    process.exitCode = input ? 2 : 1
  }
}

function policyOf(file: string | undefined): Policy {
  if (file === undefined || file === '') inputError('give the policy file with --policy FILE')
  return loadPolicy(file)
}

function stateDir(opts: { policy?: string; stateDir?: string }): string {
  if (opts.stateDir !== undefined) return opts.stateDir
  if (opts.policy !== undefined) return stateDirOf(loadPolicy(opts.policy))
  return inputError('give --policy FILE (the state is in <site.dataDir>/firewall) or --state-dir DIR')
}

function parseSeconds(text: string, flag: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : parseDuration(text)
  if (ms === undefined || !Number.isFinite(ms))
    inputError(`${flag} takes seconds or a duration such as 90s or 2m`)
  return Math.round(ms / 1000)
}

function warn(warnings: readonly string[]): void {
  for (const w of warnings) err(`note: ${w}\n`)
}

function renderedFor(policy: Policy, format: RenderFormat): Rendered {
  const model = buildFirewallModel(policy)
  switch (format) {
    case 'nftables':
      return renderNftablesModel(model)
    case 'iptables':
      return renderIptablesModel(model, 4)
    case 'ip6tables':
      return renderIptablesModel(model, 6)
    case 'ipset':
      return renderIpsetModel(model)
  }
}

const COMMON_HELP =
  '\n\nThe policy file is the one every part of sipwarden reads; see docs/firewall.md for what the ruleset ' +
  'contains and why.'

export function register(program: Command): void {
  const fw = program
    .command('firewall')
    .summary('render, check and safely apply the host firewall (nftables, iptables)')
    .description(
      'The host firewall for the policy: loopback, conntrack, admin networks with full access, SSH from admins ' +
        'only, the SIP ports with per-source kernel limits, the RTP range, limited ICMP echo, anti-spoofing, and ' +
        'the ban sets that the gateway and the log watcher fill. IPv4 and IPv6 from the same policy.',
    )
    .addHelpText(
      'after',
      '\nA safe first run:\n' +
        '  sipwarden firewall render --policy /etc/sipwarden/sipwarden.yaml | less\n' +
        '  sudo sipwarden firewall check --policy /etc/sipwarden/sipwarden.yaml\n' +
        '  sudo sipwarden firewall apply --policy /etc/sipwarden/sipwarden.yaml     # rolls back in 60 s …\n' +
        '  sudo sipwarden firewall confirm --policy /etc/sipwarden/sipwarden.yaml   # … unless confirmed' +
        COMMON_HELP,
    )

  fw.command('render')
    .summary('print the ruleset for the policy')
    .description(
      'Print the ruleset for the host described by the policy. Nothing is changed. The output is a pure ' +
        'function of the policy: the same file always gives the same text. Notes about the ruleset go to stderr.',
    )
    .requiredOption('-p, --policy <file>', 'policy file (YAML)')
    .addOption(
      new Option('-f, --format <format>', 'nftables (nft -f), iptables / ip6tables (iptables-restore), ipset')
        .choices(RENDER_FORMATS)
        .default('nftables'),
    )
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  sipwarden firewall render --policy sipwarden.yaml > sipwarden.nft\n' +
        '  sipwarden firewall render --policy sipwarden.yaml --format iptables > rules.v4\n' +
        '  sipwarden firewall render --policy sipwarden.yaml --format ip6tables > rules.v6\n' +
        '  sipwarden firewall render --policy sipwarden.yaml --format ipset | ipset restore -exist\n' +
        '\nThe iptables files replace the whole filter table and reference the ban ipsets, which must exist first.' +
        COMMON_HELP,
    )
    .action((opts: { policy: string; format: RenderFormat; output?: string }) =>
      guarded('render', () => {
        const r = renderedFor(policyOf(opts.policy), opts.format)
        if (opts.output !== undefined) {
          try {
            writeFileSync(opts.output, r.text)
          } catch (e) {
            inputError(`cannot write ${opts.output}: ${(e as Error).message}`)
          }
        } else {
          process.stdout.on('error', (e: NodeJS.ErrnoException) => {
            if (e.code !== 'EPIPE') throw e
          })
          out(r.text)
        }
        warn(r.warnings)
        if (opts.format === 'iptables' || opts.format === 'ip6tables')
          err('note: the iptables rendering is three files: --format iptables, ip6tables and ipset\n')
        return 0
      }),
    )

  fw.command('check')
    .summary('validate the ruleset with nft -c / iptables-restore --test')
    .description(
      'Render the ruleset and let the real tools validate it without changing anything: `nft -c -f -` for ' +
        'nftables, `ipset restore` + `iptables-restore --test` + `ip6tables-restore --test` (in a throw-away ' +
        'network namespace) for iptables. What they refuse is explained in policy terms: the line they name is ' +
        'mapped back to the rule and the policy key it comes from. Also says whether your SSH session ' +
        '(SSH_CONNECTION) would survive an apply.',
    )
    .requiredOption('-p, --policy <file>', 'policy file (YAML)')
    .addOption(
      new Option('-f, --format <format>', 'nftables or iptables').choices(APPLY_FORMATS).default('nftables'),
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  sudo sipwarden firewall check --policy /etc/sipwarden/sipwarden.yaml\n' +
        '  sudo sipwarden firewall check --policy sipwarden.yaml --format iptables\n' +
        '\nExit codes: 0 the tools accept the ruleset, 1 they refuse it (or cannot run), 2 invalid policy.\n' +
        'Needs nft (Debian package nftables) or iptables-restore and ipset (packages iptables, ipset), and root ' +
        '(or unprivileged user namespaces).' +
        COMMON_HELP,
    )
    .action((opts: { policy: string; format: FirewallFormat; json?: boolean }) =>
      guarded('check', () => {
        const policy = policyOf(opts.policy)
        const model = buildFirewallModel(policy)
        let result: CheckResult
        if (opts.format === 'nftables') result = checkNftables(renderNftablesModel(model))
        else
          result = checkIptables({
            ipset: renderIpsetModel(model),
            v4: renderIptablesModel(model, 4),
            v6: renderIptablesModel(model, 6),
          })
        const session = checkSshSession(model, findSshConnection().value)
        if (opts.json) {
          out(
            `${JSON.stringify(
              {
                ok: result.ok,
                format: opts.format,
                problems: result.problems,
                sshSession: session.status,
                ...(session.status === 'cut' ? { sshReason: session.reason } : {}),
                warnings: model.warnings,
              },
              null,
              2,
            )}\n`,
          )
          return result.ok ? 0 : 1
        }
        if (result.ok)
          out(`${opts.policy}: the ${opts.format} ruleset is valid (${result.commands.join('; ')})\n`)
        else {
          out(`${formatProblems(result.problems)}\n`)
          err(`${opts.policy}: the ${opts.format} ruleset was refused\n`)
        }
        if (session.status === 'cut') err(`warning: ${session.reason}\n`)
        else if (session.status === 'allowed')
          out(`your SSH session from ${session.session.client} would stay reachable\n`)
        warn(model.warnings)
        return result.ok ? 0 : 1
      }),
    )

  fw.command('apply')
    .summary('apply the ruleset atomically, with automatic rollback unless confirmed')
    .description(
      'Check the ruleset, save the ruleset loaded now, load the new one atomically, and start a detached ' +
        'process that restores the saved one after --timeout unless `firewall confirm` comes first (like ' +
        'iptables-apply, without a terminal prompt and without systemd). Refuses a ruleset that would cut the ' +
        'SSH session it runs in (SSH_CONNECTION, also found under sudo): the client must be in adminNetworks. ' +
        'State is kept in ' +
        '<site.dataDir>/firewall.',
    )
    .requiredOption('-p, --policy <file>', 'policy file (YAML)')
    .addOption(
      new Option('-f, --format <format>', 'nftables or iptables').choices(APPLY_FORMATS).default('nftables'),
    )
    .option(
      '-t, --timeout <duration>',
      `roll back after this long unless confirmed (${MIN_ROLLBACK_SECONDS}s..${MAX_ROLLBACK_SECONDS / 60}m)`,
      `${DEFAULT_ROLLBACK_SECONDS}s`,
    )
    .option('--no-rollback', 'no rollback timer (provisioning with console access); rollback stays possible')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  sudo sipwarden firewall apply --policy /etc/sipwarden/sipwarden.yaml\n' +
        '  sudo sipwarden firewall confirm --policy /etc/sipwarden/sipwarden.yaml\n' +
        '  sudo sipwarden firewall apply --policy sipwarden.yaml --format iptables --timeout 2m\n' +
        '\nIf you lose the connection, wait for the timeout: the previous ruleset comes back by itself.\n' +
        'Exit codes: 0 applied, 1 refused or failed (nothing changed), 2 invalid policy or flags.' +
        COMMON_HELP,
    )
    .action((opts: { policy: string; format: FirewallFormat; timeout: string; rollback: boolean }) =>
      guarded('apply', () => {
        const seconds = parseSeconds(opts.timeout, '--timeout')
        if (seconds < MIN_ROLLBACK_SECONDS || seconds > MAX_ROLLBACK_SECONDS)
          inputError(`--timeout must be between ${MIN_ROLLBACK_SECONDS}s and ${MAX_ROLLBACK_SECONDS / 60}m`)
        const policy = policyOf(opts.policy)
        const ssh = findSshConnection().value
        const report = applyFirewall(policy, {
          format: opts.format,
          stateDir: stateDirOf(policy),
          ...(ssh !== undefined ? { sshConnection: ssh } : {}),
          rollbackSeconds: opts.rollback ? seconds : null,
          cli: CLI,
        })
        if (report.stalePendingRemoved)
          err('note: removed a stale pending confirmation (its deadline had passed)\n')
        out(`applied the ${opts.format} ruleset of site "${policy.site.name}"\n`)
        if (report.session.status === 'allowed')
          out(`your SSH session from ${report.session.session.client} stays reachable\n`)
        else err('note: no SSH session found (SSH_CONNECTION), so none was checked\n')
        if (report.pending !== null)
          out(
            `confirm within ${seconds} s: sipwarden firewall confirm --policy ${opts.policy}\n` +
              `otherwise the previous ruleset comes back at ${report.pending.deadline}\n`,
          )
        else out(`no rollback timer; to go back: sipwarden firewall rollback --policy ${opts.policy}\n`)
        warn(report.warnings)
        return 0
      }),
    )

  fw.command('confirm')
    .summary('keep the ruleset applied by `firewall apply`')
    .description('Stop the pending automatic rollback: the ruleset applied last stays loaded.')
    .option('-p, --policy <file>', 'policy file (the state is in <site.dataDir>/firewall)')
    .option('--state-dir <dir>', 'state directory instead of the policy')
    .addHelpText(
      'after',
      '\nExample:\n  sudo sipwarden firewall confirm --policy /etc/sipwarden/sipwarden.yaml\n' +
        '\nExit codes: 0 confirmed, 1 nothing waits for confirmation (already confirmed, or rolled back).',
    )
    .action((opts: { policy?: string; stateDir?: string }) =>
      guarded('confirm', () => {
        const r = confirmFirewall(stateDir(opts))
        if (r.status === 'nothing-pending') {
          err(
            'sipwarden firewall confirm: nothing waits for confirmation ' +
              '(already confirmed, rolled back, or applied with --no-rollback)\n',
          )
          return 1
        }
        out(`confirmed: the ${r.pending.format} ruleset applied at ${r.pending.appliedAt} stays\n`)
        return 0
      }),
    )

  fw.command('rollback')
    .summary('restore the ruleset saved by the last `firewall apply`')
    .description(
      'Restore the ruleset that was loaded before the last `firewall apply` (only the tables sipwarden ' +
        'touched: for nftables its two tables, for iptables the filter tables and its ipsets). With --after, ' +
        'wait that many seconds first and restore only if the apply was not confirmed meanwhile: this is the ' +
        'process `firewall apply` starts.',
    )
    .option('-p, --policy <file>', 'policy file (the state is in <site.dataDir>/firewall)')
    .option('--state-dir <dir>', 'state directory instead of the policy')
    .option('--after <seconds>', 'wait, then roll back unless confirmed (needs --token)')
    .addOption(new Option('--token <token>', 'the apply to roll back (from pending.json)').hideHelp())
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  sudo sipwarden firewall rollback --policy /etc/sipwarden/sipwarden.yaml\n' +
        '\nExit codes: 0 restored (or, with --after, confirmed meanwhile), 1 nothing saved or restore failed.',
    )
    .action((opts: { policy?: string; stateDir?: string; after?: string; token?: string }) =>
      guarded('rollback', async () => {
        const dir = stateDir(opts)
        const stamp = () => new Date().toISOString()
        if (opts.after !== undefined) {
          if (opts.token === undefined) inputError('--after needs --token (the apply to roll back)')
          const seconds = parseSeconds(opts.after, '--after')
          const r = await rollbackAfter(dir, opts.token, Math.min(seconds, MAX_ROLLBACK_SECONDS))
          if (r.status === 'rolled-back')
            out(
              `${stamp()} not confirmed in ${seconds} s: restored the ruleset saved at ${r.previous.savedAt}\n`,
            )
          else if (r.status === 'confirmed') out(`${stamp()} confirmed: nothing to do\n`)
          else out(`${stamp()} nothing saved to restore\n`)
          return r.status === 'nothing-saved' ? 1 : 0
        }
        const r = rollbackFirewall(dir)
        if (r.status !== 'rolled-back') {
          err(
            'sipwarden firewall rollback: no saved ruleset (no `firewall apply` has run with this state directory)\n',
          )
          return 1
        }
        out(`restored the ${r.previous.format} ruleset saved at ${r.previous.savedAt}\n`)
        return 0
      }),
    )

  fw.command('sysctl')
    .summary('print (or set) the kernel settings that go with the firewall')
    .description(
      'Print the kernel settings the hardening guides recommend, in sysctl.d format: reverse-path filtering, ' +
        'martian logging, SYN cookies, no redirects or source routing, and, when firewall.ipv6 is false, no ' +
        'IPv6 router advertisements and IPv6 off (loopback kept). --apply writes them to /proc/sys now and ' +
        'prints what changed; they last until reboot unless saved to /etc/sysctl.d.',
    )
    .requiredOption('-p, --policy <file>', 'policy file (YAML)')
    .option('--apply', 'set them now (root)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  sipwarden firewall sysctl --policy sipwarden.yaml | sudo tee /etc/sysctl.d/90-sipwarden.conf\n' +
        '  sudo sysctl --system\n' +
        '  sudo sipwarden firewall sysctl --policy sipwarden.yaml --apply\n' +
        '\nExit codes: 0 printed or all set, 1 a setting could not be written, 2 invalid policy.',
    )
    .action((opts: { policy: string; apply?: boolean }) =>
      guarded('sysctl', () => {
        const policy = policyOf(opts.policy)
        const settings = recommendedSysctls(policy)
        if (opts.apply !== true) {
          out(renderSysctlConf(policy, settings))
          return 0
        }
        requireRoot('firewall sysctl --apply')
        const changes = applySysctls(settings)
        for (const c of changes) {
          if (c.status === 'changed') out(`${c.key} = ${c.after} (was ${c.before})\n`)
          else if (c.status === 'unchanged') out(`${c.key} = ${c.after} (already)\n`)
          else if (c.status === 'unavailable') out(`${c.key}: not available on this kernel, skipped\n`)
          else err(`${c.key}: cannot set ${c.after}: ${c.error}\n`)
        }
        return changes.some((c) => c.status === 'failed') ? 1 : 0
      }),
    )
}
