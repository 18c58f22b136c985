// Listening sockets from `ss -Hltnup` (iproute2): one line per socket,
//   Netid State Recv-Q Send-Q Local-Address:Port Peer-Address:Port [Process]
// e.g. `tcp LISTEN 0 4096 0.0.0.0:5038 0.0.0.0:* users:(("asterisk",pid=812,fd=14))`.
// Addresses come as `0.0.0.0`, `*`, `[::]`, `[::ffff:127.0.0.1]`, `127.0.0.53%lo`, or (old ss)
// `:::5038`. The process column needs root (or the same user) and may be absent.
import { spawnSync } from 'node:child_process'

export interface Listener {
  readonly proto: string
  readonly address: string
  readonly port: number
  /** process names and pids from the users:(…) column (empty when ss could not see them) */
  readonly processes: ReadonlyArray<{ readonly name: string; readonly pid?: number }>
  /** 1-based line number in the ss output, for evidence */
  readonly line: number
  readonly raw: string
}

export type ListenerScan =
  | { readonly ok: true; readonly command: string; readonly listeners: Listener[] }
  | { readonly ok: false; readonly reason: string }

export const SS_ARGS = ['-Hltnup'] as const

function splitHostPort(s: string): { address: string; port: number } | undefined {
  const i = s.lastIndexOf(':')
  if (i <= 0 && !s.startsWith(':')) return undefined
  const portText = s.slice(i + 1)
  const port = portText === '*' ? 0 : Number(portText)
  if (!Number.isInteger(port)) return undefined
  let address = s.slice(0, i)
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1)
  const pct = address.indexOf('%')
  if (pct !== -1) address = address.slice(0, pct)
  if (address === '' || address === '::') address = address === '' ? '*' : '::'
  return { address, port }
}

/** Parse `ss -Hltnup` (or `ss -ltnup` with its header) output. Unparseable lines are skipped. */
export function parseSs(text: string): Listener[] {
  const out: Listener[] = []
  text.split(/\r?\n/).forEach((raw, i) => {
    const t = raw.trim()
    if (t === '' || /^(Netid|State)\s/.test(t)) return
    const cols = t.split(/\s+/)
    // With both -t and -u ss prints the Netid column first; without it the state comes first.
    const hasNetid = /^(tcp|udp|raw|u_\w+|p_\w+|sctp|mptcp|nl|v_\w+|x_\w+)$/i.test(cols[0] ?? '')
    const base = hasNetid ? 1 : 0
    const proto = hasNetid ? cols[0]!.toLowerCase() : 'tcp'
    const local = cols[base + 3]
    if (!local) return
    const hp = splitHostPort(local)
    if (!hp) return
    const rest = cols.slice(base + 5).join(' ')
    const processes: Array<{ name: string; pid?: number }> = []
    for (const m of rest.matchAll(/\("([^"]*)",pid=(\d+)/g))
      processes.push({ name: m[1]!, pid: Number(m[2]) })
    out.push({ proto, address: hp.address, port: hp.port, processes, line: i + 1, raw: t })
  })
  return out
}

/** Run `ss` (the command may be overridden for tests). A missing `ss` is a skip, not an error. */
export function scanListeners(command = 'ss'): ListenerScan {
  const r = spawnSync(command, [...SS_ARGS], { encoding: 'utf8', timeout: 10_000 })
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code
    return {
      ok: false,
      reason:
        code === 'ENOENT'
          ? '`ss` not found (install iproute2); listening management ports were not checked'
          : `\`ss ${SS_ARGS.join(' ')}\` failed (${r.error.message}); listening ports were not checked`,
    }
  }
  if (r.status !== 0)
    return {
      ok: false,
      reason: `\`ss ${SS_ARGS.join(' ')}\` exited ${r.status}: ${(r.stderr ?? '').trim().split('\n')[0] ?? ''}; listening ports were not checked`,
    }
  return { ok: true, command: `ss ${SS_ARGS.join(' ')}`, listeners: parseSs(r.stdout) }
}

/** Loopback only: 127.0.0.0/8, ::1 and IPv4-mapped loopback. Everything else is "beyond localhost". */
export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase()
  return /^127\./.test(a) || a === '::1' || /^::ffff:127\./.test(a) || a === 'localhost'
}
