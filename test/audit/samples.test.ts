// Baselines from each PBX's shipped sample / vanilla configuration (reference §3.1). The fixtures
// reproduce the shapes of the shipped files (comment blocks, commented example settings, the few
// live lines) with our own prose; the exact findings are asserted, sorted, so a misparsed comment
// (an extra finding) or a lost live line (a missing one) fails the test.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { audit } from '../../src/audit/run.js'
import type { Finding } from '../../src/audit/types.js'
import { fixture, keys, tempConfig } from './helpers.js'

/** "severity id file:line" for every finding, sorted. */
function exact(findings: readonly Finding[]): string[] {
  return keys(findings)
    .map((k, i) => `${findings[i]!.severity} ${k}`)
    .sort()
}

/**
 * The fixture with its commented example settings made live: a `;` directly followed by a
 * `[section]` or a `key=value` / `key => value` line is dropped (prose comments start with "; ").
 * Used as a control: the same lines that must stay silent while commented do produce findings.
 */
function uncommented(name: string): string {
  const files: Record<string, string> = {}
  for (const f of readdirSync(fixture(name)))
    files[f] = readFileSync(join(fixture(name), f), 'utf8').replace(
      /^;(?=\[[^\]]+\]|[\w.${}^\\()]+\s*(?:=|\+=))/gm,
      '',
    )
  return tempConfig(files)
}

/** "file:line" of every line inside a `;-- … --;` block comment of the fixture (not nested). */
function blockCommentLines(name: string): Set<string> {
  const out = new Set<string>()
  for (const f of readdirSync(fixture(name))) {
    let open = false
    readFileSync(join(fixture(name), f), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (!open && /^;--(?!-)/.test(line)) open = true
        if (open) out.add(`${f}:${i + 1}`)
        if (open && line.includes('--;')) open = false
      })
  }
  return out
}

describe('asterisk shipped samples (configs/samples/*.conf.sample shape)', () => {
  const r = audit(fixture('asterisk-samples'))

  it('detects asterisk and reads every file without reader warnings', () => {
    assert.equal(r.pbx, 'asterisk')
    assert.deepEqual(r.diagnostics, [])
  })

  it('reports exactly the findings of the few live lines', () => {
    assert.deepEqual(exact(r.findings), [
      // 1234 => 4242: 4242 is a published default (the catalogue's ast.creds.default list), which
      // takes precedence over ast.vm.pin-trivial; 4242 is neither the mailbox nor near it.
      'critical ast.creds.default voicemail.conf:22',
      // runuser/rungroup only commented → unset → runs as the invoking user
      'medium ast.core.runs-as-root asterisk.conf:15',
      // only `console`/`messages.log` live in [logfiles]; `;security.log => security` is commented
      'medium ast.log.no-security-channel logger.conf:12',
      // `;minpassword=0` commented → default 0
      'medium ast.vm.minpassword voicemail.conf:4',
      'medium ast.vm.sample-mailbox voicemail.conf:22',
    ])
  })

  it('AMI bound to 0.0.0.0 but enabled = no is not reported (ast.ami.public-bind needs enabled=yes)', () => {
    assert.ok(!r.findings.some((f) => f.id.startsWith('ast.ami.')))
    assert.ok(!r.findings.some((f) => f.evidence.some((e) => e.loc.file === 'manager.conf')))
  })

  it('the sample mailbox evidence is masked', () => {
    const f = r.findings.find((x) => x.id === 'ast.creds.default')!
    assert.ok(!JSON.stringify(f).includes('4242'))
  })

  it('control: the commented examples do produce findings once uncommented', () => {
    const k = keys(audit(uncommented('asterisk-samples'), { pbx: 'asterisk' }).findings)
    for (const expected of [
      'ast.pjsip.weak-password pjsip.conf:37',
      'ast.pjsip.anonymous-endpoint pjsip.conf:44',
      'ast.pjsip.identify-overbroad pjsip.conf:51',
      'ast.core.live-dangerously asterisk.conf:20',
      'ast.core.execincludes asterisk.conf:19',
      'ast.http.public-cleartext http.conf:8',
      'ast.ari.weak-password ari.conf:11',
      'ast.rtp.strictrtp-off rtp.conf:13',
      'ast.vm.pin-trivial voicemail.conf:24',
      'ast.vm.pin-equals-mailbox voicemail.conf:28',
      'ast.dp.disa-no-password extensions.conf:27',
      'ast.acl.overbroad acl.conf:10',
    ])
      assert.ok(k.includes(expected), `missing ${expected}\nhave:\n${k.join('\n')}`)
    // block comments (`;-- … --;`) stay comments: no evidence from inside them, although they hold
    // allow_unauthenticated_options=yes, tlsdisablev1=no, an open _011. Dial and broad permits
    const blocks = blockCommentLines('asterisk-samples')
    assert.ok(blocks.size > 20)
    const inside = k.filter((x) => blocks.has(x.slice(x.indexOf(' ') + 1)))
    assert.deepEqual(inside, [])
  })
})

describe('yate shipped samples (conf.d/*.conf.sample shape)', () => {
  const r = audit(fixture('yate-samples'))

  it('detects yate', () => assert.equal(r.pbx, 'yate'))

  it('reports exactly: rmanager defaults give admin without a password on loopback, no caller-id forcing', () => {
    assert.deepEqual(exact(r.findings), [
      // [general] with every key commented → port 5038, addr 127.0.0.1, no password/userpass →
      // connections start as Admin; loopback → high (critical only off-host)
      'high yate.rm.no-password rmanager.conf:4',
      // [default] holds no `${username}.=;caller=${username}` rule (only a commented one)
      'medium yate.rr.callerid-not-forced regexroute.conf:10',
    ])
  })

  it('control: the commented examples do produce findings once uncommented', () => {
    const k = keys(audit(uncommented('yate-samples'), { pbx: 'yate' }).findings)
    for (const expected of [
      'yate.reg.autocreate regfile.conf:7',
      'yate.reg.weak-password regfile.conf:10',
      'yate.reg.empty-password regfile.conf:13',
      'yate.reg.no-password regfile.conf:15',
      'yate.sip.registrar-noauth ysipchan.conf:20',
      'yate.sip.message-noauth ysipchan.conf:24',
    ])
      assert.ok(k.includes(expected), `missing ${expected}\nhave:\n${k.join('\n')}`)
  })
})

describe('freeswitch vanilla-like configuration (conf/vanilla shape)', () => {
  const r = audit(fixture('freeswitch-vanilla'))

  it('reports exactly the expected findings', () => {
    assert.deepEqual(exact(r.findings), [
      'critical fs.dir.empty-password directory/default/brian.xml:7',
      'critical fs.dp.bridge-no-toll-check dialplan/default.xml:16',
      'critical fs.dp.public-to-default dialplan/public/00_to_default.xml:4',
      'critical fs.dp.system-injection dialplan/default.xml:11',
      // ESL password ClueCon
      'critical fs.esl.default-password autoload_configs/event_socket.conf.xml:6',
      'critical fs.sofia.auth-calls-off sip_profiles/external.xml:4',
      // default_password=1234
      'critical fs.vars.default-password vars.xml:6',
      'high fs.acl.default-allow autoload_configs/acl.conf.xml:3',
      'high fs.dir.vm-password-trivial directory/default/1000.xml:5',
      // vm-password equal to the user id
      'high fs.dir.vm-password-trivial directory/default/1001.xml:5',
      'high fs.dir.weak-password directory/default/brian.xml:4',
      'high fs.sofia.proxy-acl sip_profiles/external.xml:5',
      // switch.conf.xml loglevel=debug
      'low fs.core.loglevel-debug autoload_configs/switch.conf.xml:6',
      // eavesdrop ^88(\d{4})$|^\*0(.*)$
      'medium fs.dp.eavesdrop-open dialplan/default.xml:6',
      // ESL listen-ip "::"
      'medium fs.esl.listen-all autoload_configs/event_socket.conf.xml:4',
      'medium fs.pre.commented-active vars.xml:8',
      // log-auth-failures absent (external) and false (internal)
      'medium fs.sofia.no-auth-failure-log sip_profiles/external.xml:1',
      'medium fs.sofia.no-auth-failure-log sip_profiles/internal.xml:6',
      'medium fs.sofia.reg-username-mismatch sip_profiles/external.xml:1',
      // tls-version=$${sip_tls_version} = tlsv1,tlsv1.1,tlsv1.2
      'medium fs.sofia.tls-legacy sip_profiles/internal.xml:10',
      'medium fs.vm.callback-context autoload_configs/voicemail.conf.xml:10',
      'medium fs.vm.empty-pin autoload_configs/voicemail.conf.xml:5',
    ])
  })
})
