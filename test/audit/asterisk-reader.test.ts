import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { get, getAll, readAsteriskConfig } from '../../src/audit/asterisk/reader.js'
import type { Diagnostic } from '../../src/audit/types.js'
import { locString } from '../../src/audit/types.js'
import { fixture, tempConfig } from './helpers.js'

describe('asterisk reader', () => {
  const diags: Diagnostic[] = []
  const cfg = readAsteriskConfig(fixture('asterisk-parser'), 'pjsip.conf', diags)

  it('drops nested block comments entirely', () => {
    assert.equal(
      cfg.categories.find((c) => c.name === 'ghost'),
      undefined,
    )
  })

  it('keeps templates out of live sections and lets later templates override', () => {
    const live = cfg.sections().map((c) => c.name)
    assert.ok(!live.includes('tmpl-phone') && !live.includes('tmpl-secure'))
    const ep = cfg.ofType('endpoint').find((c) => c.name === '6001')!
    assert.equal(get(ep, 'context')?.value, 'secure')
    assert.equal(get(ep, 'context')?.inheritedFrom?.name, 'tmpl-secure')
    assert.deepEqual(
      getAll(ep, 'permit').map((v) => v.value),
      ['10.0.0.0/8'],
    )
  })

  it('handles \\; escapes, inline block comments and ; comments', () => {
    const ep = cfg.ofType('endpoint').find((c) => c.name === '6001')!
    assert.equal(get(ep, 'description')?.value, 'semi;colon')
    const auth = cfg.ofType('auth')[0]!
    assert.equal(get(auth, 'password')?.value, 'xy')
    assert.equal(get(auth, 'password')?.loc.line, 23)
  })

  it('keeps same-named sections of different types and appends with (+) and (+type=aor)', () => {
    assert.equal(cfg.sections('6001').length, 3)
    const aor = cfg.ofType('aor')[0]!
    assert.equal(get(aor, 'max_contacts')?.value, '2')
    assert.equal(get(aor, 'max_contacts')?.loc.line, 30)
    const ep = cfg.ofType('endpoint').find((c) => c.name === '6001')!
    // += appends the raw text after = to the last `allow` of the first live [6001] (config.c)
    assert.equal(get(ep, 'allow')?.value, 'g722 ,opus')
  })

  it('resolves #include globs against the config dir, sorted, with the include chain', () => {
    const names = cfg.sections().map((c) => c.name)
    assert.ok(names.indexOf('from-a') < names.indexOf('from-b'))
    const a = cfg.sections('from-a')[0]!
    assert.equal(locString(a.loc), 'pjsip.conf:35 → conf.d/a.conf:1')
  })

  it('records #exec without running it and tolerates a missing #tryinclude', () => {
    assert.equal(cfg.execLines.length, 1)
    assert.equal(cfg.execLines[0]!.line, 37)
    assert.ok(diags.some((d) => d.code === 'include-empty'))
    assert.ok(!diags.some((d) => d.level === 'error'))
  })

  it('reports include loops instead of recursing forever', () => {
    const d: Diagnostic[] = []
    const c = readAsteriskConfig(fixture('asterisk-loop'), 'sip.conf', d)
    assert.ok(d.some((x) => x.code === 'include-loop'))
    assert.equal(get(c.sections('general')[0], 'allowguest')?.value, 'no')
  })

  it('an included file without a header appends to the section that was open', () => {
    const dir = tempConfig({
      'sip.conf': '[general]\n#include extra.conf\n',
      'extra.conf': 'allowguest = no\n',
    })
    const c = readAsteriskConfig(dir, 'sip.conf', [])
    const v = get(c.sections('general')[0], 'allowguest')!
    assert.equal(v.value, 'no')
    assert.equal(locString(v.loc), 'sip.conf:2 → extra.conf:1')
  })

  it('treats `=>` and `=` alike but remembers which was used, and reports a missing #include', () => {
    const d: Diagnostic[] = []
    const dir = tempConfig({
      'extensions.conf': '[a]\nexten => 1,1,NoOp()\nexten = 2,1,NoOp()\n#include nope.conf\n',
    })
    const c = readAsteriskConfig(dir, 'extensions.conf', d)
    assert.deepEqual(
      c.sections('a')[0]!.vars.map((v) => v.isObject),
      [true, false],
    )
    assert.ok(d.some((x) => x.code === 'include-missing' && x.loc?.line === 4))
  })
})
