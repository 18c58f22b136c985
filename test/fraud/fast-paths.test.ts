// The structures made faster for `cdr analyze` keep their answers: the classification memo
// (GenerationalCache) and the sliding windows' running total (BucketWindow).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { GenerationalCache } from '../../src/fraud/lru-cache.js'
import { BucketWindow } from '../../src/fraud/window.js'

describe('GenerationalCache', () => {
  it('is bounded and keeps what was used within the last max/2 insertions', () => {
    const c = new GenerationalCache<number>(100)
    for (let i = 0; i < 1000; i++) {
      c.set(`k${i}`, i)
      // k0 is used all along: it must survive every generation change
      assert.equal(c.get('k0'), 0)
      assert.ok(c.size <= 100, `size ${c.size}`)
    }
    assert.equal(c.get('k999'), 999)
    assert.equal(c.get('k950'), 950)
    assert.equal(c.get('k500'), undefined) // old and unused: gone
    assert.equal(c.peek('k998'), 998)
    c.clear()
    assert.equal(c.size, 0)
    assert.equal(c.get('k999'), undefined)
    assert.throws(() => new GenerationalCache(1), RangeError)
  })
})

describe('BucketWindow running total', () => {
  it('counts what a sum over the buckets counts, whatever the time steps', () => {
    let seed = 5
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32
    for (const [windowMs, buckets] of [
      [60_000, 6],
      [3_600_000, 12],
      [86_400_000, 24],
    ] as const) {
      const w = new BucketWindow(windowMs, buckets)
      const bucketMs = Math.floor(windowMs / buckets)
      // a reference: the times counted, each in the bucket of the newest time seen so far
      const counted: number[] = []
      let head = -1
      let now = 1_000_000_000
      for (let i = 0; i < 3000; i++) {
        const r = rnd()
        // mostly forward, sometimes a big jump, sometimes a step back
        now += r < 0.05 ? windowMs * 2 : r < 0.1 ? -bucketMs : Math.floor(rnd() * bucketMs * 0.7)
        const idx = Math.floor(now / bucketMs)
        if (idx > head) head = idx
        if (rnd() < 0.6) {
          w.add(now)
          counted.push(head)
        }
        const expected = counted.filter((b) => b > head - buckets).length
        assert.equal(w.count(now), expected, `step ${i}`)
      }
      assert.ok(counted.length > 1000)
    }
  })
})
