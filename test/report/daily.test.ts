import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Cdr } from '../../src/cdr/types.js'
import { buildDailyReport, dayStart } from '../../src/report/daily.js'
import { renderHtml } from '../../src/report/html.js'
import { renderText } from '../../src/report/text.js'
import { CDRS, cdr, classify, DAY, EVENTS, EVIL, T } from './fixtures.js'

async function build() {
  return buildDailyReport({ date: DAY, cdrs: CDRS, classify, events: EVENTS, site: 'pbx1', currency: 'EUR' })
}

describe('daily report', () => {
  test('dayStart accepts only real dates', () => {
    assert.equal(dayStart('2026-11-20'), T('2026-11-20T00:00:00Z'))
    assert.equal(dayStart('2026-02-30'), null)
    assert.equal(dayStart('20261120'), null)
  })

  test('exact figures per account, per hour, per class; new destinations against the history', async () => {
    const r = await build()
    assert.deepEqual(r.totals, { calls: 4, answered: 3, minutes: 4, cost: 0.18, unpriced: 1, accounts: 2 })
    assert.equal(r.historyCalls, 1)
    const hours = new Array(24).fill(0)
    hours[9] = 2
    hours[13] = 1
    hours[23] = 1
    assert.deepEqual(r.callsPerHour, hours)
    assert.deepEqual(r.byClass, [
      { country: null, cls: 'fixed', calls: 3, minutes: 2.5, cost: 0.03 },
      { country: null, cls: 'mobile', calls: 1, minutes: 1.5, cost: 0.15 },
    ])
    assert.deepEqual(
      r.accounts.map((a) => [
        a.tenant,
        a.account,
        a.calls,
        a.answered,
        a.minutes,
        a.cost,
        a.unpriced,
        a.findings,
      ]),
      [
        ['acme', '1001', 3, 2, 3.5, 0.17, 1, 2],
        ['acme', EVIL, 1, 1, 0.5, 0.01, 0, 0],
      ],
    )
    const a1001 = r.accounts[0]!
    assert.deepEqual(a1001.topDestinations, [
      { country: 'DE', cls: 'fixed', calls: 2, minutes: 2, cost: 0.02 },
      { country: 'GB', cls: 'mobile', calls: 1, minutes: 1.5, cost: 0.15 },
    ])
    // DE fixed was called in the history; GB mobile is new
    assert.deepEqual(a1001.newDestinations, [
      { country: 'GB', cls: 'mobile', calls: 1, minutes: 1.5, cost: 0.15, example: '+447911123456' },
    ])
    // no history for this account: everything is new
    assert.equal(r.accounts[1]!.newDestinations.length, 1)
  })

  test('findings and bans of the day only', async () => {
    const r = await build()
    assert.deepEqual(r.findings, [
      {
        code: 'fraud.destination',
        action: 'alert',
        severity: 'critical',
        count: 2,
        accounts: ['1001'],
        addresses: ['192.0.2.10', '203.0.113.9'],
      },
    ])
    assert.deepEqual(r.bans, {
      count: 3,
      addresses: 2,
      top: [
        { address: '203.0.113.9', code: 'flood.register', count: 2 },
        { address: '198.51.100.4', code: 'auth.brute-force', count: 1 },
      ],
    })
    assert.equal(r.eventsRead, 6)
  })

  test('text form carries the figures', async () => {
    const text = renderText(await build())
    assert.match(text, /^sipwarden daily report — pbx1 — 2026-11-20 \(UTC\)$/m)
    assert.match(
      text,
      /^calls 4, answered 3, minutes 4\.00, cost 0\.18 EUR \(1 calls unpriced\), accounts 2$/m,
    )
    assert.match(text, /^ {2}acme\/1001 +3 +2 +3\.50 +0\.17 +2 +DE fixed \(2\), GB mobile \(1\)$/m)
    assert.match(text, /^ {2}acme\/1001: GB mobile — 1 calls, 1\.50 min, 0\.15 EUR, e\.g\. \+447911123456$/m)
    assert.match(
      text,
      /^ {2}critical fraud\.destination alert ×2 accounts 1001; sources 192\.0\.2\.10, 203\.0\.113\.9$/m,
    )
    assert.match(text, /^Bans: 3 \(2 addresses\)$/m)
  })

  test('HTML is self-contained, has the figures and charts, and escapes the account name', async () => {
    const html = renderHtml(await build())
    assert.match(html, /^<!DOCTYPE html>/)
    assert.doesNotMatch(html, /https?:/i)
    assert.doesNotMatch(html, /<script|<link|<img|src=|href=/i)
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;'))
    assert.equal((html.match(/<svg /g) ?? []).length, 2)
    // 24 hour bars, the 09:00 one titled with its count
    assert.equal((html.match(/<rect [^>]*fill="#3b7dd8"/g) ?? []).length, 24)
    assert.match(html, /<title>09:00 2 calls<\/title>/)
    assert.match(
      html,
      /<td>acme\/1001<\/td><td class="n">3<\/td><td class="n">2<\/td><td class="n">3\.50<\/td><td class="n">0\.17<\/td>/,
    )
    assert.match(html, /<b>0\.18<\/b>/)
  })

  test('bounded: thousands of accounts are folded into one row beyond the cap', async () => {
    const many: Cdr[] = []
    for (let i = 0; i < 6000; i++) {
      many.push(
        cdr({
          id: `m${i}`,
          account: `a${i}`,
          dialled: '+4930',
          start: T('2026-11-20T10:00:00Z'),
          billableMs: 60_000,
        }),
      )
    }
    const r = await buildDailyReport({ date: DAY, cdrs: many, classify })
    assert.equal(r.accounts.length, 5000)
    assert.equal(r.totals.calls, 6000)
    const other = r.accounts.find((a) => a.account === '(other accounts)')
    assert.equal(other?.calls, 1001)
    assert.equal(r.eventsRead, null)
  })
})
