// Reading the small user-editable data files of the fraud engine (rate table, blacklists,
// high-risk ranges): one record a line, `#` comments, CSV (comma or semicolon) or whitespace
// separated. Every error names file:line so that the operator can fix the file.

import { readFileSync } from 'node:fs'
import { ErrorCodes, SgwError } from '../errors.js'

export interface DataLine {
  /** 1-based */
  readonly line: number
  readonly fields: readonly string[]
}

/** Reads a data file; a missing or unreadable file is an SgwError naming the path. */
export function readDataFile(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code)
    throw new SgwError(ErrorCodes.FRAUD_DATA, `${path}: cannot read: ${why}`, { cause: err })
  }
}

export function dataError(path: string, line: number, message: string): SgwError {
  return new SgwError(ErrorCodes.FRAUD_DATA, `${path}:${line}: ${message}`)
}

/** Splits text into records. Comments (`#` at the start of a line or after whitespace) and
 * blank lines are skipped. A line with a comma or semicolon is CSV (double quotes allowed; the
 * separator is the first record's: `;` when it has one, else `,`). Other lines, by mode:
 * `csv` — fields separated by whitespace; `number` — the leading number (digits, +, *, spaces,
 * dots, dashes, parentheses) is the first field and the rest of the line a note; `note` — the
 * first word is the first field and the rest of the line a note (`note` never reads CSV). */
export function dataLines(text: string, mode: 'csv' | 'number' | 'note'): DataLine[] {
  const out: DataLine[] = []
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  let sep: ',' | ';' | null = null
  for (let i = 0; i < lines.length; i++) {
    const raw = stripComment(lines[i]!).trim()
    if (raw === '') continue
    let fields: string[]
    if (mode !== 'note' && /[,;]/.test(raw)) {
      sep ??= raw.includes(';') ? ';' : ','
      fields = splitCsv(raw, sep)
    } else if (mode === 'csv') fields = raw.split(/\s+/)
    else if (mode === 'number') fields = numberAndNote(raw)
    else {
      const m = /^(\S+)\s*(.*)$/.exec(raw)!
      fields = m[2] === '' ? [m[1]!] : [m[1]!, m[2]!]
    }
    out.push({ line: i + 1, fields: fields.map((f) => f.trim()) })
  }
  return out
}

/** "+44 20 7946 0000 reported twice" → ["+44 20 7946 0000", "reported twice"]; a note must be
 * separated by whitespace ("+49abc" stays one, invalid, field). */
function numberAndNote(raw: string): string[] {
  const m = /^[+\d*][\d\s().*-]*/.exec(raw)
  if (m === null) return [raw]
  const num = m[0]
  const rest = raw.slice(num.length)
  if (rest === '') return [num]
  if (!/\s$/.test(num)) return [raw]
  return [num, rest]
}

function stripComment(line: string): string {
  if (line.trimStart().startsWith('#')) return ''
  // a # after whitespace starts a comment, unless inside quotes; a # glued to digits is a number (*31#)
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === '"') quoted = !quoted
    else if (c === '#' && !quoted && i > 0 && /\s/.test(line[i - 1]!)) return line.slice(0, i)
  }
  return line
}

function splitCsv(line: string, sep: ',' | ';'): string[] {
  const fields: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"'
        i++
      } else if (c === '"') quoted = false
      else cur += c
    } else if (c === '"') quoted = true
    else if (c === sep) {
      fields.push(cur)
      cur = ''
    } else cur += c
  }
  fields.push(cur)
  return fields
}
