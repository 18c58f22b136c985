import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createParser, type ParserOptions } from '../../src/logwatch/formats/index.js'
import { AMBIGUOUS, type FormatName, type LogEvent, type ParseResult } from '../../src/logwatch/types.js'

// compiled to dist/test/logwatch/: fixtures stay in the source tree
export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/logwatch/', import.meta.url))
export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

export function fixtureLines(name: string): string[] {
  const text = readFileSync(FIXTURES + name, 'utf8')
  return text.split('\n').slice(0, text.endsWith('\n') ? -1 : undefined)
}

export function parseOne(format: FormatName, line: string, opts: ParserOptions = {}): ParseResult {
  return createParser(format, { referenceYear: 2024, ...opts }).parse(line)
}

export function ipOf(r: ParseResult): string | null | 'AMBIGUOUS' {
  if (r === AMBIGUOUS) return 'AMBIGUOUS'
  return r === null ? null : r.ip
}

export function ev(
  ip: string,
  time: number,
  kind: LogEvent['kind'] = 'auth-failed',
  account?: string,
  weight = 1,
): LogEvent {
  return { ip, time, kind, account, what: 'test', weight }
}
