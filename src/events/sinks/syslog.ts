// Syslog alert sink: RFC 5424 lines over UDP (one datagram each, RFC 5426), TCP (octet
// counting, RFC 6587) or a local unix socket (/dev/log). Structured data carries the event:
//
//   <82>1 2026-11-22T05:00:00.000Z pbx1 sipwarden 4242 flood.register
//     [sipwarden@32473 action="ban" address="192.0.2.1" account="1001" stage="scanner"] warning: …
//
// 32473 is the private enterprise number RFC 5612 reserves for documentation and examples.
// A unix path is tried as a stream socket first; when it is a datagram socket (systemd's and
// rsyslog's /dev/log are), Node cannot write to it directly and each line is handed to
// util-linux `logger -d -u PATH` instead (the structured data is then lost; alerts are
// rate limited, so the process per line is affordable).

import { execFile } from 'node:child_process'
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { hostname } from 'node:os'
import { connect, isIP, type Socket } from 'node:net'
import type { EventSeverity } from '../event.js'
import {
  type AlertDispatcherOptions,
  type AlertMessage,
  type AlertSink,
  alertLine,
  createAlertDispatcher,
} from './throttle.js'

export const FACILITIES = {
  user: 1,
  daemon: 3,
  auth: 4,
  authpriv: 10,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const
export type Facility = keyof typeof FACILITIES

/** critical → 2 (crit), warning → 4 (warning), info → 6 (informational) */
const SYSLOG_SEVERITY: Readonly<Record<EventSeverity, number>> = { critical: 2, warning: 4, info: 6 }
const LOGGER_SEVERITY: Readonly<Record<EventSeverity, string>> = {
  critical: 'crit',
  warning: 'warning',
  info: 'info',
}
export const SD_ID = 'sipwarden@32473'
/** UDP payloads are cut here (RFC 5426 asks receivers for at least 2048 octets) */
const MAX_UDP = 2048

export interface SyslogFormatOptions {
  readonly facility: Facility
  readonly appName: string
  readonly hostname?: string
  readonly procId?: string
}

/** PRINTUSASCII without the characters RFC 5424 header fields cannot hold; `-` when empty. */
function headerField(s: string, max: number): string {
  const v = s.replace(/[^!-~]/g, '').slice(0, max)
  return v === '' ? '-' : v
}

/** PARAM-VALUE escaping: `"`, `\` and `]` get a backslash; control characters become spaces. */
function paramValue(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/["\\\]]/g, (c) => `\\${c}`)
}

export function formatSyslog(m: AlertMessage, o: SyslogFormatOptions): string {
  const pri = FACILITIES[o.facility] * 8 + SYSLOG_SEVERITY[m.severity]
  const time = new Date(m.kind === 'alert' ? m.event.time : m.until).toISOString()
  const host = headerField(o.hostname ?? hostname(), 255)
  const app = headerField(o.appName, 48)
  const proc = headerField(o.procId ?? String(process.pid), 128)
  const msgId = headerField(m.kind === 'alert' ? m.event.code : 'digest', 32)
  const params: [string, string][] = []
  if (m.kind === 'alert') {
    const e = m.event
    params.push(['action', e.action], ['address', e.address])
    if (e.port !== undefined) params.push(['port', String(e.port)])
    if (e.transport !== undefined) params.push(['transport', e.transport])
    if (e.account !== undefined) params.push(['account', e.account.slice(0, 256)])
    if (e.stage !== undefined) params.push(['stage', e.stage])
    if (e.detail !== undefined) params.push(['detail', JSON.stringify(e.detail).slice(0, 1024)])
  } else {
    params.push(
      ['rateLimited', String(m.rateLimited)],
      ['duplicates', String(m.duplicates)],
      ['dropped', String(m.dropped)],
    )
  }
  const sd = `[${SD_ID} ${params.map(([k, v]) => `${k}="${paramValue(v)}"`).join(' ')}]`

  const msg = alertLine(m).replace(/[\u0000-\u001f\u007f]/g, ' ')
  return `<${pri}>1 ${time} ${host} ${app} ${proc} ${msgId} ${sd} ${msg}`
}

export interface SyslogSinkOptions extends Omit<AlertDispatcherOptions, 'deliver' | 'name' | 'minSeverity'> {
  readonly transport: 'udp' | 'tcp' | 'unix'
  readonly path?: string
  readonly host?: string
  readonly port?: number
  readonly facility?: Facility
  readonly appName?: string
  readonly hostname?: string
  readonly minSeverity?: EventSeverity
  /** connect timeout for tcp and unix; default 5 s */
  readonly timeoutMs?: number
}

interface Writer {
  write(lines: readonly string[], batch: readonly AlertMessage[]): Promise<void>
  close(): void
}

export function createSyslogSink(opts: SyslogSinkOptions): AlertSink {
  const fmt: SyslogFormatOptions = {
    facility: opts.facility ?? 'authpriv',
    appName: opts.appName ?? 'sipwarden',
    ...(opts.hostname !== undefined ? { hostname: opts.hostname } : {}),
  }
  const timeoutMs = opts.timeoutMs ?? 5000
  const writer: Writer =
    opts.transport === 'udp'
      ? udpWriter(opts.host ?? '127.0.0.1', opts.port ?? 514)
      : opts.transport === 'tcp'
        ? streamWriter(
            () => connect({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 514 }),
            timeoutMs,
            true,
          )
        : unixWriter(opts.path ?? '/dev/log', timeoutMs, fmt)
  const sink = createAlertDispatcher({
    maxBatch: 20,
    ...opts,
    name: `syslog:${opts.transport}`,
    minSeverity: opts.minSeverity ?? 'warning',
    deliver: (batch) =>
      writer.write(
        batch.map((m) => formatSyslog(m, fmt)),
        batch,
      ),
  })
  const close = sink.close.bind(sink)
  return Object.assign(sink, {
    close: async () => {
      await close()
      writer.close()
    },
  })
}

function udpWriter(host: string, port: number): Writer {
  let sock: UdpSocket | null = null
  return {
    async write(lines) {
      if (sock === null) {
        sock = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4')
        sock.on('error', () => {})
        sock.unref()
      }
      const s = sock
      for (const line of lines) {
        let buf = Buffer.from(line)
        if (buf.length > MAX_UDP) buf = buf.subarray(0, MAX_UDP)
        await new Promise<void>((resolve, reject) =>
          s.send(buf, port, host, (err) => (err ? reject(err) : resolve())),
        )
      }
    },
    close() {
      sock?.close()
      sock = null
    },
  }
}

/**
 * One connection kept open and re-made after an error. TCP uses octet counting
 * (`LEN SP MSG`); a unix stream socket gets one line per message, newline-terminated.
 */
function streamWriter(open: () => Socket, timeoutMs: number, octetCounting: boolean): Writer {
  let sock: Socket | null = null
  const get = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      if (sock !== null && !sock.destroyed) {
        resolve(sock)
        return
      }
      const s = open()
      const timer = setTimeout(() => s.destroy(new Error('connect timed out')), timeoutMs)
      s.once('connect', () => {
        clearTimeout(timer)
        s.unref()
        s.on('error', () => s.destroy())
        s.on('close', () => {
          if (sock === s) sock = null
        })
        sock = s
        resolve(s)
      })
      s.once('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
    })
  return {
    async write(lines) {
      const s = await get()
      const payload = lines.map((l) => (octetCounting ? `${Buffer.byteLength(l)} ${l}` : `${l}\n`)).join('')
      await new Promise<void>((resolve, reject) =>
        s.write(payload, (err) => {
          if (err) {
            s.destroy()
            reject(err)
          } else resolve()
        }),
      )
    },
    close() {
      sock?.end()
      sock = null
    },
  }
}

function unixWriter(path: string, timeoutMs: number, fmt: SyslogFormatOptions): Writer {
  const stream = streamWriter(() => connect({ path }), timeoutMs, false)
  let datagram = false
  return {
    async write(lines, batch) {
      if (!datagram) {
        try {
          await stream.write(lines, batch)
          return
        } catch (err) {
          // EPROTOTYPE: the socket is SOCK_DGRAM, which node:net cannot talk to
          if ((err as NodeJS.ErrnoException).code !== 'EPROTOTYPE') throw err
          datagram = true
        }
      }
      for (const m of batch) await loggerLine(path, m, fmt, timeoutMs)
    },
    close() {
      stream.close()
    },
  }
}

function loggerLine(
  path: string,
  m: AlertMessage,
  fmt: SyslogFormatOptions,
  timeoutMs: number,
): Promise<void> {
  const args = [
    '-d',
    '-u',
    path,
    '--rfc5424',
    '-p',
    `${fmt.facility}.${LOGGER_SEVERITY[m.severity]}`,
    '-t',
    fmt.appName,
    '--msgid',
    m.kind === 'alert' ? m.event.code.slice(0, 32) : 'digest',
    '--',

    alertLine(m).replace(/[\u0000-\u001f\u007f]/g, ' '),
  ]
  return new Promise((resolve, reject) => {
    execFile('logger', args, { timeout: timeoutMs }, (err) =>
      err ? reject(new Error(`syslog: logger failed: ${err.message.split('\n')[0]}`)) : resolve(),
    )
  })
}
