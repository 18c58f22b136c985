// Yate `.conf` reader, after engine/Configuration.cpp loadFile() (reference §1.6): `;` is a comment
// only at the start of a line; sections with the same name merge; keys repeat and keep their order;
// `[$include]`, `[$includesilent]` and `[$require]` take a file or a directory (sorted, skipping dot
// files and ~ .bak .tmp) relative to the including file; `[$enabled …]` blocks; `\` continues a value.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { displayPath, isDir, isFile } from '../fsutil.js'
import type { Diagnostic, Loc } from '../types.js'

export interface YEntry {
  readonly key: string
  readonly value: string
  readonly loc: Loc
}

export interface YSection {
  readonly name: string
  readonly loc: Loc
  readonly entries: YEntry[]
}

export class YateConfig {
  readonly sections: YSection[] = []
  /** every file read for this configuration (the file and its includes), relative to the root */
  readonly files: string[] = []
  constructor(
    readonly name: string,
    readonly present: boolean,
  ) {}
  section(name: string): YSection | undefined {
    return this.sections.find((s) => s.name === name)
  }
}

/** NamedList::getValue: the first entry with that key. */
export function yget(s: YSection | undefined, key: string): YEntry | undefined {
  return s?.entries.find((e) => e.key === key)
}

export function yall(s: YSection | undefined, key: string): YEntry[] {
  return s?.entries.filter((e) => e.key === key) ?? []
}

/** String::toBoolean */
export function ybool(v: string | undefined, def: boolean): boolean {
  if (v === undefined) return def
  const t = v.trim().toLowerCase()
  if (['true', 'yes', 'on', 'enable', 't', '1'].includes(t)) return true
  if (['false', 'no', 'off', 'disable', 'f', '0'].includes(t)) return false
  return def
}

const MAX_DEPTH = 10

interface State {
  readonly cfg: YateConfig
  readonly root: string
  readonly diags: Diagnostic[]
  readonly stack: string[]
}

export function readYateConfig(dir: string, name: string, diags: Diagnostic[]): YateConfig {
  const path = join(dir, name)
  const cfg = new YateConfig(name, isFile(path))
  if (cfg.present) loadFile({ cfg, root: dir, diags, stack: [] }, resolve(path), undefined, [])
  return cfg
}

function sectionFor(cfg: YateConfig, name: string, loc: Loc): YSection {
  let s = cfg.section(name)
  if (!s) {
    s = { name, loc, entries: [] }
    cfg.sections.push(s)
  }
  return s
}

function loadFile(st: State, path: string, current: YSection | undefined, via: readonly Loc[]): void {
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
  st.stack.push(path)
  st.cfg.files.push(file)
  let sect = current
  // [$enabled] state: skipping lines while false
  let enabled = true
  let inBlock = false
  let taken = false
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const loc: Loc = { file, line: i + 1, via }
    let line = lines[i]!
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!
    }
    const t = line.trim()
    if (t === '' || t.startsWith(';')) continue
    if (t.startsWith('[') && t.endsWith(']')) {
      const inner = t.slice(1, -1).trim()
      const en = /^\$enabled\s*(.*)$/.exec(inner)
      if (en) {
        const arg = en[1]!.trim()
        if (arg === 'else') {
          enabled = inBlock && !taken
          taken = true
        } else if (arg === 'toggle') enabled = !enabled
        else if (arg.startsWith('elseif')) {
          const v: boolean = !taken && evalCond(arg.slice(6).trim())
          enabled = v
          taken = taken || v
        } else if (arg === '') {
          enabled = true
          inBlock = false
          taken = false
        } else {
          enabled = evalCond(arg)
          inBlock = true
          taken = enabled
        }
        continue
      }
      if (!enabled) continue
      const inc = /^\$(include|includesilent|require)\s+(.+)$/.exec(inner)
      if (inc) {
        include(st, inc[1]!, inc[2]!.trim(), path, loc, sect)
        continue
      }
      if (/^\$(includesection|includesectionsilent|requiresection)\b/.test(inner)) {
        const src = st.cfg.section(inner.replace(/^\$\w+\s+/, ''))
        if (sect && src) sect.entries.push(...src.entries)
        continue
      }
      sect = sectionFor(st.cfg, inner, loc)
      continue
    }
    if (!enabled) continue
    if (!sect) {
      st.diags.push({ level: 'warning', code: 'no-section', message: 'line outside any [section]', loc })
      continue
    }
    const eq = line.indexOf('=')
    const key = (eq === -1 ? line : line.slice(0, eq)).trim()
    if (key === '') continue
    sect.entries.push({ key, value: eq === -1 ? '' : line.slice(eq + 1).trim(), loc })
  }
  st.stack.pop()
}

/** `[$enabled X]`: booleans are evaluated; module/engine conditions are unknown here, so assumed true. */
function evalCond(arg: string): boolean {
  let a = arg
  let neg = false
  if (a.startsWith('$not ')) {
    neg = true
    a = a.slice(5).trim()
  }
  const v = ybool(a, true)
  return neg ? !v : v
}

function include(
  st: State,
  kind: string,
  arg: string,
  from: string,
  loc: Loc,
  sect: YSection | undefined,
): void {
  const full = isAbsolute(arg) ? arg : join(dirname(from), arg)
  let files: string[] = []
  if (isDir(full)) {
    files = readdirSync(full)
      .filter((n) => !n.startsWith('.') && !/(~|\.bak|\.tmp)$/.test(n))
      .sort()
      .map((n) => join(full, n))
      .filter(isFile)
  } else if (isFile(full)) files = [full]
  else {
    if (kind === 'require')
      st.diags.push({
        level: 'error',
        code: 'include-missing',
        message: `[$require ${arg}] does not exist (Yate refuses the file)`,
        loc,
      })
    else if (kind === 'include')
      st.diags.push({
        level: 'warning',
        code: 'include-missing',
        message: `[$include ${arg}] does not exist`,
        loc,
      })
    return
  }
  if (st.stack.length >= MAX_DEPTH) {
    st.diags.push({ level: 'error', code: 'include-depth', message: 'include depth limit reached', loc })
    return
  }
  for (const f of files) {
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
    loadFile(st, abs, sect, [...(loc.via ?? []), { file: loc.file, line: loc.line }])
  }
}
