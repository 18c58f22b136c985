import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { INVITE, REGISTER, sip, TORTURE_DIR } from './helpers.js'

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const fixture = (name: string): string => fileURLToPath(new URL(name, TORTURE_DIR))

function run(args: readonly string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [MAIN, 'sip', 'parse', ...args], { input, encoding: 'utf8' })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const tmp = mkdtempSync(join(tmpdir(), 'sipwarden-cli-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

describe('sipwarden sip parse', () => {
  test('accepted message: pretty JSON with start line, headers in order and typed values; exit 0', () => {
    const r = run([fixture('wsinv.dat')])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '')
    const j = JSON.parse(r.stdout)
    assert.ok(r.stdout.includes('\n  "kind": "request"'), 'pretty-printed')
    assert.deepEqual(j.startLine, {
      method: 'INVITE',
      requestUri: 'sip:vivekg@chair-dnrc.example.com;unknownparam',
      version: 'SIP/2.0',
    })
    assert.deepEqual(
      j.headers.slice(0, 3).map((h: { name: string }) => h.name),
      ['TO', 'from', 'MaX-fOrWaRdS'],
    )
    assert.equal(j.via.length, 3)
    assert.equal(j.from.displayName, 'J Rosenberg \\"')
    assert.deepEqual(j.cseq, { seq: 9, method: 'INVITE' })
    assert.equal(j.maxForwards, 68)
    assert.equal(j.body.length, 150)
    assert.equal(j.sdp.connection.address, '192.0.2.4')
  })

  test('rejected message: error JSON on stdout, one plain line on stderr; exit 2', () => {
    const r = run([fixture('badvers.dat')])
    assert.equal(r.code, 2)
    assert.deepEqual(JSON.parse(r.stdout), {
      error: {
        code: 'SGW_ERR_SIP_BAD_VERSION',
        offset: 33,
        status: 505,
        reason: 'Version Not Supported',
        message: 'SIP version is not SIP/2.0: SIP/7.0',
      },
    })
    assert.equal(
      r.stderr,
      'rejected: 505 Version Not Supported (SGW_ERR_SIP_BAD_VERSION) at byte 33: SIP version is not SIP/2.0: SIP/7.0\n',
    )
  })

  test('a bad response is dropped, not answered', () => {
    const r = run([fixture('bigcode.dat')])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /^rejected: drop \(no response\) \(SGW_ERR_SIP_BAD_STATUS_CODE\) at byte 8: /)
  })

  test('--lazy only frames and indexes: a bad Via passes', () => {
    assert.equal(run([fixture('badinv01.dat')]).code, 2)
    const r = run(['--lazy', fixture('badinv01.dat')])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout).via, null)
  })

  test('--compact prints one line; - reads standard input', () => {
    const r = run(['--compact', '-'], REGISTER)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim().split('\n').length, 1)
    const j = JSON.parse(r.stdout)
    assert.equal(j.authorization[0].username, 'bob')
    assert.equal(j.startLine.method, 'REGISTER')
  })

  test('--stream frames several messages and reports a cut-off tail', () => {
    const file = join(tmp, 'stream.bin')
    writeFileSync(file, Buffer.concat([INVITE, Buffer.from('\r\n\r\n'), REGISTER, INVITE.subarray(0, 40)]))
    const r = run(['--stream', file])
    assert.equal(r.code, 2)
    const j = JSON.parse(r.stdout)
    assert.equal(j.length, 3)
    assert.equal(j[0].offset, 0)
    assert.equal(j[0].startLine.method, 'INVITE')
    assert.equal(j[1].offset, INVITE.length + 4)
    assert.equal(j[1].startLine.method, 'REGISTER')
    assert.equal(j[2].error.code, 'SGW_ERR_SIP_INCOMPLETE')
    assert.match(r.stderr, /^stream: rejected: 400 Bad Request \(SGW_ERR_SIP_INCOMPLETE\)/)
    const ok = join(tmp, 'ok.bin')
    writeFileSync(ok, Buffer.concat([INVITE, INVITE]))
    assert.equal(run(['--stream', ok]).code, 0)
  })

  test('SRTP keys are not printed', () => {
    const body =
      'v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:SECRETKEYSECRETKEYSECRETKEY|2^20\r\n'
    const msg = sip(
      `INVITE sip:a@example.com SIP/2.0\nVia: SIP/2.0/TLS h.example.com;branch=z9hG4bK1\nFrom: <sip:b@example.com>;tag=1\nTo: <sip:a@example.com>\nCall-ID: k1\nCSeq: 1 INVITE\nContent-Type: application/sdp\nContent-Length: ${body.length}\n\n`,
    )
    const r = run(['-'], Buffer.concat([msg, Buffer.from(body)]))
    assert.equal(r.code, 0, r.stderr)
    assert.ok(!r.stdout.includes('SECRETKEY'))
    assert.deepEqual(JSON.parse(r.stdout).sdp.media[0].crypto[0].keyParams, ['inline:<redacted>|2^20'])
  })

  test('a missing file is one clear line, no stack trace; exit 2', () => {
    const r = run([join(tmp, 'nope.sip')])
    assert.equal(r.code, 2)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /^sipwarden: cannot read .*nope\.sip: no such file \[SGW_ERR_CLI_INPUT\]\n$/)
    const dir = run([tmp])
    assert.equal(dir.code, 2)
    assert.match(dir.stderr, /is a directory/)
  })

  test('--full and --lazy together is a usage error', () => {
    const r = run(['--full', '--lazy', fixture('wsinv.dat')])
    assert.equal(r.code, 2)
    assert.equal(r.stderr, 'sipwarden: choose one of --full and --lazy [SGW_ERR_CLI_INPUT]\n')
  })
})
