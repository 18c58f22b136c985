// Durations and byte sizes as people write them in a policy file. Keys carry the unit of
// the normalised value in their name (`windowMs`, `maxMessageBytes`); the value may be a
// plain number in that unit or a string with units, e.g. `30s`, `1h30m`, `7d`, `64KiB`.

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/** One or more `<number><unit>` groups: `500ms`, `30s`, `1h30m`, `1.5h`, `7d`, `2w`. */
export const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d|w))+$'
const DURATION_RE = new RegExp(DURATION_PATTERN)
const DURATION_PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g

/** Milliseconds for a duration string; undefined when it is not one or is not whole ms. */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string' || !DURATION_RE.test(text)) return undefined
  let total = 0
  for (const m of text.matchAll(DURATION_PART_RE)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!
  const rounded = Math.round(total)
  // 1.5s is fine; 0.0001s is not a whole number of milliseconds.
  if (Math.abs(rounded - total) > 1e-6 || !Number.isSafeInteger(rounded)) return undefined
  return rounded
}

/** Compact human form: 3600000 → `1h`, 90000 → `1m30s`, 250 → `250ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return String(ms)
  if (ms === 0) return '0s'
  let rest = ms
  let out = ''
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    if (rest >= size) {
      const n = Math.floor(rest / size)
      out += `${n}${unit}`
      rest -= n * size
    }
  }
  return out
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
}

/** `512B`, `64KiB`, `1MiB`, `1.5MB` (KB/MB/GB are decimal, KiB/MiB/GiB binary). */
export const BYTE_SIZE_PATTERN = '^\\d+(?:\\.\\d+)?\\s?(?:[Bb]|[KkMmGg][Ii]?[Bb])$'
const BYTE_SIZE_RE = /^(\d+(?:\.\d+)?)\s?([KkMmGg][Ii]?[Bb]|[Bb])$/

export function parseByteSize(text: string): number | undefined {
  if (typeof text !== 'string') return undefined
  const m = BYTE_SIZE_RE.exec(text)
  if (!m) return undefined
  const total = Number(m[1]) * BYTE_UNITS[m[2]!.toLowerCase()]!
  if (!Number.isSafeInteger(total)) return undefined
  return total
}

export function formatByteSize(n: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`
  }
  return `${n}B`
}
