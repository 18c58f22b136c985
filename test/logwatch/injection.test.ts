// Only the socket-derived address counts. Attacker-controlled text (From, display name, To,
// account, Call-ID/SessionID, digest response, extension, SIP headers printed at DEBUG) must
// never make us ban another address. Lines below are ours, built from the PBXs' format strings;
// 203.0.113.66 is always the attacker's real address, 198.51.100.99 the victim named in the text.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fixtureLines, ipOf, parseOne } from './helpers.js'

const REAL = '203.0.113.66'
const VICTIM = '198.51.100.99'
const PJ = "[2024-03-06 08:44:27] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from "

describe('injection', () => {
  it('fail2ban FA28: a fake RemoteAddress in the SessionID; the last one counts', () => {
    assert.equal(ipOf(parseOne('asterisk', fixtureLines('fail2ban-asterisk.log')[27]!)), '10.250.251.252')
  })

  it('fail2ban FA40: quotes and SQL in the From URI', () => {
    assert.equal(ipOf(parseOne('asterisk', fixtureLines('fail2ban-asterisk.log')[39]!)), '1.2.3.4')
  })

  it('PJSIP: fake "failed for" inside the quoted display name', () => {
    const line = `${PJ}'"x' failed for '${VICTIM}:5060' (callid: 1) - No matching endpoint found" <sip:100@pbx>' failed for '${REAL}:5070' (callid: abc) - No matching endpoint found`
    assert.equal(ipOf(parseOne('asterisk', line)), REAL)
  })

  it('PJSIP: fake "failed for" inside the Call-ID (after the real address)', () => {
    const line = `${PJ}'<sip:100@pbx>' failed for '${REAL}:5070' (callid: x' failed for '${VICTIM}:5060' (callid: y) - No matching endpoint found`
    assert.equal(ipOf(parseOne('asterisk', line)), REAL)
  })

  it('PJSIP: fakes on both sides', () => {
    const line = `${PJ}'"a' failed for '${VICTIM}:1' (callid: " <sip:1@x>' failed for '${REAL}:5070' (callid: x' failed for '198.51.100.98:2' (callid: y) - Failed to authenticate`
    assert.equal(ipOf(parseOne('asterisk', line)), REAL)
  })

  it('PJSIP: no balanced candidate at all is ambiguous, never the victim', () => {
    const line = `${PJ}'"a' failed for '${VICTIM}:1' (callid: b) - Failed to authenticate`
    assert.equal(ipOf(parseOne('asterisk', line)), 'AMBIGUOUS')
  })

  it('chan_sip Registration: fake text in the To header; the reason is anchored at the end', () => {
    const line = `[2024-03-06 08:44:27] NOTICE[1] chan_sip.c: Registration from '<sip:1@x>' failed for '${VICTIM}' - Wrong password' failed for '${REAL}:5060' - Wrong password`
    assert.equal(ipOf(parseOne('asterisk', line)), REAL)
  })

  it('chan_sip Call from: different addresses before and after are ambiguous', () => {
    const line = `[2024-03-06 08:44:27] NOTICE[1] chan_sip.c: Call from 'x' (${VICTIM}:5060) to extension 'y' (${REAL}:5060) to extension '100' rejected because extension not found in context 'default'.`
    assert.equal(ipOf(parseOne('asterisk', line)), 'AMBIGUOUS')
  })

  it('security log: a fake RemoteAddress after the real one needs a bare quote, which SIP cannot carry', () => {
    const escaped = `[2024-03-06 08:44:27] SECURITY[1] res_security_log.c: SecurityEvent="ChallengeResponseFailed",EventTV="x",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="1",SessionID="s",LocalAddress="IPV4/UDP/10.0.0.1/5060",RemoteAddress="IPV4/UDP/${REAL}/5060",Challenge="c",Response="r\\",RemoteAddress=\\"IPV4/UDP/${VICTIM}/5060\\"",ExpectedResponse=""`
    assert.notEqual(ipOf(parseOne('asterisk', escaped)), VICTIM)
  })

  it('security log: a broken tail after the last RemoteAddress is ambiguous', () => {
    const line = `[2024-03-06 08:44:27] SECURITY[1] res_security_log.c: SecurityEvent="InvalidAccountID",EventTV="x",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="1",SessionID="s",LocalAddress="IPV4/UDP/10.0.0.1/5060",RemoteAddress="IPV4/UDP/${VICTIM}/5060" junk`
    assert.equal(ipOf(parseOne('asterisk', line)), 'AMBIGUOUS')
  })

  it('a VERBOSE or DEBUG line that prints attacker text looking like a NOTICE line', () => {
    const line = `[2024-03-06 08:44:27] VERBOSE[1] pbx.c: NOTICE[1] chan_sip.c: Registration from '<sip:1@x>' failed for '${VICTIM}:5060' - Wrong password`
    assert.equal(parseOne('asterisk', line), null)
  })

  it('FreeSWITCH: fake " from " in the user part; the address is anchored at the end', () => {
    const line = `2023-03-06 15:11:14.385000 [WARNING] sofia_reg.c:3223 Can't find user [x] from ${VICTIM}@y] from ${REAL}`
    assert.equal(ipOf(parseOne('freeswitch', line)), REAL)
  })

  it('FreeSWITCH: a DEBUG line that prints a fake WARNING message', () => {
    const line = `2023-03-06 15:11:14.385000 [DEBUG] sofia.c:1 recv From: 2023-03-06 15:11:14.385000 [WARNING] sofia_reg.c:1 SIP auth failure (REGISTER) on sofia profile 'p' for [1@x] from ip ${VICTIM}`
    assert.equal(parseOne('freeswitch', line), null)
  })

  it('Kamailio: an xlog line that prints attacker text looking like pike', () => {
    const line = `INFO: <script>: REGISTER from sip:a@b ua=WARNING: pike [pike_funcs.c:151]: pike_check_req(): PIKE - BLOCKing ip ${VICTIM}, node=0x1 (IP:${REAL}:5060)`
    assert.equal(parseOne('kamailio', line), null)
  })

  it('Yate: banbrutes text inside another message', () => {
    assert.equal(
      parseOne('yate', `<sip:WARN> user agent 'banbrutes: iptables -I INPUT -s ${VICTIM} -j DROP'`),
      null,
    )
  })
})
