// The log watcher's copy of the schema's defaults (src/logwatch/defaults.ts) must equal what the
// schema gives; the copy exists only so that replay starts without building the schema.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PolicySchema } from '../../src/config/schema.js'
import { watchDefaults } from '../../src/logwatch/defaults.js'

describe('log watcher defaults', () => {
  it('equal the schema defaults (on failure, paste the printed object into src/logwatch/defaults.ts)', () => {
    const shape = PolicySchema.in.shape
    const expected = {
      bans: shape.bans.parse(undefined),
      logwatch: shape.logwatch.parse(undefined),
      site: shape.site.parse(undefined),
      state: shape.state.parse(undefined),
      events: shape.events.parse(undefined),
      ipsetAction: shape.logwatch.unwrap().shape.action.parse({ type: 'ipset' }),
    }
    assert.deepEqual(watchDefaults(), expected, JSON.stringify(expected, null, 2))
  })

  it('hands out copies', () => {
    const a = watchDefaults()
    ;(a.logwatch.ignoreNetworks as string[]).push('192.0.2.0/24')
    assert.deepEqual(watchDefaults().logwatch.ignoreNetworks, [])
  })
})
