// Credential strength, shared by the auditor and `sipwarden passwd` (reference §2.10). The floor is
// FreePBX/Issabel "weakpasswords" (empty, sequential digits, equal to the device, 4+ repeated
// characters, shorter than 6) with its string bugs fixed; on top: known PBX defaults, common
// passwords, keyboard walks and a length/charset floor (RSB: 12+ mixed characters).
import { readFileSync } from 'node:fs'

export type Weakness =
  | 'empty'
  | 'equals-identity'
  | 'default-known'
  | 'numeric-short'
  | 'sequential'
  | 'repeated'
  | 'keyboard-walk'
  | 'dictionary'
  | 'short'
  | 'low-variety'

export interface Assessment {
  /** the most severe weakness, or 'ok' */
  readonly verdict: Weakness | 'ok'
  readonly weaknesses: readonly Weakness[]
  /** rough guessing entropy in bits (charset size × length, 0 when a rule hits) */
  readonly bits: number
}

export interface AssessOptions {
  /** names the secret must not equal or contain: username, endpoint, mailbox, section */
  readonly identities?: readonly string[]
  /** minimum length for a password; default 12 (RSB) */
  readonly minLength?: number
}

const ORDER: readonly Weakness[] = [
  'empty',
  'default-known',
  'equals-identity',
  'sequential',
  'repeated',
  'numeric-short',
  'keyboard-walk',
  'dictionary',
  'short',
  'low-variety',
]

const FALLBACK_DEFAULTS = [
  'mysecret',
  'amp111',
  'amp109',
  'passw0rd',
  'secret5',
  'admin',
  'password',
  '1234',
  '4242',
]
const FALLBACK_COMMON = [
  '123456',
  'password',
  '12345678',
  'qwerty',
  '123456789',
  '12345',
  '111111',
  'letmein',
]

let defaults: Map<string, string> | undefined
let common: Set<string> | undefined

function dataFile(name: string): string | undefined {
  // dist/src/passwd/strength.js → <package>/data/passwords/<name>
  for (const rel of ['../../../data/passwords/', '../../data/passwords/']) {
    try {
      return readFileSync(new URL(rel + name, import.meta.url), 'utf8')
    } catch {
      // not at this layout; try the next one
    }
  }
  return undefined
}

/** Known PBX default secrets, with the source of each entry (data/passwords/pbx-defaults.tsv). */
export function knownDefaults(): Map<string, string> {
  if (defaults) return defaults
  defaults = new Map()
  const text = dataFile('pbx-defaults.tsv')
  if (text === undefined) for (const d of FALLBACK_DEFAULTS) defaults.set(d, 'built-in')
  else
    for (const line of text.split('\n')) {
      if (line.trim() === '' || line.startsWith('#')) continue
      const [secret, source] = line.split('\t')
      if (secret) defaults.set(secret, source?.trim() ?? '')
    }
  return defaults
}

export function commonPasswords(): Set<string> {
  if (common) return common
  const text = dataFile('common.txt')
  const list = text === undefined ? FALLBACK_COMMON : text.split('\n')
  common = new Set(list.map((l) => l.trim().toLowerCase()).filter((l) => l !== '' && !l.startsWith('#')))
  return common
}

export function isKnownDefault(secret: string): boolean {
  return knownDefaults().has(secret)
}

/** Whole string is an ascending or descending run of digits or letters (0123, 9876, abcd). */
export function isSequential(s: string): boolean {
  if (s.length < 3) return false
  const codes = [...s.toLowerCase()].map((c) => c.charCodeAt(0))
  const step = codes[1]! - codes[0]!
  if (step !== 1 && step !== -1) return false
  const alnum = /^[0-9]+$|^[a-z]+$/i.test(s)
  if (!alnum) return false
  for (let i = 1; i < codes.length; i++) {
    let d = codes[i]! - codes[i - 1]!
    // digits wrap: 7890, 8901
    if (d === -9 && /\d/.test(s[i]!)) d = 1
    if (d === 9 && /\d/.test(s[i]!)) d = -1
    if (d !== step) return false
  }
  return true
}

/** 4+ of the same character in a row, or the whole string is a short unit repeated (1212, abcabc). */
export function isRepeated(s: string): boolean {
  if (s.length === 0) return false
  if (/(.)\1{3,}/.test(s)) return true
  for (let unit = 1; unit <= 3 && unit * 2 <= s.length; unit++) {
    if (s.length % unit !== 0) continue
    if (s.slice(0, unit).repeat(s.length / unit) === s) return true
  }
  return false
}

const ROWS = [
  '`1234567890-=',
  'qwertyuiop[]',
  "asdfghjkl;'",
  'zxcvbnm,./',
  'qwertzuiop',
  'yxcvbnm',
  'azertyuiop',
  'qsdfghjklm',
  'wxcvbn',
  '789456123',
  '147258369',
  '1qaz2wsx3edc4rfv5tgb',
  'qazwsxedcrfvtgbyhnujmikolp',
]

// Each row forwards and backwards, built once: the walk check runs for every secret of a
// 10,000-endpoint PBX, and rebuilding the reversed rows per character dominated its audit.
const WALK_ROWS: readonly string[] = ROWS.flatMap((row) => [row, [...row].reverse().join('')])
// Every run of 3 adjacent keys. A walk of 3+ keys always contains one, so a secret without
// any of them is no walk and skips the longer search.
const WALK_TRIGRAMS: ReadonlySet<string> = new Set(
  WALK_ROWS.flatMap((row) =>
    Array.from({ length: Math.max(0, row.length - 2) }, (_, i) => row.slice(i, i + 3)),
  ),
)

/** Most of the string is made of runs of 3+ adjacent keys (qwerty, asdf, 1qaz2wsx, 7894). */
export function isKeyboardWalk(s: string): boolean {
  const t = s.toLowerCase()
  if (t.length < 4) return false
  let anyTrigram = false
  for (let i = 0; i + 3 <= t.length && !anyTrigram; i++) anyTrigram = WALK_TRIGRAMS.has(t.slice(i, i + 3))
  if (!anyTrigram) return false
  let covered = 0
  let i = 0
  while (i < t.length) {
    let best = 0
    for (const r of WALK_ROWS)
      for (let len = t.length - i; len >= 3 && len > best; len--)
        if (r.includes(t.slice(i, i + len))) {
          best = len
          break
        }
    if (best >= 3) {
      covered += best
      i += best
    } else i++
  }
  return covered / t.length >= 0.75
}

const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
  '!': 'i',
}

/** In the common list as is, lower-cased, de-leeted, or with decorations (Password1!, summer2024) stripped. */
export function isDictionary(s: string): boolean {
  const list = commonPasswords()
  const lower = s.toLowerCase()
  if (list.has(lower)) return true
  const core = lower.replace(/^[^a-z]+|[^a-z]+$/g, '')
  const deleet = [...lower].map((c) => LEET[c] ?? c).join('')
  const deleetCore = deleet.replace(/^[^a-z]+|[^a-z]+$/g, '')
  for (const cand of [core, deleet, deleetCore]) if (cand.length >= 4 && list.has(cand)) return true
  return false
}

function poolSize(s: string): number {
  let pool = 0
  if (/[a-z]/.test(s)) pool += 26
  if (/[A-Z]/.test(s)) pool += 26
  if (/[0-9]/.test(s)) pool += 10
  if (/[^a-zA-Z0-9]/.test(s)) pool += 33
  return pool
}

export function entropyBits(s: string): number {
  return s.length === 0 ? 0 : Math.round(s.length * Math.log2(Math.max(poolSize(s), 2)))
}

export function assessPassword(secret: string, opts: AssessOptions = {}): Assessment {
  const minLength = opts.minLength ?? 12
  const found = new Set<Weakness>()
  const lower = secret.toLowerCase()
  if (secret === '') found.add('empty')
  else {
    if (isKnownDefault(secret)) found.add('default-known')
    for (const id of opts.identities ?? []) {
      const i = id.toLowerCase()
      if (i === '') continue
      // equal, reversed, or the name with only digits/symbols around it (alice2024, 1001!)
      const rest = i.length >= 3 ? lower.split(i).join('') : lower
      if (
        lower === i ||
        lower === [...i].reverse().join('') ||
        (rest !== lower && !/[a-z]/.test(rest) && rest.length <= 6)
      )
        found.add('equals-identity')
    }
    if (isSequential(secret)) found.add('sequential')
    if (isRepeated(secret)) found.add('repeated')
    if (/^\d+$/.test(secret) && secret.length <= 8) found.add('numeric-short')
    if (isKeyboardWalk(secret)) found.add('keyboard-walk')
    if (isDictionary(secret)) found.add('dictionary')
    if (secret.length < minLength) found.add('short')
    // 12+ characters but one class only and short of 16: guessable by mask attacks
    if (secret.length >= minLength && poolSize(secret) <= 26 && secret.length < 16) found.add('low-variety')
  }
  const weaknesses = ORDER.filter((w) => found.has(w))
  return {
    verdict: weaknesses[0] ?? 'ok',
    weaknesses,
    bits:
      weaknesses.length > 0 && weaknesses[0] !== 'short' && weaknesses[0] !== 'low-variety'
        ? 0
        : entropyBits(secret),
  }
}

const COMMON_PINS = new Set([
  '123456',
  '654321',
  '121212',
  '123123',
  '112233',
  '696969',
  '159753',
  '147258',
  '258369',
  '000000',
  '111111',
  '101010',
  '131313',
  '202020',
  '123321',
  '520520',
  '666666',
  '777777',
  '888888',
  '999999',
  '123654',
  '12345678',
  '87654321',
  '11223344',
  '12341234',
])

/** PIN rules: digits only, at least `minDigits` (6), not a sequence, repeat, common PIN or the identity. */
export function assessPin(
  pin: string,
  opts: { identities?: readonly string[]; minDigits?: number } = {},
): Assessment {
  const found = new Set<Weakness>()
  if (pin === '') found.add('empty')
  else {
    if (isKnownDefault(pin)) found.add('default-known')
    if ((opts.identities ?? []).some((i) => i !== '' && (pin === i || pin === [...i].reverse().join(''))))
      found.add('equals-identity')
    if (isSequential(pin)) found.add('sequential')
    if (isRepeated(pin)) found.add('repeated')
    if (COMMON_PINS.has(pin) || isKeyboardWalk(pin)) found.add('dictionary')
    if (!/^\d+$/.test(pin) || pin.length < (opts.minDigits ?? 6)) found.add('short')
  }
  const weaknesses = ORDER.filter((w) => found.has(w))
  return {
    verdict: weaknesses[0] ?? 'ok',
    weaknesses,
    bits: weaknesses.length ? 0 : Math.round(pin.length * Math.log2(10)),
  }
}

export const WEAKNESS_TEXT: Record<Weakness, string> = {
  empty: 'empty',
  'default-known': 'a published default secret',
  'equals-identity': 'equal to (or built from) the user, device or mailbox name',
  'numeric-short': 'digits only and 8 or fewer',
  sequential: 'an ascending or descending sequence',
  repeated: 'repeated characters or a repeated group',
  'keyboard-walk': 'a keyboard walk',
  dictionary: 'in the common-passwords list',
  short: 'too short',
  'low-variety': 'one character class only and shorter than 16',
}
