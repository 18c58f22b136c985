// Host checks (--host). The tests chmod temporary files and fake /proc, /etc/passwd and `ss` output.
// CI runs them as root, who can read anything: they assert modes and owners, never access.
import assert from 'node:assert/strict'
import { chmodSync, chownSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { findProcesses } from '../../src/audit/host/proc.js'
import { isLoopbackAddress, parseSs, scanListeners } from '../../src/audit/host/ss.js'
import { renderSarif } from '../../src/audit/report/sarif.js'
import { renderText } from '../../src/audit/report/text.js'
import { audit } from '../../src/audit/run.js'
import { fixture, keys, tempConfig } from './helpers.js'

const SS = readFileSync(fixture('host/ss-hltnup.txt'), 'utf8')

/** Every directory above `dir` lets others through: then o+r on a file in it is effective. */
function traversable(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false
    if (dirname(d) === d) return true
  }
}
const TMP_OK = traversable(tmpdir())
/** o+r tests need a temporary directory other users can traverse */
const NEEDS_TRAVERSAL = { skip: TMP_OK ? false : 'the temporary directory is not traversable by others' }

const PJSIP = [
  '[transport-udp]', // 1
  'type = transport', // 2
  'protocol = udp', // 3
  'bind = 127.0.0.1', // 4
  '', // 5
  '[6001]', // 6
  'type = auth', // 7
  'username = 6001', // 8
  'password = Xq7-vL2p-Rt9w-Kz4m', // 9
].join('\n')

const MANAGER = ['[general]', 'enabled = yes', 'port = 5038', 'bindaddr = 127.0.0.1', ''].join('\n')

/** Host sources that never touch the machine: an empty /proc, a fixed passwd, captured ss output. */
function fakeHost(extra: { passwd?: string; proc?: Record<string, string>; ss?: string } = {}) {
  const files: Record<string, string> = {
    passwd: extra.passwd ?? 'root:x:0:0:root:/root:/bin/sh\n',
    group: 'root:x:0:\nasterisk:x:4242:\n',
    'proc/1/comm': 'init\n',
    'proc/1/status': 'Name:\tinit\nUid:\t0\t0\t0\t0\n',
    ...Object.fromEntries(Object.entries(extra.proc ?? {}).map(([k, v]) => [`proc/${k}`, v])),
  }
  const dir = tempConfig(files)
  return {
    procRoot: join(dir, 'proc'),
    passwdFile: join(dir, 'passwd'),
    groupFile: join(dir, 'group'),
    ss: { output: extra.ss ?? '' },
  }
}

function statusFile(uid: number): string {
  return [
    'Name:\tasterisk',
    'Umask:\t0022',
    'State:\tS (sleeping)',
    'Tgid:\t812',
    'Ngid:\t0',
    'Pid:\t812',
    'PPid:\t1',
    'TracerPid:\t0',
    `Uid:\t${uid}\t${uid}\t${uid}\t${uid}`,
    `Gid:\t${uid}\t${uid}\t${uid}\t${uid}`,
    '',
  ].join('\n')
}

describe('ss -Hltnup parser (captured output)', () => {
  it('reads protocol, address, port and the owning processes', () => {
    const l = parseSs(SS)
    assert.equal(l.length, 9)
    assert.deepEqual(
      l.map((x) => `${x.line} ${x.proto} ${x.address} ${x.port} ${x.processes.map((p) => p.name).join('+')}`),
      [
        '1 udp 0.0.0.0 5060 asterisk',
        '2 tcp 0.0.0.0 5038 asterisk',
        '3 tcp * 8088 asterisk',
        '4 tcp 127.0.0.1 8089 asterisk',
        '5 tcp 127.0.0.53 53 systemd-resolve',
        '6 tcp :: 22 sshd+sshd',
        '7 tcp 10.0.0.5 8021 freeswitch',
        '8 tcp ::1 8021 freeswitch',
        '9 tcp ::ffff:127.0.0.1 5039 ',
      ],
    )
    assert.equal(l[1]!.processes[0]!.pid, 812)
  })

  it('reads the old format (header line, :::port, no process column)', () => {
    const l = parseSs(readFileSync(fixture('host/ss-old.txt'), 'utf8'))
    assert.deepEqual(
      l.map((x) => `${x.line} ${x.address} ${x.port} ${x.processes.length}`),
      ['2 :: 5038 1', '3 * 8088 0'],
    )
  })

  it('knows loopback from everything else', () => {
    for (const a of ['127.0.0.1', '127.0.0.53', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopbackAddress(a), a)
    for (const a of ['0.0.0.0', '*', '::', '10.0.0.5', '192.168.1.2', '::ffff:10.0.0.1'])
      assert.ok(!isLoopbackAddress(a), a)
  })

  it('a missing ss is a clear skip, not an error', () => {
    const r = scanListeners('/nonexistent/sipwarden-test/ss')
    assert.equal(r.ok, false)
    assert.match(!r.ok ? r.reason : '', /`ss` not found \(install iproute2\)/)
  })
})

describe('/proc reader', () => {
  it('finds PBX processes by comm and reads the effective uid with its status line', () => {
    const h = fakeHost({
      proc: {
        '812/comm': 'asterisk\n',
        '812/status': statusFile(0),
        '900/comm': 'freeswitch\n',
        '900/status': statusFile(999),
        'self/comm': 'asterisk\n',
      },
    })
    const p = findProcesses(['asterisk'], h.procRoot)
    assert.deepEqual(
      p.map((x) => `${x.pid} ${x.effectiveUid} ${x.statusFile}:${x.uidLine}`),
      ['812 0 /proc/812/status:9'],
    )
    assert.equal(findProcesses(['freeswitch'], h.procRoot)[0]!.effectiveUid, 999)
  })
})

describe('host checks: file modes and owners', () => {
  it('secrets in a file readable by others → secrets-readable at the secret line', NEEDS_TRAVERSAL, () => {
    const dir = tempConfig({ 'pjsip.conf': PJSIP, 'manager.conf': MANAGER, 'extensions.conf': '[x]\n' })
    chmodSync(dir, 0o755)
    chmodSync(join(dir, 'pjsip.conf'), 0o644)
    chmodSync(join(dir, 'manager.conf'), 0o644) // no secret in it: not reported
    chmodSync(join(dir, 'extensions.conf'), 0o640)
    const r = audit(dir, { host: fakeHost() })
    const f = r.findings.filter((x) => x.id === 'ast.files.secrets-readable')
    assert.deepEqual(keys(f), ['ast.files.secrets-readable pjsip.conf:9'])
    assert.equal(f[0]!.severity, 'medium')
    assert.match(f[0]!.evidence[0]!.note ?? '', /mode 0644 root:root: readable by other users/)
    assert.ok(!renderText([r]).includes('Xq7-vL2p'), 'the secret is masked')

    chmodSync(join(dir, 'pjsip.conf'), 0o640)
    const host = audit(dir, { host: fakeHost() }).findings.filter((x) => /\.(files|host)\./.test(x.id))
    assert.deepEqual(keys(host), [])
  })

  it('o+r is harmless when the directory keeps others out (0750)', () => {
    const dir = tempConfig({ 'pjsip.conf': PJSIP })
    chmodSync(dir, 0o750)
    chmodSync(join(dir, 'pjsip.conf'), 0o644)
    const r = audit(dir, { host: fakeHost() })
    assert.ok(!r.findings.some((x) => x.id === 'ast.files.secrets-readable'))
  })

  it('a world-writable file or directory → ast.files.config-writable (high), whole-file evidence', () => {
    const dir = tempConfig({ 'extensions.conf': '[x]\n', 'pjsip.conf': PJSIP })
    chmodSync(dir, 0o750)
    chmodSync(join(dir, 'extensions.conf'), 0o666)
    chmodSync(join(dir, 'pjsip.conf'), 0o640)
    let f = audit(dir, { host: fakeHost() }).findings.filter((x) => x.id === 'ast.files.config-writable')
    assert.equal(f.length, 1)
    assert.equal(f[0]!.severity, 'high')
    assert.deepEqual(
      f[0]!.evidence.map((e) => `${e.loc.file}:${e.loc.line} ${e.excerpt}`),
      ['extensions.conf:0 file mode 0666 root:root'],
    )
    chmodSync(join(dir, 'extensions.conf'), 0o640)
    chmodSync(dir, 0o777)
    f = audit(dir, { host: fakeHost() }).findings.filter((x) => x.id === 'ast.files.config-writable')
    assert.deepEqual(
      f[0]!.evidence.map((e) => `${e.loc.file} ${e.note}`),
      ['. others can add and replace files'],
    )
    chmodSync(dir, 0o750)
    assert.ok(!audit(dir, { host: fakeHost() }).findings.some((x) => x.id === 'ast.files.config-writable'))
  })

  it('files owned by the runtime user → ast.files.owned-by-runtime; voicemail.conf is exempt', () => {
    const dir = tempConfig({
      'pjsip.conf': PJSIP,
      'extensions.conf': '[x]\n',
      'voicemail.conf': '[default]\n1000 => 839201,A\n',
    })
    chmodSync(dir, 0o750)
    for (const f of ['pjsip.conf', 'extensions.conf', 'voicemail.conf']) chmodSync(join(dir, f), 0o640)
    // as root, give the files to a PBX account; otherwise the current user plays the PBX account
    const isRoot = process.getuid?.() === 0
    const pbxUid = isRoot ? 4242 : process.getuid!()
    if (isRoot) for (const f of ['pjsip.conf', 'voicemail.conf']) chownSync(join(dir, f), 4242, 4242)
    const host = fakeHost({
      passwd: `root:x:0:0::/root:/bin/sh\nasterisk:x:${pbxUid}:${pbxUid}::/:/bin/false\n`,
    })
    const r = audit(dir, { host })
    const f = r.findings.filter((x) => x.id === 'ast.files.owned-by-runtime')
    assert.equal(f.length, 1)
    const files = f[0]!.evidence.map((e) => e.loc.file)
    assert.ok(files.includes('pjsip.conf'))
    assert.ok(!files.includes('voicemail.conf'), 'app_voicemail rewrites voicemail.conf')
    assert.match(f[0]!.message, /owned by asterisk, the PBX runtime user \(the "asterisk" account/)
  })

  it('no PBX process and no PBX account → the ownership and root checks are skipped with a note', () => {
    const dir = tempConfig({ 'pjsip.conf': PJSIP })
    const r = audit(dir, { host: fakeHost() })
    const skipped = Object.fromEntries(
      r.checks.filter((c) => c.status === 'skipped').map((c) => [c.id, c.note]),
    )
    assert.match(skipped['ast.files.owned-by-runtime'] ?? '', /runtime user unknown/)
    assert.match(skipped['ast.host.runs-as-root'] ?? '', /no asterisk process is running/)
    const text = renderText([r])
    assert.match(text, /skipped: +\d+/)
    assert.match(text, /ast\.files\.owned-by-runtime: runtime user unknown/)
    assert.match(text, /ast\.host\.runs-as-root: no asterisk process is running/)
  })
})

describe('host checks: FreeSWITCH secrets', () => {
  it('a $${var} reference is no secret of its file; the file that sets it is', NEEDS_TRAVERSAL, () => {
    const dir = tempConfig({
      'vars.xml':
        '<include>\n<X-PRE-PROCESS cmd="set" data="default_password=Xq7-vL2p-Rt9w-Kz4m"/>\n</include>\n',
      'directory/default.xml':
        '<include>\n<domain name="d">\n<user id="1000">\n<params>\n<param name="password" value="$${default_password}"/>\n</params>\n</user>\n</domain>\n</include>\n',
    })
    chmodSync(dir, 0o755)
    chmodSync(join(dir, 'directory'), 0o755)
    chmodSync(join(dir, 'vars.xml'), 0o644)
    chmodSync(join(dir, 'directory/default.xml'), 0o644)
    const f = audit(dir, { pbx: 'freeswitch', host: fakeHost() }).findings.filter(
      (x) => x.id === 'fs.files.secrets-readable',
    )
    assert.deepEqual(
      f.flatMap((x) => x.evidence.map((e) => `${e.loc.file}:${e.loc.line}`)),
      ['vars.xml:2'],
    )
  })
})

describe('host checks: processes and ports', () => {
  it('an asterisk process with effective uid 0 → ast.host.runs-as-root at /proc/<pid>/status:9', () => {
    const dir = tempConfig({ 'asterisk.conf': '[options]\nrunuser = asterisk\n', 'pjsip.conf': PJSIP })
    const r = audit(dir, {
      host: fakeHost({ proc: { '812/comm': 'asterisk\n', '812/status': statusFile(0) } }),
    })
    const f = r.findings.filter((x) => x.id === 'ast.host.runs-as-root')
    assert.deepEqual(
      f.flatMap((x) => x.evidence.map((e) => `${e.loc.file}:${e.loc.line}`)),
      ['/proc/812/status:9', 'asterisk.conf:2'],
    )
    const ok = audit(dir, {
      host: fakeHost({ proc: { '812/comm': 'asterisk\n', '812/status': statusFile(113) } }),
    })
    assert.ok(!ok.findings.some((x) => x.id === 'ast.host.runs-as-root'))
    assert.equal(ok.checks.find((c) => c.id === 'ast.host.runs-as-root')!.status, 'ok')
  })

  it('AMI and HTTP listening beyond localhost → ast.host.mgmt-port-public with the config and ss lines', () => {
    const dir = tempConfig({ 'manager.conf': MANAGER, 'http.conf': '[general]\nenabled = yes\n' })
    const r = audit(dir, { host: fakeHost({ ss: SS }) })
    const f = r.findings.filter((x) => x.id === 'ast.host.mgmt-port-public')
    assert.deepEqual(
      f.map((x) => x.evidence.map((e) => `${e.loc.file}:${e.loc.line}`).join(' ')),
      ['manager.conf:3 ss -Hltnup:2', 'http.conf:1 ss -Hltnup:3'],
    )
    assert.match(f[0]!.message, /AMI \(manager\.conf\) listens on 0\.0\.0\.0:5038/)
    const res = JSON.parse(renderSarif([r], 'test')).runs[0].results.find(
      (x: { ruleId: string }) => x.ruleId === 'ast.host.mgmt-port-public',
    )
    assert.equal(res.locations[0].physicalLocation.artifactLocation.uri, 'manager.conf')
    assert.equal(res.relatedLocations[0].physicalLocation, undefined)
    assert.match(res.relatedLocations[0].message.text, /^ss -Hltnup: tcp +LISTEN/)
    // 127.0.0.1:8089 and [::ffff:127.0.0.1]:5039 are loopback: not reported
    assert.ok(!f.some((x) => /8089|5039/.test(x.message)))
  })

  it('a socket of another program on the same port is not blamed on this PBX', () => {
    const dir = tempConfig({ 'manager.conf': MANAGER })
    const ss = 'tcp LISTEN 0 5 0.0.0.0:5038 0.0.0.0:* users:(("yate",pid=4,fd=3))\n'
    assert.ok(
      !audit(dir, { host: fakeHost({ ss }) }).findings.some((x) => x.id === 'ast.host.mgmt-port-public'),
    )
    const y = audit(
      tempConfig({ 'rmanager.conf': '[general]\naddr=0.0.0.0\npassword=Xq7-vL2p-Rt9w-Kz4m\n' }),
      {
        host: fakeHost({ ss }),
      },
    )
    assert.deepEqual(keys(y.findings.filter((x) => x.id === 'yate.host.mgmt-port-public')), [
      'yate.host.mgmt-port-public rmanager.conf:1',
    ])
  })

  it('FreeSWITCH ESL on a LAN address is reported, on ::1 it is not', () => {
    const dir = tempConfig({
      'autoload_configs/event_socket.conf.xml':
        '<configuration name="event_socket.conf">\n<settings>\n<param name="listen-ip" value="::"/>\n<param name="listen-port" value="8021"/>\n</settings>\n</configuration>\n',
      'vars.xml': '<include>\n</include>\n',
    })
    const r = audit(dir, { pbx: 'freeswitch', host: fakeHost({ ss: SS }) })
    assert.deepEqual(
      r.findings
        .filter((x) => x.id === 'fs.host.mgmt-port-public')
        .map((x) => x.evidence.map((e) => `${e.loc.file}:${e.loc.line}`).join(' ')),
      ['autoload_configs/event_socket.conf.xml:4 ss -Hltnup:7'],
    )
  })

  it('without ss the port check is skipped with a clear note', () => {
    const dir = tempConfig({ 'manager.conf': MANAGER })
    const r = audit(dir, { host: { ...fakeHost(), ss: '/nonexistent/sipwarden-test/ss' } })
    const c = r.checks.find((x) => x.id === 'ast.host.mgmt-port-public')!
    assert.equal(c.status, 'skipped')
    assert.match(renderText([r]), /ast\.host\.mgmt-port-public: `ss` not found \(install iproute2\)/)
    const sarif = JSON.parse(renderSarif([r], 'test'))
    const note = sarif.runs[0].invocations[0].toolExecutionNotifications.find(
      (n: { descriptor: { id: string } }) => n.descriptor.id === 'ast.host.mgmt-port-public',
    )
    assert.match(note.message.text, /^skipped: `ss` not found/)
    // host checks are SARIF rules too
    assert.ok(
      sarif.runs[0].tool.driver.rules.some((x: { id: string }) => x.id === 'ast.files.config-writable'),
    )
  })
})
