// Small file-system helpers for the readers: existence, sorted directory listings and a glob that
// expands like glob(3) with GLOB_NOCHECK off: `*`, `?` and `[...]` per path segment, sorted.
import { readdirSync, statSync } from 'node:fs'
import { isAbsolute, join, relative, sep } from 'node:path'

export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

export function hasMagic(pattern: string): boolean {
  return /[*?[]/.test(pattern)
}

function segmentRegex(seg: string): RegExp {
  let re = ''
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!
    if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2)
      if (end === -1) re += '\\['
      else {
        let body = seg.slice(i + 1, end)
        if (body.startsWith('!')) body = `^${body.slice(1)}`
        re += `[${body.replace(/\\/g, '\\\\')}]`
        i = end
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

/** Expand an absolute glob pattern; returns matching paths (files and directories), sorted. */
export function expandGlob(pattern: string): string[] {
  if (!hasMagic(pattern)) return isFile(pattern) || isDir(pattern) ? [pattern] : []
  const parts = pattern.split('/')
  let current: string[] = [parts[0] === '' ? '/' : parts[0]!]
  for (let k = 1; k < parts.length; k++) {
    const seg = parts[k]!
    if (seg === '') continue
    const next: string[] = []
    for (const base of current) {
      if (!hasMagic(seg)) {
        const p = join(base, seg)
        if (isFile(p) || isDir(p)) next.push(p)
        continue
      }
      let names: string[]
      try {
        names = readdirSync(base)
      } catch {
        continue
      }
      const re = segmentRegex(seg)
      // glob(3) does not match a leading dot with a wildcard
      for (const n of names.sort())
        if (re.test(n) && (!n.startsWith('.') || seg.startsWith('.'))) next.push(join(base, n))
    }
    current = next
  }
  return current.sort()
}

/** Path shown in evidence: relative to the audited root, with forward slashes. */
export function displayPath(root: string, file: string): string {
  const rel = relative(root, file)
  const shown = rel.startsWith('..') || isAbsolute(rel) ? file : rel
  return shown.split(sep).join('/')
}
