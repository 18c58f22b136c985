// Latency probe for bench/gateway: places calls one after another (INVITE, 200, ACK, BYE, 200)
// and times INVITE → 200 and BYE → 200 with process.hrtime (SIPp's response times have a
// resolution of 1 ms, too coarse on loopback). Run while SIPp carries the moderate load, so the
// figures are latencies under that load. Bounded: `calls` calls, each given up after 2 s.
import { createSocket, type Socket } from 'node:dgram'

export interface ProbeResult {
  /** INVITE sent → 200 received, microseconds, one per completed call */
  readonly setupUs: number[]
  /** BYE sent → 200 received, microseconds */
  readonly byeUs: number[]
  readonly failed: number
}

interface Waiter {
  readonly callId: string
  readonly method: string
  resolve(text: string | null): void
}

function header(text: string, name: string): string[] {
  const re = new RegExp(`^${name}:[ \\t]*(.*)$`, 'gim')
  return [...text.matchAll(re)].map((m) => m[1]!.trim())
}

function send(sock: Socket, text: string, port: number, host: string): void {
  sock.send(Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1'), port, host)
}

export async function probeCalls(opts: {
  host: string
  port: number
  localHost: string
  calls: number
  gapMs: number
}): Promise<ProbeResult> {
  const sock = createSocket('udp4')
  const waiters = new Set<Waiter>()
  sock.on('message', (buf) => {
    const text = buf.toString('latin1')
    const status = /^SIP\/2\.0 (\d{3})/.exec(text)
    if (status === null || status[1] !== '200') return
    const callId = header(text, '(?:call-id|i)')[0]
    const method = /^CSeq:\s*\d+\s+(\w+)/im.exec(text)?.[1]
    for (const w of waiters)
      if (w.callId === callId && w.method === method) {
        waiters.delete(w)
        w.resolve(text)
      }
  })
  await new Promise<void>((r) => sock.bind(0, opts.localHost, () => r()))
  const lport = sock.address().port
  const local = `${opts.localHost}:${lport}`
  const target = `${opts.host}:${opts.port}`
  const wait = (callId: string, method: string, resend: () => void) =>
    new Promise<string | null>((resolve) => {
      const retrans = setInterval(resend, 500)
      const timer = setTimeout(() => {
        waiters.delete(w)
        w.resolve(null)
      }, 2000)
      const w: Waiter = {
        callId,
        method,
        resolve: (t) => {
          clearTimeout(timer)
          clearInterval(retrans)
          resolve(t)
        },
      }
      waiters.add(w)
    })
  // Call-IDs, tags and branches unique per run: the UAS remembers the calls of earlier runs
  const run = `${process.pid.toString(36)}${Math.floor(Math.random() * 2 ** 32).toString(36)}`
  const setupUs: number[] = []
  const byeUs: number[] = []
  let failed = 0
  for (let i = 0; i < opts.calls; i++) {
    const callId = `probe-${run}-${i}@${opts.localHost}`
    const tag = `pr${run}${i}`
    const from = `From: "Probe" <sip:1002@${local}>;tag=${tag}`
    const invite = [
      `INVITE sip:service@${target} SIP/2.0`,
      `Via: SIP/2.0/UDP ${local};branch=z9hG4bKpi${i}p${run};rport`,
      from,
      `To: <sip:service@${target}>`,
      `Call-ID: ${callId}`,
      'CSeq: 1 INVITE',
      `Contact: <sip:1002@${local}>`,
      'Max-Forwards: 70',
      'User-Agent: Yealink SIP-T46U 108.86.0.20',
      'Content-Type: application/sdp',
    ]
    const sdp = `v=0\no=1002 1 1 IN IP4 ${opts.localHost}\ns=-\nc=IN IP4 ${opts.localHost}\nt=0 0\nm=audio 6000 RTP/AVP 0\n`
    const inviteText = `${invite.join('\n')}\nContent-Length: ${sdp.replace(/\n/g, '\r\n').length}\n\n${sdp}`
    const t0 = process.hrtime.bigint()
    send(sock, inviteText, opts.port, opts.host)
    const ok = await wait(callId, 'INVITE', () => send(sock, inviteText, opts.port, opts.host))
    const t1 = process.hrtime.bigint()
    if (ok === null) {
      failed++
      continue
    }
    setupUs.push(Number(t1 - t0) / 1000)
    const to = header(ok, '(?:to|t)')[0] ?? ''
    const contact = /<([^>]+)>/.exec(header(ok, '(?:contact|m)')[0] ?? '')?.[1] ?? `sip:service@${target}`
    // the route set of a UAC is the Record-Route of the 2xx, reversed
    const rr = header(ok, 'record-route').flatMap((v) => v.split(/,(?=\s*<)/).map((x) => x.trim()))
    const routes = rr.length > 0 ? [`Route: ${rr.reverse().join(', ')}`] : []
    const inDialog = (method: string, cseq: number, branch: string) =>
      [
        `${method} ${contact} SIP/2.0`,
        `Via: SIP/2.0/UDP ${local};branch=${branch};rport`,
        ...routes,
        from,
        `To: ${to}`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} ${method}`,
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\n')
    send(sock, inDialog('ACK', 1, `z9hG4bKpa${i}p${run}`), opts.port, opts.host)
    const byeText = inDialog('BYE', 2, `z9hG4bKpb${i}p${run}`)
    const b0 = process.hrtime.bigint()
    send(sock, byeText, opts.port, opts.host)
    const byeOk = await wait(callId, 'BYE', () => send(sock, byeText, opts.port, opts.host))
    const b1 = process.hrtime.bigint()
    if (byeOk === null) failed++
    else byeUs.push(Number(b1 - b0) / 1000)
    if (opts.gapMs > 0) await new Promise((r) => setTimeout(r, opts.gapMs))
  }
  sock.close()
  return { setupUs, byeUs, failed }
}

/** The q-quantile (0..1) of the values, nearest rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const s = [...values].sort((a, b) => a - b)
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))
  return s[i]!
}
