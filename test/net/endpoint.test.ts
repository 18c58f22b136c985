import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatEndpoint, isHostname, parseEndpoint } from '../../src/net/endpoint.js'

function ok(text: string, options = {}) {
  const r = parseEndpoint(text, options)
  assert.ok(r.ok, r.ok ? '' : r.reason)
  return r.value
}

function reason(text: string, options = {}): string {
  const r = parseEndpoint(text, options)
  assert.equal(r.ok, false, `${text} should be refused`)
  return r.ok ? '' : r.reason
}

describe('parseEndpoint', () => {
  it('reads transport, IPv4 and port', () => {
    assert.deepEqual(ok('udp:0.0.0.0:5060'), { transport: 'udp', host: '0.0.0.0', port: 5060 })
    assert.deepEqual(ok('TCP:127.0.0.1:5080'), { transport: 'tcp', host: '127.0.0.1', port: 5080 })
  })

  it('defaults the port by transport (5060, 5061 for tls)', () => {
    assert.equal(ok('udp:192.0.2.1').port, 5060)
    assert.equal(ok('tls:192.0.2.1').port, 5061)
    assert.deepEqual(ok('192.0.2.1:5070'), { transport: 'udp', host: '192.0.2.1', port: 5070 })
  })

  it('reads bracketed IPv6 and normalises it', () => {
    assert.deepEqual(ok('tls:[::]:5061'), { transport: 'tls', host: '::', port: 5061 })
    assert.deepEqual(ok('udp:[2001:DB8::1]'), { transport: 'udp', host: '2001:db8::1', port: 5060 })
    assert.equal(formatEndpoint(ok('tcp:[::1]:5060')), 'tcp:[::1]:5060')
  })

  it('accepts host names unless an IP is required', () => {
    assert.deepEqual(ok('tcp:PBX.example.net:5080'), {
      transport: 'tcp',
      host: 'pbx.example.net',
      port: 5080,
    })
    assert.deepEqual(ok('pbx:5080'), { transport: 'udp', host: 'pbx', port: 5080 })
    assert.match(reason('udp:pbx.example.net', { requireIp: true }), /not an IP address/)
  })

  it('explains mistakes', () => {
    assert.match(reason('udp:::1:5060'), /brackets/)
    assert.match(reason('sip:192.0.2.1:5060'), /unknown transport "sip"/)
    assert.match(reason('udp:192.0.2.1:70000'), /invalid port/)
    assert.match(reason('udp:192.0.2.1:0'), /invalid port/)
    assert.match(reason('udp:10.0.0.300'), /not a valid IPv4/)
    assert.match(reason('udp:[192.0.2.1]:5060'), /brackets are for IPv6/)
    assert.match(reason(''), /expected an endpoint/)
  })
})

describe('isHostname', () => {
  it('accepts RFC 1123 names', () => {
    for (const good of ['pbx', 'pbx.example.net', 'a-b.example.net.', 'x1.y2'])
      assert.equal(isHostname(good), true, good)
  })

  it('refuses what is not one, including IP-looking names', () => {
    for (const bad of [
      '',
      '-pbx',
      'pbx-',
      'a..b',
      'pbx_1.example',
      '10.0.0.300',
      `${'a'.repeat(64)}.net`,
      'a b',
    ])
      assert.equal(isHostname(bad), false, bad)
  })
})
