// Trunk host names: resolved into the allow-list, refreshed, and kept through a failed lookup.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultPolicySections, resolveWatchConfig } from '../../src/logwatch/config.js'
import { Detector } from '../../src/logwatch/rules.js'
import { TrunkResolver } from '../../src/logwatch/trunk-hosts.js'
import { ev } from './helpers.js'

describe('trunk host names', () => {
  it('the config lists the trunk addresses that are host names, not the IPs and CIDRs', () => {
    const p = defaultPolicySections()
    const trunks = [
      { addresses: ['sip.provider.example', '198.51.100.0/24', '192.0.2.7'] },
      { addresses: ['sip.provider.example', 'backup.provider.example'] },
    ] as unknown as typeof p.trunks
    const c = resolveWatchConfig({ ...p, trunks }, { action: 'none', state: 'memory' }, {})
    assert.deepEqual(c.trunkHosts, ['sip.provider.example', 'backup.provider.example'])
    assert.ok(c.detector.allow.includes('198.51.100.0/24'))
  })

  it('resolved addresses are never banned; a failed lookup keeps the last good ones', async () => {
    const d = new Detector()
    let answer: readonly string[] | Error = ['203.0.113.10', '::ffff:203.0.113.11', '2001:db8::5']
    const errors: string[] = []
    const r = new TrunkResolver({
      hosts: ['sip.provider.example'],
      onUpdate: (ips) => d.setResolvedAllow(ips),
      onError: (m) => errors.push(m),
      lookup: async () => {
        if (answer instanceof Error) throw answer
        return answer
      },
    })
    const ips = await r.start()
    r.stop()
    assert.deepEqual([...ips].sort(), ['2001:db8::5', '203.0.113.10', '203.0.113.11'])
    for (let i = 0; i < 50; i++) assert.equal(d.observe(ev('203.0.113.11', 1000 + i)), null)
    assert.equal(d.stats.allowListed, 50)
    // an attacker next door is still banned
    let banned = null
    for (let i = 0; i < 50 && banned === null; i++) banned = d.observe(ev('203.0.113.12', 1000 + i))
    assert.equal(banned?.ip, '203.0.113.12')

    answer = new Error('SERVFAIL')
    await r.refresh()
    assert.match(errors[0] ?? '', /cannot resolve trunk host sip\.provider\.example: SERVFAIL; keeping/)
    assert.ok(d.isAllowListed('203.0.113.10'))

    answer = ['203.0.113.20']
    await r.refresh()
    assert.ok(d.isAllowListed('203.0.113.20'))
    assert.ok(!d.isAllowListed('203.0.113.10'), 'the provider moved: the old address is no longer exempt')
  })

  it('resolves a real name through the system resolver', async () => {
    let got: ReadonlySet<string> = new Set()
    const r = new TrunkResolver({ hosts: ['localhost'], onUpdate: (ips) => (got = ips) })
    await r.start()
    r.stop()
    assert.ok(got.has('127.0.0.1') || got.has('::1'), [...got].join(','))
  })
})
