// Helpers for the gateway tests: free ports, an in-process gateway with captured events, UDP
// test peers, and child processes that are always killed.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createSocket, type Socket } from 'node:dgram'
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { parsePolicy } from '../../src/config/load.js'
import { createEventBus } from '../../src/events/bus.js'
import type { SecurityEvent } from '../../src/events/event.js'
import type { BuildOptions } from '../../src/pipeline/compile.js'
import { buildStages } from '../../src/pipeline/compile.js'
import { Gateway } from '../../src/proxy/gateway.js'
import { createMemoryStore } from '../../src/state/memory.js'
import type { Store, SyncStore } from '../../src/state/store.js'

/** A free UDP port on host (ephemeral range, outside the default RTP range 10000-20000). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = createSocket('udp4')
  await new Promise<void>((r) => s.bind(0, host, () => r()))
  const p = s.address().port
  await new Promise<void>((r) => s.close(() => r()))
  return p
}

export function have(binary: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, binary)))
}

export interface TestGateway {
  readonly gw: Gateway
  readonly store: SyncStore
  readonly events: SecurityEvent[]
  readonly port: number
  readonly host: string
  stop(): Promise<void>
}

export async function startGateway(opts: {
  upstream?: string
  host?: string
  policy?: Record<string, unknown>
  build?: BuildOptions
  /** also listen on tcp, same address and port */
  tcp?: boolean
  /** also listen on tls, same address and port (the policy needs its tls section) */
  tls?: boolean
  /** the gateway's clock (timeouts without waiting) */
  now?: () => number
  /** the gateway sees the store through promises, as with Redis (TestGateway.store stays sync) */
  asyncStore?: boolean
}): Promise<TestGateway> {
  const host = opts.host ?? '127.0.0.1'
  const port = await freePort(host)
  const doc = {
    version: 1,
    ...(opts.policy ?? {}),
    ...(opts.upstream !== undefined ? { upstream: opts.upstream } : {}),
    listen: [
      `udp:${host}:${port}`,
      ...(opts.tcp === true ? [`tcp:${host}:${port}`] : []),
      ...(opts.tls === true ? [`tls:${host}:${port}`] : []),
    ],
  }
  const policy = parsePolicy(JSON.stringify(doc), '<test>', { env: {} })
  const store = createMemoryStore({ sweepIntervalMs: 0 })
  const bus = createEventBus()
  const events: SecurityEvent[] = []
  bus.subscribe((e) => {
    events.push(e)
  })
  const logger = pino({ level: 'silent' })
  const gw = new Gateway({
    policy,
    store: opts.asyncStore === true ? asAsync(store) : store,
    bus,
    logger,
    ...(opts.build !== undefined ? { stages: (d) => buildStages(d, opts.build) } : {}),
    ...(opts.now !== undefined ? { now: opts.now } : {}),
  })
  await gw.start()
  return {
    gw,
    store,
    events,
    port,
    host,
    async stop() {
      await gw.stop()
      store.close()
    },
  }
}

/** The store seen through promises resolved on a later turn, as the Redis adapter answers;
 * isBanned (required synchronous) and onBanChange stay as they are. */
export function asAsync(store: SyncStore): Store {
  const immediate = new Set(['isBanned', 'onBanChange', 'close', 'sweep', 'stats'])
  return new Proxy(store, {
    get(target, key, receiver) {
      const v: unknown = Reflect.get(target, key, receiver)
      if (typeof v !== 'function') return v
      const f = v as (...a: unknown[]) => unknown
      if (immediate.has(String(key))) return f.bind(target)
      return (...args: unknown[]) =>
        new Promise((resolve, reject) =>
          setImmediate(() => {
            try {
              resolve(f.apply(target, args))
            } catch (err) {
              reject(err instanceof Error ? err : new Error(String(err)))
            }
          }),
        )
    },
  }) as unknown as Store
}

/** A UDP peer that records what it receives. */
export class UdpPeer {
  readonly socket: Socket
  readonly received: { text: string; address: string; port: number }[] = []
  #waiters: (() => void)[] = []
  port = 0
  onMessage: ((text: string, address: string, port: number) => void) | null = null

  constructor(readonly host = '127.0.0.1') {
    this.socket = createSocket('udp4')
    this.socket.on('message', (b, r) => {
      const text = b.toString('latin1')
      this.received.push({ text, address: r.address, port: r.port })
      this.onMessage?.(text, r.address, r.port)
      for (const w of this.#waiters.splice(0)) w()
    })
  }

  async bind(port = 0): Promise<this> {
    await new Promise<void>((r) => this.socket.bind(port, this.host, () => r()))
    this.port = this.socket.address().port
    return this
  }

  send(text: string, port: number, host = '127.0.0.1'): void {
    this.socket.send(Buffer.from(text, 'latin1'), port, host)
  }

  /** Waits until `pred` matches a received message (or the timeout: null). */
  async waitFor(pred: (text: string) => boolean, timeoutMs = 2000): Promise<string | null> {
    const end = Date.now() + timeoutMs
    for (;;) {
      const hit = this.received.find((m) => pred(m.text))
      if (hit !== undefined) return hit.text
      const left = end - Date.now()
      if (left <= 0) return null
      await new Promise<void>((r) => {
        const t = setTimeout(r, left)
        this.#waiters.push(() => {
          clearTimeout(t)
          r()
        })
      })
    }
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()))
  }
}

/** Child processes started by a test; killAll() in after(), even on failure. */
export class Peers {
  readonly #children: ChildProcess[] = []

  start(
    cmd: string,
    args: readonly string[],
    opts: { cwd?: string } = {},
  ): ChildProcess & { output: () => string } {
    // own process group: killAll() ends the peer and every process it forked (Kamailio's children)
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let out = ''
    const keep = (b: Buffer): void => {
      if (out.length < 200_000) out += b.toString()
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    this.#children.push(child)
    return Object.assign(child, { output: () => out })
  }

  /** Runs to completion (killed after timeoutMs); resolves with the exit code and output. */
  run(
    cmd: string,
    args: readonly string[],
    timeoutMs: number,
    opts: { cwd?: string } = {},
  ): Promise<{ code: number | null; output: string }> {
    const child = this.start(cmd, args, opts)
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
      }, timeoutMs)
      // 'close', not 'exit': the output pipes are drained by then (SIPp prints its stats last)
      child.on('close', (code) => {
        clearTimeout(t)
        resolve({ code, output: child.output() })
      })
    })
  }

  killAll(): void {
    for (const c of this.#children) {
      if (c.pid === undefined) continue
      try {
        process.kill(-c.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** A minimal SIP request for tests. */
export function request(
  method: string,
  opts: {
    user?: string
    port: number
    host?: string
    branch?: string
    callId?: string
    tag?: string
    extra?: string[]
    maxForwards?: number
    ua?: string
    cseq?: number
  },
): string {
  const host = opts.host ?? '127.0.0.1'
  const user = opts.user ?? 'alice'
  const lines = [
    `${method} sip:${user}@${host} SIP/2.0`,
    `Via: SIP/2.0/UDP ${host}:${opts.port};branch=${opts.branch ?? `z9hG4bK${Math.random().toString(36).slice(2)}`};rport`,
    `Max-Forwards: ${opts.maxForwards ?? 70}`,
    `From: <sip:${user}@${host}>;tag=${opts.tag ?? Math.random().toString(36).slice(2)}`,
    `To: <sip:${user}@${host}>`,
    `Call-ID: ${opts.callId ?? `${Math.random().toString(36).slice(2)}@test`}`,
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    `Contact: <sip:${user}@${host}:${opts.port}>`,
    `User-Agent: ${opts.ua ?? 'test-phone/1.0'}`,
    ...(opts.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ]
  return lines.join('\r\n')
}

/** A response to `req` (text) from a test upstream. */
export function answer(req: string, status: number, reason: string, extra: string[] = []): string {
  const lines = req.split('\r\n')
  const keep = lines.filter((l) => /^(via|from|to|call-id|cseq):/i.test(l))
  return [
    `SIP/2.0 ${status} ${reason}`,
    ...keep.map((l) => (/^to:/i.test(l) && status > 100 && !/;tag=/.test(l) ? `${l};tag=up1` : l)),
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n')
}

export function runSync(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 })
  return `${r.stdout}${r.stderr}`
}

/** A throwaway self-signed certificate for 127.0.0.1 / localhost, made with the openssl CLI in
 * `dir` (never committed). */
export function makeCertificate(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { encoding: 'utf8', timeout: 10_000 },
  )
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`)
  return { certFile, keyFile }
}

/** One side of a TCP or TLS connection that records the SIP messages it receives (split on the
 * blank line and Content-Length). */
export class StreamPeer {
  readonly received: string[] = []
  #buf = ''
  #waiters: (() => void)[] = []
  closed = false
  onMessage: ((text: string) => void) | null = null

  constructor(readonly socket: import('node:net').Socket) {
    socket.on('data', (b: Buffer) => {
      this.#buf += b.toString('latin1')
      for (;;) {
        const end = this.#buf.indexOf('\r\n\r\n')
        if (end < 0) break
        const head = this.#buf.slice(0, end)
        const cl = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0)
        if (this.#buf.length < end + 4 + cl) break
        const text = this.#buf.slice(0, end + 4 + cl).replace(/^(\r\n)+/, '')
        this.#buf = this.#buf.slice(end + 4 + cl)
        if (text === '') continue
        this.received.push(text)
        this.onMessage?.(text)
      }
      for (const w of this.#waiters.splice(0)) w()
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      this.closed = true
      for (const w of this.#waiters.splice(0)) w()
    })
  }

  send(text: string): void {
    this.socket.write(Buffer.from(text, 'latin1'))
  }

  async waitFor(pred: (text: string) => boolean, timeoutMs = 2000): Promise<string | null> {
    const end = Date.now() + timeoutMs
    for (;;) {
      const hit = this.received.find(pred)
      if (hit !== undefined) return hit
      const left = end - Date.now()
      if (left <= 0 || this.closed) return null
      await new Promise<void>((r) => {
        const t = setTimeout(r, left)
        this.#waiters.push(() => {
          clearTimeout(t)
          r()
        })
      })
    }
  }

  close(): void {
    this.socket.destroy()
  }
}

/** test/fixtures/gateway (tests run from dist/test/gateway; fixtures stay in the source tree) */
export const GATEWAY_FIXTURES = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../test/fixtures/gateway',
)

/**
 * Kamailio as the registrar behind the gateway (test/fixtures/gateway/kamailio.cfg, subscribers
 * in db/), on `host` and a free port, with its database copied into `dir`. Resolves with the
 * port once it answers OPTIONS.
 */
export async function startKamailio(
  peers: Peers,
  dir: string,
  host = '127.0.0.2',
  /** a configuration of test/fixtures/gateway (the leaky one: kamailio-leaky.cfg) */
  config = 'kamailio.cfg',
): Promise<number> {
  const port = await freePort(host)
  cpSync(join(GATEWAY_FIXTURES, 'db'), join(dir, 'db'), { recursive: true })
  const cfg = readFileSync(join(GATEWAY_FIXTURES, config), 'utf8')
    .replace('listen=udp:127.0.0.1:KAM_PORT', `listen=udp:${host}:${port}`)
    .replace('text://DB_DIR', `text://${join(dir, 'db')}`)
  writeFileSync(join(dir, 'kamailio.cfg'), cfg)
  const k = peers.start('kamailio', [
    '-f',
    join(dir, 'kamailio.cfg'),
    '-DD',
    '-E',
    '-m',
    '256',
    '-Y',
    join(dir, 'run'),
  ])
  const probe = await new UdpPeer('127.0.0.1').bind()
  try {
    for (let i = 0; i < 50; i++) {
      probe.send(request('OPTIONS', { port: probe.port, callId: `ready${i}@t` }), port, host)
      if (await probe.waitFor((t) => t.startsWith('SIP/2.0 200'), 200)) return port
      if (k.exitCode !== null) break
    }
  } finally {
    await probe.close()
  }
  throw new Error(`kamailio did not start:\n${k.output().slice(0, 3000)}`)
}
