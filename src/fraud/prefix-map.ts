// Longest-prefix lookup over E.164 digit strings. E.164 numbers have at most 15 digits, so a
// lookup is at most 16 Map probes (every prefix length of the number, longest first): no trie
// to walk, and the table stays a plain Map that is cheap to rebuild on reload.

export class PrefixMap<V> {
  readonly #map = new Map<string, V>()
  /** lengths present, longest first, so a lookup only probes lengths that exist */
  #lengths: number[] = []

  get size(): number {
    return this.#map.size
  }

  /** Sets the value of `prefix` (digits, no +); the empty prefix matches every number. */
  set(prefix: string, value: V): void {
    if (!this.#map.has(prefix) && !this.#lengths.includes(prefix.length)) {
      this.#lengths.push(prefix.length)
      this.#lengths.sort((a, b) => b - a)
    }
    this.#map.set(prefix, value)
  }

  has(prefix: string): boolean {
    return this.#map.has(prefix)
  }

  getExact(prefix: string): V | undefined {
    return this.#map.get(prefix)
  }

  /** The value and prefix of the longest prefix of `digits`, or null. */
  match(digits: string): { prefix: string; value: V } | null {
    for (const len of this.#lengths) {
      if (len > digits.length) continue
      const p = digits.slice(0, len)
      const v = this.#map.get(p)
      if (v !== undefined) return { prefix: p, value: v }
    }
    return null
  }

  entries(): IterableIterator<[string, V]> {
    return this.#map.entries()
  }
}

/** "+44 20-7946.0000" → "442079460000"; null when anything but digits and separators remains. */
export function e164Digits(text: string): string | null {
  const t = text.replace(/[\s().-]/g, '')
  const d = t.startsWith('+') ? t.slice(1) : t
  return /^\d{0,15}$/.test(d) ? d : null
}
