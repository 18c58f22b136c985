// High-risk number ranges: E.164 prefixes where toll fraud terminates (international networks,
// satellite, international premium rate, known callback-scam areas). sipwarden ships a
// commented list (data/fraud/high-risk-ranges.txt); fraud.highRiskRangesFile replaces it.
//
// File format: one prefix a line, then an optional note; `#` comments.
//   +881   Global Mobile Satellite System (Iridium, Globalstar)

import { fileURLToPath } from 'node:url'
import { dataError, dataLines, readDataFile } from './data-file.js'
import { PrefixMap, e164Digits } from './prefix-map.js'

export interface HighRiskRange {
  readonly prefix: string
  readonly note: string | null
}

export interface HighRiskRanges {
  readonly size: number
  readonly path: string
  /** the longest listed range that contains the number, or null */
  match(e164: string): HighRiskRange | null
}

/** Path of the list shipped with sipwarden (dist/src/fraud → package root/data/fraud). */
export const SHIPPED_HIGH_RISK_RANGES = fileURLToPath(
  new URL('../../../data/fraud/high-risk-ranges.txt', import.meta.url),
)

export function parseHighRiskRanges(text: string, path: string): HighRiskRanges {
  const map = new PrefixMap<HighRiskRange>()
  for (const { line, fields } of dataLines(text, 'note')) {
    const raw = fields[0]!
    const digits = e164Digits(raw)
    if (digits === null || digits === '' || !raw.startsWith('+') || digits.startsWith('0'))
      throw dataError(path, line, `"${raw}" is not an E.164 prefix with a leading + (e.g. +881)`)
    map.set(digits, { prefix: `+${digits}`, note: fields[1] ?? null })
  }
  return {
    size: map.size,
    path,
    match(e164: string): HighRiskRange | null {
      return map.match(e164.startsWith('+') ? e164.slice(1) : e164)?.value ?? null
    },
  }
}

/** Loads a ranges file (default: the shipped list). Errors are SgwErrors with file:line. */
export function loadHighRiskRanges(path: string = SHIPPED_HIGH_RISK_RANGES): HighRiskRanges {
  return parseHighRiskRanges(readDataFile(path), path)
}
