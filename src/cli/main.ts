#!/usr/bin/env node
// The one CLI. Each command lives in its own file and registers itself on the program.
// Only the command being run is imported: start-up cost matters (the log watcher's replay
// of 1M lines takes about as long as loading every command's modules), and a problem in one
// command's module must not break the others.
import { Command, CommanderError } from 'commander'
import { SgwError } from '../errors.js'
import { VERSION } from './version.js'

type Registrar = { register(program: Command): void }

const COMMANDS: Readonly<Record<string, () => Promise<Registrar>>> = {
  audit: () => import('./audit.js'),
  bans: () => import('./bans.js'),
  cdr: () => import('./cdr.js'),
  check: () => import('./check.js'),
  firewall: () => import('./firewall.js'),
  gateway: () => import('./gateway.js'),
  passwd: () => import('./passwd.js'),
  report: () => import('./report.js'),
  schema: () => import('./schema.js'),
  sip: () => import('./sip.js'),
  watch: () => import('./watch.js'),
}

/** Which commands to load for these arguments: the one named, or all (help, unknown, none). */
export function commandsFor(args: readonly string[]): string[] {
  const first = args.find((a) => !a.startsWith('-'))
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? [first] : Object.keys(COMMANDS)
}

export async function buildProgram(args: readonly string[] = []): Promise<Command> {
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
    // before the commands are added, so that they inherit it: a usage error anywhere exits 2
    .exitOverride()
  for (const name of commandsFor(args)) (await COMMANDS[name]!()).register(program)
  program.addHelpText(
    'after',
    '\nExit codes: 0 success, 1 findings or failure, 2 rejected input or usage error.\n' +
      'Docs: README.md and docs/ in the package.',
  )
  return program
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const program = await buildProgram(argv.slice(2))
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
