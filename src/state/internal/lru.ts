// An intrusive doubly linked list that keeps entries in least-recently-used order.
//
// Why not just the insertion order of a Map (delete + set to move, keys().next() to evict)?
// Measured: V8 leaves a deleted Map entry as a hole until the table is rehashed, and
// keys().next() walks over every hole at the front. Used as an LRU queue under a spray of
// distinct keys that made each eviction O(table size): 1M hits at the 100k bound took 120 s.
// With this list, touch and evict are a few pointer writes.

export interface LruNode {
  readonly key: string
  /** toward the least recently used end */
  lruPrev: LruNode | null
  /** toward the most recently used end */
  lruNext: LruNode | null
}

export class LruList<N extends LruNode> {
  /** least recently used */
  head: N | null = null
  /** most recently used */
  tail: N | null = null
  size = 0

  push(n: N): void {
    n.lruPrev = this.tail
    n.lruNext = null
    if (this.tail === null) this.head = n
    else this.tail.lruNext = n
    this.tail = n
    this.size++
  }

  remove(n: N): void {
    if (n.lruPrev === null) this.head = n.lruNext as N | null
    else n.lruPrev.lruNext = n.lruNext
    if (n.lruNext === null) this.tail = n.lruPrev as N | null
    else n.lruNext.lruPrev = n.lruPrev
    n.lruPrev = null
    n.lruNext = null
    this.size--
  }

  /** Marks n as the most recently used. */
  touch(n: N): void {
    if (this.tail === n) return
    this.remove(n)
    this.push(n)
  }

  clear(): void {
    this.head = null
    this.tail = null
    this.size = 0
  }
}
