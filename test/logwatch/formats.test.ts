// The verbatim fail2ban and CrowdSec fixture lines (reference logs-and-fraud.md §3.2), each with
// the address its own project's test oracle says it must yield, or none.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { createParser } from '../../src/logwatch/formats/index.js'
import { AMBIGUOUS, type FormatName } from '../../src/logwatch/types.js'
import { FIXTURES, fixtureLines, ipOf, parseOne } from './helpers.js'

interface Expected {
  format: FormatName
  source: string
  expect: (string | null)[]
}
const expected = JSON.parse(readFileSync(`${FIXTURES}expected.json`, 'utf8')) as Record<string, Expected>

describe('fixture lines yield the socket address their oracle names', () => {
  for (const [file, e] of Object.entries(expected)) {
    it(`${file} (${e.source})`, () => {
      const lines = fixtureLines(file)
      assert.equal(lines.length, e.expect.length, 'fixture and oracle line counts')
      // one parser per file, as in real use (it carries the last date and continuations)
      const p = createParser(e.format, { referenceYear: 2024, challenges: true })
      lines.forEach((line, i) => {
        assert.equal(ipOf(p.parse(line)), e.expect[i], `${file} line ${i + 1}: ${line.slice(0, 120)}`)
      })
    })
  }

  it('counts all 92 verbatim lines of blocks FA, FF, CA, CF, K, Y', () => {
    assert.equal(
      Object.values(expected).reduce((n, e) => n + e.expect.length, 0),
      48 + 11 + 21 + 5 + 5 + 2,
    )
  })
})

describe('event kinds', () => {
  const fa = fixtureLines('fail2ban-asterisk.log')
  const kinds: [number, string][] = [
    [1, 'auth-failed'], // Wrong password
    [2, 'unknown-account'], // No matching peer found
    [4, 'acl-refused'], // Device does not match ACL
    [10, 'unknown-extension'], // Call … rejected because extension not found
    [14, 'unknown-account'], // InvalidAccountID
    [17, 'auth-failed'], // InvalidPassword
    [18, 'acl-refused'], // FailedACL
    [34, 'unknown-account'], // No matching endpoint found
    [37, 'auth-failed'], // Failed to authenticate
    [42, 'unknown-account'], // AMI nonexistent user
  ]
  for (const [n, kind] of kinds) {
    it(`FA${String(n).padStart(2, '0')} is ${kind}`, () => {
      const r = parseOne('asterisk', fa[n - 1]!)
      assert.ok(r !== null && r !== AMBIGUOUS)
      assert.equal(r.kind, kind)
    })
  }

  it('ChallengeSent is not a failure: a challenge event only when asked for, else nothing', () => {
    const line = fixtureLines('crowdsec-asterisk.log')[11]!
    assert.match(line, /ChallengeSent/)
    assert.equal(parseOne('asterisk', line), null)
    const r = parseOne('asterisk', line, { challenges: true })
    assert.ok(r !== null && r !== AMBIGUOUS)
    assert.equal(r.kind, 'challenge')
  })

  it('FreeSWITCH "SIP auth challenge" (FF01) is a challenge, not a failure', () => {
    const line = fixtureLines('fail2ban-freeswitch.log')[0]!
    assert.equal(parseOne('freeswitch', line), null)
    const r = parseOne('freeswitch', line, { challenges: true })
    assert.ok(r !== null && r !== AMBIGUOUS)
    assert.equal(r.kind, 'challenge')
  })

  it('PJSIP "after N tries" counts N attempts (FA45)', () => {
    const r = parseOne('asterisk', fixtureLines('fail2ban-asterisk.log')[44]!)
    assert.ok(r !== null && r !== AMBIGUOUS)
    assert.equal(r.weight, 5)
    assert.equal(r.ip, '192.0.2.7')
  })

  it('extracts the account for enumeration counting', () => {
    const r = parseOne('asterisk', fixtureLines('crowdsec-asterisk.log')[15]!)
    assert.ok(r !== null && r !== AMBIGUOUS)
    assert.equal(r.account, 'netadmin')
  })

  it('asterisk-security reads only SecurityEvent lines', () => {
    const fa = fixtureLines('fail2ban-asterisk.log')
    assert.equal(parseOne('asterisk-security', fa[0]!), null) // chan_sip NOTICE
    assert.equal(ipOf(parseOne('asterisk-security', fa[16]!)), '141.255.164.106')
  })

  it('reads the time from the prefix', () => {
    const r = createParser('asterisk', { referenceYear: 2024 }).parse(
      fixtureLines('fail2ban-asterisk.log')[0]!,
    )
    assert.ok(r !== null && r !== AMBIGUOUS)
    assert.equal(r.time, new Date(2012, 1, 13, 17, 21, 54).getTime())
  })
})
