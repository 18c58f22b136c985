// `sipwarden check POLICY`: validates a policy file with the same function the gateway, the
// log watcher and the firewall use (cf. `kamailio -c`), and prints a short summary or every
// problem as `file:line:col: key.path: message`.
//
// Exit codes: 0 valid, 1 invalid (YAML or schema), 2 unreadable file or usage error.

import { isAbsolute, relative } from 'node:path'
import type { Command } from 'commander'
import { formatPolicyIssues, parsePolicy, readPolicyText } from '../config/load.js'
import { redactPolicy } from '../config/redact.js'
import type { Policy } from '../config/schema.js'
import { ErrorCodes, PolicyError } from '../errors.js'
import { formatEndpoint } from '../net/endpoint.js'

export interface CheckOptions {
  readonly json?: boolean
  readonly effective?: boolean
}

export interface CheckIo {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
}

const processIo: CheckIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
}

export interface PolicySummary {
  readonly listen: readonly string[]
  readonly upstream: string
  readonly tenants: number
  readonly accounts: number
  readonly trunks: number
  readonly adminNetworks: number
  readonly state: { readonly adapter: string; readonly path?: string }
  readonly logwatchSources: number
  readonly alertDestinations: readonly string[]
}

export function summarize(p: Policy): PolicySummary {
  const alerts: string[] = []
  const hooks = p.alerting.webhooks.length
  if (hooks > 0) alerts.push(`${hooks} webhook${hooks === 1 ? '' : 's'}`)
  if (p.alerting.email) alerts.push('email')
  if (p.alerting.syslog) alerts.push('syslog')
  return {
    listen: p.listen.map((l) => formatEndpoint({ transport: l.transport, host: l.address, port: l.port })),
    upstream: formatEndpoint(p.upstream),
    tenants: p.tenants.length,
    accounts: p.tenants.reduce((n, t) => n + t.accounts.length, 0),
    trunks: p.trunks.length,
    adminNetworks: p.adminNetworks.length,
    state:
      p.state.path !== undefined
        ? { adapter: p.state.adapter, path: p.state.path }
        : { adapter: p.state.adapter },
    logwatchSources: p.logwatch.sources.length,
    alertDestinations: alerts,
  }
}

/** A path under the working directory is shown relative to it. */
function shortPath(p: string): string {
  const rel = relative(process.cwd(), p)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p
}

function summaryText(file: string, s: PolicySummary): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  return [
    `${file}: valid policy`,
    `  listen     ${s.listen.join(', ')}`,
    `  upstream   ${s.upstream}`,
    `  tenants    ${plural(s.tenants, 'tenant')} with ${plural(s.accounts, 'account')}, ${plural(s.trunks, 'trunk')}, ${plural(s.adminNetworks, 'admin network')}`,
    `  state      ${s.state.adapter}${s.state.path ? ` ${shortPath(s.state.path)}` : ''}`,
    `  logwatch   ${plural(s.logwatchSources, 'source')}`,
    `  alerting   ${s.alertDestinations.length > 0 ? s.alertDestinations.join(', ') : 'none'}`,
    '',
  ].join('\n')
}

/** Runs the check and returns the exit code. */
export function runCheck(file: string | undefined, options: CheckOptions, io: CheckIo = processIo): number {
  if (file === undefined || file === '') {
    const message = 'no policy file given'
    if (options.json)
      io.stdout(`${JSON.stringify({ ok: false, code: ErrorCodes.CLI_INPUT, error: message })}\n`)
    io.stderr(
      `sipwarden check: ${message}\n` +
        '  usage:   sipwarden check <policy.yaml>    (or --policy <file>, or - for stdin)\n' +
        '  example: sipwarden check examples/sipwarden.yaml\n',
    )
    return 2
  }
  const name = file === '-' ? '<stdin>' : file
  let policy: Policy
  try {
    policy = parsePolicy(readPolicyText(file), name, file === '-' ? { baseDir: process.cwd() } : {})
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err
    if (err.code === ErrorCodes.POLICY_READ) {
      if (options.json)
        io.stdout(`${JSON.stringify({ ok: false, file: name, code: err.code, error: err.message })}\n`)
      else io.stderr(`sipwarden check: ${err.message}\n`)
      return 2
    }
    if (options.json) {
      io.stdout(
        `${JSON.stringify({ ok: false, file: name, code: err.code, problems: err.issues }, null, 2)}\n`,
      )
    } else {
      const n = err.issues.length
      io.stdout(`${formatPolicyIssues(err, name).join('\n')}\n`)
      io.stderr(`${name}: invalid policy (${n} problem${n === 1 ? '' : 's'})\n`)
    }
    return 1
  }
  if (options.effective) {
    io.stdout(`${JSON.stringify(redactPolicy(policy), null, 2)}\n`)
  } else if (options.json) {
    io.stdout(`${JSON.stringify({ ok: true, file: name, summary: summarize(policy) }, null, 2)}\n`)
  } else {
    io.stdout(summaryText(name, summarize(policy)))
  }
  return 0
}

export function register(program: Command): void {
  program
    .command('check')
    .summary('validate a policy file')
    .description(
      'Validate a policy file exactly as the gateway, the log watcher and the firewall will read it. ' +
        'Prints a short summary when it is valid, or every problem as file:line:column: key.path: message.',
    )
    .argument('[policy]', 'policy file (YAML); - reads standard input')
    .option('-p, --policy <file>', 'policy file (instead of the argument)')
    .option('--json', 'print the result as JSON: {ok, file, summary} or {ok, file, code, problems}')
    .option(
      '--effective',
      'print the validated policy with every default filled in (secrets redacted), as JSON',
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  sipwarden check examples/sipwarden.yaml\n' +
        '  sipwarden check --json /etc/sipwarden/sipwarden.yaml\n' +
        '  sipwarden check --effective examples/minimal.yaml   # see every default\n' +
        '\nExit codes: 0 valid, 1 invalid, 2 file missing or unreadable (or no file given).\n' +
        'Reference of every key: docs/policy.md; JSON Schema for editors: sipwarden schema.',
    )
    .action((arg: string | undefined, opts: { policy?: string; json?: boolean; effective?: boolean }) => {
      if (arg !== undefined && opts.policy !== undefined && arg !== opts.policy) {
        process.stderr.write('sipwarden check: give the policy file once (argument or --policy), not both\n')
        process.exitCode = 2
        return
      }
      process.exitCode = runCheck(arg ?? opts.policy, {
        json: opts.json === true,
        effective: opts.effective === true,
      })
    })
}
