import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parsePolicy } from '../../src/config/load.js'
import { effectiveAccounts, mergeOverrides } from '../../src/config/resolve.js'

const POLICY = `version: 1
upstream: udp:127.0.0.1:5080
site: { timezone: Europe/Berlin }
fraud:
  defaults:
    limits: { concurrentCalls: 4, international: { callsPerHour: 10 } }
tenants:
  - name: office
    country: DE
    defaults:
      networks: [10.20.0.0/24]
      callingRights:
        allow: [emergency, fixed, international]
        countries: { allow: [AT] }
      limits: { concurrentCalls: 3, international: { concurrentCalls: 1 } }
    accounts:
      - name: "100"
      - name: "101"
        networks: []
        callingRights: { countries: { deny: [CU] } }
        limits: { international: { callsPerHour: unlimited } }
  - name: hosted
    country: GB
    timezone: Europe/London
    accounts:
      - name: h1
`

describe('effective account settings', () => {
  const [a100, a101, h1] = effectiveAccounts(parsePolicy(POLICY, 'p.yaml', { env: {} }))

  it('inherits tenant defaults over site defaults', () => {
    assert.deepEqual(a100!.networks, ['10.20.0.0/24'])
    assert.deepEqual(a100!.callingRights.allow, ['emergency', 'fixed', 'international'])
    assert.deepEqual(a100!.callingRights.countries, { allow: ['AT'], deny: [] })
    assert.equal(a100!.limits.concurrentCalls, 3)
    assert.deepEqual(a100!.limits.international, { concurrentCalls: 1, callsPerHour: 10, callsPerDay: 30 })
    assert.equal(a100!.timezone, 'Europe/Berlin')
  })

  it('lets an account override key by key', () => {
    assert.deepEqual(a101!.networks, [])
    assert.deepEqual(a101!.callingRights.countries, { allow: ['AT'], deny: ['CU'] })
    assert.deepEqual(a101!.limits.international, { concurrentCalls: 1, callsPerHour: null, callsPerDay: 30 })
    assert.equal(a101!.limits.concurrentCalls, 3)
  })

  it('uses the site defaults when the tenant sets nothing', () => {
    assert.deepEqual(h1!.networks, [])
    assert.deepEqual(h1!.callingRights.allow, ['emergency', 'internal', 'toll-free', 'fixed', 'mobile'])
    assert.equal(h1!.limits.concurrentCalls, 4)
    assert.equal(h1!.timezone, 'Europe/London')
    assert.ok(Object.isFrozen(h1!.limits))
  })

  it('merges objects and replaces lists', () => {
    assert.deepEqual(mergeOverrides({ a: [1, 2], b: { c: 1, d: 2 } }, { a: [3], b: { d: 4 } }, undefined), {
      a: [3],
      b: { c: 1, d: 4 },
    })
  })
})
