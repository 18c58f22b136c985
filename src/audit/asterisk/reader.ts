// Asterisk `.conf` reader, faithful to main/config.c (reference §1.1): `;` comments, nested
// `;-- --;` block comments, `\;` escapes, `[name](!)` templates, `[name](a,b)` inheritance,
// `[name](+)` and `[name](+key=regex&…)` append, `+=`, `=>` objects, `#include`/`#tryinclude`
// with glob(3) relative to the config directory, `#exec` recorded but never run. Every value
// keeps its file:line and the include chain that led to it.
import { readFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { displayPath, expandGlob, hasMagic, isFile } from '../fsutil.js'
import type { Diagnostic, Loc } from '../types.js'

export interface AstVar {
  readonly key: string
  value: string
  readonly isObject: boolean
  readonly loc: Loc
  /** set when the variable was copied from a template or base section */
  readonly inheritedFrom?: { readonly name: string; readonly loc: Loc }
  /** `key += …` lines that extended this value (allocated on the first append) */
  appendedAt?: Loc[]
}

export interface AstCategory {
  readonly name: string
  isTemplate: boolean
  readonly loc: Loc
  readonly bases: string[]
  readonly vars: AstVar[]
}

/** Block comments may nest up to this depth (config.c MAX_NESTED_COMMENTS). */
const MAX_NESTED_COMMENTS = 128

export class AstConfig {
  readonly categories: AstCategory[] = []
  readonly execLines: Loc[] = []
  readonly files: string[] = []
  /** categories by name, in file order (inheritance and `(+)` look names up while reading) */
  readonly byName = new Map<string, AstCategory[]>()
  #types: Map<string, AstCategory[]> | undefined
  constructor(
    readonly name: string,
    readonly present: boolean,
  ) {}

  add(cat: AstCategory): void {
    this.categories.push(cat)
    const same = this.byName.get(cat.name)
    if (same) same.push(cat)
    else this.byName.set(cat.name, [cat])
    this.#types = undefined
  }

  /** Live (non-template) categories, optionally by name, in file order. */
  sections(name?: string): AstCategory[] {
    if (name !== undefined) return (this.byName.get(name) ?? []).filter((c) => !c.isTemplate)
    return this.categories.filter((c) => !c.isTemplate)
  }

  /** Live categories whose effective `type` equals `type` (pjsip objects, ari users). Indexed once. */
  ofType(type: string): AstCategory[] {
    if (!this.#types) {
      this.#types = new Map()
      for (const c of this.categories) {
        if (c.isTemplate) continue
        const t = get(c, 'type')?.value.toLowerCase()
        if (t === undefined) continue
        const list = this.#types.get(t)
        if (list) list.push(c)
        else this.#types.set(t, [c])
      }
    }
    return this.#types.get(type) ?? []
  }
}

function sameKey(key: string, lower: string): boolean {
  return key.length === lower.length && (key === lower || key.toLowerCase() === lower)
}

/** Effective value: the last occurrence wins (ast_variable_retrieve scans the whole list). */
export function get(cat: AstCategory | undefined, key: string): AstVar | undefined {
  if (!cat) return undefined
  const k = key.toLowerCase()
  const vars = cat.vars
  for (let i = vars.length - 1; i >= 0; i--) if (sameKey(vars[i]!.key, k)) return vars[i]
  return undefined
}

/** Every occurrence, in order (list options: permit, deny, allow, acl…). */
export function getAll(cat: AstCategory | undefined, key: string): AstVar[] {
  if (!cat) return []
  const k = key.toLowerCase()
  return cat.vars.filter((v) => sameKey(v.key, k))
}

export function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(yes|true|y|t|1|on)$/i.test(value.trim())
}

export function isFalse(value: string | undefined): boolean {
  return value !== undefined && /^(no|false|n|f|0|off)$/i.test(value.trim())
}

export interface ReadOptions {
  /** `#include` and `#exec` are not honoured in asterisk.conf and modules.conf */
  readonly allowIncludes?: boolean
  readonly execIncludes?: boolean
}

interface ReadState {
  readonly cfg: AstConfig
  readonly root: string
  readonly diags: Diagnostic[]
  readonly stack: string[]
  readonly opts: ReadOptions
}

/** Read `<dir>/<name>` and everything it includes. A missing top-level file gives an empty config. */
export function readAsteriskConfig(
  dir: string,
  name: string,
  diags: Diagnostic[],
  opts: ReadOptions = {},
): AstConfig {
  const path = join(dir, name)
  const cfg = new AstConfig(name, isFile(path))
  if (!cfg.present) return cfg
  const st: ReadState = { cfg, root: dir, diags, stack: [], opts: { allowIncludes: true, ...opts } }
  loadFile(st, resolve(path), undefined, [])
  return cfg
}

function loadFile(st: ReadState, path: string, current: AstCategory | undefined, via: readonly Loc[]): void {
  const file = displayPath(st.root, path)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    st.diags.push({
      level: 'error',
      code: 'read-failed',
      message: `cannot read ${file}: ${(err as Error).message}`,
    })
    return
  }
  st.cfg.files.push(file)
  st.stack.push(path)
  let cat = current
  let depth = 0
  const nestStart: number[] = []
  let pending = ''
  let pendingLine = 0
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1
    const line = lines[i]!
    let pos = 0
    let kept = ''
    while (pos <= line.length) {
      const semi = line.indexOf(';', pos)
      if (semi === -1) {
        if (depth === 0) kept += line.slice(pos)
        break
      }
      if (semi > pos && line[semi - 1] === '\\') {
        // Escaped semicolons aren't comments; the backslash is removed.
        if (depth === 0) kept += `${line.slice(pos, semi - 1)};`
        pos = semi + 1
      } else if (line[semi + 1] === '-' && line[semi + 2] === '-' && line[semi + 3] !== '-') {
        if (depth < MAX_NESTED_COMMENTS) {
          if (depth === 0) kept += line.slice(pos, semi)
          depth++
          nestStart.push(lineNo)
        } else {
          st.diags.push({
            level: 'warning',
            code: 'comment-nesting',
            message: 'maximum block comment nesting reached',
            loc: { file, line: lineNo, via },
          })
        }
        pos = semi + 3
      } else if (depth > 0 && semi >= pos + 2 && line[semi - 1] === '-' && line[semi - 2] === '-') {
        depth--
        nestStart.pop()
        pos = semi + 1
      } else {
        if (depth === 0) {
          kept += line.slice(pos, semi)
          break
        }
        pos = semi + 1
      }
    }
    if (kept.trim() !== '') {
      if (pending === '') pendingLine = lineNo
      pending += kept
    }
    if (depth === 0 && pending !== '') {
      const loc: Loc = { file, line: pendingLine, via }
      cat = processLine(st, pending.trim(), loc, cat, path)
      pending = ''
    }
  }
  if (depth > 0) {
    st.diags.push({
      level: 'warning',
      code: 'unterminated-comment',
      message: `unterminated block comment in ${file} beginning on line ${nestStart[0]}`,
      loc: { file, line: nestStart[0] ?? 1, via },
    })
  }
  st.stack.pop()
}

function processLine(
  st: ReadState,
  cur: string,
  loc: Loc,
  cat: AstCategory | undefined,
  path: string,
): AstCategory | undefined {
  if (cur.startsWith('[')) return processCategory(st, cur, loc, cat)
  if (cur.startsWith('#')) {
    processDirective(st, cur, loc, cat, path)
    return cat
  }
  if (!cat) {
    st.diags.push({ level: 'warning', code: 'no-category', message: 'setting outside any [section]', loc })
    return cat
  }
  let eq = cur.indexOf('=')
  if (eq === -1) {
    st.diags.push({ level: 'warning', code: 'no-equals', message: "no '=' in line", loc })
    return cat
  }
  let key = cur.slice(0, eq)
  let append = false
  if (eq > 0 && cur[eq - 1] === '+') {
    append = true
    key = cur.slice(0, eq - 1)
  }
  let isObject = false
  if (cur[eq + 1] === '>') {
    isObject = true
    eq++
  }
  const rawValue = cur.slice(eq + 1)
  key = key.trim()
  if (key.startsWith('\\')) key = key.slice(1)
  if (append) {
    let target: AstVar | undefined
    for (const v of cat.vars) if (v.key === key) target = v
    if (target) {
      target.value = `${target.value}${rawValue}`.trim()
      target.appendedAt ??= []
      target.appendedAt.push(loc)
      return cat
    }
  }
  cat.vars.push({ key, value: rawValue.trim(), isObject, loc })
  return cat
}

function processCategory(
  st: ReadState,
  cur: string,
  loc: Loc,
  prev: AstCategory | undefined,
): AstCategory | undefined {
  const close = cur.indexOf(']')
  if (close === -1) {
    st.diags.push({ level: 'error', code: 'bad-category', message: `no closing ']' in "${cur}"`, loc })
    return prev
  }
  const name = cur.slice(1, close)
  const rest = cur.slice(close + 1)
  const cat: AstCategory = { name, isTemplate: false, loc, bases: [], vars: [] }
  if (!rest.startsWith('(')) {
    st.cfg.add(cat)
    return cat
  }
  const end = rest.indexOf(')')
  if (end === -1) {
    st.diags.push({
      level: 'error',
      code: 'bad-category',
      message: `parentheses not closed in "${cur}"`,
      loc,
    })
    return prev
  }
  let created: AstCategory | undefined = cat
  let target: AstCategory = cat
  for (const raw of rest.slice(1, end).split(',')) {
    const opt = raw.trim()
    if (opt === '!') target.isTemplate = true
    else if (opt.startsWith('+')) {
      const existing = findForAppend(st.cfg, name, opt.slice(1))
      if (!existing) {
        st.diags.push({
          level: 'error',
          code: 'append-missing',
          message: `[${name}](${opt}) appends to a section that does not exist`,
          loc,
        })
        return prev
      }
      target = existing
      created = undefined
    } else if (opt !== '') {
      const base = st.cfg.byName.get(opt)?.[0]
      if (!base) {
        st.diags.push({
          level: 'error',
          code: 'inherit-missing',
          message: `[${name}] inherits from "${opt}", which is not defined before it`,
          loc,
        })
        return prev
      }
      target.bases.push(opt)
      const from = { name: opt, loc: base.loc }
      for (const v of base.vars)
        target.vars.push({
          key: v.key,
          value: v.value,
          isObject: v.isObject,
          loc: v.loc,
          inheritedFrom: v.inheritedFrom ?? from,
        })
    }
  }
  if (created) st.cfg.add(created)
  return target
}

/** `(+)` appends to the first live section of that name; `(+k=re&k2=re2)` to the first that matches. */
function findForAppend(cfg: AstConfig, name: string, filter: string): AstCategory | undefined {
  const conds: Array<[string, RegExp]> = []
  let templatesOk = false
  for (const part of filter.split('&')) {
    const p = part.trim()
    if (p === '') continue
    const eq = p.indexOf('=')
    if (eq === -1) continue
    const k = p.slice(0, eq).trim()
    const v = p.slice(eq + 1).trim()
    if (k === 'TEMPLATES') {
      templatesOk = v === 'include' || v === 'restrict'
      continue
    }
    try {
      conds.push([k.toLowerCase(), new RegExp(v)])
    } catch {
      conds.push([k.toLowerCase(), new RegExp(v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))])
    }
  }
  return (cfg.byName.get(name) ?? []).find(
    (c) =>
      (templatesOk || !c.isTemplate) &&
      conds.every(([k, re]) => c.vars.some((v) => v.key.toLowerCase() === k && re.test(v.value))),
  )
}

function processDirective(
  st: ReadState,
  cur: string,
  loc: Loc,
  cat: AstCategory | undefined,
  path: string,
): void {
  const m = /^#\s*(include|tryinclude|exec)\b\s*(.*)$/i.exec(cur)
  if (!m) {
    st.diags.push({ level: 'warning', code: 'unknown-directive', message: `unknown directive "${cur}"`, loc })
    return
  }
  const directive = m[1]!.toLowerCase()
  let arg = m[2]!.trim()
  if ((arg.startsWith('"') && arg.endsWith('"')) || (arg.startsWith('<') && arg.endsWith('>')))
    arg = arg.slice(1, -1)
  if (!st.opts.allowIncludes) {
    st.diags.push({
      level: 'warning',
      code: 'directive-ignored',
      message: `#${directive} is not honoured in ${st.cfg.name}`,
      loc,
    })
    return
  }
  if (directive === 'exec') {
    st.cfg.execLines.push(loc)
    st.diags.push({
      level: 'info',
      code: 'exec-not-audited',
      message: `#exec ${arg}: content generated at runtime${st.opts.execIncludes ? '' : ' (ignored by Asterisk: execincludes is off)'}, not audited`,
      loc,
    })
    return
  }
  // Relative paths resolve against the configuration directory, not the including file (config.c).
  const full = isAbsolute(arg) ? arg : join(st.root, arg)
  const matches = hasMagic(full) ? expandGlob(full).filter(isFile) : isFile(full) ? [full] : []
  if (matches.length === 0) {
    if (directive === 'include' && !hasMagic(full))
      st.diags.push({
        level: 'error',
        code: 'include-missing',
        message: `#include "${arg}" does not exist (Asterisk refuses to load ${st.cfg.name})`,
        loc,
      })
    else
      st.diags.push({
        level: 'info',
        code: 'include-empty',
        message: `#${directive} "${arg}" matched no file`,
        loc,
      })
    return
  }
  for (const f of matches) {
    const abs = resolve(f)
    if (st.stack.includes(abs)) {
      st.diags.push({
        level: 'error',
        code: 'include-loop',
        message: `include loop: ${[...st.stack, abs].map((p) => displayPath(st.root, p)).join(' → ')}`,
        loc,
      })
      continue
    }
    loadFile(st, abs, cat, [...(loc.via ?? []), { file: loc.file, line: loc.line }])
  }
  void path
}
