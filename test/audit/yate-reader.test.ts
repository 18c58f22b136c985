import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Diagnostic } from '../../src/audit/types.js'
import { locString } from '../../src/audit/types.js'
import { readYateConfig, yall, yget } from '../../src/audit/yate/reader.js'
import { fixture, tempConfig } from './helpers.js'

describe('yate reader', () => {
  it('keeps repeated keys in order; ; is a comment only at line start', () => {
    const dir = tempConfig({
      'regexroute.conf': '[default]\n^00.*$=sip/a;caller=x\n^00.*$=sip/b\n ; comment\n[default]\nx=1\n',
    })
    const c = readYateConfig(dir, 'regexroute.conf', [])
    const def = c.section('default')!
    assert.deepEqual(
      yall(def, '^00.*$').map((e) => e.value),
      ['sip/a;caller=x', 'sip/b'],
    )
    assert.equal(yget(def, 'x')?.loc.line, 6)
    assert.equal(c.sections.length, 1)
  })

  it('includes a directory sorted, relative to the including file', () => {
    const c = readYateConfig(fixture('yate-insecure'), 'regfile.conf', [])
    const s = c.section('102')!
    assert.equal(locString(s.loc), 'regfile.conf:10 → regfile.d/10-users.conf:1')
  })

  it('[$require] of a missing file is an error; [$enabled false] skips lines', () => {
    const d: Diagnostic[] = []
    const dir = tempConfig({
      'y.conf': '[a]\n[$enabled false]\nk=1\n[$enabled]\nk2=2\n[$require nope.conf]\n',
    })
    const c = readYateConfig(dir, 'y.conf', d)
    assert.equal(yget(c.section('a'), 'k'), undefined)
    assert.equal(yget(c.section('a'), 'k2')?.value, '2')
    assert.ok(d.some((x) => x.level === 'error' && x.code === 'include-missing'))
  })
})
