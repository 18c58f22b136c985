// `firewall check` with the real tools (nft -c, ipset + iptables-restore --test in a
// throw-away network namespace), the explanation of their errors in policy terms, the
// sysctl settings, and the CLI's errors. Tests that need root or the tools skip with the
// reason; CI runs as root with scripts/install-deps.sh, so there they run.
import assert from 'node:assert/strict'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { parsePolicy } from '../../src/config/load.js'
import { assertPrivateStateDir } from '../../src/firewall/apply.js'
import {
  checkIptables,
  checkNftables,
  explainIptablesOutput,
  explainNftOutput,
  formatProblems,
} from '../../src/firewall/check.js'
import { renderIptables } from '../../src/firewall/render-iptables.js'
import { renderNftables } from '../../src/firewall/render-nftables.js'
import type { Rendered } from '../../src/firewall/rendered.js'
import { applySysctls, recommendedSysctls, renderSysctlConf } from '../../src/firewall/sysctl.js'
import { cli, exits, FIXTURE_NAMES, fixture, fixturePath, skipUnless } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'sipwarden-fw-check-test-'))
after(() => rmSync(dir, { recursive: true, force: true }))

/** The rendered text with `from` replaced by `to` on the first line containing `marker`. */
function corrupt(
  r: Rendered,
  marker: string,
  from: string,
  to: string,
): { rendered: Rendered; line: number } {
  const lines = r.text.split('\n')
  const i = lines.findIndex((l) => l.includes(marker))
  assert.ok(i >= 0, `no line with ${marker}`)
  assert.ok(lines[i]!.includes(from))
  lines[i] = lines[i]!.replace(from, to)
  return { rendered: { ...r, text: lines.join('\n') }, line: i + 1 }
}

describe('check with nft -c', { skip: skipUnless('nft') }, () => {
  for (const name of FIXTURE_NAMES)
    it(`accepts the ${name} ruleset`, () => {
      const r = checkNftables(renderNftables(fixture(name)))
      assert.deepEqual(r.problems, [])
      assert.equal(r.ok, true)
    })

  it('maps an error back to the rule and the policy key', () => {
    const { rendered, line } = corrupt(
      renderNftables(fixture('office')),
      'update @sip_register_v4',
      'over 2400/minute',
      'over 2400/fortnight',
    )
    const r = checkNftables(rendered)
    assert.equal(r.ok, false)
    const p = r.problems.find((x) => x.line === line)
    assert.ok(p, `no problem at line ${line}: ${JSON.stringify(r.problems)}`)
    assert.equal(p.origin?.key, 'firewall.sipLimits.registerPerMinute')
    assert.match(
      formatProblems(r.problems),
      new RegExp(
        `nft: line ${line}, SIP REGISTER hits per source per minute \\(UDP\\) \\(firewall\\.sipLimits\\.registerPerMinute\\): `,
      ),
    )
  })

  it('the CLI says valid (exit 0) and explains refusals (exit 1)', () => {
    const ok = cli(['firewall', 'check', '--policy', fixturePath('office')])
    exits(ok, 0)
    assert.match(ok.stdout, /the nftables ruleset is valid \(nft -c -f -\)/)
    const json = cli(['firewall', 'check', '--policy', fixturePath('minimal'), '--json'])
    exits(json, 0)
    const parsed = JSON.parse(json.stdout) as { ok: boolean; sshSession: string; warnings: string[] }
    assert.equal(parsed.ok, true)
    assert.equal(parsed.sshSession, 'none')
    assert.ok(parsed.warnings.some((w) => /adminNetworks is empty/.test(w)))
  })

  it('warns when the current SSH session would be cut', () => {
    const r = cli(['firewall', 'check', '--policy', fixturePath('office')], {
      env: { SSH_CONNECTION: '203.0.113.99 50000 192.0.2.5 22' },
    })
    exits(r, 0)
    assert.match(r.stderr, /warning: your SSH session from 203\.0\.113\.99 to port 22 would be cut/)
  })
})

describe(
  'check with ipset + iptables-restore --test',
  {
    skip: skipUnless('iptables-restore', 'ipset', 'unshare'),
  },
  () => {
    for (const name of FIXTURE_NAMES)
      it(`accepts the ${name} rulesets (IPv4 and IPv6)`, () => {
        const r = checkIptables(renderIptables(fixture(name)))
        assert.deepEqual(r.problems, [])
        assert.equal(r.ok, true)
      })

    it('maps an ip6tables error back to the rule and the policy key', () => {
      const ipt = renderIptables(fixture('office'))
      const { rendered, line } = corrupt(
        ipt.v6,
        '--hashlimit-name sip_invite_v6',
        '--hashlimit-mode srcip',
        '--hashlimit-mode nowhere',
      )
      const r = checkIptables({ ...ipt, v6: rendered })
      assert.equal(r.ok, false)
      assert.equal(r.problems[0]?.tool, 'ip6tables-restore')
      assert.equal(r.problems[0]?.line, line)
      assert.equal(r.problems[0]?.origin?.key, 'firewall.sipLimits.invitePerMinute')
    })

    it('the CLI checks the iptables format', () => {
      const r = cli(['firewall', 'check', '--policy', fixturePath('office'), '--format', 'iptables'])
      exits(r, 0)
      assert.match(r.stdout, /the iptables ruleset is valid/)
    })
  },
)

describe('explaining tool output (no tools needed)', () => {
  const r = renderNftables(fixture('minimal'))
  const line = r.origins.findIndex((o) => o?.purpose === 'SSH: admin networks only') + 1

  it('nft: file:line:col: Error: message', () => {
    const p = explainNftOutput(
      `/dev/stdin:${line}:3-20: Error: Could not process rule: No such file or directory\n  tcp dport 22 …\n  ^^^\n`,
      r,
    )
    assert.equal(p.length, 1)
    assert.equal(p[0]?.origin?.key, 'firewall.sshPort')
    assert.match(p[0]?.hint ?? '', /kernel lacks an nf_tables feature/)
  })

  it('iptables-restore: the cause and "Error occurred at line"', () => {
    const v4 = renderIptables(fixture('minimal')).v4
    const l = v4.origins.findIndex((o) => o?.key === 'firewall.sipLimits.registerPerMinute') + 1
    const p = explainIptablesOutput(
      'iptables-restore',
      `iptables-restore v1.8.9 (nf_tables): Couldn't load match \`hashlimit':No such file or directory\n\nError occurred at line: ${l}\nTry \`iptables-restore -h' or 'iptables-restore --help' for more information.\n`,
      v4,
    )
    assert.equal(p[0]?.line, l)
    assert.equal(p[0]?.origin?.key, 'firewall.sipLimits.registerPerMinute')
    assert.equal(p[0]?.message, "Couldn't load match `hashlimit':No such file or directory")
    assert.match(p[0]?.hint ?? '', /xtables module/)
  })
})

describe('CLI errors are one clear line', () => {
  it('a missing nft names the Debian package', { skip: skipUnless() }, () => {
    const empty = join(dir, 'empty-bin')
    mkdirSync(empty, { recursive: true })
    const r = cli(['firewall', 'check', '--policy', fixturePath('minimal')], { env: { PATH: empty } })
    exits(r, 1)
    assert.equal(
      r.stderr,
      'sipwarden firewall check: nft not found: install the Debian package nftables (apt-get install nftables)\n',
    )
  })

  it('an invalid policy exits 2 with file:line and no stack', () => {
    const p = join(dir, 'bad.yaml')
    writeFileSync(
      p,
      'version: 1\nupstream: udp:127.0.0.1:5080\nfirewall:\n  rtpPorts: { min: 20000, max: 10000 }\n',
    )
    const r = cli(['firewall', 'render', '--policy', p])
    exits(r, 2)
    assert.match(
      r.stderr,
      /bad\.yaml:4:\d+: firewall\.rtpPorts\.max: max \(10000\) must be above min \(20000\)/,
    )
    assert.doesNotMatch(r.stderr, /\n\s+at /)
  })

  it(
    'apply without root says so; bad --timeout is a usage error',
    {
      skip: process.getuid?.() === 0 ? 'runs as root' : false,
    },
    () => {
      const r = cli(['firewall', 'apply', '--policy', fixturePath('minimal')])
      exits(r, 1)
      assert.match(r.stderr, /needs root/)
    },
  )

  it('--timeout out of range is refused before anything happens', () => {
    const r = cli(['firewall', 'apply', '--policy', fixturePath('minimal'), '--timeout', '2s'])
    exits(r, 2)
    assert.match(r.stderr, /--timeout must be between 5s and 60m/)
  })

  it('every subcommand has help with examples', () => {
    for (const sub of ['render', 'check', 'apply', 'confirm', 'rollback', 'sysctl']) {
      const r = cli(['firewall', sub, '--help'])
      exits(r, 0)
      assert.match(r.stdout, /Examples?:\n {2}(sudo )?sipwarden firewall /, sub)
    }
  })
})

describe('sysctl', () => {
  it('recommends reverse-path filtering, martian logging, syncookies; IPv6 off when unused', () => {
    const keys = (yaml: string) =>
      new Map(
        recommendedSysctls(parsePolicy(`version: 1\nupstream: udp:127.0.0.1:5080\n${yaml}`, '<t>')).map(
          (s) => [s.key, s.value],
        ),
      )
    const on = keys('')
    assert.equal(on.get('net.ipv4.conf.all.rp_filter'), '1')
    assert.equal(on.get('net.ipv4.conf.default.log_martians'), '1')
    assert.equal(on.get('net.ipv4.tcp_syncookies'), '1')
    assert.equal(on.get('net.ipv6.conf.all.accept_redirects'), '0')
    assert.equal(on.has('net.ipv6.conf.all.disable_ipv6'), false)
    const off = keys('firewall: { ipv6: false }\n')
    assert.equal(off.get('net.ipv6.conf.all.accept_ra'), '0')
    assert.equal(off.get('net.ipv6.conf.all.disable_ipv6'), '1')
    assert.equal(off.get('net.ipv6.conf.lo.disable_ipv6'), '0')
  })

  it('prints sysctl.d text and applies to a /proc/sys tree, reporting what changed', () => {
    const p = fixture('minimal')
    const settings = recommendedSysctls(p)
    assert.match(
      renderSysctlConf(p, settings),
      /^# Reverse-path filter[^\n]*\nnet\.ipv4\.conf\.all\.rp_filter = 1\nnet\.ipv4\.conf\.default\.rp_filter = 1$/m,
    )
    const proc = join(dir, 'proc-sys')
    mkdirSync(join(proc, 'net/ipv4/conf/all'), { recursive: true })
    writeFileSync(join(proc, 'net/ipv4/conf/all/rp_filter'), '0\n')
    writeFileSync(join(proc, 'net/ipv4/conf/all/log_martians'), '1\n')
    const changes = applySysctls(settings, proc)
    const by = new Map(changes.map((c) => [c.key, c]))
    assert.equal(by.get('net.ipv4.conf.all.rp_filter')?.status, 'changed')
    assert.equal(by.get('net.ipv4.conf.all.rp_filter')?.before, '0')
    assert.equal(readFileSync(join(proc, 'net/ipv4/conf/all/rp_filter'), 'utf8'), '1\n')
    assert.equal(by.get('net.ipv4.conf.all.log_martians')?.status, 'unchanged')
    assert.equal(by.get('net.ipv4.tcp_syncookies')?.status, 'unavailable')
  })

  it('the CLI prints the settings', () => {
    const r = cli(['firewall', 'sysctl', '--policy', fixturePath('ipv4-only')])
    exits(r, 0)
    assert.match(r.stdout, /^net\.ipv6\.conf\.all\.disable_ipv6 = 1$/m)
  })
})

describe('the state directory', () => {
  it('must be ours and writable by nobody else: rollback loads the rulesets in it', () => {
    const d = join(dir, 'state')
    assertPrivateStateDir(d) // absent: apply creates it with mode 0700
    mkdirSync(d, { mode: 0o700 })
    assertPrivateStateDir(d)
    chmodSync(d, 0o770)
    assert.throws(() => assertPrivateStateDir(d), /writable by group or others: .*chmod 700/)
    chmodSync(d, 0o700)
    if (process.getuid?.() === 0) {
      chownSync(d, 65534, 65534)
      assert.throws(() => assertPrivateStateDir(d), /belongs to uid 65534, not to this user \(uid 0\)/)
    }
  })
})
