// Streaming CDR importers: Asterisk Master.csv, FreeSWITCH mod_cdr_csv, sipwarden's own CSV.
// Line by line, a bad line is a warning with its number (never a crash) and counted; when the
// first lines of a file all fail, the format was probably guessed wrong and the error says
// which format the file looks like.
import { createReadStream, statSync } from 'node:fs'
import { ErrorCodes, SgwError } from '../errors.js'
import { asteriskRow, looksAsterisk } from './asterisk.js'
import { parseCsvLine } from './csv.js'
import { freeswitchRow, looksFreeswitch } from './freeswitch.js'
import type { RowContext } from './row.js'
import { looksSipwarden, sipwardenRow } from './sipwarden-csv.js'
import { zoneClock } from './time.js'
import type { Cdr } from './types.js'

export const CDR_FORMATS = ['asterisk', 'freeswitch', 'sipwarden'] as const
export type CdrFormat = (typeof CDR_FORMATS)[number]

export interface ReadCdrOptions {
  /** IANA zone of the file's wall-clock times (Asterisk, FreeSWITCH); default UTC */
  readonly timezone?: string
  onWarning?(line: number, message: string): void
  /** called every batch with the bytes read so far and the file size */
  onProgress?(bytes: number, totalBytes: number): void
  /** rows per batch of readCdrBatches; default 2048 */
  readonly batchSize?: number
}

export interface ReadStats {
  lines: number
  rows: number
  badLines: number
  bytes: number
}

/** lines longer than this are bad lines (a CDR line is a few hundred bytes) */
export const MAX_LINE_LENGTH = 64 * 1024
/** when this many first data lines all fail, the format is wrong */
const SNIFF_LINES = 5

type RowParser = (f: readonly string[], ctx: RowContext) => Cdr | string

const PARSERS: Readonly<Record<CdrFormat, RowParser>> = {
  asterisk: asteriskRow,
  freeswitch: freeswitchRow,
  sipwarden: sipwardenRow,
}

/** Which formats these fields look like. */
export function detectFormats(fields: readonly string[]): CdrFormat[] {
  const out: CdrFormat[] = []
  if (looksAsterisk(fields)) out.push('asterisk')
  if (looksFreeswitch(fields)) out.push('freeswitch')
  if (looksSipwarden(fields)) out.push('sipwarden')
  return out
}

/** Reads a CDR file in batches of rows; `stats` is complete when the iteration ends. */
export class CdrReader implements AsyncIterable<Cdr[]> {
  readonly stats: ReadStats = { lines: 0, rows: 0, badLines: 0, bytes: 0 }
  readonly #path: string
  readonly #format: CdrFormat
  readonly #opts: ReadCdrOptions

  constructor(path: string, format: CdrFormat, opts: ReadCdrOptions = {}) {
    if (!(CDR_FORMATS as readonly string[]).includes(format))
      throw new SgwError(
        ErrorCodes.CDR_INPUT,
        `unknown CDR format '${format}' (use ${CDR_FORMATS.join(', ')})`,
      )
    this.#path = path
    this.#format = format
    this.#opts = opts
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Cdr[]> {
    const path = this.#path
    let total: number
    try {
      const st = statSync(path)
      if (!st.isFile()) throw new Error('not a regular file')
      total = st.size
    } catch (err) {
      throw new SgwError(ErrorCodes.CDR_INPUT, `cannot read the CDR file ${path}: ${errMessage(err)}`)
    }
    const parse = PARSERS[this.#format]
    const zone = zoneClock(this.#opts.timezone ?? 'UTC')
    const batchSize = this.#opts.batchSize ?? 2048
    const onWarning = this.#opts.onWarning
    const stats = this.stats
    let batch: Cdr[] = []
    let rest = ''
    // the first data lines that failed, with their fields, to tell a wrong format
    let sniffing = true
    const failed: Array<{ line: number; fields: string[] | null; message: string }> = []
    const ctx = { line: 0, zone }

    const handle = (text: string): void => {
      const line = ++stats.lines
      if (text.length === 0 || (text.length === 1 && text.charCodeAt(0) === 13)) return
      let message: string
      let fields: string[] | null = null
      if (text.length > MAX_LINE_LENGTH) message = `line longer than ${MAX_LINE_LENGTH} bytes`
      else {
        fields = parseCsvLine(text)
        if (fields === null) message = 'malformed CSV (unbalanced quotes)'
        else {
          ctx.line = line
          const r = parse(fields, ctx)
          if (typeof r !== 'string') {
            stats.rows++
            sniffing = false
            batch.push(r)
            return
          }
          if (r === 'header') return
          message = r
        }
      }
      stats.badLines++
      if (sniffing) {
        failed.push({ line, fields, message })
        if (failed.length >= SNIFF_LINES) this.#wrongFormat(failed)
        return
      }
      onWarning?.(line, message)
    }

    const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })
    try {
      for await (const chunk of stream as AsyncIterable<string>) {
        stats.bytes += Buffer.byteLength(chunk)
        let from = 0
        let nl = chunk.indexOf('\n')
        if (nl >= 0 && rest.length > 0) {
          handle(rest + chunk.slice(0, nl))
          rest = ''
          from = nl + 1
          nl = chunk.indexOf('\n', from)
        }
        while (nl >= 0) {
          handle(chunk.slice(from, nl))
          from = nl + 1
          nl = chunk.indexOf('\n', from)
        }
        if (rest.length <= MAX_LINE_LENGTH) rest += chunk.slice(from)
        if (batch.length >= batchSize) {
          this.#opts.onProgress?.(stats.bytes, total)
          const out = batch
          batch = []
          yield out
        }
      }
    } catch (err) {
      if (err instanceof SgwError) throw err
      throw new SgwError(ErrorCodes.CDR_INPUT, `cannot read the CDR file ${path}: ${errMessage(err)}`)
    } finally {
      stream.destroy()
    }
    if (rest.length > 0) handle(rest)
    // a file of only bad lines (fewer than SNIFF_LINES): still a wrong format
    if (sniffing && failed.length > 0) this.#wrongFormat(failed)
    for (const f of failed) onWarning?.(f.line, f.message)
    this.#opts.onProgress?.(stats.bytes, total)
    if (batch.length > 0) yield batch
  }

  #wrongFormat(failed: ReadonlyArray<{ line: number; fields: string[] | null; message: string }>): never {
    const first = failed[0]!
    const guesses = new Set<CdrFormat>()
    for (const f of failed) if (f.fields !== null) for (const g of detectFormats(f.fields)) guesses.add(g)
    guesses.delete(this.#format)
    const hint =
      guesses.size > 0
        ? `; it looks like ${[...guesses].join(' or ')} (try --format ${[...guesses][0]})`
        : '; it matches none of the known CDR formats (asterisk, freeswitch, sipwarden)'
    throw new SgwError(
      ErrorCodes.CDR_FORMAT,
      `${this.#path} is not ${this.#format} CDR CSV: line ${first.line}: ${first.message}${hint}`,
    )
  }
}

/** Reads a CDR file in batches (the fast path of `cdr analyze`). */
export function readCdrBatches(path: string, format: CdrFormat, opts: ReadCdrOptions = {}): CdrReader {
  return new CdrReader(path, format, opts)
}

/** Reads a CDR file row by row. */
export async function* readCdrFile(
  path: string,
  format: CdrFormat,
  opts: ReadCdrOptions = {},
): AsyncIterable<Cdr> {
  for await (const batch of new CdrReader(path, format, opts)) yield* batch
}

function errMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT') return 'no such file'
  return err instanceof Error ? err.message : String(err)
}
