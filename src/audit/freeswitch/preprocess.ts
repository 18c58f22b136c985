// FreeSWITCH XML preprocessor (src/switch_xml.c preprocess(), reference §1.5). It works line by line
// BEFORE XML parsing: <X-PRE-PROCESS cmd=… data=…/> runs even inside <!-- --> comments; `$${var}`
// expands from `set` variables in document order; includes resolve against the including file's
// directory and glob in sorted order. Every output line keeps its source file:line (a line map).
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { displayPath, expandGlob, hasMagic, isFile } from '../fsutil.js'
import type { Diagnostic, Loc } from '../types.js'

export interface FsVar {
  readonly name: string
  readonly value: string
  readonly loc: Loc
  /** exec-set, env-set, stun-set: value only known at runtime */
  readonly dynamic: boolean
}

export interface Expansion {
  readonly name: string
  readonly value: string
  /** where the variable was set; undefined for built-ins and unknown names */
  readonly setAt?: Loc
}

export interface OutLine {
  readonly text: string
  readonly loc: Loc
  readonly expansions: readonly Expansion[]
}

export interface Directive {
  readonly cmd: string
  readonly data: string
  readonly loc: Loc
  /** the line sits inside an XML comment, where it still runs */
  readonly inComment: boolean
}

export interface Preprocessed {
  readonly lines: OutLine[]
  readonly vars: Map<string, FsVar>
  readonly directives: Directive[]
  readonly files: string[]
}

/** Variables FreeSWITCH defines itself; left unexpanded (their values belong to the host). */
const BUILTINS = new Set([
  'hostname',
  'local_ip_v4',
  'local_ip_v6',
  'local_mask_v4',
  'base_dir',
  'conf_dir',
  'sounds_dir',
  'recordings_dir',
  'log_dir',
  'run_dir',
  'db_dir',
  'mod_dir',
  'htdocs_dir',
  'script_dir',
  'temp_dir',
  'grammar_dir',
  'certs_dir',
  'storage_dir',
  'cache_dir',
  'core_uuid',
  'switch_serial',
  'nat_public_addr',
  'nat_private_addr',
  'nat_port',
  'nat_type',
])

const MAX_DEPTH = 100

interface State {
  readonly root: string
  readonly diags: Diagnostic[]
  readonly out: Preprocessed
  readonly stack: string[]
}

export function preprocess(
  root: string,
  entry: string,
  diags: Diagnostic[],
  syntheticText?: string,
): Preprocessed {
  const out: Preprocessed = { lines: [], vars: new Map(), directives: [], files: [] }
  const st: State = { root, diags, out, stack: [] }
  processFile(st, resolve(join(root, entry)), [], syntheticText, false)
  return out
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'i').exec(tag)
  return m ? (m[1] ?? m[2]) : undefined
}

function expand(st: State, text: string, loc: Loc, exps: Expansion[]): string {
  return text.replace(/\$\$\{([^}]*)\}/g, (whole, name: string) => {
    const v = st.out.vars.get(name)
    if (v) {
      exps.push({ name, value: v.value, setAt: v.loc })
      return v.value
    }
    if (BUILTINS.has(name)) {
      exps.push({ name, value: whole })
      return whole
    }
    st.diags.push({
      level: 'warning',
      code: 'fs-undefined-var',
      message: `$\${${name}} is not set; expands to ""`,
      loc,
    })
    exps.push({ name, value: '' })
    return ''
  })
}

function processFile(
  st: State,
  path: string,
  via: readonly Loc[],
  text: string | undefined,
  included: boolean,
): void {
  const file = displayPath(st.root, path)
  if (text === undefined) {
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
  }
  st.out.files.push(file)
  st.stack.push(path)
  let inComment = false
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!
    const loc: Loc = { file, line: i + 1, via }
    const commentAtStart = inComment
    inComment = commentState(line, inComment)
    if (included && /^\s*<\?xml\b/.test(line)) continue
    if (included) line = line.replace(/<\/?include>/g, '')
    const tagAt = line.search(/<X-PRE-PROCESS\b/i)
    const old = /<!--#(include|set|exec)\s+"([^"]*)"\s*-->/.exec(line)
    if (tagAt !== -1 || old) {
      let cmd: string
      let data: string
      let rest = ''
      if (tagAt !== -1) {
        const tail = line.slice(tagAt)
        const end = tail.indexOf('/>')
        const tag = end === -1 ? tail : tail.slice(0, end)
        // keep the text around the tag so that a surrounding <!-- --> stays balanced
        rest = line.slice(0, tagAt) + (end === -1 ? '' : tail.slice(end + 2))
        cmd = (attr(tag, 'cmd') ?? '').toLowerCase()
        data = attr(tag, 'data') ?? ''
      } else {
        cmd = old![1]!
        data = old![2]!
        rest = line.slice(0, old!.index) + line.slice(old!.index + old![0].length)
      }
      const insideComment = commentAtStart || /<!--/.test(line.slice(0, tagAt === -1 ? 0 : tagAt))
      st.out.directives.push({ cmd, data, loc, inComment: insideComment && tagAt !== -1 })
      runDirective(st, cmd, data, loc, path)
      if (rest.trim() !== '') {
        const exps: Expansion[] = []
        st.out.lines.push({ text: expand(st, rest, loc, exps), loc, expansions: exps })
      }
      continue
    }
    const exps: Expansion[] = []
    st.out.lines.push({
      text: line.includes('$${') ? expand(st, line, loc, exps) : line,
      loc,
      expansions: exps,
    })
  }
  st.stack.pop()
}

/** Track <!-- --> across lines only to tell whether a directive sits inside a comment. */
function commentState(line: string, inComment: boolean): boolean {
  let state = inComment
  let i = 0
  for (;;) {
    if (state) {
      const e = line.indexOf('-->', i)
      if (e === -1) return true
      state = false
      i = e + 3
    } else {
      const s = line.indexOf('<!--', i)
      if (s === -1) return false
      state = true
      i = s + 4
    }
  }
}

function runDirective(st: State, cmd: string, rawData: string, loc: Loc, path: string): void {
  const exps: Expansion[] = []
  const data = expand(st, rawData, loc, exps)
  if (cmd === 'set' || cmd === 'exec-set' || cmd === 'env-set' || cmd === 'stun-set') {
    const eq = data.indexOf('=')
    if (eq <= 0) {
      st.diags.push({
        level: 'warning',
        code: 'fs-bad-set',
        message: `X-PRE-PROCESS ${cmd} "${rawData}" has no name=value`,
        loc,
      })
      return
    }
    const name = data.slice(0, eq).trim()
    const value = cmd === 'set' ? data.slice(eq + 1) : ''
    st.out.vars.set(name, { name, value, loc, dynamic: cmd !== 'set' })
    return
  }
  if (cmd === 'include') {
    if (st.stack.length >= MAX_DEPTH) {
      st.diags.push({
        level: 'error',
        code: 'include-depth',
        message: 'include depth limit (100) reached',
        loc,
      })
      return
    }
    const full = isAbsolute(data) ? data : join(dirname(path), data)
    const matches = hasMagic(full) ? expandGlob(full).filter(isFile) : isFile(full) ? [full] : []
    if (matches.length === 0) {
      st.diags.push({
        level: hasMagic(full) ? 'info' : 'error',
        code: hasMagic(full) ? 'include-empty' : 'include-missing',
        message: `include "${data}" matched no file`,
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
      processFile(st, abs, [...(loc.via ?? []), { file: loc.file, line: loc.line }], undefined, true)
    }
    return
  }
  if (cmd === 'exec') {
    st.diags.push({
      level: 'info',
      code: 'exec-not-audited',
      message: `X-PRE-PROCESS exec "${rawData}": output generated at load time, not audited`,
      loc,
    })
    return
  }
  st.diags.push({
    level: 'warning',
    code: 'fs-unknown-directive',
    message: `unknown X-PRE-PROCESS cmd "${cmd}"`,
    loc,
  })
}
