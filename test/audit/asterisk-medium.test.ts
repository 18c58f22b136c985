// Medium checks of the Asterisk catalogue: one positive case at a concrete file:line and one
// negative case (the setting fixed) per check.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { audit } from '../../src/audit/run.js'
import type { Finding } from '../../src/audit/types.js'
import { fixture, keys, tempConfig } from './helpers.js'

function found(files: Record<string, string>, id: string): Finding[] {
  return audit(tempConfig(files), { pbx: 'asterisk' }).findings.filter((f) => f.id === id)
}

function at(files: Record<string, string>, id: string): string[] {
  return keys(found(files, id))
}

const lines = (...l: string[]) => `${l.join('\n')}\n`

describe('asterisk medium checks: RTP and media encryption', () => {
  it('ast.rtp.strictrtp-off', () => {
    assert.deepEqual(
      at({ 'rtp.conf': lines('[general]', 'rtpstart=10000', 'strictrtp=no') }, 'ast.rtp.strictrtp-off'),
      ['ast.rtp.strictrtp-off rtp.conf:3'],
    )
    assert.deepEqual(at({ 'rtp.conf': lines('[general]', 'strictrtp=seqno') }, 'ast.rtp.strictrtp-off'), [])
  })

  const pj = (proto: string, ep: string[]) =>
    lines('[t1]', 'type=transport', `protocol=${proto}`, 'bind=0.0.0.0', '', '[ph]', 'type=endpoint', ...ep)

  it('ast.pjsip.sdes-cleartext: SDES over an explicit UDP transport, or with no TLS transport at all', () => {
    assert.deepEqual(
      at({ 'pjsip.conf': pj('udp', ['media_encryption=sdes', 'transport=t1']) }, 'ast.pjsip.sdes-cleartext'),
      ['ast.pjsip.sdes-cleartext pjsip.conf:8'],
    )
    assert.deepEqual(at({ 'pjsip.conf': pj('udp', ['media_encryption=sdes']) }, 'ast.pjsip.sdes-cleartext'), [
      'ast.pjsip.sdes-cleartext pjsip.conf:8',
    ])
    assert.deepEqual(
      at({ 'pjsip.conf': pj('tls', ['media_encryption=sdes', 'transport=t1']) }, 'ast.pjsip.sdes-cleartext'),
      [],
    )
    assert.deepEqual(
      at({ 'pjsip.conf': pj('udp', ['media_encryption=dtls']) }, 'ast.pjsip.sdes-cleartext'),
      [],
    )
  })

  it('ast.pjsip.tls-weak-method: unset (PJSIP default TLSv1) or legacy; tlsv1_2 passes', () => {
    assert.deepEqual(at({ 'pjsip.conf': pj('tls', []) }, 'ast.pjsip.tls-weak-method'), [
      'ast.pjsip.tls-weak-method pjsip.conf:1',
    ])
    const legacy = lines('[t1]', 'type=transport', 'protocol=tls', 'method=tlsv1_1')
    assert.deepEqual(at({ 'pjsip.conf': legacy }, 'ast.pjsip.tls-weak-method'), [
      'ast.pjsip.tls-weak-method pjsip.conf:4',
    ])
    const good = lines('[t1]', 'type=transport', 'protocol=tls', 'method=tlsv1_2')
    assert.deepEqual(at({ 'pjsip.conf': good }, 'ast.pjsip.tls-weak-method'), [])
    assert.deepEqual(at({ 'pjsip.conf': pj('udp', []) }, 'ast.pjsip.tls-weak-method'), [])
  })

  it('ast.pjsip.tls-no-verify-server: a registration over TLS without verify_server', () => {
    const conf = (verify: string[]) =>
      lines(
        '[tls]', // 1
        'type=transport',
        'protocol=tls',
        'method=tlsv1_2',
        ...verify,
        '',
        '[reg]',
        'type=registration',
        'transport=tls',
        'server_uri=sips:sip.example.net',
        'client_uri=sips:1000@sip.example.net',
      )
    const f = found({ 'pjsip.conf': conf([]) }, 'ast.pjsip.tls-no-verify-server')
    assert.deepEqual(
      f.flatMap((x) => x.evidence.map((e) => `${e.loc.file}:${e.loc.line}`)),
      ['pjsip.conf:1', 'pjsip.conf:8'],
    )
    assert.deepEqual(
      at(
        { 'pjsip.conf': conf(['verify_server=yes', 'ca_list_file=/etc/ssl/ca.pem']) },
        'ast.pjsip.tls-no-verify-server',
      ),
      [],
    )
    // a TLS transport only phones use is not a finding
    assert.deepEqual(at({ 'pjsip.conf': pj('tls', []) }, 'ast.pjsip.tls-no-verify-server'), [])
  })
})

describe('asterisk medium checks: logging', () => {
  it('ast.log.no-security-channel: logger.conf without the security level; skipped without logger.conf', () => {
    const conf = lines('[general]', '', '[logfiles]', 'messages => notice,warning,error')
    assert.deepEqual(at({ 'logger.conf': conf }, 'ast.log.no-security-channel'), [
      'ast.log.no-security-channel logger.conf:3',
    ])
    assert.deepEqual(
      at({ 'logger.conf': `${conf}security.log => security\n` }, 'ast.log.no-security-channel'),
      [],
    )
    assert.deepEqual(
      at({ 'logger.conf': lines('[logfiles]', 'full => *') }, 'ast.log.no-security-channel'),
      [],
    )
    const r = audit(tempConfig({ 'pjsip.conf': '' }), { pbx: 'asterisk' })
    assert.equal(r.checks.find((c) => c.id === 'ast.log.no-security-channel')!.status, 'skipped')
  })
})

describe('asterisk medium checks: AMI, HTTP, ARI', () => {
  const mgr = (general: string[], user: string[]) =>
    lines('[general]', 'enabled=yes', ...general, '', '[app]', 'secret=Xq7-vL2p-Rt9w-Kz4m', ...user)

  it('ast.ami.privileged-write: medium on loopback, high when AMI listens beyond it', () => {
    const local = found(
      {
        'manager.conf': mgr(
          ['bindaddr=127.0.0.1'],
          ['deny=0.0.0.0/0', 'permit=127.0.0.1/32', 'write=call,originate'],
        ),
      },
      'ast.ami.privileged-write',
    )
    assert.deepEqual(keys(local), ['ast.ami.privileged-write manager.conf:9'])
    assert.equal(local[0]!.severity, 'medium')
    assert.match(local[0]!.message, /originate/)
    const pub = found(
      { 'manager.conf': mgr(['bindaddr=0.0.0.0'], ['write=system']) },
      'ast.ami.privileged-write',
    )
    assert.equal(pub[0]!.severity, 'high')
    assert.deepEqual(
      at(
        { 'manager.conf': mgr(['bindaddr=127.0.0.1'], ['write=call,reporting']) },
        'ast.ami.privileged-write',
      ),
      [],
    )
  })

  it('ast.ami.no-tls-remote: AMI off-host without TLS; AMI over cleartext HTTP', () => {
    assert.deepEqual(at({ 'manager.conf': mgr(['bindaddr=10.0.0.5'], []) }, 'ast.ami.no-tls-remote'), [
      'ast.ami.no-tls-remote manager.conf:3',
    ])
    assert.deepEqual(at({ 'manager.conf': mgr([], []) }, 'ast.ami.no-tls-remote'), [
      'ast.ami.no-tls-remote manager.conf:1',
    ])
    assert.deepEqual(
      at({ 'manager.conf': mgr(['bindaddr=10.0.0.5', 'tlsenable=yes'], []) }, 'ast.ami.no-tls-remote'),
      [],
    )
    const web = {
      'manager.conf': mgr(['bindaddr=127.0.0.1', 'webenabled=yes'], []),
      'http.conf': lines('[general]', 'enabled=yes', 'bindaddr=0.0.0.0'),
    }
    assert.deepEqual(at(web, 'ast.ami.no-tls-remote'), ['ast.ami.no-tls-remote manager.conf:4'])
  })

  it('ast.http.public-cleartext: high when ARI users exist; loopback or TLS passes', () => {
    const http = lines('[general]', 'enabled=yes', 'bindaddr=0.0.0.0', 'bindport=8088')
    const f = found({ 'http.conf': http }, 'ast.http.public-cleartext')
    assert.deepEqual(keys(f), ['ast.http.public-cleartext http.conf:3'])
    assert.equal(f[0]!.severity, 'medium')
    const ari = found(
      { 'http.conf': http, 'ari.conf': lines('[u]', 'type=user', 'password_format=crypt', 'password=$6$x') },
      'ast.http.public-cleartext',
    )
    assert.equal(ari[0]!.severity, 'high')
    assert.deepEqual(
      at(
        { 'http.conf': lines('[general]', 'enabled=yes', 'bindaddr=127.0.0.1') },
        'ast.http.public-cleartext',
      ),
      [],
    )
  })

  it('ast.http.tls-legacy: TLS 1.1 stays on unless tlsdisablev11=yes', () => {
    const base = [
      '[general]',
      'enabled=yes',
      'bindaddr=127.0.0.1',
      'tlsenable=yes',
      'tlsbindaddr=0.0.0.0:8089',
    ]
    const f = found({ 'http.conf': lines(...base, 'tlsdisablev1=no') }, 'ast.http.tls-legacy')
    assert.deepEqual(keys(f), ['ast.http.tls-legacy http.conf:6'])
    assert.match(f[0]!.message, /TLS 1\.0 and TLS 1\.1/)
    assert.deepEqual(at({ 'http.conf': lines(...base, 'tlsdisablev11=yes') }, 'ast.http.tls-legacy'), [])
  })

  it('ast.ari.origins-wildcard and ast.ari.no-acl', () => {
    const ari = lines(
      '[general]',
      'enabled=yes',
      'allowed_origins=https://ops.example.net,*',
      '',
      '[dash]',
      'type=user',
      'password_format=crypt',
      'password=$6$abc',
      '',
      '[bot]',
      'type=user',
      'password_format=crypt',
      'password=$6$def',
      'deny=0.0.0.0/0.0.0.0',
      'permit=127.0.0.1/255.255.255.255',
    )
    assert.deepEqual(at({ 'ari.conf': ari }, 'ast.ari.origins-wildcard'), [
      'ast.ari.origins-wildcard ari.conf:3',
    ])
    assert.deepEqual(at({ 'ari.conf': ari }, 'ast.ari.no-acl'), ['ast.ari.no-acl ari.conf:5'])
    assert.deepEqual(
      at({ 'ari.conf': ari.replace(',*', '').replace('enabled=yes', 'enabled=no') }, 'ast.ari.no-acl'),
      [],
    )
  })
})

describe('asterisk medium checks: core and ACLs', () => {
  it('ast.core.execincludes and ast.core.exec-directive (info while execincludes is off)', () => {
    const files = {
      'asterisk.conf': lines('[options]', 'runuser=asterisk', 'execincludes=yes'),
      'extensions.conf': lines('[x]', 'exten => 1,1,Answer()', '#exec /usr/local/bin/gen-dialplan'),
    }
    assert.deepEqual(at(files, 'ast.core.execincludes'), ['ast.core.execincludes asterisk.conf:3'])
    const on = found(files, 'ast.core.exec-directive')
    assert.deepEqual(keys(on), ['ast.core.exec-directive extensions.conf:3'])
    assert.equal(on[0]!.severity, 'medium')
    const off = found(
      { ...files, 'asterisk.conf': lines('[options]', 'runuser=asterisk') },
      'ast.core.exec-directive',
    )
    assert.equal(off[0]!.severity, 'info')
  })

  it('ast.core.runs-as-root: runuser unset or root; skipped without asterisk.conf', () => {
    assert.deepEqual(at({ 'asterisk.conf': lines('[options]', 'verbose=3') }, 'ast.core.runs-as-root'), [
      'ast.core.runs-as-root asterisk.conf:1',
    ])
    assert.deepEqual(at({ 'asterisk.conf': lines('[options]', 'runuser=root') }, 'ast.core.runs-as-root'), [
      'ast.core.runs-as-root asterisk.conf:2',
    ])
    assert.deepEqual(
      at({ 'asterisk.conf': lines('[options]', 'runuser=asterisk') }, 'ast.core.runs-as-root'),
      [],
    )
  })

  it('ast.acl.named-undefined: acl= names a section acl.conf lacks', () => {
    const files = {
      'acl.conf': lines('[office]', 'deny=0.0.0.0/0.0.0.0', 'permit=192.168.1.0/24'),
      'pjsip.conf': lines('[ph]', 'type=endpoint', 'acl=office,offcie'),
      'manager.conf': lines('[general]', 'enabled=no', '[app]', 'acl=mgmt'),
    }
    assert.deepEqual(at(files, 'ast.acl.named-undefined'), [
      'ast.acl.named-undefined pjsip.conf:3',
      'ast.acl.named-undefined manager.conf:4',
    ])
    assert.match(found(files, 'ast.acl.named-undefined')[0]!.message, /acl=offcie/)
  })
})

describe('asterisk medium checks: PJSIP', () => {
  it('ast.pjsip.unauth-options', () => {
    const conf = lines('[ph]', 'type=endpoint', 'auth=ph', 'allow_unauthenticated_options=yes')
    assert.deepEqual(at({ 'pjsip.conf': conf }, 'ast.pjsip.unauth-options'), [
      'ast.pjsip.unauth-options pjsip.conf:4',
    ])
    assert.deepEqual(at({ 'pjsip.conf': conf.replace('=yes', '=no') }, 'ast.pjsip.unauth-options'), [])
  })

  const trunk = (extra: string[]) =>
    lines(
      '[itsp]', // 1
      'type=endpoint',
      'context=from-itsp',
      'identify_by=ip',
      ...extra,
      '',
      '[itsp-id]',
      'type=identify',
      'endpoint=itsp',
      'match=198.51.100.10',
    )

  it('ast.pjsip.no-acl-trunk: identify-matched endpoint without auth or ACL', () => {
    assert.deepEqual(at({ 'pjsip.conf': trunk([]) }, 'ast.pjsip.no-acl-trunk'), [
      'ast.pjsip.no-acl-trunk pjsip.conf:1',
    ])
    assert.deepEqual(
      at({ 'pjsip.conf': trunk(['deny=0.0.0.0/0', 'permit=198.51.100.10']) }, 'ast.pjsip.no-acl-trunk'),
      [],
    )
    const globalAcl = `${trunk([])}\n[acl]\ntype=acl\ndeny=0.0.0.0/0\npermit=198.51.100.0/24\n`
    assert.deepEqual(at({ 'pjsip.conf': globalAcl }, 'ast.pjsip.no-acl-trunk'), [])
  })

  it('ast.pjsip.transfer-on-trunk: only when the trunk context reaches a toll route', () => {
    const dp = lines(
      '[from-itsp]',
      'exten => _X.,1,Goto(out,${EXTEN},1)',
      '[out]',
      'exten => _00.,1,Dial(PJSIP/${EXTEN}@itsp)',
    )
    const f = found({ 'pjsip.conf': trunk([]), 'extensions.conf': dp }, 'ast.pjsip.transfer-on-trunk')
    assert.deepEqual(keys(f), ['ast.pjsip.transfer-on-trunk pjsip.conf:1'])
    assert.deepEqual(
      f[0]!.path!.map((e) => `${e.loc.file}:${e.loc.line}`),
      ['pjsip.conf:3', 'extensions.conf:2', 'extensions.conf:4'],
    )
    assert.deepEqual(
      at(
        { 'pjsip.conf': trunk(['allow_transfer=no']), 'extensions.conf': dp },
        'ast.pjsip.transfer-on-trunk',
      ),
      [],
    )
    const didOnly = lines('[from-itsp]', 'exten => 2125550100,1,Dial(PJSIP/ph)')
    assert.deepEqual(
      at({ 'pjsip.conf': trunk([]), 'extensions.conf': didOnly }, 'ast.pjsip.transfer-on-trunk'),
      [],
    )
  })

  it('ast.pjsip.trust-id-inbound: on a phone, not on a trunk', () => {
    const conf = `${trunk(['trust_id_inbound=yes'])}\n[ph]\ntype=endpoint\nauth=ph\ntrust_id_inbound=yes\n`
    assert.deepEqual(at({ 'pjsip.conf': conf }, 'ast.pjsip.trust-id-inbound'), [
      'ast.pjsip.trust-id-inbound pjsip.conf:15',
    ])
  })
})

describe('asterisk medium checks: chan_sip', () => {
  const sip = (...general: string[]) => ({ 'sip.conf': lines('[general]', 'allowguest=no', ...general) })

  it('ast.sip.alwaysauthreject-off, ast.sip.promiscredir, ast.sip.unauth-message', () => {
    assert.deepEqual(at(sip('alwaysauthreject=no'), 'ast.sip.alwaysauthreject-off'), [
      'ast.sip.alwaysauthreject-off sip.conf:3',
    ])
    assert.deepEqual(at(sip('alwaysauthreject=yes'), 'ast.sip.alwaysauthreject-off'), [])
    assert.deepEqual(at(sip('promiscredir=yes'), 'ast.sip.promiscredir'), ['ast.sip.promiscredir sip.conf:3'])
    assert.deepEqual(
      at(sip('accept_outofcall_message=yes', 'auth_message_requests=no'), 'ast.sip.unauth-message'),
      ['ast.sip.unauth-message sip.conf:4'],
    )
    assert.deepEqual(at(sip('accept_outofcall_message=yes'), 'ast.sip.unauth-message'), [])
  })

  it('ast.sip.trustrpid: a dynamic phone yes, a fixed-host trunk peer no', () => {
    const conf = lines(
      '[general]',
      'allowguest=no',
      '[phone1]',
      'type=friend',
      'host=dynamic',
      'secret=Xq7-vL2p-Rt9w-Kz4m',
      'trustrpid=yes',
      '[carrier]',
      'type=peer',
      'host=203.0.113.5',
      'trustrpid=yes',
    )
    assert.deepEqual(at({ 'sip.conf': conf }, 'ast.sip.trustrpid'), ['ast.sip.trustrpid sip.conf:7'])
  })

  it('ast.sip.tls-weak: legacy client method and no server verification', () => {
    assert.deepEqual(
      at(sip('tlsenable=yes', 'tlsclientmethod=sslv3', 'tlsdontverifyserver=yes'), 'ast.sip.tls-weak'),
      ['ast.sip.tls-weak sip.conf:4', 'ast.sip.tls-weak sip.conf:5'],
    )
    assert.deepEqual(at(sip('tlsenable=yes'), 'ast.sip.tls-weak'), [])
  })
})

describe('asterisk medium checks: dialplan', () => {
  const untrusted = lines('[anonymous]', 'type=endpoint', 'context=public')

  it('ast.dp.untrusted-in-filename', () => {
    const dp = lines(
      '[rec]',
      'exten => _X.,1,MixMonitor(/var/spool/asterisk/monitor/${CALLERID(num)}-${UNIQUEID}.wav)',
      'exten => 2,1,MixMonitor(${UNIQUEID}.wav)',
      'exten => 3,1,MixMonitor(${FILTER(0-9,${CALLERID(num)})}.wav)',
    )
    assert.deepEqual(at({ 'extensions.conf': dp }, 'ast.dp.untrusted-in-filename'), [
      'ast.dp.untrusted-in-filename extensions.conf:2',
    ])
  })

  it('ast.dp.international-open (medium; critical with the path when outside-reachable) and ast.dp.premium-prefix', () => {
    const dp = lines(
      '[users]',
      'exten => _011.,1,Dial(PJSIP/${EXTEN}@itsp)',
      'exten => _1900NXXXXXX,1,Dial(PJSIP/${EXTEN}@itsp)',
      'exten => _1NXXNXXXXXX,1,Dial(PJSIP/${EXTEN}@itsp)',
      '[public]',
      'exten => _X.,1,Dial(PJSIP/${EXTEN}@itsp)',
    )
    const f = found({ 'extensions.conf': dp, 'pjsip.conf': untrusted }, 'ast.dp.international-open')
    assert.deepEqual(
      f.map((x) => `${x.evidence[0]!.loc.line}:${x.severity}`),
      ['6:critical', '2:medium'],
    )
    assert.deepEqual(
      f[0]!.path!.map((e) => `${e.loc.file}:${e.loc.line}`),
      ['pjsip.conf:3', 'extensions.conf:6'],
    )
    assert.deepEqual(at({ 'extensions.conf': dp }, 'ast.dp.premium-prefix'), [
      'ast.dp.premium-prefix extensions.conf:3',
    ])
  })

  it('ast.dp.international-open is high when every phone reaches it', () => {
    const f = found(
      {
        'extensions.conf': lines('[users]', 'exten => _00.,1,Dial(PJSIP/${EXTEN}@itsp)'),
        'pjsip.conf': lines('[ph]', 'type=endpoint', 'auth=ph', 'context=users'),
      },
      'ast.dp.international-open',
    )
    assert.equal(f[0]!.severity, 'high')
  })

  it('ast.dp.callerid-from-input: from ${EXTEN} or Read(), not a normalisation of CALLERID itself', () => {
    const dp = lines(
      '[x]',
      'exten => _9X.,1,Set(CALLERID(num)=${EXTEN:1})',
      'exten => 2,1,Read(NUM,enter-number,10)',
      'same => n,Set(CALLERID(all)=${NUM})',
      'exten => 3,1,Set(CALLERID(num)=${CALLERID(num):1})',
      'exten => 4,1,Set(CALLERID(num)=${FILTER(0-9,${EXTEN})})',
    )
    assert.deepEqual(at({ 'extensions.conf': dp }, 'ast.dp.callerid-from-input'), [
      'ast.dp.callerid-from-input extensions.conf:2',
      'ast.dp.callerid-from-input extensions.conf:4',
    ])
  })

  it('ast.dp.vm-from-outside: with the path from the entry', () => {
    const dp = lines(
      '[public]',
      'include => vm',
      '[vm]',
      'exten => *98,1,VoiceMailMain()',
      '[users]',
      'exten => *97,1,VoiceMailMain()',
    )
    const f = found({ 'extensions.conf': dp, 'pjsip.conf': untrusted }, 'ast.dp.vm-from-outside')
    assert.deepEqual(keys(f), ['ast.dp.vm-from-outside extensions.conf:4'])
    assert.deepEqual(
      f[0]!.path!.map((e) => `${e.loc.file}:${e.loc.line}`),
      ['pjsip.conf:3', 'extensions.conf:2', 'extensions.conf:4'],
    )
  })

  it('ast.dp.authenticate-weak: short literal code, masked in the evidence', () => {
    const dp = lines(
      '[x]',
      'exten => 1,1,Authenticate(4711)',
      'exten => 2,1,Authenticate(/etc/asterisk/codes,a)',
      'exten => 3,1,Authenticate(83920174)',
    )
    const f = found({ 'extensions.conf': dp }, 'ast.dp.authenticate-weak')
    assert.deepEqual(keys(f), ['ast.dp.authenticate-weak extensions.conf:2'])
    assert.ok(!JSON.stringify(f).includes('4711'))
  })

  it('ast.dp.transfer-options-external: T on an inbound leg whose context reaches a toll route', () => {
    const dp = lines(
      '[public]',
      'exten => 100,1,Dial(PJSIP/ph,30,Tr)',
      'exten => _00.,1,Dial(PJSIP/${EXTEN}@itsp)',
      '[safe]',
      'exten => 100,1,Dial(PJSIP/ph,30,Tr)',
    )
    const f = found({ 'extensions.conf': dp, 'pjsip.conf': untrusted }, 'ast.dp.transfer-options-external')
    assert.deepEqual(keys(f), ['ast.dp.transfer-options-external extensions.conf:2'])
    const safe = dp.replace('[public]\n', '[public]\nexten => s,1,Set(TRANSFER_CONTEXT=safe)\n')
    assert.deepEqual(
      at({ 'extensions.conf': safe, 'pjsip.conf': untrusted }, 'ast.dp.transfer-options-external'),
      [],
    )
  })

  it('ast.dp.dynamic-goto: context from input, or extension from caller ID; ${EXTEN} as extension is normal', () => {
    const dp = lines(
      '[x]',
      'exten => _X.,1,Goto(${EXTEN},s,1)',
      'exten => 2,1,Goto(lookup,${CALLERID(num)},1)',
      'exten => _X.,1,Goto(out,${EXTEN},1)',
      'exten => 4,1,Read(DEST,menu,1)',
      'same => n,Gosub(menu-${DEST},s,1)',
    )
    assert.deepEqual(at({ 'extensions.conf': dp }, 'ast.dp.dynamic-goto'), [
      'ast.dp.dynamic-goto extensions.conf:2',
      'ast.dp.dynamic-goto extensions.conf:3',
      'ast.dp.dynamic-goto extensions.conf:6',
    ])
  })
})

describe('asterisk medium checks: voicemail', () => {
  it('ast.vm.sample-mailbox and ast.vm.minpassword on the insecure fixture', () => {
    const k = keys(audit(fixture('asterisk-insecure')).findings)
    assert.ok(k.includes('ast.vm.sample-mailbox voicemail.conf:6'), k.join('\n'))
    assert.ok(k.includes('ast.vm.minpassword voicemail.conf:1'), k.join('\n'))
  })

  it('ast.vm.minpassword passes at 6; no mailboxes, no finding', () => {
    assert.deepEqual(
      at(
        { 'voicemail.conf': lines('[general]', 'minpassword=6', '[default]', '1000 => 830516,A') },
        'ast.vm.minpassword',
      ),
      [],
    )
    assert.deepEqual(
      at(
        { 'voicemail.conf': lines('[general]', 'minpassword=4', '[default]', '1000 => 830516,A') },
        'ast.vm.minpassword',
      ),
      ['ast.vm.minpassword voicemail.conf:2'],
    )
    assert.deepEqual(at({ 'voicemail.conf': lines('[general]') }, 'ast.vm.minpassword'), [])
  })
})
