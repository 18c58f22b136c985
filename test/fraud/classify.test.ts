import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createClassifier, isInternational } from '../../src/fraud/classify.js'
import { policyOf, tempDir } from './helpers.js'

const POLICY = policyOf(`
tenants:
  - name: berlin
    country: DE
    numbering: { technicalPrefixes: ["*31#"] }
    accounts: [{ name: "100" }, { name: alice, extension: "2001" }]
  - name: nyc
    country: US
    numbering: { outsideLinePrefix: "9" }
  - name: london
    country: GB
  - name: sydney
    country: AU
  - name: custom
    country: DE
    numbering: { internationalPrefixes: ["011"], outsideLinePrefix: "0", maxExtensionDigits: 4 }
`)

describe('number classification', () => {
  const c = createClassifier(POLICY)
  const cases: Array<
    [tenant: string, dialled: string, e164: string | null, country: string | null, cls: string]
  > = [
    // Germany, 00 international prefix, 0 national prefix
    ['berlin', '030 1234567', '+49301234567', 'DE', 'fixed'],
    ['berlin', '0170 1234567', '+491701234567', 'DE', 'mobile'],
    ['berlin', '09001234567', '+499001234567', 'DE', 'premium'],
    ['berlin', '0800 1234567', '+498001234567', 'DE', 'toll-free'],
    ['berlin', '00449098790000', '+449098790000', 'GB', 'premium'],
    ['berlin', '+8816123456789', '+8816123456789', null, 'satellite'],
    ['berlin', '00870773112345', '+870773112345', null, 'satellite'],
    ['berlin', '00979123456789', '+979123456789', null, 'premium'],
    ['berlin', '0018005550123', '+18005550123', 'US', 'toll-free'],
    ['berlin', '0012125550123', '+12125550123', 'US', 'fixed'],
    ['berlin', '0044770', '+44770', 'GB', 'unknown'],
    // USA: 011 international, 1 national, outside line 9
    ['nyc', '9011449098790000', '+449098790000', 'GB', 'premium'],
    ['nyc', '918005550123', '+18005550123', 'US', 'toll-free'],
    ['nyc', '919005550123', '+19005550123', 'US', 'premium'],
    ['nyc', '92125550123', '+12125550123', 'US', 'fixed'],
    ['nyc', '918095551234', '+18095551234', 'DO', 'fixed'],
    // UK: 0 national, 00 international
    ['london', '09098790000', '+449098790000', 'GB', 'premium'],
    ['london', '07400 123456', '+447400123456', 'GB', 'mobile'],
    ['london', '020 7946 0000', '+442079460000', 'GB', 'fixed'],
    ['london', '0808 157 0000', '+448081570000', 'GB', 'toll-free'],
    ['london', '07012345678', '+447012345678', 'GB', 'personal'],
    // Australia: 0011 (and the other codes of its pattern)
    ['sydney', '0011441234567890', '+441234567890', 'GB', 'fixed'],
    ['sydney', '0014441234567890', '+441234567890', 'GB', 'fixed'],
    // a German office that dials 0 for an outside line and 011 for abroad
    ['custom', '0011441234567890', '+441234567890', 'GB', 'fixed'],
    ['custom', '0030 1234567', '+49301234567', 'DE', 'fixed'],
  ]
  for (const [tenant, dialled, e164, country, cls] of cases)
    it(`${tenant}: ${dialled} → ${e164 ?? 'no E.164'} ${cls}`, () => {
      const n = c.classify(dialled, tenant)
      assert.equal(n.e164, e164)
      assert.equal(n.country, country)
      assert.equal(n.cls, cls)
      assert.equal(n.dialled, dialled)
    })

  it('recognises emergency numbers of the tenant country, also behind the outside-line prefix', () => {
    assert.equal(c.classify('110', 'berlin').cls, 'emergency')
    assert.equal(c.classify('112', 'berlin').cls, 'emergency')
    assert.equal(c.classify('911', 'nyc').cls, 'emergency')
    assert.equal(c.classify('9911', 'nyc').cls, 'emergency')
    assert.equal(c.classify('999', 'london').cls, 'emergency')
    assert.equal(c.classify('000', 'sydney').cls, 'emergency')
    assert.notEqual(c.classify('999', 'berlin').cls, 'emergency')
  })

  it('recognises internal extensions and short numbers', () => {
    assert.equal(c.classify('100', 'berlin').cls, 'internal')
    assert.equal(c.classify('2001', 'berlin').cls, 'internal')
    assert.equal(c.classify('*97', 'berlin').cls, 'internal')
    assert.equal(c.classify('12345', 'custom').cls, 'unknown') // longer than maxExtensionDigits 4
  })

  it('strips technical prefixes and reports every stripped prefix', () => {
    const n = c.classify('*31#00441234567890', 'berlin')
    assert.equal(n.e164, '+441234567890')
    assert.equal(n.prefix, '*31#00')
    assert.equal(c.classify('9011441234567890', 'nyc').prefix, '9011')
    assert.equal(c.classify('030 1234567', 'berlin').prefix, null)
  })

  it('classifies directory enquiry short codes as premium', () => {
    assert.equal(c.classify('118118', 'london').cls, 'premium')
    assert.equal(c.classify('11833', 'berlin').cls, 'premium')
  })

  it('refuses garbage instead of guessing; a name is an internal destination', () => {
    // names reach only what the PBX routes internally (`sip:alice@pbx`, `voicemail`)
    assert.equal(c.classify('hello', 'berlin').cls, 'internal')
    assert.equal(c.classify('sip:voice.mail@pbx.example', 'berlin').cls, 'internal')
    assert.equal(c.classify('0900abc', 'berlin').cls, 'unknown')
    assert.equal(c.classify('+44abc', 'berlin').cls, 'unknown')
    assert.equal(c.classify('*31#0044*12345678', 'berlin').cls, 'unknown')
    assert.equal(c.classify('', 'berlin').cls, 'unknown')
  })

  it('flags the shipped high-risk ranges', () => {
    assert.equal(c.classify('+8816123456789', 'berlin').highRisk, true)
    assert.equal(c.classify('918095551234', 'nyc').highRisk, true)
    assert.equal(c.classify('030 1234567', 'berlin').highRisk, false)
    assert.equal(c.classify('0012125550123', 'berlin').highRisk, false)
  })

  it('tells international from national by the tenant country (NANP trap included)', () => {
    assert.equal(isInternational(c.classify('918095551234', 'nyc'), 'US'), true)
    assert.equal(isInternational(c.classify('92125550123', 'nyc'), 'US'), false)
    assert.equal(isInternational(c.classify('+8816123456789', 'berlin'), 'DE'), true)
    assert.equal(isInternational(c.classify('100', 'berlin'), 'DE'), false)
    assert.equal(c.homeCountry('nyc'), 'US')
  })

  it('memoises: the same object for the same tenant and number, separate per tenant', () => {
    const a = c.classify('0012125550123', 'berlin')
    assert.equal(c.classify('0012125550123', 'berlin'), a)
    assert.notEqual(c.classify('0012125550123', 'nyc').e164, a.e164)
  })

  it('uses a custom high-risk file (relative to the policy) and reports bad lines with file:line', () => {
    const tmp = tempDir()
    try {
      tmp.write('ranges.txt', '# mine\n+4930 Berlin (test)\n')
      const p = policyOf(
        `fraud: { highRiskRangesFile: ranges.txt }\ntenants: [{ name: b, country: DE }]`,
        tmp.dir,
      )
      const mine = createClassifier(p)
      assert.equal(mine.classify('030 1234567', 'b').highRisk, true)
      assert.equal(mine.classify('+8816123456789', 'b').highRisk, false)
      tmp.write('ranges.txt', '+4930 ok\n0049 bad\n')
      assert.throws(
        () => createClassifier(p),
        (e: Error & { code?: string }) =>
          e.code === 'SGW_ERR_FRAUD_DATA' && /ranges\.txt:2: /.test(e.message),
      )
    } finally {
      tmp.remove()
    }
  })
})
