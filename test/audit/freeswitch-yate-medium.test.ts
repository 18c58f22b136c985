// Medium checks of the FreeSWITCH and Yate catalogues: positive at a concrete file:line, negative fixed.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { audit } from '../../src/audit/run.js'
import type { Finding, Pbx } from '../../src/audit/types.js'
import { fixture, keys, tempConfig } from './helpers.js'

function found(pbx: Pbx, files: Record<string, string>, id: string): Finding[] {
  return audit(tempConfig(files), { pbx }).findings.filter((f) => f.id === id)
}
const at = (pbx: Pbx, files: Record<string, string>, id: string) => keys(found(pbx, files, id))
const lines = (...l: string[]) => `${l.join('\n')}\n`

const fsProfile = (...params: string[]) => ({
  'vars.xml': '<include>\n</include>\n',
  'autoload_configs/sofia.conf.xml': lines(
    '<configuration name="sofia.conf">', // 1
    '<profiles>', // 2
    '<profile name="internal">', // 3
    '<settings>', // 4
    ...params.map((p) => `<param ${p}/>`), // 5…
    '</settings>',
    '</profile>',
    '</profiles>',
    '</configuration>',
  ),
})

const fsDialplan = (...body: string[]) => ({
  'vars.xml': '<include>\n</include>\n',
  'dialplan/default.xml': lines('<include>', '<context name="default">', ...body, '</context>', '</include>'),
})

describe('freeswitch medium checks', () => {
  it('fs.sofia.reg-username-mismatch: unset or false on a registering profile', () => {
    assert.deepEqual(
      at('freeswitch', fsProfile('name="auth-calls" value="true"'), 'fs.sofia.reg-username-mismatch'),
      ['fs.sofia.reg-username-mismatch autoload_configs/sofia.conf.xml:3'],
    )
    assert.deepEqual(
      at(
        'freeswitch',
        fsProfile('name="inbound-reg-force-matching-username" value="false"'),
        'fs.sofia.reg-username-mismatch',
      ),
      ['fs.sofia.reg-username-mismatch autoload_configs/sofia.conf.xml:5'],
    )
    assert.deepEqual(
      at(
        'freeswitch',
        fsProfile('name="inbound-reg-force-matching-username" value="true"'),
        'fs.sofia.reg-username-mismatch',
      ),
      [],
    )
    assert.deepEqual(
      at('freeswitch', fsProfile('name="disable-register" value="true"'), 'fs.sofia.reg-username-mismatch'),
      [],
    )
  })

  it('fs.dp.eavesdrop-open: vanilla eavesdrop reported; gated on a permission variable it is not', () => {
    assert.ok(
      keys(audit(fixture('freeswitch-vanilla')).findings).includes(
        'fs.dp.eavesdrop-open dialplan/default.xml:6',
      ),
    )
    const gated = fsDialplan(
      '<extension name="spy">',
      '<condition field="${can_spy}" expression="^true$"/>',
      '<condition field="destination_number" expression="^88(\\d{4})$">',
      '<action application="eavesdrop" data="all"/>',
      '</condition>',
      '</extension>',
    )
    assert.deepEqual(at('freeswitch', gated, 'fs.dp.eavesdrop-open'), [])
    const open = fsDialplan(
      '<extension name="intercept">',
      '<condition field="destination_number" expression="^\\*\\*(\\d+)$">',
      '<action application="intercept" data="$1"/>',
      '</condition>',
      '</extension>',
    )
    assert.deepEqual(at('freeswitch', open, 'fs.dp.eavesdrop-open'), [
      'fs.dp.eavesdrop-open dialplan/default.xml:5',
    ])
  })

  it('fs.dp.callerid-from-input: from a SIP header, not from the directory', () => {
    const dp = fsDialplan(
      '<extension name="x">',
      '<condition field="destination_number" expression="^(\\d+)$">',
      '<action application="set" data="effective_caller_id_number=${sip_h_X-Caller}"/>',
      '<action application="set" data="effective_caller_id_number=${outbound_caller_id_number}"/>',
      '</condition>',
      '</extension>',
    )
    assert.deepEqual(at('freeswitch', dp, 'fs.dp.callerid-from-input'), [
      'fs.dp.callerid-from-input dialplan/default.xml:5',
    ])
  })

  it('fs.vm.callback-context: the vanilla-like fixture, with the path to the open bridge', () => {
    const f = audit(fixture('freeswitch-vanilla')).findings.filter((x) => x.id === 'fs.vm.callback-context')
    assert.deepEqual(keys(f), ['fs.vm.callback-context autoload_configs/voicemail.conf.xml:10'])
    assert.deepEqual(
      f[0]!.path!.map((e) => `${e.loc.file}:${e.loc.line}`),
      ['autoload_configs/voicemail.conf.xml:10', 'dialplan/default.xml:16'],
    )
  })

  const vm = (param: string) => ({
    'vars.xml': '<include>\n</include>\n',
    'autoload_configs/voicemail.conf.xml': lines(
      '<configuration name="voicemail.conf">',
      '<profiles>',
      '<profile name="default">',
      param,
      '</profile>',
      '</profiles>',
      '</configuration>',
    ),
    'directory/default.xml': lines(
      '<include>',
      '<domain name="example">',
      '<users>',
      '<user id="1000">',
      '<params><param name="a1-hash" value="0123456789abcdef0123456789abcdef"/></params>',
      '</user>',
      '<user id="1001">',
      '<params><param name="password" value="Xq7-vL2p-Rt9w-Kz4m"/></params>',
      '</user>',
      '</users>',
      '</domain>',
      '</include>',
    ),
  })

  it('fs.vm.empty-pin: a user with neither vm-password nor password while empty PINs are allowed', () => {
    const f = found('freeswitch', vm('<param name="file-extension" value="wav"/>'), 'fs.vm.empty-pin')
    assert.deepEqual(
      f.flatMap((x) => x.evidence.map((e) => `${e.loc.file}:${e.loc.line}`)),
      ['autoload_configs/voicemail.conf.xml:3', 'directory/default.xml:4'],
    )
    assert.deepEqual(
      at('freeswitch', vm('<param name="allow-empty-password-auth" value="false"/>'), 'fs.vm.empty-pin'),
      [],
    )
  })

  it('fs.pre.exec: exec and exec-set, even inside a comment', () => {
    const files = {
      'vars.xml': lines(
        '<include>',
        '<X-PRE-PROCESS cmd="exec-set" data="ext_ip=/usr/local/bin/what-is-my-ip"/>',
        '<!-- <X-PRE-PROCESS cmd="exec" data="/usr/local/bin/gen-users"/> -->',
        '<X-PRE-PROCESS cmd="set" data="domain=example.net"/>',
        '</include>',
      ),
    }
    assert.deepEqual(at('freeswitch', files, 'fs.pre.exec'), [
      'fs.pre.exec vars.xml:2',
      'fs.pre.exec vars.xml:3',
    ])
  })
})

describe('yate medium checks', () => {
  it('yate.rm.no-tls: a public listener without an SSL context; with context= it passes', () => {
    assert.ok(keys(audit(fixture('yate-insecure')).findings).includes('yate.rm.no-tls rmanager.conf:10'))
    const rm = (extra: string) => ({
      'rmanager.conf': lines('[general]', 'addr=192.0.2.7', 'password=Xq7-vL2p-Rt9w-Kz4m', extra),
    })
    assert.deepEqual(at('yate', rm(''), 'yate.rm.no-tls'), ['yate.rm.no-tls rmanager.conf:2'])
    assert.deepEqual(at('yate', rm('context=rmanager'), 'yate.rm.no-tls'), [])
    assert.deepEqual(
      at('yate', { 'rmanager.conf': lines('[general]', 'addr=127.0.0.1') }, 'yate.rm.no-tls'),
      [],
    )
  })

  it('yate.sip.message-noauth', () => {
    const conf = (auth: string) => ({ 'ysipchan.conf': lines('[general]', '[message]', 'enable=yes', auth) })
    assert.deepEqual(at('yate', conf('auth_required=no'), 'yate.sip.message-noauth'), [
      'yate.sip.message-noauth ysipchan.conf:4',
    ])
    assert.deepEqual(at('yate', conf('auth_required=yes'), 'yate.sip.message-noauth'), [])
  })

  it('yate.rr.untrusted-to-external: external/ and $(…) with caller data', () => {
    const rr = lines(
      '[default]',
      '${username}^$=-;error=noauth',
      '^555$=external/nodata/lookup.sh ${caller}',
      '^556$=external/nodata/lookup.sh \\0',
      '^557$=tone/$(sqlquery,${callername})',
    )
    assert.deepEqual(at('yate', { 'regexroute.conf': rr }, 'yate.rr.untrusted-to-external'), [
      'yate.rr.untrusted-to-external regexroute.conf:3',
      'yate.rr.untrusted-to-external regexroute.conf:5',
    ])
  })

  it('yate.acc.relaxed-match', () => {
    const acc = lines('[carrier]', 'enabled=yes', 'protocol=sip', 'match_port=no', 'match_user=yes')
    assert.deepEqual(
      at('yate', { 'accfile.conf': acc, 'yate.conf': '[general]\n' }, 'yate.acc.relaxed-match'),
      ['yate.acc.relaxed-match accfile.conf:4'],
    )
  })
})
