// `sipwarden passwd generate|check`: random secrets and PINs, and a strength check with the same
// rules the auditor applies to configuration files.
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { ErrorCodes, SgwError } from '../errors.js'
import { CHARSETS, generatePassword, generatePin, MIN_PIN_DIGITS } from '../passwd/generate.js'
import { assessPassword, assessPin, WEAKNESS_TEXT } from '../passwd/strength.js'

function int(name: string, value: string): number {
  if (!/^\d+$/.test(value))
    throw new SgwError(ErrorCodes.CLI_INPUT, `${name} must be a whole number, got "${value}"`)
  return Number(value)
}

export function register(program: Command): void {
  const passwd = program.command('passwd').description('generate and check SIP secrets and voicemail PINs')
  passwd
    .command('generate')
    .description('print random secrets (crypto.randomInt) or PINs')
    .option('--length <n>', 'password length', '20')
    .option(
      '--charset <name|chars>',
      `character set: ${Object.keys(CHARSETS).join(', ')}, or "custom:<chars>"`,
      'alnum',
    )
    .option('--pin', 'generate a numeric PIN instead (not a sequence, repeat or common PIN)')
    .option('--digits <n>', `PIN length (at least ${MIN_PIN_DIGITS})`, '8')
    .option('--count <n>', 'how many to print', '1')
    .action((opts: { length: string; charset: string; pin?: boolean; digits: string; count: string }) => {
      const count = int('--count', opts.count)
      const lines: string[] = []
      if (opts.pin) {
        const digits = int('--digits', opts.digits)
        if (digits < MIN_PIN_DIGITS)
          throw new SgwError(ErrorCodes.CLI_INPUT, `--digits must be at least ${MIN_PIN_DIGITS}`)
        for (let i = 0; i < count; i++) lines.push(generatePin(digits))
      } else {
        const length = int('--length', opts.length)
        if (length < 12) throw new SgwError(ErrorCodes.CLI_INPUT, '--length must be at least 12')
        const alphabet = opts.charset.startsWith('custom:')
          ? [...new Set(opts.charset.slice(7))].join('')
          : CHARSETS[opts.charset]
        if (!alphabet || alphabet.length < 10)
          throw new SgwError(
            ErrorCodes.CLI_INPUT,
            `unknown or too small --charset "${opts.charset}" (${Object.keys(CHARSETS).join(', ')}, custom:<10+ chars>)`,
          )
        for (let i = 0; i < count; i++) lines.push(generatePassword(length, alphabet))
      }
      process.stdout.write(`${lines.join('\n')}\n`)
    })
  passwd
    .command('check')
    .description(
      'check a password (or PIN); exit 1 when it is weak. Use "-" to read it from stdin (keeps it out of shell history)',
    )
    .argument('<password>', 'the password, or - to read one line from stdin')
    .option('--user <name>', 'user, device or mailbox name it must not resemble')
    .option('--pin', 'check as a numeric PIN (6+ digits)')
    .option('--min-length <n>', 'minimum password length', '12')
    .action((password: string, opts: { user?: string; pin?: boolean; minLength: string }) => {
      let secret = password
      if (password === '-') secret = readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? ''
      const identities = opts.user ? [opts.user] : []
      const a = opts.pin
        ? assessPin(secret, { identities })
        : assessPassword(secret, { identities, minLength: int('--min-length', opts.minLength) })
      if (a.verdict === 'ok') {
        process.stdout.write(`ok: ${secret.length} characters, about ${a.bits} bits\n`)
        process.exitCode = 0
        return
      }
      process.stdout.write(`weak: ${a.weaknesses.map((w) => WEAKNESS_TEXT[w]).join('; ')}\n`)
      process.exitCode = 1
    })
}
