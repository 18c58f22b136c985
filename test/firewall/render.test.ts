// Rendering is a pure function of the policy: the rulesets of the fixture policies are
// committed under test/firewall/snapshots and must not drift unnoticed. UPDATE_SNAPSHOTS=1
// rewrites them. Beside the snapshots, the properties that matter are asserted directly,
// so a snapshot update cannot quietly bless a hole.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parsePolicy } from '../../src/config/load.js'
import { normalizeCidrs } from '../../src/firewall/bogons.js'
import { buildFirewallModel } from '../../src/firewall/model.js'
import { renderIptables } from '../../src/firewall/render-iptables.js'
import { renderNftables } from '../../src/firewall/render-nftables.js'
import { cli, exits, FIXTURE_NAMES, fixture, fixturePath, matchSnapshot } from './helpers.js'

function policy(yaml: string) {
  return parsePolicy(`version: 1\nupstream: udp:127.0.0.1:5080\n${yaml}`, '<test>')
}

describe('snapshots of the rendered rulesets', () => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}: nftables, iptables, ip6tables, ipset`, () => {
      const p = fixture(name)
      const ipt = renderIptables(p)
      matchSnapshot(`${name}.nft`, renderNftables(p).text)
      matchSnapshot(`${name}.rules.v4`, ipt.v4.text)
      matchSnapshot(`${name}.rules.v6`, ipt.v6.text)
      matchSnapshot(`${name}.ipset`, ipt.ipset.text)
    })
  }

  it('is deterministic: the order of networks in the policy does not change the text', () => {
    const a = policy('adminNetworks: [10.0.0.0/8, 192.0.2.7, 2001:db8::/32]\n')
    const b = policy('adminNetworks: [2001:db8::/32, 192.0.2.7, 10.0.0.0/8, 10.1.0.0/16]\n')
    assert.equal(renderNftables(a).text, renderNftables(b).text)
    assert.equal(renderIptables(a).v4.text, renderIptables(b).v4.text)
    assert.equal(renderNftables(a).text, renderNftables(a).text)
  })

  it('the CLI prints exactly the rendered text', () => {
    const r = cli(['firewall', 'render', '--policy', fixturePath('office')])
    exits(r, 0)
    assert.equal(r.stdout, renderNftables(fixture('office')).text)
    assert.match(
      r.stderr,
      /note: trunk host names are not in the firewall.*carrier \(sip\.carrier\.example\)/,
    )
    const v6 = cli(['firewall', 'render', '--policy', fixturePath('office'), '--format', 'ip6tables'])
    exits(v6, 0)
    assert.equal(v6.stdout, renderIptables(fixture('office')).v6.text)
  })
})

describe('what the nftables ruleset contains', () => {
  const text = renderNftables(fixture('office')).text
  const input = text.slice(text.indexOf('chain input {\n\t\ttype filter hook input priority filter'))
  const at = (needle: string) => {
    const i = input.indexOf(needle)
    assert.ok(i >= 0, `missing: ${needle}`)
    return i
  }

  it('has the ban sets of bans.kernel (per-entry timeouts, as the log watcher declares them), checked before conntrack', () => {
    assert.match(
      text,
      /table inet sipwarden \{\n\tset banned_v4 \{\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t\}/,
    )
    assert.match(text, /set banned_v6 \{\n\t\ttype ipv6_addr/)
    assert.match(text, /type filter hook input priority -10; policy accept;/)
    assert.match(text, /add rule inet sipwarden input ip saddr @banned_v4 drop/)
    assert.match(text, /add rule inet sipwarden input ip6 saddr @banned_v6 drop/)
    // the ban table is declared, never deleted: bans survive a re-apply
    assert.doesNotMatch(text, /delete table inet sipwarden\n/)
    assert.match(text, /delete table inet sipwarden_fw\n/)
  })

  it('orders the rules: loopback, invalid, admin, SIP limits, conntrack, services, default drop', () => {
    const order = [
      'iif "lo" accept',
      'ct state invalid counter drop',
      'ip saddr @admin_v4 accept',
      'update @sip_budget_v4',
      '@th,64,72 0x524547495354455220 update @sip_register_v4',
      '@th,64,56 0x494e5649544520 update @sip_invite_v4',
      'ct state established,related accept',
      'tcp flags & (fin|syn|rst|ack) != syn ct state new counter reject with tcp reset',
      'tcp dport 22 counter reject with tcp reset',
      'meta nfproto ipv4 udp dport 5060 accept',
      'udp dport 10000-20000 accept',
      'limit rate 10/minute burst 5 packets log prefix "sipwarden refused: "',
      'counter reject with icmpx port-unreachable',
    ].map(at)
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    )
    assert.match(input, /policy drop;/)
  })

  it('limits SIP per source with the policy numbers; IPv6 per /64', () => {
    assert.match(input, /limit rate over 800\/second burst 800 packets/)
    assert.match(
      input,
      /update @sip_register_v4 \{ ip saddr limit rate over 2400\/minute burst 2400 packets \}/,
    )
    assert.match(
      input,
      /update @sip_invite_v6 \{ ip6 saddr & ffff:ffff:ffff:ffff:: limit rate over 300\/minute/,
    )
    assert.match(
      text,
      /set sip_register_v4 \{\n\t\ttype ipv4_addr\n\t\tsize 65536\n\t\tflags dynamic,timeout/,
    )
  })

  it('opens SIP by listener (tls and bound addresses included) and exempts trunks from the limits', () => {
    assert.match(input, /meta nfproto ipv4 tcp dport 5061 accept comment "SIP over TLS"/)
    assert.match(input, /ip6 daddr 2001:db8:1::5 tcp dport 5060 accept/)
    assert.match(input, /meta nfproto ipv6 udp dport 5060 accept/)
    assert.doesNotMatch(input, /meta nfproto ipv6 tcp dport 5061/)
    assert.match(
      text,
      /set sip_exempt_v4 \{[^}]*elements = \{ 192\.0\.2\.10, 192\.0\.2\.64\/28, 203\.0\.113\.10 \}/,
    )
    assert.ok(at('ip saddr @sip_exempt_v4') < at('update @sip_budget_v4'))
  })

  it('limits web ports per source before the admin accept, and refuses them to others', () => {
    assert.ok(
      at('tcp dport { 443, 8443 } ct state new update @web_conn_v4') < at('ip saddr @admin_v4 accept'),
    )
    assert.match(input, /tcp dport \{ 443, 8443 \} counter reject with tcp reset/)
  })

  it('anti-spoofs: own address, martians, bogons on public interfaces except named networks', () => {
    assert.match(input, /fib saddr type local counter drop/)
    assert.match(input, /iifname "eth0" jump antispoof/)
    assert.match(input, /iifname "wan\*" jump antispoof/)
    const spoof = text.slice(text.indexOf('chain antispoof'))
    assert.ok(spoof.indexOf('@known_networks_v4 return') < spoof.indexOf('@bogons_v4 counter drop'))
    assert.match(text, /set known_networks_v4 \{[^}]*10\.20\.0\.0\/24/)
    assert.match(text, /set bogons_v6 \{[^}]*fc00::\/7/)
    assert.doesNotMatch(text, /fe80::\/10, /) // link-local is not a bogon (neighbour discovery)
  })

  it('keeps IPv6 working: neighbour discovery on-link only, ICMPv6 errors, limited echo', () => {
    assert.ok(at('ip6 hoplimit 255 icmpv6 type { nd-router-advert') < at('fib saddr type local'))
    assert.match(input, /icmpv6 type echo-request limit rate 5\/second burst 5 packets accept/)
  })

  it('leaves the scanner strings to the gateway and says so', () => {
    assert.match(input, /# not in nftables \(no substring match[^\n]*friendly-scanner, sipvicious/)
    assert.ok(renderNftables(fixture('office')).warnings.some((w) => /no substring match/.test(w)))
  })
})

describe('what the iptables rulesets contain', () => {
  const r = renderIptables(fixture('office'))

  it('checks the ban ipsets first and creates them with timeouts', () => {
    const first = r.v4.text.split('\n').find((l) => l.startsWith('-A INPUT'))
    assert.equal(first, '-A INPUT -m set --match-set sipwarden_v4 src -j DROP')
    assert.match(r.v6.text, /-A INPUT -m set --match-set sipwarden_v6 src -j DROP/)
    assert.match(r.ipset.text, /^create sipwarden_v4 hash:ip family inet timeout 0 maxelem 100000$/m)
    assert.match(r.ipset.text, /^create sipwarden_v6 hash:ip family inet6 timeout 0 maxelem 100000$/m)
  })

  it('matches scanner strings in the kernel, case-insensitively, hex for odd characters', () => {
    assert.match(
      r.v4.text,
      /-p udp --dport 5060 -m string --algo bm --icase --string "friendly-scanner" -j DROP/,
    )
    assert.match(r.v4.text, /--icase --hex-string "\|626164226167656e74\|"/)
    assert.match(r.v4.text, /--hex-string "\|c39c6ec3af636f64652d7363616e\|"/)
  })

  it('counts REGISTER and INVITE at the start of the UDP payload, per source (IPv6 per /64)', () => {
    assert.match(
      r.v4.text,
      /-p udp --dport 5060 -m string --algo bm --from 28 --to 37 --string "REGISTER " -m hashlimit --hashlimit-above 2400\/minute --hashlimit-burst 2400 --hashlimit-mode srcip --hashlimit-name sip_register_v4/,
    )
    assert.match(r.v6.text, /--from 48 --to 55 --string "INVITE " -m hashlimit --hashlimit-above 300\/minute/)
    assert.match(r.v6.text, /--hashlimit-mode srcip --hashlimit-srcmask 64/)
  })

  it('has the same structure as nftables: admin accept, SSH refused, RTP, reject', () => {
    assert.match(r.v4.text, /^-A INPUT -s 198\.51\.100\.224\/27 -j ACCEPT$/m)
    assert.doesNotMatch(r.v4.text, /198\.51\.100\.230/) // inside the /27
    assert.match(r.v6.text, /^-A INPUT -s 2001:db8:ffff::\/48 -j ACCEPT$/m)
    assert.match(r.v4.text, /^-A INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset$/m)
    assert.match(r.v4.text, /^-A INPUT -p udp --dport 10000:20000 -j ACCEPT$/m)
    assert.match(r.v6.text, /^-A INPUT -j REJECT --reject-with icmp6-port-unreachable$/m)
    assert.match(r.v4.text, /^:INPUT DROP \[0:0\]$/m)
    assert.match(r.v4.text, /^-A SGW-ANTISPOOF -s 10\.0\.0\.0\/8 -j DROP$/m)
    assert.match(r.v4.text, /^-A INPUT -i wan\+ -j SGW-ANTISPOOF$/m)
  })
})

describe('policy options change the ruleset', () => {
  it('ipv6: false drops IPv6 after loopback; the ip6tables file is loopback only', () => {
    const p = fixture('ipv4-only')
    const nft = renderNftables(p).text
    assert.match(
      nft,
      /iif "lo" accept comment "loopback"\n\t\t# IPv6 unused: dropped \(firewall\.ipv6\)\n\t\tmeta nfproto ipv6 counter drop/,
    )
    assert.doesNotMatch(nft, /icmpv6/)
    const v6 = renderIptables(p).v6.text
    assert.deepEqual(
      v6.split('\n').filter((l) => l.startsWith('-A')),
      ['-A INPUT -i lo -j ACCEPT'],
    )
  })

  it('uses the policy names of the ban sets: bans.kernel for nftables, the ipset action for iptables', () => {
    const p = fixture('ipv4-only')
    const nft = renderNftables(p).text
    assert.match(nft, /table inet voipguard \{\n\tset bad4 \{/)
    assert.match(nft, /table inet voipguard_fw\n/)
    assert.match(renderIptables(p).v4.text, /--match-set lw_bad4 src -j DROP/)
    assert.match(renderIptables(p).ipset.text, /create lw_bad4 hash:ip family inet timeout 0 maxelem 65536/)
  })

  it('no listener beyond loopback: no SIP rules, bound listeners match their address, ssh port and api port', () => {
    const nft = renderNftables(fixture('ipv4-only')).text
    assert.match(nft, /ip daddr 192\.0\.2\.5 udp dport 5060 accept/)
    assert.doesNotMatch(nft, /5070/) // a loopback listener needs no rule
    assert.match(nft, /tcp dport 2222 counter drop comment "SSH: admin networks only"/)
    assert.match(nft, /tcp dport 9060 ct state new update @web_conn_v4/) // the API beyond loopback
    assert.doesNotMatch(nft, /icmp type echo-request/)
    assert.doesNotMatch(nft, /log prefix/)
    assert.doesNotMatch(nft, /fib saddr/)
    assert.match(nft, /burst 10000 packets/) // registerPerMinute 50000: burst capped for xt_hashlimit
  })

  it('warns when no admin network is given (SSH would be closed to all)', () => {
    const m = buildFirewallModel(fixture('minimal'))
    assert.ok(
      m.warnings.some((w) =>
        /adminNetworks is empty: SSH \(port 22\) is reachable from this host only/.test(w),
      ),
    )
  })

  it('normalises address lists: duplicates and nested blocks go, order is by address', () => {
    assert.deepEqual(
      normalizeCidrs(['10.1.0.0/16', '192.0.2.1', '10.0.0.0/8', '192.0.2.1/32', '9.0.0.0/8'], 4),
      ['9.0.0.0/8', '10.0.0.0/8', '192.0.2.1'],
    )
    assert.deepEqual(normalizeCidrs(['2001:db8::/32', '2001:db8:1::/48', '::1'], 6), ['::1', '2001:db8::/32'])
  })
})
