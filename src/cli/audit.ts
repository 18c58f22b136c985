// `sipwarden audit [DIR…]`: read Asterisk / FreeSWITCH / Yate configuration and report weaknesses
// with file:line evidence. Exit codes: 0 nothing at/above --fail-on, 1 findings at/above it,
// 2 bad input (missing directory, unknown PBX, bad option or ignore file).
import { type Command, Option } from 'commander'
import { type IgnoreRule, readIgnore } from '../audit/ignore.js'
import { renderHtml } from '../audit/report/html.js'
import { renderJson } from '../audit/report/json.js'
import { renderSarif } from '../audit/report/sarif.js'
import { renderText } from '../audit/report/text.js'
import { type AuditResult, audit, defaultDirs } from '../audit/run.js'
import { type Pbx, SEVERITIES, type Severity, severityRank } from '../audit/types.js'
import { ErrorCodes, SgwError } from '../errors.js'
import { VERSION } from './version.js'

interface AuditOptions {
  pbx?: Pbx
  format: string
  failOn: string
  ignore?: string
  host?: boolean
  verbose?: boolean
}

export function register(program: Command): void {
  program
    .command('audit')
    .description(
      'audit PBX configuration (Asterisk, FreeSWITCH, Yate) and report weaknesses with file:line evidence',
    )
    .argument(
      '[dir...]',
      'configuration directories (default: whichever of /etc/asterisk, /etc/freeswitch, /etc/yate exist)',
    )
    .addOption(
      new Option('--pbx <pbx>', 'PBX type instead of detecting it').choices([
        'asterisk',
        'freeswitch',
        'yate',
      ]),
    )
    .option(
      '--format <format>',
      'report format: text, json, sarif (2.1.0) or html (self-contained, no scripts)',
      'text',
    )
    .option(
      '--fail-on <severity>',
      `exit 1 when a finding is at or above this severity (${SEVERITIES.join('|')}|none)`,
      'high',
    )
    .option('--ignore <file>', 'accepted findings, one "<check-id>[@file[:line]] <reason>" per line')
    .option(
      '--host',
      'also check this host: modes and owners of the configuration files, the PBX running as root (/proc), ' +
        'management ports listening beyond localhost (ss)',
    )
    .option('--verbose', 'also show reader warnings (unknown directives, syntax notes)')
    .addHelpText(
      'after',
      '\nExit codes: 0 no finding at/above --fail-on, 1 findings at/above it, 2 bad input.\n' +
        'Example: sipwarden audit /etc/asterisk --host --format html > audit.html\n' +
        'Docs: docs/audit.md',
    )
    .action((dirs: string[], opts: AuditOptions) => {
      process.exitCode = runAudit(dirs, opts)
    })
}

function runAudit(dirs: string[], opts: AuditOptions): number {
  const format = opts.format.toLowerCase()
  if (!['text', 'json', 'sarif', 'html'].includes(format))
    throw new SgwError(
      ErrorCodes.AUDIT_INPUT,
      `unknown --format "${opts.format}" (text, json, sarif or html)`,
    )
  const failOn = opts.failOn.toLowerCase()
  if (failOn !== 'none' && !SEVERITIES.includes(failOn as Severity))
    throw new SgwError(
      ErrorCodes.AUDIT_INPUT,
      `unknown --fail-on "${opts.failOn}" (${SEVERITIES.join(', ')} or none)`,
    )
  const ignore: IgnoreRule[] = opts.ignore ? readIgnore(opts.ignore) : []
  const targets = dirs.length > 0 ? dirs : defaultDirs()
  if (targets.length === 0)
    throw new SgwError(
      ErrorCodes.AUDIT_INPUT,
      'no configuration directory given and none of /etc/asterisk, /etc/freeswitch, /etc/yate exists',
    )
  const results: AuditResult[] = targets.map((d) => audit(d, { pbx: opts.pbx, ignore, host: !!opts.host }))
  const text =
    format === 'json'
      ? renderJson(results, VERSION)
      : format === 'sarif'
        ? renderSarif(results, VERSION)
        : format === 'html'
          ? renderHtml(results, VERSION)
          : renderText(results, { verbose: opts.verbose })
  process.stdout.write(text)
  if (failOn === 'none') return 0
  const threshold = severityRank(failOn as Severity)
  return results.some((r) => r.findings.some((f) => severityRank(f.severity) >= threshold)) ? 1 : 0
}
