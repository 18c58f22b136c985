// Glob patterns for log sources (`/var/log/asterisk/messages*`, `/var/log/pbx/*/full`), with a
// small matcher of our own (Node 20 has no fs.glob): `*` (any characters but `/`), `?` (one
// character), `[abc]`, `[a-z]`, `[!a-z]`/`[^a-z]`, and `\` to take the next character literally.
// No `**`, no braces. A pattern is split into path segments; segments before the first one with
// a wildcard are taken as they are, the others are matched against directory listings (a
// leading `.` is only matched by a pattern segment that starts with `.`). The walk is bounded
// (directory entries read, matches returned), follows symbolic links like `open` would, and
// returns regular files only, sorted.
//
// `GlobFollower` follows every file a pattern matches and re-scans it periodically, so files
// that appear later (a new log per day, a PBX started later) are followed too.
import { readdir, stat } from 'node:fs/promises'
import { isAbsolute, join, sep } from 'node:path'
import { ErrorCodes, SgwError } from '../../errors.js'
import type { FileFollower } from './follow.js'

const MAGIC = /(?<!\\)[*?[]/

/** Does the pattern contain a wildcard? */
export function hasMagic(pattern: string): boolean {
  return MAGIC.test(pattern)
}

function escapeRe(c: string): string {
  return /[\\^$.*+?()[\]{}|]/.test(c) ? `\\${c}` : c
}

/** A character inside a class: only these need escaping there. */
function escapeClass(c: string): string {
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c
}

/** One path segment as an anchored regular expression. Throws on nothing: a `[` without its
 * `]` is a literal `[`. */
export function segmentRegExp(seg: string): RegExp {
  let re = ''
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!
    if (c === '\\' && i + 1 < seg.length) {
      re += escapeRe(seg[++i]!)
    } else if (c === '*') {
      re += '[^/]*'
    } else if (c === '?') {
      re += '[^/]'
    } else if (c === '[') {
      const close = seg.indexOf(']', i + 2)
      if (close === -1) {
        re += '\\['
        continue
      }
      let body = seg.slice(i + 1, close)
      let neg = false
      if (body[0] === '!' || body[0] === '^') {
        neg = true
        body = body.slice(1)
      }
      let cls = ''
      for (let k = 0; k < body.length; k++) {
        const b = body[k]!
        cls += b === '-' && k > 0 && k < body.length - 1 ? '-' : escapeClass(b)
      }
      re += neg ? `[^/${cls}]` : `[${cls}]`
      i = close
    } else {
      re += escapeRe(c)
    }
  }
  try {
    return new RegExp(`^${re}$`)
  } catch {
    // e.g. a reversed range [z-a]
    throw new SgwError(ErrorCodes.LOGWATCH_SOURCE, `invalid glob pattern segment '${seg}'`)
  }
}

/** Throws SgwError if a pattern cannot be compiled (checked at start, before following). */
export function checkGlob(pattern: string): void {
  for (const seg of pattern.split(sep)) if (hasMagic(seg)) segmentRegExp(seg)
}

/** `\x` → `x` in a segment without wildcards. */
function unescapeSegment(seg: string): string {
  return seg.replace(/\\(.)/g, '$1')
}

export interface GlobOptions {
  /** most files returned (default 1000) */
  readonly maxMatches?: number
  /** most directory entries read in one expansion (default 100,000) */
  readonly maxEntries?: number
}

/** Regular files matching `pattern`, sorted. A pattern without wildcards gives itself if it is
 * a file. */
export async function expandGlob(pattern: string, opts: GlobOptions = {}): Promise<string[]> {
  const maxMatches = opts.maxMatches ?? 1000
  let budget = opts.maxEntries ?? 100_000
  const abs = isAbsolute(pattern)
  const segs = pattern.split(sep).filter((s, i) => s !== '' || i === 0)
  let firstMagic = segs.findIndex((s) => hasMagic(s))
  if (firstMagic === -1) firstMagic = segs.length
  const base = segs.slice(0, firstMagic).map(unescapeSegment).join(sep) || (abs ? sep : '.')
  const rest = segs.slice(firstMagic)
  const out: string[] = []

  const isFile = async (p: string) => {
    try {
      return (await stat(p)).isFile()
    } catch {
      return false
    }
  }
  const isDir = async (p: string) => {
    try {
      return (await stat(p)).isDirectory()
    } catch {
      return false
    }
  }

  const walk = async (dir: string, i: number): Promise<void> => {
    if (out.length >= maxMatches) return
    if (i === rest.length) {
      if (await isFile(dir)) out.push(dir)
      return
    }
    const seg = rest[i]!
    const last = i === rest.length - 1
    if (!hasMagic(seg)) {
      const next = join(dir, unescapeSegment(seg))
      if (last || (await isDir(next))) await walk(next, i + 1)
      return
    }
    let names: string[]
    try {
      names = await readdir(dir)
    } catch {
      return
    }
    budget -= names.length
    if (budget < 0) return
    const re = segmentRegExp(seg)
    const dot = seg.startsWith('.')
    for (const name of names.sort()) {
      if (out.length >= maxMatches) return
      if (name.startsWith('.') && !dot) continue
      if (!re.test(name)) continue
      const p = join(dir, name)
      if (last) {
        if (await isFile(p)) out.push(p)
      } else if (await isDir(p)) await walk(p, i + 1)
    }
  }

  if (rest.length === 0) return (await isFile(base)) ? [base] : []
  if (!(await isDir(base))) return []
  await walk(base, 0)
  return out.sort()
}

export interface GlobFollowerOptions {
  /** re-scan every this many ms (default 10 s) */
  readonly rescanMs?: number
  /** most files followed for one pattern (default 256) */
  readonly maxFiles?: number
  /**
   * Makes the follower of one matched file. `isNew`: the file appeared after the first scan, so
   * it is read from its start (unless it is a renamed file already followed, see below).
   */
  readonly follow: (path: string, isNew: boolean) => FileFollower
  /** (dev, ino) of files already being read: a rotated `messages` that reappears as
   * `messages.1` under a `messages*` pattern is not read again from its start. */
  readonly known?: (dev: number, ino: number) => boolean
  /** Is a follower reading this file right now (under another name)? Then it is left for a
   * later scan, when that follower has finished it. */
  readonly busy?: (dev: number, ino: number) => boolean
  readonly onError?: (err: unknown) => void
}

/** Follows every file a pattern matches, now and later. */
export class GlobFollower {
  readonly pattern: string
  readonly #opts: GlobFollowerOptions
  readonly #followers = new Map<string, FileFollower>()
  #timer: NodeJS.Timeout | null = null
  #scanning: Promise<void> | null = null
  #started = false
  #stopped = false
  #warnedFull = false

  constructor(pattern: string, opts: GlobFollowerOptions) {
    this.pattern = pattern
    this.#opts = opts
  }

  get files(): string[] {
    return [...this.#followers.keys()]
  }

  async start(): Promise<void> {
    await this.scan()
    this.#started = true
    if (!hasMagic(this.pattern)) return
    this.#timer = setInterval(() => {
      if (this.#scanning === null) void this.scan()
    }, this.#opts.rescanMs ?? 10_000)
    this.#timer.unref?.()
  }

  /** One scan (exposed for tests): follow files that match and are not followed yet. */
  scan(): Promise<void> {
    this.#scanning ??= this.#scan()
      .catch((err: unknown) => this.#opts.onError?.(err))
      .finally(() => {
        this.#scanning = null
      })
    return this.#scanning
  }

  async #scan(): Promise<void> {
    if (this.#stopped) return
    // a plain path is followed even before it exists (the follower waits for it)
    const paths = hasMagic(this.pattern) ? await expandGlob(this.pattern) : [this.pattern]
    const max = this.#opts.maxFiles ?? 256
    for (const p of paths) {
      if (this.#followers.has(p) || this.#stopped) continue
      if (this.#followers.size >= max) {
        if (!this.#warnedFull)
          this.#opts.onError?.(
            new Error(`${this.pattern}: more than ${max} files match; the rest are not followed`),
          )
        this.#warnedFull = true
        break
      }
      let isNew = this.#started
      if (this.#started) {
        let st: Awaited<ReturnType<typeof stat>>
        try {
          st = await stat(p)
        } catch {
          continue
        }
        if (this.#opts.busy?.(st.dev, st.ino) === true) continue
        if (this.#opts.known?.(st.dev, st.ino) === true) isNew = false
      }
      const f = this.#opts.follow(p, isNew)
      this.#followers.set(p, f)
      await f.start()
    }
  }

  /** Is one of this pattern's followers reading this file now? */
  isOpen(dev: number, ino: number): boolean {
    for (const f of this.#followers.values()) {
      const id = f.identity
      if (id !== null && id.dev === dev && id.ino === ino) return true
    }
    return false
  }

  /** Poll every follower once (exposed for tests). */
  async pollAll(): Promise<void> {
    for (const f of this.#followers.values()) await f.poll()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    if (this.#scanning !== null) await this.#scanning
    for (const f of this.#followers.values()) await f.stop()
  }
}
