// The compiled number typing (src/fraud/number-type.ts) must answer exactly as libphonenumber-js:
// every country's plan, valid and invalid numbers, E.164 and national forms.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import parsePhoneNumber, { type CountryCode, type PhoneNumber } from 'libphonenumber-js/max'
import examples from 'libphonenumber-js/examples.mobile.json'
import metadata from 'libphonenumber-js/metadata.max.json'
import { numberIsValid, numberType, reparsesToItself } from '../../src/fraud/number-type.js'

/** mulberry32: deterministic numbers */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const countries = Object.keys(metadata.countries) as CountryCode[]
const mobileExamples = examples as Partial<Record<string, string>>

/** National significant numbers of a country: its mobile example with its last digits varied,
 * and random digit strings of plausible lengths. */
function nationalNumbers(country: string, r: () => number, n: number): string[] {
  const digits = (k: number) => Array.from({ length: k }, () => String(Math.floor(r() * 10))).join('')
  const out: string[] = []
  const ex = mobileExamples[country]
  for (let i = 0; i < n; i++) {
    if (ex !== undefined && i % 2 === 0) {
      const keep = Math.max(1, ex.length - 1 - (i % 5))
      out.push(ex.slice(0, keep) + digits(ex.length - keep))
    } else out.push(String(1 + Math.floor(r() * 9)) + digits(4 + Math.floor(r() * 8)))
  }
  return out
}

describe('compiled number typing', () => {
  it('gives the type and validity libphonenumber-js gives, for every country', () => {
    const r = rng(7)
    let typed = 0
    let checked = 0
    for (const country of countries) {
      const cc = (metadata.countries as Record<string, unknown[]>)[country]![0] as string
      for (const nn of nationalNumbers(country, r, 40)) {
        const p = parsePhoneNumber(`+${cc}${nn}`)
        if (p === undefined) continue
        const type = numberType(p)
        assert.equal(type, p.getType(), `type of ${p.number} (${country})`)
        assert.equal(numberIsValid(p, type), p.isValid(), `validity of ${p.number} (${country})`)
        assert.equal(numberIsValid(p), p.isValid())
        checked++
        if (type !== undefined) typed++
      }
    }
    // the sample must reach valid numbers of many types, not only invalid ones
    assert.ok(checked > 5000, `${checked} numbers checked`)
    assert.ok(typed > 2000, `${typed} typed numbers`)
  })

  it('covers the non-geographic calling codes (satellite, UIFN, premium)', () => {
    for (const e164 of ['+881612345678', '+870773111632', '+80012345678', '+979123456789', '+882345678901']) {
      const p = parsePhoneNumber(e164)
      assert.ok(p !== undefined, e164)
      assert.equal(numberType(p), p.getType(), e164)
      assert.equal(numberIsValid(p), p.isValid(), e164)
    }
  })

  it('skips the second parse only when parsing the E.164 form again gives the same number', () => {
    const r = rng(11)
    let same = 0
    let differs = 0
    const prefixes = ['', '0', '00', '1', '8', '06', '01']
    for (const country of countries) {
      for (const [i, nn] of nationalNumbers(country, r, 24).entries()) {
        let p: PhoneNumber | undefined
        try {
          p = parsePhoneNumber(prefixes[i % prefixes.length]! + nn, country)
        } catch {
          continue
        }
        if (p === undefined) continue
        const again = parsePhoneNumber(p.number)
        const identical =
          again !== undefined &&
          again.number === p.number &&
          again.country === p.country &&
          again.nationalNumber === p.nationalNumber &&
          again.getType() === p.getType()
        if (reparsesToItself(p)) {
          assert.ok(identical, `${country} ${prefixes[i % prefixes.length]}${nn} → ${p.number}`)
          same++
        } else if (!identical) differs++
      }
    }
    assert.ok(same > 2000, `${same} numbers took the single-parse path`)
    // the check is not vacuous: some numbers do parse differently the second time
    assert.ok(differs > 0, 'no number parsed differently the second time')
  })
})
