// A real softphone through the gateway: Debian's baresip registers account 1002 at Kamailio
// (behind the gateway, digest auth) and calls account 3000, whose contact is a SIPp UAS
// (registered through the gateway too). baresip runs with its own temporary config directory,
// no audio device (the aubridge module joins its own source and player), no console, and quits
// by itself after a few seconds (hanging up the call). Skipped only when a binary is missing.
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  freePort,
  GATEWAY_FIXTURES,
  have,
  Peers,
  startGateway,
  startKamailio,
  type TestGateway,
} from './helpers.js'

const KAMAILIO_HOST = '127.0.0.2'
const PHONE = '127.0.0.40'
const UAS = '127.0.0.41'

const missing = ['baresip', 'kamailio', 'sipp'].filter((b) => !have(b))

describe(
  'baresip through the gateway',
  { skip: missing.length > 0 ? `not installed: ${missing.join(', ')}` : false },
  () => {
    const peers = new Peers()
    let dir = ''
    let g: TestGateway
    let uasPort = 0
    let uas: ReturnType<Peers['start']>

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'sipwarden-baresip-'))
      const kamPort = await startKamailio(peers, dir, KAMAILIO_HOST)
      g = await startGateway({ upstream: `udp:${KAMAILIO_HOST}:${kamPort}` })
      // the callee: a SIPp UAS, registered as 3000 through the gateway
      uasPort = await freePort(UAS)
      uas = peers.start(
        'sipp',
        [
          '-sf',
          join(GATEWAY_FIXTURES, 'baresip', 'uas.xml'),
          '-i',
          UAS,
          '-p',
          String(uasPort),
          '-m',
          '1',
          '-nostdin',
          '-timeout',
          '25s',
          '-timeout_error',
        ],
        { cwd: dir },
      )
      const inf = join(dir, 'callee.csv')
      writeFileSync(
        inf,
        `SEQUENTIAL\n3000;[authentication username=3000 password=office3000];${UAS}:${uasPort}\n`,
      )
      const reg = await peers.run(
        'sipp',
        [
          `127.0.0.1:${g.port}`,
          '-sf',
          join(GATEWAY_FIXTURES, 'baresip', 'register-contact.xml'),
          '-inf',
          inf,
          '-i',
          '127.0.0.42',
          '-p',
          '0',
          '-m',
          '1',
          '-nostdin',
          '-timeout',
          '10s',
          '-timeout_error',
        ],
        15_000,
        { cwd: dir },
      )
      assert.equal(reg.code, 0, `callee registration failed:\n${reg.output.slice(-2000)}`)
    })
    after(async () => {
      peers.killAll()
      await g?.stop()
      if (dir !== '') rmSync(dir, { recursive: true, force: true })
    })

    it('registers (200) and places a call that the SIPp UAS answers', async () => {
      const cfg = join(dir, 'baresip')
      mkdirSync(cfg)
      const sipPort = await freePort(PHONE)
      writeFileSync(
        join(cfg, 'config'),
        [
          'poll_method epoll',
          `sip_listen ${PHONE}:${sipPort}`,
          'sip_trans_def udp',
          'call_local_timeout 20',
          'audio_player aubridge,sw',
          'audio_source aubridge,sw',
          'audio_alert aubridge,sw',
          'module_path /usr/lib/baresip/modules',
          'module g711.so',
          'module aubridge.so',
          'module_tmp account.so',
          'module_app menu.so',
          '',
        ].join('\n'),
      )
      writeFileSync(
        join(cfg, 'accounts'),
        `<sip:1002@127.0.0.1:${g.port};transport=udp>;auth_pass=secret;regint=300;medianat=;audio_codecs=PCMU\n`,
      )
      writeFileSync(join(cfg, 'contacts'), '')
      const r = await peers.run(
        'baresip',
        ['-f', cfg, '-t', '4', '-e', `/dial sip:3000@127.0.0.1:${g.port}`],
        20_000,
        { cwd: dir },
      )
      const out = r.output
      // baresip quit by itself: REGISTER, the call, its BYE and the un-REGISTER all completed
      assert.equal(r.code, 0, out.slice(-3000))
      assert.match(out, /1002@127\.0\.0\.1: \{0\/UDP\/v4\} 200 OK/, out.slice(-3000))
      assert.match(out, /Call established: sip:3000@127\.0\.0\.1/, out.slice(-3000))
      assert.match(out, /Call with sip:3000@\S+ terminated \(duration: \d+ secs\)/)
      // the SIPp UAS answered and saw the ACK and the BYE (through the gateway: the route set)
      const uasDone = await new Promise<number | null>((res) => {
        if (uas.exitCode !== null) res(uas.exitCode)
        else {
          const t = setTimeout(() => res(null), 10_000)
          uas.once('exit', (code) => {
            clearTimeout(t)
            res(code)
          })
        }
      })
      assert.equal(uasDone, 0, uas.output().slice(-3000))
      assert.match(uas.output(), /Successful call\s+\|\s+\d+\s+\|\s+1\b/)
      assert.equal(g.events.filter((e) => e.action === 'ban').length, 0)
      assert.equal(g.store.isBanned(PHONE), false)
    })
  },
)
