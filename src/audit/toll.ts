// Toll-route classifier (reference §2.10): decides whether a dialplan pattern (Asterisk `_011.`,
// FreeSWITCH/Yate regular expressions) admits international, premium-rate or open-ended numbers.
// It probes the pattern with sample numbers instead of reasoning about its syntax, so the same
// verdicts hold for every PBX's pattern language.

export type TollClass = 'open' | 'international' | 'premium' | 'national' | 'local'

export interface TollVerdict {
  readonly cls: TollClass
  readonly toll: boolean
  readonly reason: string
}

/** International dialling with and without an outside-line digit (9) and the E.164 `+`. */
const INTERNATIONAL = [
  '011442079460000',
  '00442079460000',
  '+442079460000',
  '9011442079460000',
  '900442079460000',
  '0011442079460000',
  '810442079460000',
]
/** Premium, satellite and international-premium (IRSF) ranges; each has a non-premium twin. */
const PREMIUM: ReadonlyArray<readonly [string, string]> = [
  ['19005550123', '12125550123'],
  ['19765550123', '12125550123'],
  ['919005550123', '912125550123'],
  ['9005550123', '2125550123'],
  ['0900123456', '0201234567'],
  ['09001234567', '02012345678'],
  ['09091234567', '02012345678'],
  ['118118', '101101'],
  ['0088213000000', '0049301234567'],
  ['0088112345678', '0049301234567'],
  ['0088312345678', '0049301234567'],
  ['008701234567', '0049301234567'],
]
const NATIONAL = ['12125550123', '2125550123', '02012345678', '912125550123', '0201234567']
const LOCAL = ['2000', '5550123']

export function classifyMatcher(matches: (n: string) => boolean): TollVerdict {
  const intl = INTERNATIONAL.filter(matches)
  if (intl.length > 0) {
    if (LOCAL.some(matches) || NATIONAL.some(matches))
      return { cls: 'open', toll: true, reason: `open-ended: matches any number, e.g. ${intl[0]}` }
    return { cls: 'international', toll: true, reason: `international: matches e.g. ${intl[0]}` }
  }
  for (const [prem, twin] of PREMIUM)
    if (matches(prem) && !matches(twin))
      return { cls: 'premium', toll: true, reason: `premium-rate: matches ${prem}` }
  if (NATIONAL.some(matches)) return { cls: 'national', toll: false, reason: 'national numbers' }
  return { cls: 'local', toll: false, reason: 'local/internal numbers' }
}

const compiled = new Map<string, RegExp>()

/** Asterisk extension pattern → anchored RegExp (X, Z, N, [..], `.` one or more, `!` zero or more).
 * Compiled once per pattern: the reachability walk asks the same patterns thousands of times. */
export function asteriskPatternToRegex(pattern: string): RegExp {
  let re = compiled.get(pattern)
  if (!re) {
    re = compilePattern(pattern)
    if (compiled.size > 50_000) compiled.clear()
    compiled.set(pattern, re)
  }
  return re
}

function compilePattern(pattern: string): RegExp {
  if (!pattern.startsWith('_')) return new RegExp(`^${escapeRe(pattern.replace(/-/g, ''))}$`)
  let re = ''
  const p = pattern.slice(1)
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!
    const u = c.toUpperCase()
    if (u === 'X') re += '[0-9]'
    else if (u === 'Z') re += '[1-9]'
    else if (u === 'N') re += '[2-9]'
    else if (c === '.') re += '.+'
    else if (c === '!') re += '.*'
    else if (c === '-') continue
    else if (c === '[') {
      const end = p.indexOf(']', i + 1)
      if (end === -1) {
        re += '\\['
        continue
      }
      re += `[${p
        .slice(i + 1, end)
        .replace(/\\/g, '\\\\')
        .replace(/\^/g, '\\^')}]`
      i = end
    } else re += escapeRe(c)
  }
  return new RegExp(`^${re}$`)
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

export function classifyAsteriskPattern(pattern: string): TollVerdict {
  let re: RegExp
  try {
    re = asteriskPatternToRegex(pattern)
  } catch {
    return { cls: 'local', toll: false, reason: 'unparseable pattern' }
  }
  return classifyMatcher((n) => re.test(n))
}

/** Does the Asterisk extension `pattern` match the dialled string `exten`? */
export function asteriskMatches(pattern: string, exten: string): boolean {
  try {
    return asteriskPatternToRegex(pattern).test(exten)
  } catch {
    return false
  }
}

/** FreeSWITCH / Yate / PCRE-style expression. Unanchored like pcre_exec. */
export function classifyRegex(expression: string): TollVerdict {
  let re: RegExp
  try {
    re = new RegExp(expression)
  } catch {
    return { cls: 'local', toll: false, reason: 'unparseable expression' }
  }
  return classifyMatcher((n) => re.test(n))
}
