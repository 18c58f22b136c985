import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { loadFreeswitch } from '../../src/audit/freeswitch/model.js'
import { preprocess } from '../../src/audit/freeswitch/preprocess.js'
import { parseXml } from '../../src/audit/freeswitch/xml.js'
import type { Diagnostic } from '../../src/audit/types.js'
import { locString } from '../../src/audit/types.js'
import { fixture, tempConfig } from './helpers.js'

describe('freeswitch preprocessor and xml', () => {
  it('runs X-PRE-PROCESS inside XML comments but not renamed tags', () => {
    const m = loadFreeswitch(fixture('freeswitch-vanilla'))
    assert.equal(m.vars.get('internal_auth_calls')?.value, 'true')
    assert.equal(m.vars.get('internal_auth_calls')?.loc.line, 8)
    assert.equal(m.vars.has('disabled_var'), false)
    assert.ok(m.directives.some((d) => d.inComment && d.loc.file === 'vars.xml' && d.loc.line === 8))
  })

  it('expands $${var} with provenance and resolves includes relative to the including file', () => {
    const m = loadFreeswitch(fixture('freeswitch-vanilla'))
    const u = m.users.find((x) => x.id === '1000')!
    const pw = u.params.get('password')!
    assert.equal(pw.value, '1234')
    assert.equal(
      locString(pw.loc),
      'freeswitch.xml:11 → directory/default.xml:9 → directory/default/1000.xml:4',
    )
    assert.equal(pw.expansions[0]?.setAt?.file, 'vars.xml')
    assert.equal(pw.expansions[0]?.setAt?.line, 6)
    // sofia.conf.xml includes ../sip_profiles/*.xml relative to autoload_configs/
    assert.deepEqual(
      m.profiles.map((p) => p.name),
      ['external', 'internal'],
    )
    assert.equal(m.profiles[0]!.params.get('auth-calls')?.value, 'false')
  })

  it('tolerates junk text after attributes and reports syntax problems with file:line', () => {
    const d: Diagnostic[] = []
    const dir = tempConfig({
      'x.xml':
        '<context name="a">\n<condition field="destination_number" expression="^(10[01][0-9])$">)$">\n<action application="answer"/>\n</condition>\n</wrong>\n</context>\n',
    })
    const pre = preprocess(dir, 'x.xml', d)
    const doc = parseXml(pre.lines, d)
    const ctx = doc.children[0]!
    assert.equal(ctx.attrs.get('name'), 'a')
    assert.equal(ctx.children[0]!.children[0]!.attrs.get('application'), 'answer')
    assert.ok(d.some((x) => x.code === 'xml-syntax' && x.loc?.line === 5))
  })

  it('detects include loops', () => {
    const d: Diagnostic[] = []
    const dir = tempConfig({
      'freeswitch.xml': '<document>\n<X-PRE-PROCESS cmd="include" data="a.xml"/>\n</document>\n',
      'a.xml': '<X-PRE-PROCESS cmd="include" data="freeswitch.xml"/>\n',
    })
    loadFreeswitch(dir)

    const m = loadFreeswitch(dir)
    assert.ok(m.diags.some((x) => x.code === 'include-loop'))
    void d
  })
})
