import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { renderJson } from '../../src/audit/report/json.js'
import { renderSarif } from '../../src/audit/report/sarif.js'
import { renderText } from '../../src/audit/report/text.js'
import { audit } from '../../src/audit/run.js'
import { fixture, keys } from './helpers.js'

describe('asterisk checks: insecure configuration', () => {
  const r = audit(fixture('asterisk-insecure'))
  const k = keys(r.findings)

  it('detects the PBX', () => assert.equal(r.pbx, 'asterisk'))

  it('reports the expected findings with file:line', () => {
    for (const expected of [
      'ast.core.live-dangerously asterisk.conf:5',
      'ast.core.ctl-perms asterisk.conf:9',
      'ast.creds.default pjsip.d/10-trunk.conf:10',
      'ast.creds.default manager.conf:7',
      'ast.pjsip.endpoint-unauth-username-ident pjsip.d/10-trunk.conf:2',
      'ast.pjsip.anonymous-endpoint pjsip.conf:29',
      'ast.pjsip.identify-overbroad pjsip.d/10-trunk.conf:15',
      'ast.pjsip.identify-header pjsip.conf:38',
      'ast.pjsip.weak-password pjsip.conf:22',
      'ast.sip.allowguest sip.conf:1',
      'ast.sip.autocreatepeer sip.conf:3',
      'ast.sip.insecure-invite sip.conf:8',
      'ast.dp.untrusted-in-shell extensions.conf:20',
      'ast.dp.callerid-as-auth extensions.conf:21',
      'ast.dp.disa-present extensions.conf:22',
      'ast.dp.vm-skip-pin extensions.conf:26',
      'ast.dp.disa-no-password extensions.conf:27',
      'ast.dp.chanspy-unprotected extensions.conf:28',
      'ast.dp.remote-callforward extensions.conf:29',
      'ast.dp.toll-in-default extensions.conf:33',
      'ast.dp.toll-in-default extensions.conf:34',
      'ast.dp.inbound-includes-internal extensions.conf:19',
      'ast.dp.wildcard-exten-in-dial extensions.conf:33',
      'ast.ami.public-bind manager.conf:4',
      'ast.ami.user-no-acl manager.conf:6',
      'ast.ami.weak-secret manager.conf:12',
      'ast.acl.permit-without-deny manager.conf:13',
      'ast.acl.overbroad manager.conf:19',
      'ast.ari.weak-password ari.conf:6',
      'ast.vm.pin-equals-mailbox voicemail.conf:7',
      'ast.vm.dialout-toll voicemail.conf:3',
    ])
      assert.ok(k.includes(expected), `missing ${expected}\nhave:\n${k.join('\n')}`)
  })

  it('raises reachable findings to critical and shows the whole path', () => {
    const anon = r.findings.find((f) => f.id === 'ast.pjsip.anonymous-endpoint')!
    assert.equal(anon.severity, 'critical')
    assert.deepEqual(
      anon.path!.map((e) => `${e.loc.file}:${e.loc.line}`),
      ['pjsip.conf:31', 'extensions.conf:9', 'extensions.conf:13', 'extensions.conf:33'],
    )
    const toll = r.findings.filter((f) => f.id === 'ast.dp.untrusted-reaches-toll')
    assert.deepEqual(toll.map((f) => f.evidence[0]!.loc.line).sort(), [3, 31, 4].sort())
    const vm = r.findings.find((f) => f.id === 'ast.dp.vm-skip-pin')!
    assert.equal(vm.severity, 'critical')
  })

  it('never prints secrets, in any format', () => {
    const outputs = [renderText([r]), renderJson([r], 'test'), renderSarif([r], 'test')]
    for (const out of outputs)
      for (const secret of [
        'mysecret',
        'amp111',
        'monitor1',
        'password = 1001',
        '4242',
        'Xq7-vL2p-Rt9w-Kz4m',
      ])
        assert.ok(!out.includes(secret), `secret ${secret} leaked`)
  })

  it('emits valid SARIF 2.1.0 with rules and file:line locations', () => {
    const sarif = JSON.parse(renderSarif([r], 'test'))
    assert.equal(sarif.version, '2.1.0')
    const run = sarif.runs[0]
    assert.ok(run.tool.driver.rules.some((x: { id: string }) => x.id === 'ast.dp.untrusted-reaches-toll'))
    const res = run.results.find((x: { ruleId: string }) => x.ruleId === 'ast.sip.autocreatepeer')
    assert.equal(res.level, 'error')
    assert.equal(res.locations[0].physicalLocation.artifactLocation.uri, 'sip.conf')
    assert.equal(res.locations[0].physicalLocation.region.startLine, 3)
  })
})

describe('asterisk checks: hardened and commented configurations', () => {
  it('a hardened configuration gives no finding above low', () => {
    const r = audit(fixture('asterisk-hardened'))
    const above = r.findings.filter((f) => ['critical', 'high', 'medium'].includes(f.severity))
    assert.deepEqual(keys(above), [])
    assert.equal(r.hardeningIndex, 100)
  })

  it('content inside block comments is not reported (secret = apples, allowguest = yes)', () => {
    const r = audit(fixture('asterisk-commented'))
    assert.deepEqual(keys(r.findings), [])
  })
})
