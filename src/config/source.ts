// Reading the policy YAML so that every later problem can be pointed at a line and column:
// the parsed document is kept beside the plain data, and a key path (as zod reports it) is
// walked back through the YAML nodes, following aliases and `<<` merge keys.

import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  type Scalar,
  visit,
  type YAMLMap,
} from 'yaml'

export type PathSegment = string | number

export interface SourceIssue {
  readonly path: readonly PathSegment[]
  readonly message: string
  readonly line?: number
  readonly column?: number
}

export interface PolicySource {
  readonly doc: Document.Parsed
  readonly lineCounter: LineCounter
  /** YAML syntax errors (the document cannot be trusted) */
  readonly syntaxIssues: readonly SourceIssue[]
  /** problems found while reading a well-formed document: duplicate keys, tags, env refs */
  readonly readIssues: readonly SourceIssue[]
  /** the plain data; undefined when the document has syntax errors */
  readonly data: unknown
  /** paths whose values came from the environment (never echoed in messages) */
  readonly envPaths: ReadonlySet<string>
  /** paths with a failed env reference (schema errors there would only repeat it) */
  readonly envErrorPaths: ReadonlySet<string>
}

export interface ReadOptions {
  /** variables for `${env:NAME}`; default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>
}

const MAX_ALIAS_COUNT = 100

/** `a.b[0].c`; keys that are not identifiers are quoted: `headers["X-Token"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) out += out === '' ? seg : `.${seg}`
    else out += `[${JSON.stringify(seg)}]`
  }
  return out
}

function isMergePair(pair: Pair): boolean {
  return isScalar(pair.key) && (pair.key.source === '<<' || pair.key.value === '<<')
}

function scalarKey(pair: Pair): string | undefined {
  const k = pair.key
  if (isScalar(k)) return k.value === null || k.value === undefined ? undefined : String(k.value)
  return undefined
}

function deref(doc: Document, node: unknown): unknown {
  let n = node
  for (let i = 0; i < MAX_ALIAS_COUNT && isAlias(n); i++) n = n.resolve(doc)
  return n
}

/** The pair for `key` in `map`, looking into `<<` merge sources when the map lacks it. */
function findPair(doc: Document, map: YAMLMap, key: string, depth = 0): Pair | undefined {
  for (const item of map.items) if (isPair(item) && !isMergePair(item) && scalarKey(item) === key) return item
  if (depth > 10) return undefined
  for (const item of map.items) {
    if (!isPair(item) || !isMergePair(item)) continue
    const src = deref(doc, item.value)
    const sources = isSeq(src) ? src.items.map((s) => deref(doc, s)) : [src]
    for (const s of sources) {
      if (isMap(s)) {
        const found = findPair(doc, s, key, depth + 1)
        if (found) return found
      }
    }
  }
  return undefined
}

interface Located {
  /** offset of the best node for the problem */
  readonly offset: number
}

/**
 * Where in the text the value at `path` is. With `atKey`, the key itself (unknown keys).
 * When the path goes beyond what the file holds (a missing key), the deepest existing node:
 * the object that lacks the key.
 */
function locatePath(doc: Document, path: readonly PathSegment[], atKey: boolean): Located | undefined {
  let node: unknown = doc.contents
  let best: number | undefined = (doc.contents as Node | null)?.range?.[0]
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!
    node = deref(doc, node)
    if (isMap(node)) {
      const pair = findPair(doc, node, String(seg))
      if (!pair) return best === undefined ? undefined : { offset: best }
      const keyOffset = (pair.key as Node | null)?.range?.[0]
      const value = pair.value as Node | null
      if (i === path.length - 1 && atKey && keyOffset !== undefined) return { offset: keyOffset }
      const valueOffset = value?.range?.[0]
      best = valueOffset ?? keyOffset ?? best
      node = value
      if (value === null) {
        // `key:` with nothing after it: point at the key
        const at = keyOffset ?? best
        return at === undefined ? undefined : { offset: at }
      }
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined
      if (item === undefined) return best === undefined ? undefined : { offset: best }
      best = item.range?.[0] ?? best
      node = item
    } else {
      break
    }
  }
  return best === undefined ? undefined : { offset: best }
}

export function locate(
  source: PolicySource,
  path: readonly PathSegment[],
  atKey = false,
): { line: number; column: number } | undefined {
  const found = locatePath(source.doc, path, atKey)
  if (found === undefined) return undefined
  const pos = source.lineCounter.linePos(found.offset)
  return { line: pos.line, column: pos.col }
}

/** Key path of the pair whose key starts at `offset` (used to name duplicate keys). */
function pathOfKeyAt(doc: Document, offset: number): PathSegment[] | undefined {
  let result: PathSegment[] | undefined
  visit(doc, {
    Pair(_key, pair, ancestors) {
      if ((pair.key as Node | null)?.range?.[0] === offset) {
        result = [...segmentsOf(ancestors, pair), scalarKey(pair) ?? '?']
        return visit.BREAK
      }
      return undefined
    },
  })
  return result
}

/** Key path to `node` from the visitor's ancestor list. */
function segmentsOf(ancestors: readonly unknown[], node: unknown): PathSegment[] {
  const segs: PathSegment[] = []
  const chain = [...ancestors, node]
  for (let i = 0; i < chain.length - 1; i++) {
    const a = chain[i]
    const next = chain[i + 1]
    if (isPair(a) && next === a.value) {
      segs.push(scalarKey(a) ?? '?')
    } else if (isSeq(a)) {
      segs.push(a.items.indexOf(next as never))
    }
  }
  return segs
}

// YAML 1.2 reads `00` as 0, `011` as 11 and `+4930…` as 4930…: dialling prefixes and phone
// numbers would lose digits. A plain scalar spelled with a leading zero or a leading `+` is
// therefore kept as the string it was written as. A number field given such a value reports
// a type error instead of silently using a different number.
const LOSSY_NUMBER_RE = /^(?:[+-]?0\d+|\+\d+)$/

const ENV_REF_RE = /\$(\$?)\{([^}]*)\}/g
const ENV_NAME_RE = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s

function substituteEnv(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): { value: string; errors: string[]; used: boolean } {
  const errors: string[] = []
  let used = false
  const value = text.replace(ENV_REF_RE, (whole, dollar: string, body: string) => {
    if (dollar === '$') return whole.slice(1) // $${…} is a literal ${…}
    const m = ENV_NAME_RE.exec(body)
    if (!m) {
      errors.push(`"\${${body}}" is not a reference: write \${env:NAME} (or $\${…} for a literal)`)
      return whole
    }
    used = true
    const v = env[m[1]!]
    if (v !== undefined) return v
    if (m[2] !== undefined) return m[2]
    errors.push(`environment variable ${m[1]} is not set (referenced as \${env:${m[1]}})`)
    return ''
  })
  return { value, errors, used }
}

/** Drops `key: null` entries so that an empty key means "use the default". */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = dropNulls(v)
    return out
  }
  return value
}

export function readPolicySource(text: string, options: ReadOptions = {}): PolicySource {
  const env = options.env ?? process.env
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    merge: true,
    uniqueKeys: true,
    keepSourceTokens: false,
  })
  const syntaxIssues: SourceIssue[] = []
  const readIssues: SourceIssue[] = []
  const at = (offset: number) => {
    const p = lineCounter.linePos(offset)
    return { line: p.line, column: p.col }
  }
  for (const err of doc.errors) {
    if (err.code === 'DUPLICATE_KEY') {
      const path = pathOfKeyAt(doc, err.pos[0]) ?? []
      const key = path[path.length - 1]
      readIssues.push({ path, message: `duplicate key "${String(key ?? '?')}"`, ...at(err.pos[0]) })
    } else {
      syntaxIssues.push({ path: [], message: `YAML: ${err.message}`, ...at(err.pos[0]) })
    }
  }
  for (const w of doc.warnings) {
    const message =
      w.code === 'TAG_RESOLVE_FAILED'
        ? `${w.message} (custom YAML tags are not supported)`
        : `YAML: ${w.message}`
    readIssues.push({ path: [], message, ...at(w.pos[0]) })
  }
  const source = {
    doc,
    lineCounter,
    syntaxIssues,
    readIssues,
    data: undefined as unknown,
    envPaths: new Set<string>(),
    envErrorPaths: new Set<string>(),
  }
  if (syntaxIssues.length > 0) return source

  visit(doc, {
    Scalar(key, node: Scalar, ancestors) {
      if (key === 'key') return
      if (
        typeof node.value === 'number' &&
        node.type === 'PLAIN' &&
        node.source &&
        LOSSY_NUMBER_RE.test(node.source)
      ) {
        node.value = node.source
      } else if (typeof node.value === 'string' && node.value.includes('${')) {
        const r = substituteEnv(node.value, env)
        const path = segmentsOf(ancestors, node)
        for (const message of r.errors)
          readIssues.push({ path, message, ...(node.range ? at(node.range[0]) : {}) })
        if (r.used) source.envPaths.add(formatPath(path))
        if (r.errors.length > 0) source.envErrorPaths.add(formatPath(path))
        node.value = r.value
      }
    },
  })
  try {
    source.data = dropNulls(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }))
  } catch (err) {
    syntaxIssues.push({
      path: [],
      message: `YAML: ${err instanceof Error ? err.message : String(err)}`,
      line: 1,
      column: 1,
    })
  }
  return source
}
