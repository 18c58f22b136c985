// Sets whose members each have a TTL: "distinct accounts tried from one source in the last
// hour". Bounded three ways: sets held, members per set, members over all sets. Sets and the
// members inside a set are both kept in least-recently-used order (lru.ts).

import { LruList, type LruNode } from './lru.js'

/** Where the SQLite adapter writes changed sets (write-behind). */
export interface SetSink {
  putMember(key: string, member: string, expiresAt: number): void
  removeMember(key: string, member: string): void
  removeSet(key: string): void
}

class MemberNode implements LruNode {
  lruPrev: MemberNode | null = null
  lruNext: MemberNode | null = null
  constructor(
    readonly key: string,
    /** Infinity: no expiry */
    public expiresAt: number,
  ) {}
}

class SetNode implements LruNode {
  lruPrev: SetNode | null = null
  lruNext: SetNode | null = null
  readonly members = new Map<string, MemberNode>()
  readonly order = new LruList<MemberNode>()
  /** earliest member expiry; when now reaches it, the set is pruned on access */
  nextExpiry = Number.POSITIVE_INFINITY
  constructor(readonly key: string) {}
}

const FULL_SWEEP_GAP_MS = 1000

export class SetTable {
  readonly #map = new Map<string, SetNode>()
  readonly #lru = new LruList<SetNode>()
  readonly #maxSets: number
  readonly #maxMembers: number
  readonly #maxTotal: number
  /** null when nothing is persisted (memory adapter) */
  readonly #dirty: { members: Map<string, Set<string>>; removedSets: Set<string>; count: number } | null
  #total = 0
  /** restoring from SQLite: do not write back what was just read */
  #restoring = false
  #nextFullSweep = Number.NEGATIVE_INFINITY

  constructor(maxSets: number, maxMembers: number, maxTotal: number, persisted: boolean) {
    this.#maxSets = maxSets
    // one set may never hold more than all sets together
    this.#maxMembers = Math.min(maxMembers, maxTotal)
    this.#maxTotal = maxTotal
    this.#dirty = persisted ? { members: new Map(), removedSets: new Set(), count: 0 } : null
  }

  get dirtyCount(): number {
    return this.#dirty?.count ?? 0
  }

  /** Writes what changed since the last flush: whole sets dropped first, then members. */
  flushTo(sink: SetSink, now: number): void {
    const d = this.#dirty
    if (d === null || d.count === 0) return
    for (const key of d.removedSets) sink.removeSet(key)
    for (const [key, members] of d.members) {
      const s = this.#map.get(key)
      for (const m of members) {
        const node = s?.members.get(m)
        if (node !== undefined && node.expiresAt > now) sink.putMember(key, m, node.expiresAt)
        else sink.removeMember(key, m)
      }
    }
    d.removedSets.clear()
    d.members.clear()
    d.count = 0
  }

  #markMember(key: string, member: string): void {
    const d = this.#dirty
    if (d === null || this.#restoring) return
    let set = d.members.get(key)
    if (set === undefined) {
      set = new Set()
      d.members.set(key, set)
    }
    if (!set.has(member)) {
      set.add(member)
      d.count++
    }
  }

  #markRemovedSet(key: string): void {
    const d = this.#dirty
    if (d === null) return
    const set = d.members.get(key)
    if (set !== undefined) {
      d.count -= set.size
      d.members.delete(key)
    }
    if (!d.removedSets.has(key)) {
      d.removedSets.add(key)
      d.count++
    }
  }

  get size(): number {
    return this.#map.size
  }

  get totalMembers(): number {
    return this.#total
  }

  sadd(key: string, member: string, expiresAt: number, now: number): number {
    const s = this.#touch(key, now, true)!
    let m = s.members.get(member)
    if (m !== undefined) {
      s.order.touch(m)
      m.expiresAt = expiresAt
    } else {
      if (s.members.size >= this.#maxMembers) {
        const oldest = s.order.head!
        this.#removeMember(s, oldest)
        this.#markMember(key, oldest.key)
      }
      m = new MemberNode(member, expiresAt)
      s.members.set(member, m)
      s.order.push(m)
      this.#total++
    }
    if (expiresAt < s.nextExpiry) s.nextExpiry = expiresAt
    this.#markMember(key, member)
    if (this.#total > this.#maxTotal) this.#shrinkTotal(now, s)
    return s.members.size
  }

  srem(key: string, member: string, now: number): boolean {
    const s = this.#map.get(key)
    if (s === undefined) return false
    const m = s.members.get(member)
    if (m === undefined) return false
    this.#removeMember(s, m)
    this.#markMember(key, member)
    if (s.members.size === 0) this.#deleteSet(s)
    return m.expiresAt > now
  }

  sismember(key: string, member: string, now: number): boolean {
    const m = this.#map.get(key)?.members.get(member)
    return m !== undefined && m.expiresAt > now
  }

  scard(key: string, now: number): number {
    return this.#touch(key, now, false)?.members.size ?? 0
  }

  smembers(key: string, now: number): string[] {
    const s = this.#touch(key, now, false)
    return s === undefined ? [] : [...s.members.keys()]
  }

  restore(key: string, member: string, expiresAt: number, now: number): void {
    if (expiresAt <= now) return
    this.#restoring = true
    try {
      this.sadd(key, member, expiresAt, now)
    } finally {
      this.#restoring = false
    }
  }

  sweep(now: number): number {
    let removed = 0
    let s = this.#lru.head
    while (s !== null) {
      const next = s.lruNext
      if (s.nextExpiry <= now) removed += this.#prune(s, now)
      s = next
    }
    this.#nextFullSweep = now + FULL_SWEEP_GAP_MS
    return removed
  }

  /** Finds (or with create, makes) the set, prunes expired members, marks it recently used. */
  #touch(key: string, now: number, create: boolean): SetNode | undefined {
    let s = this.#map.get(key)
    if (s !== undefined) {
      if (s.nextExpiry <= now) this.#prune(s, now)
      if (s.members.size > 0) {
        this.#lru.touch(s)
        return s
      }
      // pruned to nothing: #prune dropped it
    }
    if (!create) return undefined
    if (this.#map.size >= this.#maxSets) this.#makeRoom(now)
    s = new SetNode(key)
    this.#map.set(key, s)
    this.#lru.push(s)
    return s
  }

  /** Removes expired members; drops the set if it became empty. Returns members removed. */
  #prune(s: SetNode, now: number): number {
    let removed = 0
    let next = Number.POSITIVE_INFINITY
    let m = s.order.head
    while (m !== null) {
      const after = m.lruNext
      // expired members in SQLite are deleted by the adapter's own sweep statement
      if (m.expiresAt <= now) {
        this.#removeMember(s, m)
        removed++
      } else if (m.expiresAt < next) {
        next = m.expiresAt
      }
      m = after
    }
    s.nextExpiry = next
    if (s.members.size === 0) this.#deleteSet(s)
    return removed
  }

  #removeMember(s: SetNode, m: MemberNode): void {
    s.members.delete(m.key)
    s.order.remove(m)
    this.#total--
  }

  #deleteSet(s: SetNode): void {
    this.#map.delete(s.key)
    this.#lru.remove(s)
    this.#total -= s.members.size
  }

  #makeRoom(now: number): void {
    if (now >= this.#nextFullSweep) this.sweep(now)
    while (this.#map.size >= this.#maxSets && this.#lru.head !== null) this.#evict(this.#lru.head)
  }

  #shrinkTotal(now: number, keep: SetNode): void {
    if (now >= this.#nextFullSweep) this.sweep(now)
    while (this.#total > this.#maxTotal) {
      const victim = this.#lru.head === keep ? keep.lruNext : this.#lru.head
      if (victim === null) break
      this.#evict(victim)
    }
  }

  #evict(s: SetNode): void {
    this.#deleteSet(s)
    this.#markRemovedSet(s.key)
  }
}
