// `sipwarden schema`: prints the JSON Schema of the policy file (for editors, e.g. the YAML
// language server) or the Markdown key reference used in docs/policy.md. Both are generated
// from the one zod schema in src/config/schema.ts; the committed copies are checked by tests.

import { writeFileSync } from 'node:fs'
import { type Command, Option } from 'commander'
import { jsonSchemaText, policyReferenceMarkdown } from '../config/json-schema.js'
import { ErrorCodes, SgwError } from '../errors.js'

export function schemaText(format: 'json' | 'markdown'): string {
  return format === 'markdown' ? policyReferenceMarkdown() : jsonSchemaText()
}

export function register(program: Command): void {
  program
    .command('schema')
    .summary('print the JSON Schema of the policy file')
    .description(
      'Print the JSON Schema (draft 2020-12) of the policy file, with a description for every key, so that ' +
        'editors can complete and check policy files. --format markdown prints the key reference table instead.',
    )
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .addOption(
      new Option('--format <format>', 'json or markdown').choices(['json', 'markdown']).default('json'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  sipwarden schema --output sipwarden.schema.json\n' +
        '  sipwarden schema --format markdown\n' +
        '\nIn a policy file, point the YAML language server (VS Code, Neovim, …) at the schema with a first line:\n' +
        '  # yaml-language-server: $schema=sipwarden.schema.json',
    )
    .action((opts: { output?: string; format: 'json' | 'markdown' }) => {
      const text = schemaText(opts.format)
      if (opts.output === undefined) {
        // `sipwarden schema | head` closes the pipe early; that is not an error
        process.stdout.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EPIPE') throw err
        })
        process.stdout.write(text)
        return
      }
      try {
        writeFileSync(opts.output, text)
      } catch (err) {
        throw new SgwError(
          ErrorCodes.CLI_INPUT,
          `cannot write ${opts.output}: ${err instanceof Error ? err.message : String(err)}`,
        )
      }
    })
}
