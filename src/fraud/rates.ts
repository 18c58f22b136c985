// Rate table: prices per minute by E.164 prefix, longest prefix wins. It prices live calls (so
// that a spend limit can end calls in progress) and finished ones (CDR cost).
//
// File format (CSV, comma or semicolon; `#` comments; an optional header row):
//   prefix,price_per_minute[,description…]
//   +44,0.02,United Kingdom
//   +449,1.50,UK premium
//   +,0.50,everything else            ← "+" alone matches every number (a catch-all)
// With a header, the columns are found by name (prefix|code|dial_code, price|rate|per_minute|cost).

import { dataError, dataLines, readDataFile } from './data-file.js'
import { PrefixMap, e164Digits } from './prefix-map.js'

export interface Rate {
  readonly prefix: string
  readonly pricePerMinute: number
  readonly description: string | null
}

export interface RateTable {
  readonly size: number
  /** the longest matching rate, null when no prefix matches */
  rateOf(e164: string): Rate | null
  /** price per minute of the longest matching prefix, null when no prefix matches */
  pricePerMinute(e164: string): number | null
  /** cost of billableMs of talk to e164 (pro rata per ms), null when no prefix matches */
  costOf(e164: string, billableMs: number): number | null
}

class PrefixRateTable implements RateTable {
  readonly #rates: PrefixMap<Rate>
  constructor(rates: PrefixMap<Rate>) {
    this.#rates = rates
  }
  get size(): number {
    return this.#rates.size
  }
  rateOf(e164: string): Rate | null {
    const digits = e164.startsWith('+') ? e164.slice(1) : e164
    return this.#rates.match(digits)?.value ?? null
  }
  pricePerMinute(e164: string): number | null {
    return this.rateOf(e164)?.pricePerMinute ?? null
  }
  costOf(e164: string, billableMs: number): number | null {
    const rate = this.rateOf(e164)
    if (rate === null) return null
    return (rate.pricePerMinute * Math.max(0, billableMs)) / 60_000
  }
}

const PREFIX_NAMES = /^(prefix|code|dial_?code|destination_?prefix|number)$/i
const PRICE_NAMES = /^(price|rate|cost|per_?minute|price_?per_?minute|rate_?per_?minute)$/i

function parsePrice(text: string): number | null {
  const t = /^\d+,\d+$/.test(text) ? text.replace(',', '.') : text
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(t)) return null
  const n = Number(t)
  return Number.isFinite(n) ? n : null
}

/** Parses rate table text; `path` names the source in errors. */
export function parseRateTable(text: string, path: string): RateTable {
  const rates = new PrefixMap<Rate>()
  const lineOf = new Map<string, number>()
  let prefixCol = 0
  let priceCol = 1
  let first = true
  for (const { line, fields } of dataLines(text, 'csv')) {
    if (first) {
      first = false
      const p = fields.findIndex((f) => PREFIX_NAMES.test(f))
      const r = fields.findIndex((f) => PRICE_NAMES.test(f))
      if (p >= 0 || r >= 0) {
        if (p < 0 || r < 0)
          throw dataError(path, line, 'the header must name a prefix column and a price column')
        prefixCol = p
        priceCol = r
        continue
      }
    }
    const prefixText = fields[prefixCol] ?? ''
    const priceText = fields[priceCol]
    if (priceText === undefined || priceText === '')
      throw dataError(path, line, `expected "prefix,price per minute", got "${fields.join(',')}"`)
    const digits = e164Digits(prefixText)
    if (digits === null || (prefixText.replace(/\s/g, '') !== '+' && digits === ''))
      throw dataError(path, line, `"${prefixText}" is not an E.164 prefix like +44 or 44`)
    const price = parsePrice(priceText)
    if (price === null) throw dataError(path, line, `"${priceText}" is not a price (a number ≥ 0 like 0.05)`)
    const seen = lineOf.get(digits)
    if (seen !== undefined) throw dataError(path, line, `prefix +${digits} is already on line ${seen}`)
    lineOf.set(digits, line)
    const rest = fields.filter((_, i) => i !== prefixCol && i !== priceCol).join(', ')
    rates.set(digits, { prefix: `+${digits}`, pricePerMinute: price, description: rest === '' ? null : rest })
  }
  return new PrefixRateTable(rates)
}

/** Loads a rate table file; errors are SgwErrors with file:line. */
export function loadRateTable(path: string): RateTable {
  return parseRateTable(readDataFile(path), path)
}
