import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { renderText } from '../../src/audit/report/text.js'
import { audit } from '../../src/audit/run.js'
import { fixture, keys, tempConfig } from './helpers.js'

describe('freeswitch checks (vanilla-like configuration)', () => {
  const r = audit(fixture('freeswitch-vanilla'))
  const k = keys(r.findings)

  it('finds the default password 1234 with the vars.xml line and its users', () => {
    const f = r.findings.find((x) => x.id === 'fs.vars.default-password')!
    assert.equal(f.severity, 'critical')
    assert.equal(`${f.evidence[0]!.loc.file}:${f.evidence[0]!.loc.line}`, 'vars.xml:6')
    assert.ok(f.evidence.some((e) => e.loc.file === 'directory/default/1000.xml' && e.loc.line === 4))
    assert.ok(!renderText([r]).includes('1234'))
  })

  it('reports the expected findings', () => {
    for (const expected of [
      'fs.esl.default-password autoload_configs/event_socket.conf.xml:6',
      'fs.esl.listen-all autoload_configs/event_socket.conf.xml:4',
      'fs.dir.empty-password directory/default/brian.xml:7',
      'fs.dir.weak-password directory/default/brian.xml:4',
      'fs.dir.vm-password-trivial directory/default/1000.xml:5',
      'fs.acl.default-allow autoload_configs/acl.conf.xml:3',
      'fs.sofia.proxy-acl sip_profiles/external.xml:5',
      'fs.sofia.auth-calls-off sip_profiles/external.xml:4',
      'fs.dp.public-to-default dialplan/public/00_to_default.xml:4',
      'fs.dp.bridge-no-toll-check dialplan/default.xml:16',
      'fs.dp.system-injection dialplan/default.xml:11',
      'fs.pre.commented-active vars.xml:8',
      'fs.sofia.no-auth-failure-log sip_profiles/internal.xml:6',
    ])
      assert.ok(k.includes(expected), `missing ${expected}\nhave:\n${k.join('\n')}`)
  })

  it('the toll_allow-gated domestic route is not reported; the open route is critical with a path', () => {
    assert.ok(!k.includes('fs.dp.bridge-no-toll-check dialplan/default.xml:22'))
    const auth = r.findings.find((x) => x.id === 'fs.sofia.auth-calls-off')!
    assert.equal(auth.severity, 'critical')
    assert.deepEqual(
      auth.path!.map((e) => `${e.loc.file}:${e.loc.line}`),
      ['sip_profiles/external.xml:3', 'dialplan/public/00_to_default.xml:4', 'dialplan/default.xml:16'],
    )
  })
})

describe('yate checks (insecure configuration)', () => {
  const r = audit(fixture('yate-insecure'))
  const k = keys(r.findings)

  it('reports the expected findings', () => {
    for (const expected of [
      'yate.rm.no-password rmanager.conf:8',
      'yate.rm.no-password rmanager.conf:2',
      'yate.rm.public-bind rmanager.conf:10',
      'yate.ext.tcp-listener-public extmodule.conf:6',
      'yate.reg.empty-password regfile.conf:5',
      'yate.reg.no-password regfile.conf:7',
      'yate.reg.autocreate regfile.conf:2',
      'yate.reg.weak-password regfile.d/10-users.conf:2',
      'yate.sip.registrar-noauth ysipchan.conf:6',
      'yate.rr.no-auth-gate regexroute.conf:3',
    ])
      assert.ok(k.includes(expected), `missing ${expected}\nhave:\n${k.join('\n')}`)
  })

  it('rates a passwordless loopback rmanager high and a public one critical', () => {
    const rm = r.findings.filter((f) => f.id === 'yate.rm.no-password')
    assert.deepEqual(rm.map((f) => `${f.evidence[0]!.loc.line}:${f.severity}`).sort(), [
      '2:high',
      '8:critical',
    ])
  })

  it('routes after the ${username} gate are not reported', () => {
    assert.ok(!k.includes('yate.rr.no-auth-gate regexroute.conf:5'))
    assert.ok(!k.some((x) => x.startsWith('yate.reg.weak-password regfile.d/10-users.conf:5')))
  })
})

describe('freeswitch checks on a small hand-written configuration', () => {
  const dir = tempConfig({
    'vars.xml':
      '<include>\n<X-PRE-PROCESS cmd="set" data="default_password=Qm7-xT4v-Lp9z-Rw2k"/>\n</include>\n',
    'autoload_configs/modules.conf.xml':
      '<configuration name="modules.conf"><modules>\n<load module="mod_event_socket"/>\n<load module="mod_xml_rpc"/>\n</modules></configuration>\n',
    'autoload_configs/event_socket.conf.xml':
      '<configuration name="event_socket.conf"><settings>\n<param name="listen-ip" value="0.0.0.0"/>\n<param name="password" value="Zr8-kQ2m-Vx5t-Hn7c"/>\n<param name="apply-inbound-acl" value="any_v4.auto"/>\n</settings></configuration>\n',
    'autoload_configs/xml_rpc.conf.xml':
      '<configuration name="xml_rpc.conf"><settings>\n<param name="auth-realm" value="freeswitch"/>\n<param name="auth-user" value="freeswitch"/>\n<param name="auth-pass" value="works"/>\n</settings></configuration>\n',
    'autoload_configs/verto.conf.xml':
      '<configuration name="verto.conf"><profiles><profile name="web">\n<param name="blind-reg" value="true"/>\n</profile></profiles></configuration>\n',
    'autoload_configs/acl.conf.xml':
      '<configuration name="acl.conf"><network-lists>\n<list name="open">\n<node type="allow" cidr="10.0.0.0/8"/>\n</list>\n</network-lists></configuration>\n',
    'autoload_configs/sofia.conf.xml':
      '<configuration name="sofia.conf"><profiles>\n<profile name="p1"><settings>\n<param name="auth-calls" value="true"/>\n<param name="accept-blind-reg" value="true"/>\n<param name="accept-blind-auth" value="true"/>\n<param name="apply-inbound-acl" value="open"/>\n<param name="log-auth-failures" value="true"/>\n<param name="tls" value="true"/>\n<param name="tls-version" value="tlsv1,tlsv1.2"/>\n</settings></profile>\n</profiles></configuration>\n',
    'directory/d.xml':
      '<include><domain name="d"><groups><group name="g"><users>\n<user id="2000" cidr="192.168.0.0/16">\n<params><param name="password" value="Kx4-pT8z-Qm2v-Rn6w"/></params>\n</user>\n</users></group></groups></domain></include>\n',
    'dialplan/d.xml':
      '<include><context name="default">\n<extension name="vm"><condition field="destination_number" expression="^\\*98$">\n<action application="set" data="voicemail_authorized=true"/>\n<action application="voicemail" data="check default ${domain_name}"/>\n</condition></extension>\n</context></include>\n',
  })
  const k = keys(audit(dir, { pbx: 'freeswitch' }).findings)

  it('reports blind registration/auth, permissive ACLs, xml_rpc and verto defaults, PIN skip, TLS', () => {
    for (const expected of [
      'fs.sofia.blind-reg autoload_configs/sofia.conf.xml:4',
      'fs.sofia.blind-auth autoload_configs/sofia.conf.xml:5',
      'fs.sofia.inbound-acl-permissive autoload_configs/sofia.conf.xml:6',
      'fs.acl.default-allow autoload_configs/acl.conf.xml:2',
      'fs.esl.acl-permissive autoload_configs/event_socket.conf.xml:4',
      'fs.esl.listen-all autoload_configs/event_socket.conf.xml:2',
      'fs.xmlrpc.default-creds autoload_configs/xml_rpc.conf.xml:4',
      'fs.verto.blind-reg autoload_configs/verto.conf.xml:2',
      'fs.dir.cidr-auth-broad directory/d.xml:2',
      'fs.vm.pin-skip dialplan/d.xml:3',
      'fs.sofia.tls-legacy autoload_configs/sofia.conf.xml:9',
    ])
      assert.ok(k.includes(expected), `missing ${expected}\nhave:\n${k.join('\n')}`)
    assert.ok(
      !k.some((x) => x.startsWith('fs.vars.default-password') || x.startsWith('fs.esl.default-password')),
    )
  })
})

describe('yate rmanager passwords', () => {
  it('weak passwords are reported, strong ones are not', () => {
    const dir = tempConfig({
      'rmanager.conf': '[general]\naddr=127.0.0.1\npassword=admin123\nuserpass=Lq8-vT3x-Pz6m-Wk2r\n',
      'yate.conf': '[general]\nmodload=enable\n',
    })
    const r = audit(dir)
    assert.deepEqual(keys(r.findings), ['yate.rm.weak-password rmanager.conf:3'])
  })
})
