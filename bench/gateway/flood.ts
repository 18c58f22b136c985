// A bounded UDP flooder for bench/gateway, run as a child process:
//   node dist/bench/gateway/flood.js --from 127.0.0.10 --to 127.0.0.1:5060 --pps 5000 --seconds 10 [--scanner]
// Sends INVITEs (each with its own Call-ID, branch and tag; 256 variants cycled) at about
// --pps for --seconds, then prints one JSON line {sent, received, seconds} and exits. With
// --scanner it first sends one OPTIONS with a scanner User-Agent (SIPVicious' default), which
// both proxies ban, and waits 300 ms. Stops by itself: at most pps × seconds packets.
import { createSocket } from 'node:dgram'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : process.argv[i + 1]
}

function invite(from: string, to: string, i: number): Buffer {
  const branch = `z9hG4bKfl${i.toString(36)}x${process.pid}`
  const text =
    `INVITE sip:900${i % 10}441234567@${to} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP ${from}:5060;branch=${branch};rport\r\n` +
    `From: <sip:${100 + (i % 50)}@${from}>;tag=fl${i}\r\n` +
    `To: <sip:900${i % 10}441234567@${to}>\r\n` +
    `Call-ID: flood-${i}-${process.pid}@${from}\r\n` +
    'CSeq: 1 INVITE\r\n' +
    `Contact: <sip:${100 + (i % 50)}@${from}:5060>\r\n` +
    'Max-Forwards: 70\r\n' +
    'User-Agent: Grandstream GXP2170 1.0.11.3\r\n' +
    'Content-Length: 0\r\n\r\n'
  return Buffer.from(text, 'latin1')
}

async function main(): Promise<void> {
  const from = arg('--from') ?? '127.0.0.10'
  const [toHost = '127.0.0.1', toPortText = '5060'] = (arg('--to') ?? '').split(':')
  const toPort = Number(toPortText)
  const pps = Math.min(200_000, Math.max(1, Number(arg('--pps') ?? '1000')))
  const seconds = Math.min(600, Math.max(0.1, Number(arg('--seconds') ?? '5')))
  const total = Math.floor(pps * seconds)
  const sock = createSocket('udp4')
  let received = 0
  sock.on('message', () => {
    received++
  })
  sock.on('error', () => {
    /* ECONNREFUSED and the like: keep sending */
  })
  await new Promise<void>((r) => sock.bind(0, from, () => r()))
  if (process.argv.includes('--scanner')) {
    const opt =
      `OPTIONS sip:100@${toHost}:${toPort} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP ${from}:5060;branch=z9hG4bK-scan-${process.pid}\r\n` +
      `From: "sipvicious"<sip:100@1.1.1.1>;tag=6136323963643261\r\n` +
      `To: "sipvicious"<sip:100@1.1.1.1>\r\n` +
      `Call-ID: scan${process.pid}\r\nCSeq: 1 OPTIONS\r\nContact: <sip:100@1.1.1.1:5060>\r\n` +
      'Max-Forwards: 70\r\nUser-Agent: friendly-scanner\r\nAccept: application/sdp\r\nContent-Length: 0\r\n\r\n'
    sock.send(Buffer.from(opt, 'latin1'), toPort, toHost)
    await new Promise((r) => setTimeout(r, 300))
  }
  const msgs = Array.from({ length: 256 }, (_, i) => invite(from, `${toHost}:${toPort}`, i))
  const t0 = performance.now()
  let sent = 0
  // every 5 ms, send what is due since the start (catches up after a slow tick, never beyond total)
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - t0
      const due = Math.min(total, Math.floor((elapsed / 1000) * pps))
      // at most 2000 per tick so that one tick never blocks the loop for long
      const until = Math.min(due, sent + 2000)
      while (sent < until) {
        sock.send(msgs[sent % msgs.length]!, toPort, toHost)
        sent++
      }
      if (sent >= total || elapsed > seconds * 1000 + 2000) {
        clearInterval(tick)
        resolve()
      }
    }, 5)
  })
  const secs = (performance.now() - t0) / 1000
  await new Promise((r) => setTimeout(r, 300))
  process.stdout.write(`${JSON.stringify({ sent, received, seconds: Number(secs.toFixed(3)) })}\n`)
  sock.close()
}

main().catch((err: unknown) => {
  process.stderr.write(`flood failed: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
