import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadRateTable, parseRateTable } from '../../src/fraud/rates.js'
import { tempDir } from './helpers.js'

describe('rate table', () => {
  it('prices by the longest matching prefix', () => {
    const t = parseRateTable('+44,0.02\n+449,1.50\n+4490,2.00\n+1,0.01\n', 'r.csv')
    assert.equal(t.size, 4)
    assert.equal(t.pricePerMinute('+442079460000'), 0.02)
    assert.equal(t.pricePerMinute('+449198790000'), 1.5)
    assert.equal(t.pricePerMinute('+449098790000'), 2)
    assert.equal(t.pricePerMinute('+4930123456'), null)
    assert.equal(t.costOf('+449098790000', 90_000), 3)
    assert.equal(t.costOf('+442079460000', 0), 0)
    assert.equal(t.costOf('+4930123456', 60_000), null)
    assert.equal(t.rateOf('+449098790000')?.prefix, '+4490')
  })

  it('reads a header, extra columns, comments, semicolons and a catch-all "+"', () => {
    const text = [
      '# carrier rates 2026-11',
      'description;prefix;rate_per_minute',
      'United Kingdom;44;0,02',
      'UK premium;"+449";1.5 # the expensive ones',
      'everything else;+;0.5',
      '',
    ].join('\n')
    const t = parseRateTable(text, 'r.csv')
    assert.equal(t.pricePerMinute('+442079460000'), 0.02)
    assert.equal(t.pricePerMinute('+449098790000'), 1.5)
    assert.equal(t.pricePerMinute('+4930123456'), 0.5)
    assert.equal(t.rateOf('+442079460000')?.description, 'United Kingdom')
  })

  it('names file:line in errors', () => {
    const bad: Array<[string, RegExp]> = [
      ['+44,0.02\n+49,cheap\n', /^r\.csv:2: "cheap" is not a price/],
      ['+44,0.02\n\n# c\n0x44,0.1\n', /^r\.csv:4: "0x44" is not an E\.164 prefix/],
      ['+44,0.02\n+44,0.03\n', /^r\.csv:2: prefix \+44 is already on line 1/],
      ['+44\n', /^r\.csv:1: expected "prefix,price per minute"/],
      ['prefix,comment\n+44,x\n', /^r\.csv:1: the header must name a prefix column and a price column/],
      ['+44,-1\n', /^r\.csv:1: "-1" is not a price/],
    ]
    for (const [text, re] of bad)
      assert.throws(
        () => parseRateTable(text, 'r.csv'),
        (e: Error & { code?: string }) => e.code === 'SGW_ERR_FRAUD_DATA' && re.test(e.message),
        text,
      )
  })

  it('loads a file and reports a missing one clearly', () => {
    const tmp = tempDir()
    try {
      const p = tmp.write('rates.csv', 'prefix,price\n+49,0.01\n')
      assert.equal(loadRateTable(p).pricePerMinute('+4930123456'), 0.01)
      assert.throws(
        () => loadRateTable(`${tmp.dir}/missing.csv`),
        (e: Error & { code?: string }) =>
          e.code === 'SGW_ERR_FRAUD_DATA' && /missing\.csv: cannot read: no such file/.test(e.message),
      )
    } finally {
      tmp.remove()
    }
  })
})
