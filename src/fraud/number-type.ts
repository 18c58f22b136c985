// The type and validity of a parsed phone number, as libphonenumber-js computes them
// (helpers/getNumberType.js, isValid.js), with the metadata's patterns compiled once per
// numbering plan: the library builds a RegExp from the pattern text on every test, which made
// typing a number cost ~4 µs — too much for a million imported CDRs. The steps below follow the
// library's own, in the same order and with the same patterns, so the answers are the same
// (test/fraud/number-type.test.ts compares them over every country's numbers).
import { Metadata, type NumberType, type PhoneNumber } from 'libphonenumber-js/max'
import metadata from 'libphonenumber-js/metadata.max.json'

interface Rule {
  readonly re: RegExp
  readonly lengths: readonly number[] | undefined
}

interface PlanRules {
  readonly hasTypes: boolean
  readonly national: RegExp
  readonly fixed: Rule | null
  /** 'either': a fixed-line match is FIXED_LINE_OR_MOBILE without looking at the mobile pattern */
  readonly mobile: Rule | null | 'either'
  readonly others: ReadonlyArray<readonly [NumberType, Rule]>
}

interface TypeDefLike {
  pattern(): string | undefined
  possibleLengths(): number[] | undefined
}

interface NumberingPlanLike {
  hasTypes(): boolean
  nationalNumberPattern(): string
  type(t: NumberType): TypeDefLike | undefined
  nationalPrefixForParsing(): string | undefined
}

const NON_FIXED_LINE: readonly NumberType[] = [
  'MOBILE',
  'PREMIUM_RATE',
  'TOLL_FREE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
]

/** compiled rules per country or calling code (a few hundred plans at most) */
const plans = new Map<string, PlanRules | null>()
/** per calling code: the national-prefix-for-parsing pattern, null when none */
const prefixes = new Map<string, RegExp | null>()

function plan(key: string): NumberingPlanLike | null {
  const m = new Metadata()
  try {
    m.selectNumberingPlan(key as Parameters<Metadata['selectNumberingPlan']>[0])
  } catch {
    return null
  }
  return (m.numberingPlan as unknown as NumberingPlanLike | undefined) ?? null
}

const whole = (pattern: string | undefined): RegExp => new RegExp('^(?:' + pattern + ')$')

function rule(np: NumberingPlanLike, t: NumberType): Rule | null {
  const def = np.type(t)
  const pattern = def?.pattern()
  if (def === undefined || !pattern) return null
  return { re: whole(pattern), lengths: def.possibleLengths() }
}

function compile(key: string): PlanRules | null {
  const np = plan(key)
  if (np === null) return null
  const mobileDef = np.type('MOBILE')
  return {
    hasTypes: np.hasTypes(),
    national: whole(np.nationalNumberPattern()),
    fixed: rule(np, 'FIXED_LINE'),
    mobile: mobileDef === undefined || mobileDef.pattern() === '' ? 'either' : rule(np, 'MOBILE'),
    others: NON_FIXED_LINE.flatMap((t) => {
      const r = rule(np, t)
      return r === null ? [] : [[t, r] as const]
    }),
  }
}

function rulesOf(p: PhoneNumber): PlanRules | null | undefined {
  const key = p.country || p.countryCallingCode
  if (!key) return undefined
  let r = plans.get(key)
  if (r === undefined) {
    r = compile(key)
    plans.set(key, r)
  }
  return r
}

function matches(nn: string, r: Rule): boolean {
  if (r.lengths && r.lengths.indexOf(nn.length) < 0) return false
  return r.re.test(nn)
}

/** p.getType(), computed with compiled patterns. */
export function numberType(p: PhoneNumber): NumberType | undefined {
  const r = rulesOf(p)
  if (r === undefined) return undefined
  if (r === null) return p.getType() // a plan this module cannot read: ask the library
  const nn = p.nationalNumber || ''
  if (!r.national.test(nn)) return undefined
  if (r.fixed !== null && matches(nn, r.fixed)) {
    if (r.mobile === 'either') return 'FIXED_LINE_OR_MOBILE'
    if (r.mobile !== null && matches(nn, r.mobile)) return 'FIXED_LINE_OR_MOBILE'
    return 'FIXED_LINE'
  }
  for (const [t, rl] of r.others) if (matches(nn, rl)) return t
  return undefined
}

/** p.isValid(), computed with compiled patterns. */
export function numberIsValid(p: PhoneNumber, type: NumberType | undefined = numberType(p)): boolean {
  const r = rulesOf(p)
  if (r === undefined || r === null) return p.isValid()
  if (r.hasTypes) return type !== undefined
  return r.national.test(p.nationalNumber || '')
}

/**
 * True when parsing `p.number` (its E.164 form) again would give back the same country and
 * national number, so that a number parsed in national form need not be parsed twice: its
 * calling code belongs to one country only, and its national number does not start with what
 * the library would strip as a national prefix (national_prefix_for_parsing).
 */
export function reparsesToItself(p: PhoneNumber): boolean {
  const code = p.countryCallingCode
  const countries = (metadata.country_calling_codes as Record<string, string[] | undefined>)[code]
  if (countries === undefined || countries.length !== 1) return false
  let re = prefixes.get(code)
  if (re === undefined) {
    const np = plan(code)
    if (np === null) return false
    const npfp = np.nationalPrefixForParsing()
    re = npfp ? new RegExp('^(?:' + npfp + ')') : null
    prefixes.set(code, re)
  }
  return re === null || !re.test(p.nationalNumber)
}
