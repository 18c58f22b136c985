// Generated artefacts of the schema: the JSON Schema for editors (docs/sipwarden.schema.json)
// and the key reference table in docs/policy.md. Both are checked in, and tests fail when
// they differ from what the schema generates now (style-by-example habit 3).

import { z } from 'zod'
import type { JsonSchemaNode } from './issues.js'
import { PolicySchema } from './schema.js'
import { BYTE_SIZE_PATTERN, DURATION_PATTERN, formatByteSize, formatDuration } from './units.js'

let cached: JsonSchemaNode | undefined

/** The JSON Schema (draft 2020-12) of what may be written in a policy file. */
export function buildJsonSchema(): JsonSchemaNode {
  if (cached) return cached
  const generated = z.toJSONSchema(PolicySchema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as Record<string, unknown>
  const { $schema, ...rest } = generated
  cached = deepFreeze({ $schema, $id: 'sipwarden.schema.json', ...rest }) as JsonSchemaNode
  return cached
}

/** The JSON Schema as the text committed in docs/sipwarden.schema.json. */
export function jsonSchemaText(): string {
  return `${JSON.stringify(buildJsonSchema(), null, 2)}\n`
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v)
    for (const child of Object.values(v)) deepFreeze(child)
  }
  return v
}

// ---------------------------------------------------------------------------------------
// Markdown key reference

interface Row {
  readonly path: string
  type: string
  def: string
  description: string
}

/** Name of a reusable definition (`$defs/Limits`); zod's anonymous `__schemaN` are not. */
function refName(node: JsonSchemaNode): string | undefined {
  const name = node.$ref?.replace(/^#\/\$defs\//, '')
  return name !== undefined && !name.startsWith('__') ? name : undefined
}

function anchor(name: string): string {
  return `[${name}](#${name.toLowerCase()})`
}

function deref(root: JsonSchemaNode, node: JsonSchemaNode): JsonSchemaNode {
  let n = node
  for (let i = 0; i < 20 && n.$ref !== undefined; i++) {
    const target = root.$defs?.[n.$ref.replace(/^#\/\$defs\//, '')]
    if (!target) break
    // keep annotations written beside the $ref
    const { $ref: _ref, ...beside } = n
    n = { ...target, ...beside }
  }
  return n
}

/** Alternatives of a node (anyOf/oneOf flattened); named references are kept as they are. */
function alternatives(root: JsonSchemaNode, node: JsonSchemaNode): JsonSchemaNode[] {
  if (refName(node) !== undefined) return [node]
  const n = deref(root, node)
  const alts = n.anyOf ?? n.oneOf
  return alts ? alts.flatMap((a) => alternatives(root, a)) : [n]
}

function isDuration(alts: readonly JsonSchemaNode[]): boolean {
  return alts.some((a) => a['pattern'] === DURATION_PATTERN)
}

function isByteSize(alts: readonly JsonSchemaNode[]): boolean {
  return alts.some((a) => a['pattern'] === BYTE_SIZE_PATTERN)
}

function typeName(root: JsonSchemaNode, node: JsonSchemaNode): string {
  const alts = alternatives(root, node)
  if (isDuration(alts)) return 'duration'
  if (isByteSize(alts)) return 'size'
  const names = new Set<string>()
  for (const a of alts) {
    const named = refName(a)
    if (named !== undefined) names.add(anchor(named))
    else if (a['const'] !== undefined) names.add(`\`${JSON.stringify(a['const'])}\``)
    else if (Array.isArray(a['enum']))
      names.add((a['enum'] as unknown[]).map((e) => `\`${JSON.stringify(e)}\``).join(', '))
    else if (a.type === 'array') names.add(`list of ${a.items ? typeName(root, a.items) : 'any'}`)
    else if (a.type === 'object') names.add(a.properties ? 'object' : 'map')
    else if (a.type === 'integer') names.add('integer')
    else if (typeof a.type === 'string') names.add(a.type)
  }
  return [...names].join(' or ') || 'any'
}

function formatDefault(root: JsonSchemaNode, node: JsonSchemaNode): string {
  if (!('default' in node) && refName(node) !== undefined) return ''
  const n = 'default' in node ? node : deref(root, node)
  if (!('default' in n)) return ''
  const d = n['default']
  const alts = alternatives(root, node)
  if (typeof d === 'number' && isDuration(alts)) return `\`${formatDuration(d)}\``
  if (typeof d === 'number' && isByteSize(alts)) return `\`${formatByteSize(d)}\``
  if (d !== null && typeof d === 'object' && Object.keys(d).length === 0 && !Array.isArray(d)) return ''
  const text = JSON.stringify(d)
  return text.length > 60 ? `\`${text.slice(0, 57)}…\`` : `\`${text}\``
}

function describe(root: JsonSchemaNode, node: JsonSchemaNode): string {
  const d = node['description'] ?? deref(root, node)['description']
  return String(d ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ')
}

function collect(
  root: JsonSchemaNode,
  node: JsonSchemaNode,
  path: string,
  rows: Row[],
  named: Set<string>,
  depth: number,
): void {
  if (depth > 12) return
  const alts = alternatives(root, node)
  for (const alt of alts) {
    if (refName(alt) !== undefined) continue
    const isList = alt.type === 'array' && alt.items !== undefined
    const targets = isList ? alternatives(root, alt.items!) : [alt]
    for (const t of targets) {
      if (refName(t) !== undefined) {
        named.add(refName(t)!)
        continue
      }
      if (t.type !== 'object' || !t.properties) continue
      const required = new Set((t['required'] as string[] | undefined) ?? [])
      const tag = t.properties['type']?.['const']
      const branch =
        (alts.length > 1 || targets.length > 1) && typeof tag === 'string' ? `(type ${tag}) ` : ''
      for (const [key, child] of Object.entries(t.properties)) {
        const base = isList ? `${path}[]` : path
        const childPath = base === '' ? key : `${base}.${key}`
        const row: Row = {
          path: childPath,
          type: typeName(root, child),
          def: required.has(key) ? '**required**' : formatDefault(root, child),
          description: `${branch}${describe(root, child)}`,
        }
        const existing = rows.find((r) => r.path === childPath)
        if (existing === undefined) rows.push(row)
        else if (branch !== '' && key !== 'type')
          existing.description = `${existing.description} ${row.description}`
        else if (key === 'type' && !existing.type.includes(row.type)) {
          existing.type = `${existing.type}, ${row.type}`
          existing.description = 'The kind of action; the keys below depend on it.'
        }
        for (const a of alternatives(root, child)) {
          const r = refName(a) ?? (a.type === 'array' && a.items ? refName(a.items) : undefined)
          if (r !== undefined) named.add(r)
        }
        collect(root, child, childPath, rows, named, depth + 1)
      }
    }
  }
}

function table(rows: readonly Row[]): string {
  const lines = ['| key | type | default | description |', '|---|---|---|---|']
  for (const r of rows) lines.push(`| \`${r.path}\` | ${r.type} | ${r.def} | ${r.description} |`)
  return lines.join('\n')
}

/** Markdown reference of every key: one table for the policy, one per shared definition. */
export function policyReferenceMarkdown(): string {
  const root = buildJsonSchema()
  const named = new Set<string>()
  const rows: Row[] = []
  collect(root, root, '', rows, named, 0)
  const parts = [table(rows)]
  const done = new Set<string>()
  for (let progress = true; progress;) {
    progress = false
    for (const name of [...named]) {
      if (done.has(name)) continue
      done.add(name)
      progress = true
      const def = root.$defs?.[name]
      if (!def) continue
      const defRows: Row[] = []
      collect(root, def, '', defRows, named, 0)
      parts.push(`### ${name}\n\n${describe(root, def)}\n\n${table(defRows)}`)
    }
  }
  return `${parts.join('\n\n')}\n`
}

export const REFERENCE_BEGIN = '<!-- BEGIN GENERATED KEY REFERENCE (sipwarden schema --format markdown) -->'
export const REFERENCE_END = '<!-- END GENERATED KEY REFERENCE -->'
