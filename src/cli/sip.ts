// `sipwarden sip parse FILE|-`: parse a SIP message exactly as the gateway does and show the
// verdict. Exit code 0 when accepted, 2 when rejected (or on a usage/input error).

import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { ErrorCodes, SgwError } from '../errors.js'
import {
  messageToJson,
  type ParseOptions,
  type ParseResult,
  parseMessage,
  SipParseError,
  SipStreamFramer,
} from '../sip/index.js'

interface ParseCommandOptions {
  full?: boolean
  lazy?: boolean
  stream?: boolean
  compact?: boolean
}

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
}

async function readInput(file: string): Promise<Buffer> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
      return Buffer.concat(chunks)
    }
    return await readFile(file)
  } catch (err) {
    const code = (err as { code?: string }).code
    const why =
      (code !== undefined ? READ_ERRORS[code] : undefined) ??
      (err instanceof Error ? err.message : String(err))
    throw new SgwError(ErrorCodes.CLI_INPUT, `cannot read ${file === '-' ? 'standard input' : file}: ${why}`)
  }
}

/** The plain stderr line for a rejection. */
export function rejectionLine(e: SipParseError, prefix = ''): string {
  const verdict = e.status === null ? 'drop (no response)' : `${e.status} ${e.reason}`
  return `${prefix}rejected: ${verdict} (${e.code}) at byte ${e.offset}: ${e.message}`
}

function resultJson(r: ParseResult): unknown {
  return r.ok ? messageToJson(r.message) : { error: r.error.toJSON() }
}

async function parseCommand(file: string, opts: ParseCommandOptions): Promise<void> {
  if (opts.full === true && opts.lazy === true)
    throw new SgwError(ErrorCodes.CLI_INPUT, 'choose one of --full and --lazy')
  const input = await readInput(file)
  const mode = opts.lazy === true ? 'lazy' : 'full'
  const indent = opts.compact === true ? undefined : 2
  let rejected = false
  let output: unknown
  if (opts.stream === true) {
    const parseOpts: ParseOptions = { mode, framing: 'stream' }
    const framer = new SipStreamFramer()
    const framed = framer.push(input)
    const entries: unknown[] = []
    for (const buf of framed.messages) {
      const offset = buf.byteOffset - input.byteOffset
      const r = parseMessage(buf, parseOpts)
      if (!r.ok) {
        rejected = true
        process.stderr.write(`${rejectionLine(r.error, `message at byte ${offset}: `)}\n`)
      }
      entries.push({ offset, ...(resultJson(r) as object) })
    }
    const offset = input.length - framer.buffered
    const tail =
      framed.error ??
      (framer.buffered > 0
        ? new SipParseError('INCOMPLETE', framer.buffered, 'input ends inside a message')
        : null)
    if (tail !== null) {
      rejected = true
      process.stderr.write(`${rejectionLine(tail, 'stream: ')}\n`)
      entries.push({ offset, error: tail.toJSON() })
    }
    output = entries
  } else {
    const r = parseMessage(input, { mode })
    if (!r.ok) {
      rejected = true
      process.stderr.write(`${rejectionLine(r.error)}\n`)
    }
    output = resultJson(r)
  }
  process.stdout.write(`${JSON.stringify(output, null, indent)}\n`)
  process.exitCode = rejected ? 2 : 0
}

export function register(program: Command): void {
  const sip = program.command('sip').description('SIP message tools')
  sip
    .command('parse')
    .description(
      'Parse one SIP message (a file, or - for standard input) as the gateway would, and print it as JSON ' +
        '(start line, headers in order, typed Via/From/To/CSeq/auth/SDP, body length) or the rejection.',
    )
    .argument('<file>', 'file holding the message bytes, or - for standard input')
    .option('--full', 'strict parse: typed values and validation (the default)')
    .option('--lazy', 'lazy parse only: framing, start line and header index')
    .option(
      '--stream',
      'stream (TCP/TLS) framing: Content-Length required; the input may hold several messages',
    )
    .option('--compact', 'print JSON on one line')
    .addHelpText(
      'after',
      '\nExit codes: 0 accepted, 2 rejected (a plain "rejected: …" line goes to stderr).\n' +
        'Example: sipwarden sip parse invite.sip',
    )
    .action(async (file: string, opts: ParseCommandOptions) => parseCommand(file, opts))
}
