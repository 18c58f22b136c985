// A small, strict, position-tracking XML tokenizer for the preprocessed FreeSWITCH configuration.
// Strict means every irregularity becomes a diagnostic with file:line; it never throws, and junk
// text between tags (real configs have some) is ignored.
import type { Diagnostic, Loc } from '../types.js'
import type { Expansion, OutLine } from './preprocess.js'

export interface XmlElement {
  readonly name: string
  readonly attrs: Map<string, string>
  readonly children: XmlElement[]
  readonly parent?: XmlElement
  readonly loc: Loc
  /** `$${var}` expansions on the element's start line (for evidence chains) */
  readonly expansions: readonly Expansion[]
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, e: string) => {
    if (e[0] === '#') {
      const n = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1))
      return Number.isFinite(n) ? String.fromCodePoint(n) : whole
    }
    return ENTITIES[e.toLowerCase()] ?? whole
  })
}

const NAME_RE = /<([A-Za-z_][\w.:-]*)/y
const ATTR_RE = /([^\s=/>"']+)\s*=\s*("([^"]*)"|'([^']*)'|[^\s/>"']+)/y

export function parseXml(lines: readonly OutLine[], diags: Diagnostic[]): XmlElement {
  // join with \n and keep the start offset of every line, to map offsets back to source lines
  const starts: number[] = []
  let text = ''
  for (const l of lines) {
    starts.push(text.length)
    text += `${l.text}\n`
  }
  const lineAt = (off: number): OutLine | undefined => {
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid]! <= off) lo = mid
      else hi = mid - 1
    }
    return lines[lo]
  }
  const locAt = (off: number): Loc => lineAt(off)?.loc ?? { file: '?', line: 0 }
  const root: XmlElement = {
    name: '#document',
    attrs: new Map(),
    children: [],
    loc: { file: '?', line: 0 },
    expansions: [],
  }
  const stack: XmlElement[] = [root]
  const warn = (off: number, message: string, code = 'xml-syntax') =>
    diags.push({ level: 'warning', code, message, loc: locAt(off) })
  let i = 0
  while (i < text.length) {
    const lt = text.indexOf('<', i)
    if (lt === -1) break
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4)
      if (end === -1) {
        warn(lt, 'unterminated comment')
        break
      }
      i = end + 3
      continue
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt)
      i = end === -1 ? text.length : end + 3
      continue
    }
    if (text.startsWith('<?', lt) || text.startsWith('<!', lt)) {
      const end = text.indexOf('>', lt)
      i = end === -1 ? text.length : end + 1
      continue
    }
    if (text[lt + 1] === '/') {
      const end = text.indexOf('>', lt)
      const name = text.slice(lt + 2, end === -1 ? undefined : end).trim()
      i = end === -1 ? text.length : end + 1
      const idx = stack.map((e) => e.name).lastIndexOf(name)
      if (idx <= 0) {
        warn(lt, `closing tag </${name}> without an open <${name}>`)
        continue
      }
      if (idx !== stack.length - 1)
        warn(
          lt,
          `</${name}> closes <${stack[stack.length - 1]!.name}> opened at line ${stack[stack.length - 1]!.loc.line}`,
        )
      stack.length = idx
      continue
    }
    // start tag: name, then attributes until > or />
    NAME_RE.lastIndex = lt
    const nm = NAME_RE.exec(text)
    if (!nm) {
      warn(lt, 'stray "<" in text')
      i = lt + 1
      continue
    }
    let p = lt + nm[0].length
    const attrs = new Map<string, string>()
    let selfClose = false
    let closed = false
    while (p < text.length) {
      while (p < text.length && /\s/.test(text[p]!)) p++
      if (text.startsWith('/>', p)) {
        selfClose = true
        closed = true
        p += 2
        break
      }
      if (text[p] === '>') {
        closed = true
        p++
        break
      }
      ATTR_RE.lastIndex = p
      const am = ATTR_RE.exec(text)
      if (!am) {
        warn(p, `unexpected "${text[p]}" in <${nm[1]}>`)
        p++
        continue
      }
      if (am[2]![0] !== '"' && am[2]![0] !== "'") warn(p, `unquoted attribute ${am[1]} in <${nm[1]}>`)
      const value = am[3] ?? am[4] ?? am[2]!
      if (attrs.has(am[1]!)) warn(p, `duplicate attribute ${am[1]} in <${nm[1]}>`)
      attrs.set(am[1]!, decode(value))
      p += am[0].length
    }
    if (!closed) {
      warn(lt, `unterminated tag <${nm[1]}>`)
      break
    }
    const parent = stack[stack.length - 1]!
    const el: XmlElement = {
      name: nm[1]!,
      attrs,
      children: [],
      parent,
      loc: locAt(lt),
      expansions: lineAt(lt)?.expansions ?? [],
    }
    parent.children.push(el)
    if (!selfClose) stack.push(el)
    i = p
  }
  for (const open of stack.slice(1))
    diags.push({
      level: 'warning',
      code: 'xml-unclosed',
      message: `<${open.name}> is never closed`,
      loc: open.loc,
    })
  return root
}

export function* descendants(el: XmlElement, name?: string): Generator<XmlElement> {
  for (const c of el.children) {
    if (name === undefined || c.name === name) yield c
    yield* descendants(c, name)
  }
}

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name)
}

export function ancestor(el: XmlElement, name: string): XmlElement | undefined {
  let p = el.parent
  while (p && p.name !== name) p = p.parent
  return p
}
