// Known-bad number lists (fraud.blacklistFiles): numbers reported by carriers, honeypots or
// earlier incidents. Entries are exact E.164 numbers, or prefixes written with a trailing `*`.
//
// File format: plain (one entry a line) or CSV (first column; other columns are notes; an
// optional header row); `#` comments. Digits without a leading + are read as E.164 digits.
//   +88213000123
//   +8821600*          # a whole block
//   "+4470 1234 5678",reported by carrier 2026-03-02
//
// The lists are reloaded when a file changes (polling its mtime/size, which survives editors
// that replace files by rename). A file that fails to parse keeps the previous list in force
// and reports the error with file:line.

import { type StatWatcher, type Stats, unwatchFile, watchFile } from 'node:fs'
import { dataError, dataLines, readDataFile } from './data-file.js'
import { PrefixMap, e164Digits } from './prefix-map.js'

export interface BlacklistEntry {
  /** E.164 with +, and a trailing * for a prefix */
  readonly entry: string
  readonly file: string
  readonly line: number
}

interface ParsedList {
  readonly exact: Map<string, BlacklistEntry>
  readonly prefixes: PrefixMap<BlacklistEntry>
}

export function parseBlacklist(text: string, path: string): ParsedList {
  const exact = new Map<string, BlacklistEntry>()
  const prefixes = new PrefixMap<BlacklistEntry>()
  let first = true
  for (const { line, fields } of dataLines(text, 'number')) {
    const raw = fields[0]!
    const isFirst = first
    first = false
    const isPrefix = raw.endsWith('*')
    const digits = e164Digits(isPrefix ? raw.slice(0, -1) : raw)
    if (digits === null || digits === '' || digits.startsWith('0')) {
      if (isFirst && /^[A-Za-z_ ]+$/.test(raw)) continue // a header row such as "number,note"
      throw dataError(
        path,
        line,
        `"${raw}" is not an E.164 number (+4930123456) or prefix with a trailing * (+8821600*)`,
      )
    }
    const entry: BlacklistEntry = { entry: `+${digits}${isPrefix ? '*' : ''}`, file: path, line }
    if (isPrefix) prefixes.set(digits, entry)
    else exact.set(digits, entry)
  }
  return { exact, prefixes }
}

export interface BlacklistOptions {
  /** poll the files for changes every this many ms (0 or unset: no reloading) */
  readonly watchIntervalMs?: number
  /** a reload failed: the previous list stays in force */
  readonly onError?: (err: Error) => void
  /** a reload succeeded */
  readonly onReload?: (entries: number) => void
}

/** The union of several blacklist files, reloaded on change. */
export class Blacklist {
  readonly files: readonly string[]
  #lists: ParsedList[]
  #generation = 0
  #watchers: Array<{ file: string; listener: (cur: Stats, prev: Stats) => void; watcher: StatWatcher }> = []
  readonly #opts: BlacklistOptions

  /** Loads every file now; a bad file at start is an error (SgwError with file:line). */
  constructor(files: readonly string[], opts: BlacklistOptions = {}) {
    this.files = files
    this.#opts = opts
    this.#lists = files.map((f) => parseBlacklist(readDataFile(f), f))
    const interval = opts.watchIntervalMs ?? 0
    if (interval > 0) this.#watch(interval)
  }

  /** Changes every time a list is reloaded (memoised classifications must be dropped). */
  get generation(): number {
    return this.#generation
  }

  get size(): number {
    let n = 0
    for (const l of this.#lists) n += l.exact.size + l.prefixes.size
    return n
  }

  /** The entry that lists this number (exact match first, then the longest prefix), or null. */
  match(e164: string): BlacklistEntry | null {
    const digits = e164.startsWith('+') ? e164.slice(1) : e164
    for (const l of this.#lists) {
      const e = l.exact.get(digits)
      if (e !== undefined) return e
    }
    let best: BlacklistEntry | null = null
    let bestLen = -1
    for (const l of this.#lists) {
      const m = l.prefixes.match(digits)
      if (m !== null && m.prefix.length > bestLen) {
        best = m.value
        bestLen = m.prefix.length
      }
    }
    return best
  }

  /** Re-reads one file (all when unset). Returns the error when it failed; the old list stays. */
  reload(file?: string): Error | null {
    let changed = false
    for (let i = 0; i < this.files.length; i++) {
      const f = this.files[i]!
      if (file !== undefined && f !== file) continue
      try {
        this.#lists[i] = parseBlacklist(readDataFile(f), f)
        changed = true
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err))
        this.#opts.onError?.(e)
        return e
      }
    }
    if (changed) {
      this.#generation++
      this.#opts.onReload?.(this.size)
    }
    return null
  }

  #watch(intervalMs: number): void {
    for (const file of new Set(this.files)) {
      const listener = (cur: Stats, prev: Stats): void => {
        if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size && cur.ino === prev.ino) return
        this.reload(file)
      }
      const watcher = watchFile(file, { interval: intervalMs, persistent: false }, listener)
      this.#watchers.push({ file, listener, watcher })
    }
  }

  /** Stops watching the files. */
  close(): void {
    for (const w of this.#watchers) unwatchFile(w.file, w.listener)
    this.#watchers = []
  }
}
