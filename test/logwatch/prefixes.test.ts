// Asterisk line prefixes and date forms, IPv6 address forms, other PBXs' prefixes.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createParser } from '../../src/logwatch/formats/index.js'
import { AMBIGUOUS } from '../../src/logwatch/types.js'
import { ipOf, parseOne } from './helpers.js'

const MSG = "Registration from '<sip:301@example.com>' failed for '203.0.113.5:5060' - Wrong password"

describe('Asterisk prefixes', () => {
  const forms: [string, string][] = [
    ['default formatter, %F %T', `[2024-03-06 08:44:27] NOTICE[1638] chan_sip.c: ${MSG}`],
    ['default formatter, fraction', `[2024-03-06 08:44:27.123] NOTICE[1638] chan_sip.c: ${MSG}`],
    ['default formatter, call id', `[2024-03-06 08:44:27] NOTICE[1638][C-0000001d] chan_sip.c: ${MSG}`],
    ['%b %e %T, two-space day', `[Mar  6 08:44:27] NOTICE[1638] chan_sip.c: ${MSG}`],
    ['plain formatter', `[Mar  6 08:44:27] NOTICE[1638]: chan_sip.c:28468 handle_request_register: ${MSG}`],
    [
      'plain formatter, call id',
      `[Mar  6 08:44:27] NOTICE[1638][C-00000003]: chan_sip.c:28468 handle_request_register: ${MSG}`,
    ],
    [
      'syslog',
      `Mar  6 08:44:27 pbx asterisk[2350]: NOTICE[1195]: chan_sip.c:23417 in handle_request_register: ${MSG}`,
    ],
    [
      'syslog, ISO date',
      `2024-03-06T08:44:27.123456+01:00 pbx asterisk[2350]: NOTICE[1195]: chan_sip.c:23417 in handle_request_register: ${MSG}`,
    ],
    ['journald, no date', `NOTICE[566]: chan_sip.c:28926 handle_request_register: ${MSG}`],
    [
      'journald, extra date',
      `[Mar 27 10:06:14] NOTICE[566]: chan_sip.c:28926 handle_request_register: ${MSG}`,
    ],
    ['space before pid', `[2024-03-06 08:44:27] NOTICE [22382] chan_sip.c: ${MSG}`],
    [
      'rsyslog-escaped colours',
      `[2024-03-06 08:44:27] #033[1;33mNOTICE#033[0m[1638]: #033[1;37mchan_sip.c#033[0m:#033[1;37m28468#033[0m #033[1;37mhandle_request_register#033[0m: ${MSG}`,
    ],
    [
      'raw ANSI colours',
      `[2024-03-06 08:44:27] \x1b[1;33mNOTICE\x1b[0m[1638]: chan_sip.c:28468 handle_request_register: ${MSG}`,
    ],
    [
      'CRLF-free subdirectory source',
      `[2024-03-06 08:44:27] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '<sip:1@x>' failed for '203.0.113.5:5060' (callid: a) - Failed to authenticate`,
    ],
  ]
  for (const [name, line] of forms) {
    it(name, () => assert.equal(ipOf(parseOne('asterisk', line)), '203.0.113.5'))
  }

  it('the same message at VERBOSE, DEBUG or ERROR level is not an attack', () => {
    for (const level of ['VERBOSE', 'DEBUG', 'ERROR', 'DTMF']) {
      assert.equal(
        parseOne('asterisk', `[2024-03-06 08:44:27] ${level}[1638] chan_sip.c: ${MSG}`),
        null,
        level,
      )
    }
  })

  it('dates: %b %e %T uses the reference year and rolls over at New Year', () => {
    const line = (d: string) => `[${d}] NOTICE[1] chan_sip.c: ${MSG}`
    const r1 = parseOne('asterisk', line('Mar  6 08:44:27'))
    assert.ok(r1 !== null && r1 !== AMBIGUOUS)
    assert.equal(r1.time, new Date(2024, 2, 6, 8, 44, 27).getTime())
    const p = createParser('asterisk', { referenceYear: 2024 })
    const dec = p.parse(line('Dec 31 23:59:59'))
    const jan = p.parse(line('Jan  1 00:00:01'))
    assert.ok(dec !== null && dec !== AMBIGUOUS && jan !== null && jan !== AMBIGUOUS)
    assert.equal(jan.time - dec.time, 2000)
  })
})

// logger.conf `[json]` formatter (main/logger.c format_log_json): level and message are fields
function jsonLine(level: string, message: string, timestamp = '2024-03-06 08:44:27'): string {
  return JSON.stringify({
    hostname: 'pbx',
    timestamp,
    identifiers: { lwp: 1638, callid: '[C-0000001d]' },
    logmsg: {
      location: { filename: 'chan_sip.c', function: 'handle_request_register', line: 28468 },
      level,
      message,
    },
  })
}

describe('Asterisk [json] formatter', () => {
  it('a NOTICE line yields the address, the account and the time of the timestamp field', () => {
    const r = parseOne('asterisk', jsonLine('NOTICE', `${MSG}\n`))
    assert.ok(r !== null && r !== AMBIGUOUS)
    assert.equal(r.ip, '203.0.113.5')
    assert.equal(r.account, '301')
    assert.equal(new Date(r.time).getMonth(), 2)
    assert.equal(new Date(r.time).getDate(), 6)
  })
  it('a SecurityEvent line takes the last RemoteAddress, also in asterisk-security', () => {
    const sec =
      'SecurityEvent="InvalidPassword",EventTV="2024-03-06T08:44:27.000+0000",Severity="Error",Service="SIP",' +
      'EventVersion="2",AccountID="1001",SessionID="x\\",RemoteAddress=\\"IPV4/UDP/198.51.100.1/5060",' +
      'LocalAddress="IPV4/UDP/192.0.2.1/5060",RemoteAddress="IPV4/UDP/203.0.113.9/5084"'
    assert.equal(ipOf(parseOne('asterisk-security', jsonLine('SECURITY', sec))), '203.0.113.9')
    assert.equal(ipOf(parseOne('asterisk', jsonLine('SECURITY', sec))), '203.0.113.9')
  })
  it('other levels, other shapes and broken JSON are not attacks', () => {
    assert.equal(parseOne('asterisk', jsonLine('VERBOSE', MSG)), null)
    assert.equal(parseOne('asterisk', jsonLine('ERROR', MSG)), null)
    assert.equal(parseOne('asterisk-security', jsonLine('NOTICE', MSG)), null)
    assert.equal(parseOne('asterisk', JSON.stringify({ logmsg: { level: 'NOTICE' } })), null)
    assert.equal(parseOne('asterisk', `{"logmsg":{"level":"NOTICE","message":"${MSG}"`), null)
    // a message that pretends to be a NOTICE inside a DEBUG record
    assert.equal(parseOne('asterisk', jsonLine('DEBUG', `NOTICE[1] chan_sip.c: ${MSG}`)), null)
  })
})

describe('address forms', () => {
  const pj = (addr: string) =>
    `[2024-03-06 08:44:27] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '<sip:1@x>' failed for '${addr}' (callid: a) - No matching endpoint found`
  it('IPv6 with port in brackets, normalised (RFC 5952)', () => {
    assert.equal(ipOf(parseOne('asterisk', pj('[2001:DB8:0:0::1]:5060'))), '2001:db8::1')
  })
  it('IPv4-mapped IPv6 becomes IPv4', () => {
    assert.equal(ipOf(parseOne('asterisk', pj('[::ffff:203.0.113.9]:5060'))), '203.0.113.9')
  })
  it('transport-prefixed forms', () => {
    const call = (a: string) =>
      `[2024-03-06 08:44:27] NOTICE[1] res_pjsip_session.c:  anonymous: Call (${a}) to extension '011' rejected because extension not found in context 'x'.`
    assert.equal(ipOf(parseOne('asterisk', call('UDP:203.0.113.9:5060'))), '203.0.113.9')
    assert.equal(ipOf(parseOne('asterisk', call('TCP:[2001:db8::7]:5061'))), '2001:db8::7')
  })
  it('security log IPv6 RemoteAddress', () => {
    const line =
      '[2024-03-06 08:44:27] SECURITY[1] res_security_log.c: SecurityEvent="InvalidAccountID",EventTV="x",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="a",SessionID="b",LocalAddress="IPV6/UDP/2001:db8::2/5060",RemoteAddress="IPV6/UDP/2001:db8:0:0:0:0:0:9/5060"'
    assert.equal(ipOf(parseOne('asterisk', line)), '2001:db8::9')
  })
  it('rejects what is not a literal address (never resolves names), leading zeros, bad octets', () => {
    for (const a of [
      'pbx.example.com:5060',
      '010.1.1.1:5060',
      '1.2.3.256:5060',
      '1.2.3:5060',
      '[fe80::1%eth0]:5060',
    ]) {
      assert.equal(parseOne('asterisk', pj(a)), null, a)
    }
  })
})

describe('other PBXs', () => {
  it('FreeSWITCH continuation lines of "Can\'t find user" are skipped', () => {
    const p = createParser('freeswitch')
    const first = p.parse(
      "2023-03-06 15:11:14.385000 96.03% [WARNING] sofia_reg.c:3223 Can't find user [2501@1.2.3.4] from 198.51.100.3",
    )
    assert.equal(ipOf(first), '198.51.100.3')
    assert.equal(
      p.parse(
        'You must define a domain called \'1.2.3.4\' in your directory and add a user with the id="2501" attribute',
      ),
      null,
    )
    assert.equal(
      p.parse(
        'and you must configure your device to use the proper domain in its authentication credentials.',
      ),
      null,
    )
  })
  it('FreeSWITCH acl refusal at WARNING, with function name form', () => {
    const line =
      '2023-03-06 15:13:23.504993 [WARNING] sofia.c:10679 sofia_handle_sip_i_invite() IP 198.51.100.4 Rejected by acl "domains"'
    assert.equal(ipOf(parseOne('freeswitch', line)), '198.51.100.4')
  })
  it('Kamailio under syslog and the -E stderr form', () => {
    assert.equal(
      ipOf(
        parseOne(
          'kamailio',
          'Nov 19 22:05:36 ams2 /usr/sbin/kamailio[1067]: WARNING: pike [pike_funcs.c:151]: pike_check_req(): PIKE - BLOCKing ip 198.51.100.5, node=0x7f',
        ),
      ),
      '198.51.100.5',
    )
    assert.equal(
      ipOf(
        parseOne(
          'kamailio',
          ' 0(1067) ALERT: <script>: pike blocking INVITE from sip:a@b (IP:2001:db8::5:5060)',
        ),
      ),
      '2001:db8::5',
    )
    assert.equal(
      ipOf(
        parseOne(
          'kamailio',
          'Nov 19 22:05:36 ams2 /usr/sbin/kamailio[1067]: ERROR: <script>: Malformed SIP request from 198.51.100.6:5060',
        ),
      ),
      '198.51.100.6',
    )
  })
  it('Yate banbrutes with timestamp and ip6tables', () => {
    assert.equal(
      ipOf(
        parseOne(
          'yate',
          '2024-03-06_15:13:23.504993 banbrutes: /sbin/ip6tables -I INPUT -s 2001:db8::10 -j DROP',
        ),
      ),
      '2001:db8::10',
    )
  })
})
