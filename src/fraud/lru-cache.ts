// A bounded map in least-recently-used order (the memo of classifications, per-account state).
import { LruList, type LruNode } from '../state/internal/lru.js'

interface Node<V> extends LruNode {
  value: V
}

export class LruCache<V> {
  readonly max: number
  readonly #map = new Map<string, Node<V>>()
  readonly #list = new LruList<Node<V>>()

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`LRU size must be a positive integer, got ${max}`)
    this.max = max
  }

  get size(): number {
    return this.#map.size
  }

  get(key: string): V | undefined {
    const n = this.#map.get(key)
    if (n === undefined) return undefined
    this.#list.touch(n)
    return n.value
  }

  peek(key: string): V | undefined {
    return this.#map.get(key)?.value
  }

  /** Sets key; evicts the least recently used entries beyond max, calling onEvict for each.
   * Entries for which `pinned` says true are not evicted (they move to the recent end); the
   * caller bounds how many can be pinned. */
  set(
    key: string,
    value: V,
    onEvict?: (key: string, value: V) => void,
    pinned?: (value: V) => boolean,
  ): void {
    const n = this.#map.get(key)
    if (n !== undefined) {
      n.value = value
      this.#list.touch(n)
      return
    }
    const node: Node<V> = { key, value, lruPrev: null, lruNext: null }
    this.#map.set(key, node)
    this.#list.push(node)
    let skips = this.#map.size
    while (this.#map.size > this.max && this.#list.head !== null) {
      const old = this.#list.head
      if (pinned !== undefined && pinned(old.value)) {
        if (skips-- <= 0) break // everything is pinned: exceed max rather than lose live state
        this.#list.touch(old)
        continue
      }
      this.#list.remove(old)
      this.#map.delete(old.key)
      onEvict?.(old.key, old.value)
    }
  }

  delete(key: string): boolean {
    const n = this.#map.get(key)
    if (n === undefined) return false
    this.#list.remove(n)
    this.#map.delete(key)
    return true
  }

  clear(): void {
    this.#map.clear()
    this.#list.clear()
  }
}

/**
 * A bounded memo for hot lookups (number classification of a million CDRs): two generations of
 * plain Maps. New entries go into the young one; when it holds `max / 2`, it becomes the old one
 * and the previous old one is dropped; a hit in the old generation is copied into the young.
 * Entries used within the last `max / 2` insertions are always kept (an approximation of LRU
 * without a linked list to update on every hit). At most `max` entries.
 */
export class GenerationalCache<V> {
  readonly max: number
  readonly #half: number
  #young = new Map<string, V>()
  #old = new Map<string, V>()

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 2)
      throw new RangeError(`cache size must be an integer of at least 2, got ${max}`)
    this.max = max
    this.#half = max >> 1
  }

  get size(): number {
    return this.#young.size + this.#old.size
  }

  get(key: string): V | undefined {
    const v = this.#young.get(key)
    if (v !== undefined) return v
    const o = this.#old.get(key)
    if (o !== undefined) {
      this.#old.delete(key)
      this.set(key, o)
    }
    return o
  }

  /** The value without refreshing it. */
  peek(key: string): V | undefined {
    return this.#young.get(key) ?? this.#old.get(key)
  }

  set(key: string, value: V): void {
    this.#young.set(key, value)
    if (this.#young.size >= this.#half) {
      this.#old = this.#young
      this.#young = new Map()
    }
  }

  clear(): void {
    this.#young.clear()
    this.#old.clear()
  }
}
