#!/usr/bin/env node
// The one CLI. Each command lives in its own file and registers itself on the program.
import { Command, CommanderError } from 'commander'
import { SgwError } from '../errors.js'
import { register as registerAudit } from './audit.js'
import { register as registerCheck } from './check.js'
import { register as registerPasswd } from './passwd.js'
import { register as registerSchema } from './schema.js'
import { register as registerSip } from './sip.js'
import { VERSION } from './version.js'
import { register as registerWatch } from './watch.js'

export function buildProgram(): Command {
  const program = new Command()
  program
    .name('sipwarden')
    .description(
      'Security system for VoIP telephony: SIP security gateway, toll-fraud engine, log watcher, ' +
        'PBX config auditor and host firewall, all driven by one policy file.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: true })
  registerAudit(program)
  registerCheck(program)
  registerPasswd(program)
  registerSchema(program)
  registerSip(program)
  registerWatch(program)
  program.addHelpText(
    'after',
    '\nExit codes: 0 success, 1 findings or failure, 2 rejected input or usage error.\n' +
      'Docs: README.md and docs/ in the package.',
  )
  return program
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram()
  program.exitOverride()
  try {
    await program.parseAsync(argv as string[])
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version "errors" are successful exits; usage errors were already printed.
      return err.exitCode === 0 ? 0 : 2
    }
    if (err instanceof SgwError) {
      process.stderr.write(`sipwarden: ${err.message} [${err.code}]\n`)
      return 2
    }
    const msg = err instanceof Error ? err.message : String(err)
    process.stderr.write(`sipwarden: internal error: ${msg}\n`)
    if (process.env['SIPWARDEN_DEBUG'] && err instanceof Error && err.stack)
      process.stderr.write(`${err.stack}\n`)
    else process.stderr.write('(set SIPWARDEN_DEBUG=1 for details; please report this as a bug)\n')
    return 1
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code
  },
  () => {
    process.exitCode = 1
  },
)
