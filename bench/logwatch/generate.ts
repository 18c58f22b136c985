// Generates a realistic Asterisk `messages` log for the log-watcher benchmark: mostly ordinary
// traffic (calls, registrations, RTP, qualify, debug), a few legitimate users who mistype a
// password now and then, and attackers of every kind the fail2ban asterisk filter and sipwarden
// know, in the prefixes Asterisk really writes. Deterministic for a given seed. Writes the log
// and a ground-truth JSON (`<file>.truth.json`): which addresses are attackers (must be banned),
// which are legitimate (must not be), and which were only named in attacker-controlled text
// (victims of injection: must never be banned).
import { createWriteStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { seededRandom } from '../../src/state/internal/prng.js'

export interface Truth {
  readonly lines: number
  readonly attackers: { ip: string; type: string; attempts: number }[]
  readonly legit: string[]
  readonly victims: string[]
}

const mulberry32 = seededRandom

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n))

function stamp(ms: number): string {
  const d = new Date(ms)
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
}

const ATTACK_TYPES = [
  'chan_sip-bruteforce',
  'chan_sip-enumeration',
  'pjsip-enumeration',
  'pjsip-bruteforce',
  'pjsip-ratelimited',
  'invite-scan-chan_sip',
  'invite-scan-pjsip',
  'security-invalid-account',
  'security-challenge-failed',
  'iax2-bruteforce',
  'ami-bruteforce',
  'slow-bruteforce',
  'ipv6-pjsip',
  'injection-pjsip-from',
  'injection-security-session',
] as const
type AttackType = (typeof ATTACK_TYPES)[number]

interface Attacker {
  ip: string
  type: AttackType
  remaining: number
  attempts: number
  next: number
  gapMs: number
  ext: number
  victim: string
}

export async function generate(path: string, lines: number, seed = 42): Promise<Truth> {
  const rnd = mulberry32(seed)
  const int = (n: number) => Math.floor(rnd() * n)
  const pick = <T>(a: readonly T[]): T => a[int(a.length)]!
  const start = Date.UTC(2024, 4, 1)
  const spanMs = 86_400_000 // one day of log, whatever the line count
  const step = spanMs / lines

  const users = Array.from({ length: 200 }, (_, i) => ({
    ext: 100 + i,
    ip: `192.168.${1 + (i >> 7)}.${10 + (i & 127)}`,
  }))
  const attackers: Attacker[] = []
  const nAttackers = Math.max(30, Math.round(lines / 5000))
  const victims: string[] = []
  for (let i = 0; i < nAttackers; i++) {
    const type = ATTACK_TYPES[i % ATTACK_TYPES.length]!
    const ip =
      type === 'ipv6-pjsip'
        ? `2001:db8:${(i + 1).toString(16)}::${(int(65535) + 1).toString(16)}`
        : `${pick([45, 77, 91, 103, 185, 193, 212])}.${int(256)}.${int(256)}.${1 + int(254)}`
    const slow = type === 'slow-bruteforce'
    const attempts = slow ? 20 + int(20) : 15 + int(300)
    const victim = `198.51.100.${1 + (i % 254)}`
    if (type.startsWith('injection')) victims.push(victim)
    attackers.push({
      ip,
      type,
      remaining: attempts,
      attempts,
      next: start + int(spanMs - 3_600_000),
      gapMs: slow ? 40_000 + int(15_000) : 50 + int(2000),
      ext: 100 + int(900),
      victim,
    })
  }
  attackers.sort((a, b) => a.next - b.next)

  const out = createWriteStream(path, { highWaterMark: 1 << 20 })
  let buf: string[] = []
  let bufLen = 0
  const emit = async (line: string) => {
    buf.push(line)
    bufLen += line.length + 1
    if (bufLen > 1 << 20) {
      const ok = out.write(`${buf.join('\n')}\n`)
      buf = []
      bufLen = 0
      if (!ok) await new Promise<void>((r) => out.once('drain', () => r()))
    }
  }

  let chan = 0x1000
  let written = 0
  let ai = 0 // attackers are consumed in time order through a small active list
  const active: Attacker[] = []
  for (let n = 0; written < lines; n++) {
    const now = start + n * step
    const ts = `[${stamp(now)}]`
    // attackers whose next attempt is due
    while (ai < attackers.length && attackers[ai]!.next <= now) active.push(attackers[ai++]!)
    let attacked = false
    for (let k = 0; k < active.length && written < lines; k++) {
      const a = active[k]!
      if (a.next > now) continue
      await emit(attackLine(ts, a, int))
      written++
      attacked = true
      a.remaining--
      a.next = now + a.gapMs * (0.5 + rnd())
      if (a.remaining === 0) active.splice(k--, 1)
    }
    if (attacked || written >= lines) continue
    const u = pick(users)
    const lwp = 1000 + int(30000)
    const r = rnd()
    let line: string
    if (r < 0.3) {
      line = `${ts} VERBOSE[${lwp}][C-${(chan++).toString(16).padStart(8, '0')}] pbx.c: Executing [${200 + int(100)}@from-internal:${1 + int(5)}] Dial("PJSIP/${u.ext}-${(chan & 0xffff).toString(16).padStart(8, '0')}", "PJSIP/${100 + int(200)},30,tT") in new stack`
    } else if (r < 0.45) {
      line = `${ts} VERBOSE[${lwp}][C-${chan.toString(16).padStart(8, '0')}] app_dial.c: PJSIP/${100 + int(200)}-${(chan & 0xffff).toString(16).padStart(8, '0')} is ringing`
    } else if (r < 0.55) {
      line = `${ts} VERBOSE[${lwp}] res_pjsip_registrar.c: Added contact 'sip:${u.ext}@${u.ip}:5060;transport=UDP;rinstance=${int(1e9).toString(16)}' to AOR '${u.ext}' with expiration of 3600 seconds`
    } else if (r < 0.65) {
      line = `${ts} DEBUG[${lwp}] res_pjsip/pjsip_options.c: Qualify response from 'sip:${u.ext}@${u.ip}:5060' (rtt ${1 + int(80)}ms)`
    } else if (r < 0.72) {
      line = `${ts} VERBOSE[${lwp}][C-${chan.toString(16).padStart(8, '0')}] bridge_channel.c: Channel PJSIP/${u.ext}-${(chan & 0xffff).toString(16).padStart(8, '0')} joined 'simple_bridge' basic-bridge <${int(1e9).toString(16)}-${int(1e9).toString(16)}>`
    } else if (r < 0.78) {
      line = `${ts} NOTICE[${lwp}] res_pjsip/pjsip_options.c: Endpoint ${u.ext} is now Reachable`
    } else if (r < 0.83) {
      line = `${ts} WARNING[${lwp}][C-${chan.toString(16).padStart(8, '0')}] res_rtp_asterisk.c: 0x7f${int(1e9).toString(16)} -- Strict RTP learning after remote address set to: ${u.ip}:${10000 + int(10000)}`
    } else if (r < 0.88) {
      line = `${ts} SECURITY[${lwp}] res_security_log.c: SecurityEvent="SuccessfulAuth",EventTV="2024-05-01T00:00:00.000+0000",Severity="Informational",Service="PJSIP",EventVersion="1",AccountID="${u.ext}",SessionID="${int(1e9).toString(16)}-${int(1e9).toString(16)}",LocalAddress="IPV4/UDP/192.168.1.2/5060",RemoteAddress="IPV4/UDP/${u.ip}/5060",UsingPassword="1"`
    } else if (r < 0.93) {
      line = `${ts} SECURITY[${lwp}] res_security_log.c: SecurityEvent="ChallengeSent",EventTV="2024-05-01T00:00:00.000+0000",Severity="Informational",Service="PJSIP",EventVersion="1",AccountID="${u.ext}",SessionID="${int(1e9).toString(16)}",LocalAddress="IPV4/UDP/192.168.1.2/5060",RemoteAddress="IPV4/UDP/${u.ip}/5060",Challenge="${int(1e9)}/${int(1e9).toString(16)}"`
    } else if (r < 0.9995) {
      line = `${ts} VERBOSE[${lwp}][C-${chan.toString(16).padStart(8, '0')}] app_dial.c: Called PJSIP/${100 + int(200)}`
    } else {
      // a legitimate user mistypes a password once
      line = `${ts} NOTICE[${lwp}] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '"${u.ext}" <sip:${u.ext}@192.168.1.2>' failed for '${u.ip}:5060' (callid: ${int(1e9).toString(16)}) - Failed to authenticate`
    }
    await emit(line)
    written++
  }
  if (buf.length > 0) out.write(`${buf.join('\n')}\n`)
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  )
  const done = attackers.filter((a) => a.remaining < a.attempts)
  const truth: Truth = {
    lines: written,
    attackers: done.map((a) => ({ ip: a.ip, type: a.type, attempts: a.attempts - a.remaining })),
    legit: users.map((u) => u.ip),
    victims,
  }
  await writeFile(`${path}.truth.json`, `${JSON.stringify(truth)}\n`)
  return truth
}

function attackLine(ts: string, a: Attacker, int: (n: number) => number): string {
  const lwp = 1000 + int(30000)
  const port = 5060 + int(2000)
  const ext = a.type.includes('enumeration') || a.type.includes('invalid-account') ? 100 + int(9900) : a.ext
  const callid = `${int(1e9).toString(16)}-${int(1e9).toString(16)}`
  switch (a.type) {
    case 'chan_sip-bruteforce':
    case 'slow-bruteforce':
      return `${ts} NOTICE[${lwp}] chan_sip.c: Registration from '<sip:${ext}@pbx.example.com>' failed for '${a.ip}:${port}' - Wrong password`
    case 'chan_sip-enumeration':
      return `${ts} NOTICE[${lwp}] chan_sip.c: Registration from '"${ext}" <sip:${ext}@pbx.example.com>' failed for '${a.ip}:${port}' - No matching peer found`
    case 'pjsip-enumeration':
      return `${ts} NOTICE[${lwp}] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '"${ext}" <sip:${ext}@pbx.example.com>' failed for '${a.ip}:${port}' (callid: ${callid}) - No matching endpoint found`
    case 'pjsip-bruteforce':
      return `${ts} NOTICE[${lwp}] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '<sip:${ext}@pbx.example.com>' failed for '${a.ip}:${port}' (callid: ${callid}) - Failed to authenticate`
    case 'pjsip-ratelimited':
      return `${ts} NOTICE[${lwp}] res_pjsip/pjsip_distributor.c: Request 'INVITE' from '<sip:${ext}@pbx.example.com>' failed for '${a.ip}:${port}' (callid: ${callid}) - No matching endpoint found after ${5 + int(3)} tries in ${(1 + int(4000) / 1000).toFixed(3)} ms`
    case 'invite-scan-chan_sip':
      return `${ts} NOTICE[${lwp}][C-${int(1e6).toString(16).padStart(8, '0')}] chan_sip.c: Call from '' (${a.ip}:${port}) to extension '00${9700000000 + int(99999999)}' rejected because extension not found in context 'from-external'.`
    case 'invite-scan-pjsip':
      return `${ts} NOTICE[${lwp}] res_pjsip_session.c:  anonymous: Call (UDP:${a.ip}:${port}) to extension '011${9700000000 + int(99999999)}' rejected because extension not found in context 'from-external'.`
    case 'security-invalid-account':
      return `${ts} SECURITY[${lwp}] res_security_log.c: SecurityEvent="InvalidAccountID",EventTV="2024-05-01T00:00:00.000+0000",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="${ext}",SessionID="${callid}",LocalAddress="IPV4/UDP/192.168.1.2/5060",RemoteAddress="IPV4/UDP/${a.ip}/${port}"`
    case 'security-challenge-failed':
      return `${ts} SECURITY[${lwp}] res_security_log.c: SecurityEvent="ChallengeResponseFailed",EventTV="2024-05-01T00:00:00.000+0000",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="${ext}",SessionID="${callid}",LocalAddress="IPV4/UDP/192.168.1.2/5060",RemoteAddress="IPV4/UDP/${a.ip}/${port}",Challenge="${int(1e9)}/${int(1e9).toString(16)}",Response="${int(1e9).toString(16)}",ExpectedResponse=""`
    case 'iax2-bruteforce':
      return `${ts} NOTICE[${lwp}] chan_iax2.c: Host ${a.ip} failed MD5 authentication for '${ext}' (${int(1e9).toString(16)} != ${int(1e9).toString(16)})`
    case 'ami-bruteforce':
      return `${ts} NOTICE[${lwp}] manager.c: ${a.ip} failed to authenticate as 'admin'`
    case 'ipv6-pjsip':
      return `${ts} NOTICE[${lwp}] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '<sip:${ext}@pbx.example.com>' failed for '[${a.ip}]:${port}' (callid: ${callid}) - Failed to authenticate`
    case 'injection-pjsip-from':
      // the display name carries a fake "failed for" naming a victim
      return `${ts} NOTICE[${lwp}] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '"x' failed for '${a.victim}:5060' (callid: 1) - No matching endpoint found" <sip:${ext}@pbx.example.com>' failed for '${a.ip}:${port}' (callid: ${callid}) - No matching endpoint found`
    case 'injection-security-session':
      // fail2ban fixture FA28's trick: a fake RemoteAddress inside the SessionID (a Call-ID)
      return `${ts} SECURITY[${lwp}] res_security_log.c: SecurityEvent="InvalidAccountID",EventTV="2024-05-01T00:00:00.000+0000",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="${ext}",SessionID="",LocalAddress="IPV4/UDP/192.168.1.2/5060",RemoteAddress="IPV4/UDP/${a.victim}/5060"",LocalAddress="IPV4/UDP/192.168.1.2/5060",RemoteAddress="IPV4/UDP/${a.ip}/${port}"`
  }
}

// CLI: node dist/bench/logwatch/generate.js OUT LINES [SEED]
if (process.argv[1]?.endsWith('generate.js')) {
  const [out, n, seed] = process.argv.slice(2)
  if (out === undefined) {
    process.stderr.write('usage: generate.js OUT [LINES=1000000] [SEED=42]\n')
    process.exit(2)
  }
  generate(out, Number(n ?? 1_000_000), Number(seed ?? 42)).then(
    (t) => process.stderr.write(`wrote ${t.lines} lines, ${t.attackers.length} attackers to ${out}\n`),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`)
      process.exit(1)
    },
  )
}
