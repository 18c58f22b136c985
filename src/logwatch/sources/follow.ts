// Follow a growing log file by polling (inotify misses rotations on some file systems and
// network mounts; a stat every `pollMs` costs nothing measurable). Handles:
// - rotation by rename (logrotate default): the inode at the path changes; the rest of the old
//   file is read to its end, then the new file from its start;
// - rotation by truncation (copytruncate): the size drops below our position; read from 0;
// - restart: the position saved for the same inode is resumed, so old lines are not re-counted.
//   A new file with no saved position is read from its end unless `fromStart`.
// Positions only ever point just after a complete line.
import { type FileHandle, open, stat } from 'node:fs/promises'
import { DEFAULT_MAX_LINE_LENGTH, LineSplitter } from '../line-splitter.js'
import type { PositionStore } from './positions.js'

export interface FollowOptions {
  readonly pollMs?: number
  /** Read existing content of a file seen for the first time (default: start at its end). */
  readonly fromStart?: boolean
  readonly maxLineLength?: number
  readonly positions: PositionStore
  readonly onError?: (err: unknown) => void
  /** Told each file (dev, ino) this follower opens (the glob follower uses it to recognise a
   * rotated file that reappears under another name). */
  readonly onOpen?: (dev: number, ino: number) => void
  /** Has another follower already read this file? Then a file that appears at our path by a
   * rename (`messages` rotated to `messages.1` while we follow `messages.1`) is read from its
   * end, not again from its start. */
  readonly seen?: (dev: number, ino: number) => boolean
  /** Is another follower reading this file right now? Then it is not opened yet (tried again
   * at the next poll, once the other follower has read it to its end and let go), so that no
   * line is read twice. */
  readonly busy?: (dev: number, ino: number) => boolean
}

const CHUNK = 1 << 20

export class FileFollower {
  readonly path: string
  readonly #onLine: (line: string) => void
  readonly #opts: FollowOptions
  readonly #buf = Buffer.allocUnsafe(CHUNK)
  #fh: FileHandle | null = null
  #dev = 0
  #ino = 0
  #pos = 0
  #timer: NodeJS.Timeout | null = null
  #busy: Promise<void> | null = null
  #stopped = false

  constructor(path: string, onLine: (line: string) => void, opts: FollowOptions) {
    this.path = path
    this.#onLine = onLine
    this.#opts = opts
  }

  /** (dev, ino) of the file open now, if any. */
  get identity(): { readonly dev: number; readonly ino: number } | null {
    return this.#fh === null ? null : { dev: this.#dev, ino: this.#ino }
  }

  /** Open (if the file exists) and read what is due; then poll until stop(). */
  async start(): Promise<void> {
    await this.poll()
    const every = this.#opts.pollMs ?? 500
    this.#timer = setInterval(() => {
      if (this.#busy === null) void this.poll()
    }, every)
    this.#timer.unref?.()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    if (this.#busy !== null) await this.#busy
    await this.#fh?.close()
    this.#fh = null
  }

  /** One polling step (exposed for tests). */
  poll(): Promise<void> {
    if (this.#busy !== null) return this.#busy
    this.#busy = this.#step()
      .catch((err: unknown) => this.#opts.onError?.(err))
      .finally(() => {
        this.#busy = null
      })
    return this.#busy
  }

  async #step(): Promise<void> {
    if (this.#stopped) return
    let st: Awaited<ReturnType<typeof stat>> | null = null
    try {
      st = await stat(this.path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    if (this.#fh !== null && (st === null || st.ino !== this.#ino || st.dev !== this.#dev)) {
      // rotated by rename (or removed): finish the old file, then switch
      await this.#drain()
      await this.#fh.close()
      this.#fh = null
      if (st === null || this.#opts.busy?.(st.dev, st.ino) === true) return
      await this.#open(st.dev, st.ino, this.#opts.seen?.(st.dev, st.ino) === true ? st.size : 0)
    } else if (this.#fh === null) {
      if (st === null || this.#opts.busy?.(st.dev, st.ino) === true) return
      const saved = this.#opts.positions.get(this.path)
      let pos: number
      if (saved !== undefined && saved.ino === st.ino && saved.dev === st.dev && saved.pos <= st.size)
        pos = saved.pos
      else if (saved !== undefined)
        pos = this.#opts.seen?.(st.dev, st.ino) === true ? st.size : 0 // rotated while we were down
      else pos = this.#opts.fromStart === true ? 0 : st.size
      await this.#open(st.dev, st.ino, pos)
    } else if (st !== null && st.size < this.#pos) {
      // truncated in place (copytruncate)
      this.#pos = 0
      this.#save()
    }
    await this.#drain()
  }

  async #open(dev: number, ino: number, pos: number): Promise<void> {
    this.#fh = await open(this.path, 'r')
    this.#dev = dev
    this.#ino = ino
    this.#pos = pos
    this.#save()
    this.#opts.onOpen?.(dev, ino)
  }

  #save(): void {
    this.#opts.positions.set(this.path, { dev: this.#dev, ino: this.#ino, pos: this.#pos })
  }

  /** Read complete lines from the position to the current end of the open file. */
  async #drain(): Promise<void> {
    const fh = this.#fh
    if (fh === null) return
    const max = this.#opts.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH
    const splitter = new LineSplitter(this.#onLine, max)
    for (;;) {
      const { bytesRead } = await fh.read(this.#buf, 0, CHUNK, this.#pos)
      if (bytesRead === 0) break
      const last = this.#buf.lastIndexOf(10, bytesRead - 1)
      if (last === -1) {
        // no complete line yet; a line longer than the chunk is skipped
        if (bytesRead === CHUNK) this.#pos += bytesRead
        break
      }
      splitter.push(this.#buf.subarray(0, last + 1))
      this.#pos += last + 1
      if (bytesRead < CHUNK) break
    }
    splitter.end()
    this.#save()
  }
}
