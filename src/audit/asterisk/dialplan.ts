// extensions.conf → contexts, extensions and application calls (configs/samples/extensions.conf.sample).
// Same-named context sections merge, like pbx_config does; `[general]` and `[globals]` are not contexts.
import type { Loc } from '../types.js'
import type { AstConfig, AstVar } from './reader.js'

export interface DpLine {
  readonly ctx: string
  readonly exten: string
  readonly priority: string
  readonly label?: string
  /** application name as written (case kept) */
  readonly app: string
  readonly appLower: string
  readonly args: string
  readonly loc: Loc
  /** the line as written, without the leading `exten =>` */
  readonly raw: string
}

export interface DpExten {
  readonly name: string
  readonly cid?: string
  readonly loc: Loc
  readonly lines: DpLine[]
}

export interface DpContext {
  readonly name: string
  readonly loc: Loc
  readonly extens: DpExten[]
  readonly includes: Array<{ readonly name: string; readonly loc: Loc }>
  readonly switches: Array<{ readonly kind: string; readonly data: string; readonly loc: Loc }>
}

export class Dialplan {
  readonly contexts = new Map<string, DpContext>()
  lines(): DpLine[] {
    const out: DpLine[] = []
    for (const c of this.contexts.values()) for (const e of c.extens) out.push(...e.lines)
    return out
  }
}

/** Split on top-level commas, honouring (), [], {}, quotes and backslash escapes. */
export function splitArgs(s: string, sep = ','): string[] {
  const out: string[] = []
  let depth = 0
  let quote = false
  let cur = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1]
      i++
      continue
    }
    if (c === '"') quote = !quote
    else if (!quote && (c === '(' || c === '[' || c === '{')) depth++
    else if (!quote && (c === ')' || c === ']' || c === '}')) depth = Math.max(0, depth - 1)
    if (c === sep && depth === 0 && !quote) {
      out.push(cur)
      cur = ''
    } else cur += c
  }
  out.push(cur)
  return out.map((a) => a.trim())
}

/** `App(args)` or the legacy `App,args`. */
export function parseApp(text: string): { app: string; args: string } {
  const t = text.trim()
  const paren = t.indexOf('(')
  const comma = t.indexOf(',')
  if (paren !== -1 && (comma === -1 || paren < comma)) {
    const close = t.lastIndexOf(')')
    return { app: t.slice(0, paren).trim(), args: t.slice(paren + 1, close > paren ? close : undefined) }
  }
  if (comma !== -1) return { app: t.slice(0, comma).trim(), args: t.slice(comma + 1) }
  return { app: t, args: '' }
}

function splitFirst(s: string): [string, string] {
  // the extension name may contain commas inside [] (character sets)
  let depth = 0
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === '[') depth++
    else if (c === ']') depth = Math.max(0, depth - 1)
    else if (c === ',' && depth === 0) return [s.slice(0, i), s.slice(i + 1)]
  }
  return [s, '']
}

export function buildDialplan(cfg: AstConfig): Dialplan {
  const dp = new Dialplan()
  // extension name + CID match → extension, per context (a DID context has thousands)
  const index = new Map<DpContext, Map<string, DpExten>>()
  for (const cat of cfg.sections()) {
    if (cat.name === 'general' || cat.name === 'globals') continue
    let ctx = dp.contexts.get(cat.name)
    if (!ctx) {
      ctx = { name: cat.name, loc: cat.loc, extens: [], includes: [], switches: [] }
      dp.contexts.set(cat.name, ctx)
      index.set(ctx, new Map())
    }
    let last: DpExten | undefined
    for (const v of cat.vars) last = addVar(ctx, index.get(ctx)!, v, last)
  }
  return dp
}

function addVar(
  ctx: DpContext,
  index: Map<string, DpExten>,
  v: AstVar,
  last: DpExten | undefined,
): DpExten | undefined {
  const key = v.key.toLowerCase()
  if (key === 'include') {
    ctx.includes.push({ name: splitArgs(v.value)[0] ?? v.value, loc: v.loc })
    return last
  }
  if (key === 'switch' || key === 'eswitch' || key === 'lswitch') {
    ctx.switches.push({ kind: key, data: v.value, loc: v.loc })
    return last
  }
  if (key !== 'exten' && key !== 'same') return last
  let name: string
  let cid: string | undefined
  let rest = v.value
  if (key === 'exten') {
    const [first, after] = splitFirst(rest)
    rest = after
    const slash = first.indexOf('/')
    name = (slash === -1 ? first : first.slice(0, slash)).trim()
    cid = slash === -1 ? undefined : first.slice(slash + 1).trim()
  } else {
    if (!last) return last
    name = last.name
    cid = last.cid
  }
  const comma = rest.indexOf(',')
  const prioText = (comma === -1 ? rest : rest.slice(0, comma)).trim()
  const appText = comma === -1 ? '' : rest.slice(comma + 1)
  const lm = /^([^()]*)(?:\(([^)]*)\))?$/.exec(prioText)
  const priority = (lm?.[1] ?? prioText).trim()
  const label = lm?.[2]?.trim()
  if (priority.toLowerCase() === 'hint') return last
  const id = cid === undefined ? name : `${name}\u0000${cid}`
  let ext = index.get(id)
  if (!ext) {
    ext = { name, cid, loc: v.loc, lines: [] }
    ctx.extens.push(ext)
    index.set(id, ext)
  }
  const { app, args } = parseApp(appText)
  ext.lines.push({
    ctx: ctx.name,
    exten: name,
    priority,
    label,
    app,
    appLower: app.toLowerCase(),
    args,
    loc: v.loc,
    raw: `${v.key} ${v.isObject ? '=>' : '='} ${v.value}`,
  })
  return ext
}
