// Asterisk Manager Interface (AMI) as a live source: the same security events as the security
// log (main/security_events.c), but structured, so no text in a value can pose as a field
// boundary the way it can in a log line (fail2ban fixture FA28).
//
// Protocol (main/manager.c): on connect the server sends one banner line
// `Asterisk Call Manager/<version>`; after that everything is a block of `Key: Value` lines
// ended by an empty line (CRLF line ends). We send one `Action: Login` with `Events: security`
// (only the security class is streamed), wait for `Response: Success|Error`, then read
// `Event: <Name>` blocks. We send nothing else but `Action: Ping` to notice a dead peer, and
// `Action: Logoff` on stop. A failed login makes Asterisk close the connection.
//
// Bounds: a line longer than maxLineBytes or a block larger than maxBlockBytes (or with more than
// MAX_FIELDS fields) is skipped and counted, and only its remainder is scanned for the end, so a
// server that never ends a line or a block holds at most maxLineBytes + maxBlockBytes.
import { isIP, connect as netConnect, type Socket } from 'node:net'
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls'
import { ErrorCodes, SgwError } from '../../errors.js'
import { account } from '../formats/common.js'
import { SECURITY_EVENTS, securityAddress } from '../formats/asterisk.js'
import { AMBIGUOUS, type LineParser, type LogEvent, type ParseResult } from '../types.js'
import type { LogWatcher } from '../watcher.js'

/** One block: its `Key: Value` fields in order (keys as sent). */
export type AmiBlock = readonly (readonly [string, string])[]

export const AMI_BANNER = 'Asterisk Call Manager/'
const MAX_FIELDS = 256
const LOGIN_ID = 'sipwarden-login'

/** The first value of `key` (keys compare case-insensitively, as Asterisk's astman_get_header). */
export function amiField(block: AmiBlock, key: string): string | undefined {
  const k = key.toLowerCase()
  for (const [name, value] of block) if (name.toLowerCase() === k) return value
  return undefined
}

function fieldCount(block: AmiBlock, key: string): number {
  const k = key.toLowerCase()
  let n = 0
  for (const [name] of block) if (name.toLowerCase() === k) n++
  return n
}

/**
 * A security event block as a LogEvent: the event name picks the kind (the security log's
 * table), `RemoteAddress` is the source, `AccountID` the account. Only `RemoteAddress` is read
 * for the address: one in a SessionID or AccountID value is just text. A block with two
 * `RemoteAddress` fields (a value that smuggled in a line break) is AMBIGUOUS, never attributed.
 * The time is `now()`: the event has just happened, and the PBX's clock may differ from ours.
 */
export function amiSecurityEvent(block: AmiBlock, now: number, challenges = false): ParseResult {
  const name = amiField(block, 'Event')
  if (name === undefined) return null
  const kind = SECURITY_EVENTS.get(name)
  if (kind === undefined || (kind === 'challenge' && !challenges)) return null
  const remotes = fieldCount(block, 'RemoteAddress')
  if (remotes === 0) return null
  if (remotes > 1 || fieldCount(block, 'Event') > 1) return AMBIGUOUS
  const remote = amiField(block, 'RemoteAddress')!
  const ip = securityAddress(remote, 0, remote.length)
  if (ip === null) return null
  const acc = amiField(block, 'AccountID')
  return {
    kind,
    ip,
    time: now,
    account: acc === undefined ? undefined : account(acc, 0, acc.length),
    what: `ami:${name}`,
    weight: 1,
  }
}

export interface AmiReaderOptions {
  readonly maxLineBytes: number
  readonly maxBlockBytes: number
  readonly onBanner: (line: string) => void
  readonly onBlock: (block: AmiBlock) => void
}

/** Incremental, bounded reader of the manager protocol: banner line, then blocks. */
export class AmiReader {
  /** lines skipped for being longer than maxLineBytes */
  oversizedLines = 0
  /** blocks skipped for being larger than maxBlockBytes, having too many fields, or a long line */
  oversizedBlocks = 0
  readonly #o: AmiReaderOptions
  #partial: Buffer[] = []
  #partialBytes = 0
  #skipLine = false
  #banner = true
  #fields: [string, string][] = []
  #blockBytes = 0
  #skipBlock = false

  constructor(o: AmiReaderOptions) {
    this.#o = o
  }

  /** Bytes held for an unfinished line and block. */
  get bufferedBytes(): number {
    return this.#partialBytes + this.#blockBytes
  }

  /** Forget everything (a new connection): the next line is a banner. */
  reset(): void {
    this.#partial = []
    this.#partialBytes = 0
    this.#skipLine = false
    this.#banner = true
    this.#fields = []
    this.#blockBytes = 0
    this.#skipBlock = false
  }

  push(chunk: Buffer): void {
    let from = 0
    for (;;) {
      const nl = chunk.indexOf(10, from)
      if (nl === -1) break
      if (this.#skipLine) {
        this.#skipLine = false
      } else if (this.#partialBytes === 0) {
        this.#line(chunk, from, nl)
      } else if (this.#partialBytes + (nl - from) > this.#o.maxLineBytes) {
        this.#tooLong()
        this.#skipLine = false
      } else {
        this.#partial.push(chunk.subarray(from, nl))
        const whole = Buffer.concat(this.#partial)
        this.#partial = []
        this.#partialBytes = 0
        this.#line(whole, 0, whole.length)
      }
      from = nl + 1
    }
    if (from < chunk.length && !this.#skipLine) {
      const rest = chunk.length - from
      if (this.#partialBytes + rest > this.#o.maxLineBytes) {
        this.#tooLong()
        this.#skipLine = true
      } else {
        // copy: a subarray would pin the whole socket chunk
        this.#partial.push(Buffer.from(chunk.subarray(from)))
        this.#partialBytes += rest
      }
    }
  }

  #tooLong(): void {
    this.oversizedLines++
    this.#partial = []
    this.#partialBytes = 0
    this.#dropBlock()
  }

  #dropBlock(): void {
    this.#skipBlock = true
    this.#fields = []
    this.#blockBytes = 0
  }

  #line(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === 13) end--
    if (end - start > this.#o.maxLineBytes) {
      this.oversizedLines++
      this.#dropBlock()
      return
    }
    if (this.#banner) {
      this.#banner = false
      this.#o.onBanner(buf.toString('utf8', start, end))
      return
    }
    if (end === start) {
      const fields = this.#fields
      const skipped = this.#skipBlock
      this.#fields = []
      this.#blockBytes = 0
      this.#skipBlock = false
      if (skipped) this.oversizedBlocks++
      else if (fields.length > 0) this.#o.onBlock(fields)
      return
    }
    if (this.#skipBlock) return
    this.#blockBytes += end - start
    if (this.#blockBytes > this.#o.maxBlockBytes || this.#fields.length >= MAX_FIELDS) {
      this.#dropBlock()
      return
    }
    const text = buf.toString('utf8', start, end)
    const colon = text.indexOf(':')
    if (colon <= 0) return
    const value = text.charCodeAt(colon + 1) === 32 ? text.slice(colon + 2) : text.slice(colon + 1)
    this.#fields.push([text.slice(0, colon), value])
  }
}

export interface AmiSourceOptions {
  readonly host: string
  readonly port: number
  readonly username: string
  readonly secret: string
  readonly tls?: boolean | undefined
  /** extra TLS options, e.g. the CA of a private certificate (verification stays on) */
  readonly tlsOptions?: ConnectionOptions | undefined
  /** every security event: a LogEvent, or AMBIGUOUS */
  readonly onEvent: (r: LogEvent | typeof AMBIGUOUS) => void
  /** connection news and failures, each kind at most once per logEveryMs; never the secret */
  readonly onLog?: ((level: 'info' | 'warn', message: string) => void) | undefined
  /** report ChallengeSent events (no default rule counts them) */
  readonly challenges?: boolean | undefined
  /** reconnect delay after a drop or a failed login: doubles from min to max (1 s .. 60 s) */
  readonly minBackoffMs?: number | undefined
  readonly maxBackoffMs?: number | undefined
  /** connect + banner + login must finish within this (10 s) */
  readonly loginTimeoutMs?: number | undefined
  /** `Action: Ping` this often when idle, and give up after 2 silent periods (30 s; 0: never) */
  readonly pingMs?: number | undefined
  readonly maxLineBytes?: number | undefined
  readonly maxBlockBytes?: number | undefined
  readonly logEveryMs?: number | undefined
  readonly now?: (() => number) | undefined
}

export interface AmiStats {
  /** connection attempts */
  connects: number
  logins: number
  loginFailures: number
  /** blocks read after login */
  blocks: number
  events: number
  ambiguous: number
  oversizedLines: number
  oversizedBlocks: number
}

/** Manager text from the server, made safe to log: one line, printable, capped. */
function clean(s: string): string {
  const t = s.replace(/[\x00-\x1f\x7f]/g, ' ').trim()
  return t.length > 200 ? `${t.slice(0, 200)}…` : t
}

/**
 * A client of one AMI server: logs in, turns security events into LogEvents, reconnects with
 * backoff. `start()` once; `stop()` logs off and closes.
 */
export class AmiSource {
  readonly #o: AmiSourceOptions
  readonly #reader: AmiReader
  readonly #now: () => number
  readonly #minBackoff: number
  readonly #maxBackoff: number
  readonly #stats: Omit<AmiStats, 'oversizedLines' | 'oversizedBlocks'> = {
    connects: 0,
    logins: 0,
    loginFailures: 0,
    blocks: 0,
    events: 0,
    ambiguous: 0,
  }
  #backoff: number
  #socket: Socket | null = null
  #state: 'idle' | 'banner' | 'login' | 'ready' = 'idle'
  /** why the current connection is being closed (logged on close) */
  #reason: string | null = null
  #loginFailed = false
  #reconnect: NodeJS.Timeout | null = null
  #deadline: NodeJS.Timeout | null = null
  #ping: NodeJS.Timeout | null = null
  #lastData = 0
  #pings = 0
  #stopped = false
  #closed: (() => void) | null = null
  readonly #logged = new Map<string, number>()

  constructor(o: AmiSourceOptions) {
    // a line break would let the value add headers to the Login action
    if (/[\r\n]/.test(o.username) || /[\r\n]/.test(o.secret))
      throw new SgwError(ErrorCodes.LOGWATCH_SOURCE, 'the AMI username and secret must be one line each')
    this.#o = o
    this.#now = o.now ?? Date.now
    this.#minBackoff = o.minBackoffMs ?? 1000
    this.#maxBackoff = Math.max(o.maxBackoffMs ?? 60_000, this.#minBackoff)
    this.#backoff = this.#minBackoff
    this.#reader = new AmiReader({
      maxLineBytes: o.maxLineBytes ?? 16 * 1024,
      maxBlockBytes: o.maxBlockBytes ?? 64 * 1024,
      onBanner: (line) => this.#banner(line),
      onBlock: (block) => this.#block(block),
    })
  }

  /** `host:port` as a user would write it */
  get address(): string {
    return isIP(this.#o.host) === 6 ? `[${this.#o.host}]:${this.#o.port}` : `${this.#o.host}:${this.#o.port}`
  }

  get stats(): AmiStats {
    return {
      ...this.#stats,
      oversizedLines: this.#reader.oversizedLines,
      oversizedBlocks: this.#reader.oversizedBlocks,
    }
  }

  /** Logged in and receiving events. */
  get connected(): boolean {
    return this.#state === 'ready'
  }

  /** Bytes held for an unfinished line and block (bounded by maxLineBytes + maxBlockBytes). */
  get bufferedBytes(): number {
    return this.#reader.bufferedBytes
  }

  start(): void {
    if (this.#stopped || this.#socket !== null || this.#reconnect !== null) return
    this.#connect()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#reconnect !== null) clearTimeout(this.#reconnect)
    this.#reconnect = null
    const s = this.#socket
    if (s === null) return
    const closed = new Promise<void>((resolve) => {
      this.#closed = resolve
    })
    if (this.#state === 'ready') s.end('Action: Logoff\r\nActionID: sipwarden-logoff\r\n\r\n')
    else s.destroy()
    const force = setTimeout(() => s.destroy(), 1000)
    await closed
    clearTimeout(force)
  }

  #log(key: string, level: 'info' | 'warn', message: string): void {
    const now = this.#now()
    const last = this.#logged.get(key)
    if (last !== undefined && now - last < (this.#o.logEveryMs ?? 60_000)) return
    this.#logged.set(key, now)
    this.#o.onLog?.(level, message)
  }

  #connect(): void {
    this.#reconnect = null
    this.#stats.connects++
    this.#reader.reset()
    this.#state = 'banner'
    this.#reason = null
    this.#loginFailed = false
    const { host, port } = this.#o
    const s: Socket =
      this.#o.tls === true
        ? tlsConnect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...this.#o.tlsOptions })
        : netConnect({ host, port })
    this.#socket = s
    s.setNoDelay(true)
    s.setKeepAlive(true, 30_000)
    this.#deadline = setTimeout(() => this.#drop('no login answer in time'), this.#o.loginTimeoutMs ?? 10_000)
    s.on('data', (b: Buffer) => {
      this.#lastData = this.#now()
      this.#pings = 0
      if (this.#socket === s) this.#reader.push(b)
    })
    s.on('error', (err) => {
      this.#reason ??= err.message
    })
    s.on('close', () => this.#onClose(s))
  }

  /** Close the current connection; the close handler reconnects. */
  #drop(reason: string): void {
    this.#reason ??= reason
    this.#socket?.destroy()
  }

  #banner(line: string): void {
    if (!line.startsWith(AMI_BANNER)) {
      this.#drop(`not an Asterisk manager interface (it says '${clean(line)}')`)
      return
    }
    this.#state = 'login'
    const { username, secret } = this.#o
    this.#socket?.write(
      `Action: Login\r\nActionID: ${LOGIN_ID}\r\nUsername: ${username}\r\nSecret: ${secret}\r\nEvents: security\r\n\r\n`,
    )
  }

  #block(block: AmiBlock): void {
    if (this.#state === 'login') {
      const response = amiField(block, 'Response')
      if (response === undefined) return
      const id = amiField(block, 'ActionID')
      if (id !== undefined && id !== LOGIN_ID) return
      if (response.toLowerCase() === 'success') {
        this.#loggedIn()
      } else {
        this.#stats.loginFailures++
        this.#loginFailed = true
        const why = clean(amiField(block, 'Message') ?? response)
        this.#log(
          'login',
          'warn',
          `AMI login to ${this.address} as '${clean(this.#o.username)}' failed: ${why} (retrying with backoff)`,
        )
        this.#drop('login refused')
      }
      return
    }
    if (this.#state !== 'ready') return
    this.#stats.blocks++
    const r = amiSecurityEvent(block, this.#now(), this.#o.challenges === true)
    if (r === null) return
    if (r === AMBIGUOUS) this.#stats.ambiguous++
    else this.#stats.events++
    this.#o.onEvent(r)
  }

  #loggedIn(): void {
    this.#state = 'ready'
    this.#stats.logins++
    this.#backoff = this.#minBackoff
    if (this.#deadline !== null) clearTimeout(this.#deadline)
    this.#deadline = null
    this.#log('up', 'info', `AMI connected to ${this.address}: following security events`)
    const every = this.#o.pingMs ?? 30_000
    if (every > 0) {
      this.#lastData = this.#now()
      this.#ping = setInterval(() => {
        if (this.#now() - this.#lastData < every) return
        if (++this.#pings > 2) return this.#drop('no answer to Ping')
        this.#socket?.write(`Action: Ping\r\nActionID: sipwarden-ping\r\n\r\n`)
      }, every)
    }
  }

  #onClose(s: Socket): void {
    if (this.#socket !== s) return
    this.#socket = null
    const was = this.#state
    this.#state = 'idle'
    if (this.#deadline !== null) clearTimeout(this.#deadline)
    if (this.#ping !== null) clearInterval(this.#ping)
    this.#deadline = null
    this.#ping = null
    this.#reader.reset()
    if (this.#stopped) {
      this.#closed?.()
      return
    }
    const delay = this.#backoff
    this.#backoff = Math.min(this.#backoff * 2, this.#maxBackoff)
    const secs = `${(delay / 1000).toFixed(delay < 1000 ? 1 : 0)} s`
    if (!this.#loginFailed) {
      const reason = clean(this.#reason ?? 'closed by the server')
      if (was === 'ready')
        this.#log(
          'down',
          'warn',
          `AMI connection to ${this.address} lost: ${reason}; reconnecting in ${secs}`,
        )
      else this.#log('connect', 'warn', `cannot reach AMI at ${this.address}: ${reason}; retrying in ${secs}`)
    }
    this.#reconnect = setTimeout(() => this.#connect(), delay)
  }
}

/**
 * Lets a LogWatcher take AMI events as it takes log lines, so counters, detector and ban sink
 * are the ones the file sources use: `new LogWatcher(feed, …)`, then `feed.push(watcher, r)`.
 */
export class AmiEventFeed implements LineParser {
  readonly format = 'asterisk-security' as const
  #next: ParseResult = null

  parse(): ParseResult {
    const r = this.#next
    this.#next = null
    return r
  }

  push(watcher: LogWatcher, r: ParseResult): void {
    this.#next = r
    watcher.line('')
  }
}
