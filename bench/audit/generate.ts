// Generated Asterisk configuration for the auditor benchmark: N PJSIP phones (endpoint + auth +
// aor each, from templates, split over pjsip.d/*.conf through a glob #include), a few IP trunks
// with identify and outbound registration, one voicemail box per phone, and a dialplan of exactly
// L lines spread over extensions.conf and extensions.d/*.conf: department contexts with includes,
// an inbound DID context that Goto()s phones, IVR menus, Gosub subroutines, Macro() and GotoIfTime
// hops, outbound routes with national/international/premium patterns. Deterministic for a seed.
//
// It is shaped like a real multi-tenant PBX and carries a few realistic mistakes (1 % weak
// passwords, one IVR option that reaches the international route from the PSTN) so that the
// checks do their real work: password assessment for every secret and graph walks that succeed.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { seededRandom } from '../../src/state/internal/prng.js'

export interface GenerateOptions {
  readonly endpoints: number
  readonly dialplanLines: number
  readonly seed: number
}

export const DEFAULTS: GenerateOptions = { endpoints: 10_000, dialplanLines: 5_000, seed: 6 }

export interface Generated {
  readonly dir: string
  readonly files: number
  /** lines per kind of file */
  readonly pjsipLines: number
  readonly dialplanLines: number
  readonly otherLines: number
  readonly endpoints: number
  readonly contexts: number
}

const rng = seededRandom

const ALNUM = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'

function secret(r: () => number, n: number): string {
  for (;;) {
    let s = ''
    for (let i = 0; i < n; i++) s += ALNUM[Math.floor(r() * ALNUM.length)]
    if (!/(.)\1\1/.test(s)) return s // a random run of 4 would be flagged as "repeated"
  }
}

function pin(r: () => number): string {
  // six digits without runs, repeats or a repeated pair (the generator must not plant trivial PINs by chance)
  for (;;) {
    const p = String(100000 + Math.floor(r() * 900000))
    if (/(\d)\1\1/.test(p) || /^(\d\d)\1\1$|^(\d\d\d)\2$/.test(p)) continue
    if ('01234567890'.includes(p.slice(0, 4)) || '09876543210'.includes(p.slice(0, 4))) continue
    return p
  }
}

const DEPARTMENTS = 40
const TRUNKS = 5

export function generate(dir: string, opts: GenerateOptions = DEFAULTS): Generated {
  const r = rng(opts.seed)
  mkdirSync(join(dir, 'pjsip.d'), { recursive: true })
  mkdirSync(join(dir, 'extensions.d'), { recursive: true })
  let files = 0
  let otherLines = 0
  const write = (name: string, lines: string[]): number => {
    writeFileSync(join(dir, name), `${lines.join('\n')}\n`)
    files++
    return lines.length
  }
  const ext = (i: number) => String(10000 + i)
  const dept = (i: number) => `dept-${String(i % DEPARTMENTS).padStart(2, '0')}`

  // --- core files --------------------------------------------------------------------------------
  otherLines += write('asterisk.conf', [
    '[directories](!)',
    'astetcdir => /etc/asterisk',
    '',
    '[options]',
    'runuser = asterisk',
    'rungroup = asterisk',
    'disable_remote_console_shell = yes',
    '',
    '[files]',
    'astctlpermissions = 0660',
    'astctlgroup = asterisk',
  ])
  otherLines += write('modules.conf', ['[modules]', 'autoload = yes', 'noload => chan_sip.so'])
  otherLines += write('logger.conf', [
    '[general]',
    '',
    '[logfiles]',
    'console => notice,warning,error',
    'messages => notice,warning,error',
    'security.log => security',
  ])
  otherLines += write('rtp.conf', ['[general]', 'rtpstart = 10000', 'rtpend = 20000', 'strictrtp = yes'])
  otherLines += write('manager.conf', [
    '[general]',
    'enabled = yes',
    'bindaddr = 127.0.0.1',
    'port = 5038',
    '',
    '[monitoring]',
    `secret = ${secret(r, 24)}`,
    'deny = 0.0.0.0/0.0.0.0',
    'permit = 127.0.0.1/255.255.255.255',
    'read = call,reporting',
    'write =',
    '',
    '[crm]',
    `secret = ${secret(r, 24)}`,
    'deny = 0.0.0.0/0.0.0.0',
    'permit = 10.20.0.15/255.255.255.255',
    'read = call',
    'write = originate',
  ])
  const vm = ['[general]', 'format = wav49|wav', 'minpassword = 6', 'maxlogins = 3', '', '[default]']
  for (let i = 0; i < opts.endpoints; i++) vm.push(`${ext(i)} => ${pin(r)},User ${ext(i)},,,attach=yes`)
  otherLines += write('voicemail.conf', vm)

  // --- pjsip -------------------------------------------------------------------------------------
  let pjsipLines = write('pjsip.conf', [
    '[global]',
    'type = global',
    'user_agent = PBX',
    '',
    '[transport-udp]',
    'type = transport',
    'protocol = udp',
    'bind = 0.0.0.0:5060',
    '',
    '[transport-tls]',
    'type = transport',
    'protocol = tls',
    'bind = 0.0.0.0:5061',
    'method = tlsv1_2',
    'cert_file = /etc/asterisk/keys/pbx.crt',
    'priv_key_file = /etc/asterisk/keys/pbx.key',
    '',
    '[phone](!)',
    'type = endpoint',
    'disallow = all',
    'allow = g722,ulaw',
    'direct_media = no',
    'rtp_symmetric = yes',
    'force_rport = yes',
    'rewrite_contact = yes',
    'deny = 0.0.0.0/0.0.0.0',
    'permit = 10.0.0.0/255.0.0.0',
    '',
    '[phone-auth](!)',
    'type = auth',
    'auth_type = digest',
    '',
    '[phone-aor](!)',
    'type = aor',
    'max_contacts = 1',
    'remove_existing = yes',
    '',
    '#include pjsip.d/*.conf',
  ])
  const trunk: string[] = []
  for (let t = 0; t < TRUNKS; t++) {
    trunk.push(
      `[trunk${t}]`,
      'type = endpoint',
      'context = from-pstn',
      'disallow = all',
      'allow = ulaw',
      'identify_by = ip',
      `outbound_auth = trunk${t}-out`,
      `aors = trunk${t}`,
      'allow_transfer = no',
      'deny = 0.0.0.0/0.0.0.0',
      `permit = 198.51.100.${10 + t}/255.255.255.255`,
      '',
      `[trunk${t}]`,
      'type = aor',
      `contact = sip:198.51.100.${10 + t}:5060`,
      '',
      `[trunk${t}-out]`,
      'type = auth',
      `username = acct${t}`,
      `password = ${secret(r, 20)}`,
      '',
      `[trunk${t}-id]`,
      'type = identify',
      `endpoint = trunk${t}`,
      `match = 198.51.100.${10 + t}/32`,
      '',
      `[trunk${t}-reg]`,
      'type = registration',
      `outbound_auth = trunk${t}-out`,
      `server_uri = sip:198.51.100.${10 + t}`,
      `client_uri = sip:acct${t}@198.51.100.${10 + t}`,
      '',
    )
  }
  pjsipLines += write('pjsip.d/00-trunks.conf', trunk)
  const perFile = 1000
  for (let f = 0; f * perFile < opts.endpoints; f++) {
    const out: string[] = []
    for (let i = f * perFile; i < Math.min(opts.endpoints, (f + 1) * perFile); i++) {
      const e = ext(i)
      // 1 % of the phones carry a weak password (equal to the extension or 8 digits), as real PBXs do
      const weak = i % 100 === 37
      out.push(
        `[${e}](phone)`,
        `auth = ${e}`,
        `aors = ${e}`,
        `context = ${dept(i)}`,
        `callerid = "User ${e}" <${e}>`,
        `mailboxes = ${e}@default`,
        '',
        `[${e}](phone-auth)`,
        `username = ${e}`,
        `password = ${weak ? (i % 200 === 37 ? e : String(20000000 + i)) : secret(r, 20)}`,
        '',
        `[${e}](phone-aor)`,
        '',
      )
    }
    pjsipLines += write(`pjsip.d/10-phones-${String(f).padStart(2, '0')}.conf`, out)
  }

  // --- dialplan ----------------------------------------------------------------------------------
  let contexts = 0
  const main: string[] = [
    '[general]',
    'static = yes',
    'writeprotect = yes',
    'autofallthrough = yes',
    '',
    '[globals]',
    'TRUNK = PJSIP/${NUMBER}@trunk0',
    '',
    '#include extensions.d/*.conf',
    '',
    '[from-pstn]',
    'exten => _X.,1,NoOp(inbound ${CALLERID(num)} to ${EXTEN})',
    ' same => n,GotoIfTime(18:00-08:00,*,*,*?closed,s,1)',
    ' same => n,Goto(did,${EXTEN},1)',
    '',
    '[closed]',
    'exten => s,1,Answer()',
    ' same => n,Playback(closed)',
    ' same => n,Goto(ivr-main,s,1)',
    '',
    '[internal]',
    `exten => _1XXXX,1,Gosub(sub-dial-user,s,1(\${EXTEN}))`,
    ' same => n,Hangup()',
    'exten => *97,1,VoiceMailMain(${CALLERID(num)}@default)',
    'exten => *98,1,Authenticate(/etc/asterisk/vm-codes,a)',
    ' same => n,VoiceMailMain()',
    '',
    '[outbound-national]',
    'exten => _1NXXNXXXXXX,1,Macro(record-cdr,${EXTEN})',
    ' same => n,Gosub(sub-outbound,s,1(${FILTER(0-9,${EXTEN})}))',
    'exten => _NXXNXXXXXX,1,Goto(outbound-national,1${EXTEN},1)',
    '',
    '[outbound-intl]',
    'exten => _011.,1,Set(CDR(intl)=yes)',
    ' same => n,Dial(PJSIP/${EXTEN}@trunk1,,L(3600000))',
    'exten => _00.,1,Dial(PJSIP/${EXTEN}@trunk1,,L(3600000))',
    '',
    '[outbound-premium-block]',
    'exten => _1900NXXXXXX,1,Playback(not-allowed)',
    ' same => n,Hangup()',
    '',
    '[sub-outbound]',
    'exten => s,1,Set(NUMBER=${ARG1})',
    ' same => n,Dial(PJSIP/${NUMBER}@trunk0,,L(3600000))',
    ' same => n,Return()',
    '',
    '[macro-record-cdr]',
    'exten => s,1,Set(CDR(dest)=${ARG1})',
    ' same => n,MacroExit()',
    '',
    '[sub-dial-user]',
    'exten => s,1,Dial(PJSIP/${ARG1},30)',
    ' same => n,VoiceMail(${ARG1}@default,u)',
    ' same => n,Return()',
  ]
  contexts += 10
  const depts: string[] = []
  for (let d = 0; d < DEPARTMENTS; d++) {
    const name = dept(d)
    depts.push(
      `[${name}]`,
      'include => internal',
      'include => outbound-national',
      'include => outbound-premium-block',
    )
    if (d % 5 === 0) depts.push('include => outbound-intl')
    depts.push(
      `exten => _9.,1,Goto(${d % 5 === 0 ? 'outbound-intl' : 'outbound-national'},\${EXTEN:1},1)`,
      `exten => *${70 + (d % 20)},1,Goto(ivr-${String(d % 50).padStart(2, '0')},s,1)`,
      `exten => 8${String(d).padStart(2, '0')},1,Queue(q-${name})`,
      '',
    )
    contexts++
  }
  const ivr: string[] = []
  const IVRS = 50
  for (let v = 0; v < IVRS; v++) {
    const name = `ivr-${String(v).padStart(2, '0')}`
    ivr.push(`[${name}]`, 'exten => s,1,Answer()', ' same => n,Background(menu)', ' same => n,WaitExten(5)')
    for (let o = 1; o <= 5; o++)
      ivr.push(`exten => ${o},1,Goto(internal,${ext((v * 7 + o * 131) % opts.endpoints)},1)`)
    ivr.push('exten => i,1,Goto(s,1)', 'exten => t,1,Hangup()', '')
    contexts++
  }
  // the IVR the PSTN reaches, with one option that drops callers into a department context that
  // includes the international route (a classic toll-fraud path)
  ivr.push(
    '[ivr-main]',
    'exten => s,1,Answer()',
    ' same => n,Background(main-menu)',
    ' same => n,WaitExten(5)',
    'exten => 1,1,Goto(ivr-00,s,1)',
    'exten => 2,1,Goto(ivr-01,s,1)',
    'exten => 0,1,Goto(dept-00,s,1)',
    'exten => 9,1,Goto(dept-00,${EXTEN},1)',
    '',
  )
  contexts++
  const subs: string[] = []
  for (let s = 0; s < 20; s++)
    subs.push(
      `[sub-feature-${s}]`,
      `exten => s,1,Set(FEATURE=${s})`,
      ' same => n,GotoIf($["${ARG1}" = ""]?done)',
      ` same => n,Gosub(sub-dial-user,s,1(\${ARG1}))`,
      ' same => n(done),Return()',
      '',
    )
  contexts += 20
  // the DID context fills the dialplan to exactly the requested number of lines
  const fixed = main.length + depts.length + ivr.length + subs.length + 2
  if (opts.dialplanLines < fixed)
    throw new Error(`the generated dialplan needs at least ${fixed} lines (asked for ${opts.dialplanLines})`)
  const dids = opts.dialplanLines - fixed
  const did: string[] = ['[did]']
  for (let i = 0; i < dids; i++)
    did.push(`exten => 212555${String(i).padStart(4, '0')},1,Goto(internal,${ext(i % opts.endpoints)},1)`)
  did.push('exten => i,1,Goto(ivr-main,s,1)')
  contexts++
  let dialplanLines = write('extensions.conf', main)
  dialplanLines += write('extensions.d/10-departments.conf', depts)
  dialplanLines += write('extensions.d/20-ivr.conf', ivr)
  dialplanLines += write('extensions.d/30-subroutines.conf', subs)
  dialplanLines += write('extensions.d/40-did.conf', did)
  return { dir, files, pjsipLines, dialplanLines, otherLines, endpoints: opts.endpoints, contexts }
}
