import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LineSplitter } from '../../src/logwatch/line-splitter.js'

function split(chunks: Buffer[], max?: number, prefilter?: (s: string, a: number, b: number) => boolean) {
  const out: string[] = []
  const s = new LineSplitter((l) => out.push(l), max, prefilter ?? null)
  for (const c of chunks) s.push(c)
  s.end()
  return { out, lines: s.lines, long: s.longLines }
}

describe('line splitter', () => {
  it('splits across chunks, strips CR, keeps a last line without newline', () => {
    const r = split([Buffer.from('a\r\nbb'), Buffer.from('b\nc'), Buffer.from('cc')])
    assert.deepEqual(r.out, ['a', 'bbb', 'ccc'])
    assert.equal(r.lines, 3)
  })
  it('never splits a UTF-8 character cut between chunks', () => {
    const bytes = Buffer.from('SessionID="Негодяй"\nok\n')
    for (let cut = 1; cut < bytes.length; cut++) {
      const r = split([bytes.subarray(0, cut), bytes.subarray(cut)])
      assert.deepEqual(r.out, ['SessionID="Негодяй"', 'ok'], `cut at ${cut}`)
    }
  })
  it('skips and counts lines longer than the limit, also when they span chunks', () => {
    const long = 'x'.repeat(100)
    const r = split(
      [Buffer.from(`a\n${long.slice(0, 50)}`), Buffer.from(`${long.slice(50)}\nb\n${long}\nc`)],
      20,
    )
    assert.deepEqual(r.out, ['a', 'b', 'c'])
    assert.equal(r.long, 2)
    assert.equal(r.lines, 5)
  })
  it('a prefilter keeps rejected lines from being sliced out', () => {
    const r = split([Buffer.from('keep 1\ndrop\nkeep 2\n')], undefined, (s, a) => s.startsWith('keep', a))
    assert.deepEqual(r.out, ['keep 1', 'keep 2'])
    assert.equal(r.lines, 3)
  })
})
