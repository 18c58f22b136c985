import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatByteSize, formatDuration, parseByteSize, parseDuration } from '../../src/config/units.js'

describe('durations', () => {
  it('parses single and compound units to milliseconds', () => {
    assert.equal(parseDuration('500ms'), 500)
    assert.equal(parseDuration('30s'), 30_000)
    assert.equal(parseDuration('10m'), 600_000)
    assert.equal(parseDuration('1h'), 3_600_000)
    assert.equal(parseDuration('7d'), 604_800_000)
    assert.equal(parseDuration('2w'), 1_209_600_000)
    assert.equal(parseDuration('1h30m'), 5_400_000)
    assert.equal(parseDuration('1.5s'), 1500)
  })

  it('refuses text without a unit, spaces, and fractions of a millisecond', () => {
    for (const bad of ['30', '10 minutes', '1 h', 'h', '', '-1s', '0.0001s', '1y'])
      assert.equal(parseDuration(bad), undefined, bad)
  })

  it('formats back compactly', () => {
    assert.equal(formatDuration(3_600_000), '1h')
    assert.equal(formatDuration(90_000), '1m30s')
    assert.equal(formatDuration(250), '250ms')
    assert.equal(formatDuration(0), '0s')
    assert.equal(formatDuration(7 * 86_400_000), '7d')
  })
})

describe('byte sizes', () => {
  it('parses binary and decimal units', () => {
    assert.equal(parseByteSize('512B'), 512)
    assert.equal(parseByteSize('16KiB'), 16_384)
    assert.equal(parseByteSize('16kib'), 16_384)
    assert.equal(parseByteSize('1MiB'), 1_048_576)
    assert.equal(parseByteSize('64KB'), 64_000)
    assert.equal(parseByteSize('1 GiB'), 1_073_741_824)
  })

  it('refuses unknown units and numbers without a unit', () => {
    for (const bad of ['16', '16K', '16 KiBs', 'KiB', '1.5.5KiB'])
      assert.equal(parseByteSize(bad), undefined, bad)
  })

  it('formats back', () => {
    assert.equal(formatByteSize(16_384), '16KiB')
    assert.equal(formatByteSize(1_048_576), '1MiB')
    assert.equal(formatByteSize(1000), '1000B')
  })
})
