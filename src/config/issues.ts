// zod issues → messages a person can act on. Unions are flattened to the branch that was
// meant, unknown keys get a "did you mean" or the renamed-key entry, YAML 1.1 habits
// (yes/no, unquoted prefixes) get a hint, and values that came from the environment are
// never echoed.

import type { z } from 'zod'
import { findRenamedKey, renamedKeyMessage } from './renamed.js'
import { formatPath, type PathSegment } from './source.js'

type Issue = z.core.$ZodIssue

export interface PolicyProblem {
  readonly path: readonly PathSegment[]
  readonly message: string
  /** point at the key rather than at its value (unknown keys) */
  readonly atKey: boolean
}

export interface DescribeContext {
  /** the data zod validated (to show what was written) */
  readonly data: unknown
  /** paths whose values came from the environment */
  readonly envPaths: ReadonlySet<string>
  /** the JSON Schema (input side), to list and suggest keys */
  readonly jsonSchema: () => JsonSchemaNode
}

export interface JsonSchemaNode {
  readonly type?: string | string[]
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>
  readonly additionalProperties?: boolean | JsonSchemaNode
  readonly items?: JsonSchemaNode
  readonly anyOf?: readonly JsonSchemaNode[]
  readonly oneOf?: readonly JsonSchemaNode[]
  readonly $ref?: string
  readonly $defs?: Readonly<Record<string, JsonSchemaNode>>
  readonly [k: string]: unknown
}

function valueAt(data: unknown, path: readonly PathSegment[]): { found: boolean; value: unknown } {
  let v: unknown = data
  for (const seg of path) {
    if (v === null || typeof v !== 'object' || !(seg in (v as object)))
      return { found: false, value: undefined }
    v = (v as Record<PropertyKey, unknown>)[seg]
  }
  return { found: true, value: v }
}

function kindOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  if (typeof v === 'number') return 'a number'
  if (typeof v === 'boolean') return 'a boolean'
  if (typeof v === 'string') return 'a string'
  return typeof v
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
}

function show(v: unknown, secret: boolean): string {
  if (secret) return ''
  if (typeof v === 'string') return v.length > 40 ? ` "${v.slice(0, 37)}..."` : ` "${v}"`
  if (typeof v === 'number' || typeof v === 'boolean') return ` ${v}`
  return ''
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!
    dp[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return dp[b.length]!
}

/** The closest candidate to `word`: same letters ignoring case and _-, or a small edit distance. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_ ]/g, '')
  const w = norm(word)
  const exact = candidates.find((c) => norm(c) === w)
  if (exact) return exact
  let best: string | undefined
  let bestD = Number.POSITIVE_INFINITY
  for (const c of candidates) {
    const d = levenshtein(w, norm(c))
    if (d < bestD) {
      bestD = d
      best = c
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(w.length / 3)))
  if (bestD <= limit) return best
  // `window` → `windowMs`, `banTtl` → `banTtlMs`: the unit was left out
  return candidates.find((c) => norm(c).startsWith(w) && c.length - word.length <= 5 && w.length >= 4)
}

function deref(root: JsonSchemaNode, node: JsonSchemaNode | undefined): JsonSchemaNode | undefined {
  let n = node
  for (let i = 0; i < 20 && n?.$ref !== undefined; i++) {
    const name = n.$ref.replace(/^#\/\$defs\//, '')
    n = root.$defs?.[name]
  }
  return n
}

function options(root: JsonSchemaNode, node: JsonSchemaNode | undefined): JsonSchemaNode[] {
  const n = deref(root, node)
  if (n === undefined) return []
  const alts = n.anyOf ?? n.oneOf
  if (alts) return alts.flatMap((a) => options(root, a))
  return [n]
}

/** Keys allowed in the object at `path`, from the JSON Schema. */
export function keysAt(root: JsonSchemaNode, path: readonly PathSegment[]): string[] {
  let nodes: JsonSchemaNode[] = [root]
  for (const seg of path) {
    const next: JsonSchemaNode[] = []
    for (const n of nodes.flatMap((x) => options(root, x))) {
      if (typeof seg === 'number') {
        if (n.items) next.push(n.items)
      } else if (n.properties?.[seg]) {
        next.push(n.properties[seg])
      } else if (typeof n.additionalProperties === 'object') {
        next.push(n.additionalProperties)
      }
    }
    nodes = next
  }
  const keys = new Set<string>()
  for (const n of nodes.flatMap((x) => options(root, x)))
    for (const k of Object.keys(n.properties ?? {})) keys.add(k)
  return [...keys]
}

/** First sentence of the description of the key at `path`, from the JSON Schema. */
export function descriptionAt(root: JsonSchemaNode, path: readonly PathSegment[]): string | undefined {
  let nodes: JsonSchemaNode[] = [root]
  for (const seg of path) {
    const next: JsonSchemaNode[] = []
    for (const n of nodes.flatMap((x) => [x, ...options(root, x)])) {
      if (typeof seg === 'number') {
        if (n.items) next.push(n.items)
      } else if (n.properties?.[seg]) {
        next.push(n.properties[seg])
      }
    }
    nodes = next
  }
  for (const n of nodes.flatMap((x) => [x, deref(root, x) ?? x])) {
    const d = n['description']
    if (typeof d === 'string' && d !== '') return /^.*?[.:](?=\s|$)/s.exec(d)?.[0].replace(/[.:]$/, '') ?? d
  }
  return undefined
}

function required(ctx: DescribeContext, path: readonly PathSegment[]): string {
  const d = descriptionAt(ctx.jsonSchema(), path)
  return d ? `required: ${d.charAt(0).toLowerCase()}${d.slice(1)}` : 'required'
}

/** Branch of a failed union that was most likely meant: not the ones that only failed on the
 * type of the value itself. */
function pickUnionBranch(errors: readonly (readonly Issue[])[]): readonly Issue[] | undefined {
  const meant = errors.filter(
    (branch) => !(branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0),
  )
  if (meant.length === 0) return undefined
  return meant.reduce((a, b) => (b.length < a.length ? b : a))
}

function expectedOfUnion(errors: readonly (readonly Issue[])[]): string[] {
  const out = new Set<string>()
  for (const branch of errors)
    for (const i of branch)
      if (i.code === 'invalid_type' && i.path.length === 0) out.add(EXPECTED[i.expected] ?? i.expected)
      else if (i.code === 'invalid_value' && i.path.length === 0)
        for (const v of i.values) out.add(JSON.stringify(v))
  return [...out]
}

function rewriteDefault(issue: Issue, secret: boolean, value: unknown): string {
  const m = issue.message
  switch (issue.code) {
    case 'too_small':
      if (!/^Too small/.test(m)) return m
      if (issue.origin === 'array')
        return `needs at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}`
      if (issue.origin === 'string')
        return `must be at least ${issue.minimum} character${Number(issue.minimum) === 1 ? '' : 's'}`
      return `must be at least ${issue.minimum}${issue.inclusive === false ? ' (exclusive)' : ''} (got${show(value, secret)})`
    case 'too_big':
      if (!/^Too big/.test(m)) return m
      if (issue.origin === 'array') return `has more than ${issue.maximum} items`
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`
      return `must be at most ${issue.maximum} (got${show(value, secret)})`
    case 'invalid_format':
      if (issue.format === 'email' && /^Invalid/.test(m)) return `not an email address${show(value, secret)}`
      if (issue.format === 'url' && /^Invalid/.test(m)) return 'not a valid URL'
      if (/^Invalid string/.test(m)) return `invalid value${show(value, secret)}`
      return m
    default:
      return m
  }
}

/** Turns zod issues into problems with messages; `base` prefixes nested (union) paths. */
export function describeIssues(
  issues: readonly Issue[],
  ctx: DescribeContext,
  base: readonly PathSegment[] = [],
): PolicyProblem[] {
  const out: PolicyProblem[] = []
  for (const issue of issues) {
    const path = [...base, ...(issue.path as PathSegment[])]
    const secret = ctx.envPaths.has(formatPath(path))
    const { found, value } = valueAt(ctx.data, path)
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = keysAt(ctx.jsonSchema(), path)
        for (const key of issue.keys) {
          const keyPath = [...path, key]
          const found = findRenamedKey(keyPath)
          // a "**." entry names a sibling; offer it only where that sibling exists
          const renamed =
            found?.use?.startsWith('.') &&
            found.path.startsWith('**.') &&
            !known.includes(found.use.slice(1).split('.')[0]!)
              ? undefined
              : found
          let message: string
          if (renamed) {
            message = renamedKeyMessage(key, renamed, formatPath(path))
          } else {
            const s = suggest(key, known)
            if (s) message = `unknown key "${key}": did you mean "${s}"?`
            else if (known.length > 0 && known.length <= 14)
              message = `unknown key "${key}" (keys here: ${known.join(', ')})`
            else message = `unknown key "${key}"`
          }
          out.push({ path: keyPath, message, atKey: true })
        }
        break
      }
      case 'invalid_union': {
        if (
          'discriminator' in issue &&
          issue.discriminator !== undefined &&
          'options' in issue &&
          issue.options
        ) {
          const opts = issue.options.map(String)
          const hint = typeof value === 'string' ? suggest(value, opts) : undefined
          const message = found
            ? `must be one of ${opts.join(', ')}${show(value, secret) ? ` (got${show(value, secret)})` : ''}${hint ? `; did you mean ${hint}?` : ''}`
            : `required: one of ${opts.join(', ')}`
          out.push({ path, message, atKey: false })
          break
        }
        const branch = pickUnionBranch(issue.errors)
        if (branch) {
          out.push(...describeIssues(branch, ctx, path))
        } else {
          const expected = expectedOfUnion(issue.errors)
          const message = !found
            ? required(ctx, path)
            : `expected ${expected.join(' or ')}, got ${kindOf(value)}${show(value, secret)}`
          out.push({ path, message, atKey: false })
        }
        break
      }
      case 'invalid_type': {
        if (!found || value === undefined) {
          out.push({ path, message: required(ctx, path), atKey: false })
          break
        }
        const expected = EXPECTED[issue.expected] ?? issue.expected
        let message = `expected ${expected}, got ${kindOf(value)}${show(value, secret)}`
        if (issue.expected === 'boolean' && typeof value === 'string' && /^(yes|no|on|off|y|n)$/i.test(value))
          message += ' (YAML 1.2 reads yes/no/on/off as strings: write true or false)'
        else if (
          issue.expected === 'number' &&
          typeof value === 'string' &&
          /^[+-]?0\d+$|^\+\d+$/.test(value)
        )
          message += ' (a leading zero or + makes it text)'
        else if (issue.expected === 'array' && (typeof value === 'string' || typeof value === 'number'))
          message += `: write a list, e.g. [${JSON.stringify(value)}]`
        out.push({ path, message, atKey: false })
        break
      }
      case 'invalid_value': {
        if (issue.message.startsWith('Invalid')) {
          const opts = issue.values.map((v) => String(v))
          const hint = typeof value === 'string' ? suggest(value, opts) : undefined
          const message = !found
            ? `required: one of ${opts.join(', ')}`
            : `must be one of ${opts.join(', ')} (got${show(value, secret) || ` ${kindOf(value)}`})${hint ? `; did you mean ${hint}?` : ''}`
          out.push({ path, message, atKey: false })
        } else {
          out.push({ path, message: found ? issue.message : `required: ${issue.message}`, atKey: false })
        }
        break
      }
      default:
        out.push({ path, message: rewriteDefault(issue, secret, value), atKey: false })
    }
  }
  return out
}
