// Read positions of followed files, remembered across restarts so that old lines are not
// counted twice. One small JSON file, rewritten atomically (temp file + rename).
import { readFileSync } from 'node:fs'
import { rename, writeFile } from 'node:fs/promises'

export interface Position {
  readonly dev: number
  readonly ino: number
  /** byte offset just after the last complete line consumed */
  readonly pos: number
}

export class PositionStore {
  readonly path: string | null
  readonly #map: Map<string, Position>
  #dirty = false
  #writing: Promise<void> | null = null

  /** `path` null: positions are kept in memory only. */
  constructor(path: string | null) {
    this.path = path
    this.#map = new Map()
    if (path === null) return
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch {
      return // first start
    }
    try {
      const obj = JSON.parse(text) as Record<string, Position>
      for (const [k, v] of Object.entries(obj)) {
        if (Number.isSafeInteger(v?.pos) && Number.isSafeInteger(v?.ino) && Number.isSafeInteger(v?.dev))
          this.#map.set(k, { dev: v.dev, ino: v.ino, pos: v.pos })
      }
    } catch {
      // a damaged file is not fatal: files are then read from their end, as on a first start
    }
  }

  get(file: string): Position | undefined {
    return this.#map.get(file)
  }

  /** Is a position saved for this file (dev, ino) under any path? */
  hasFile(dev: number, ino: number): boolean {
    for (const p of this.#map.values()) if (p.dev === dev && p.ino === ino) return true
    return false
  }

  set(file: string, p: Position): void {
    this.#map.set(file, p)
    this.#dirty = true
  }

  /** Write if anything changed since the last write. */
  async save(): Promise<void> {
    if (this.path === null || !this.#dirty) return
    if (this.#writing !== null) await this.#writing
    this.#dirty = false
    const tmp = `${this.path}.tmp`
    const body = `${JSON.stringify(Object.fromEntries(this.#map))}\n`
    const path = this.path
    this.#writing = writeFile(tmp, body, { mode: 0o600 })
      .then(() => rename(tmp, path))
      .finally(() => {
        this.#writing = null
      })
    await this.#writing
  }
}
