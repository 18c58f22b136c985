// Ignore file for accepted findings. One rule a line, a reason is required:
//   <check-id>[@<file>[:<line>]]  <reason…>
// `#` starts a comment line. A rule without a location accepts every finding of the check.
import { readFileSync } from 'node:fs'
import { ErrorCodes, SgwError } from '../errors.js'
import type { Finding } from './types.js'

export interface IgnoreRule {
  readonly id: string
  readonly file?: string
  readonly line?: number
  readonly reason: string
  readonly at: number
}

export function parseIgnore(text: string, name = 'ignore file'): IgnoreRule[] {
  const rules: IgnoreRule[] = []
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const m = /^(\S+?)(?:@([^\s:]+)(?::(\d+))?)?\s+(\S.*)$/.exec(line)
    if (!m)
      throw new SgwError(
        ErrorCodes.AUDIT_INPUT,
        `${name}:${i + 1}: expected "<check-id>[@file[:line]] <reason>"`,
      )
    rules.push({
      id: m[1]!,
      file: m[2],
      line: m[3] === undefined ? undefined : Number(m[3]),
      reason: m[4]!,
      at: i + 1,
    })
  })
  return rules
}

export function readIgnore(path: string): IgnoreRule[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    throw new SgwError(ErrorCodes.AUDIT_INPUT, `cannot read ignore file ${path}`)
  }
  return parseIgnore(text, path)
}

export function matchIgnore(rules: readonly IgnoreRule[], f: Finding): IgnoreRule | undefined {
  return rules.find(
    (r) =>
      r.id === f.id &&
      (r.file === undefined ||
        f.evidence.some((e) => e.loc.file === r.file && (r.line === undefined || e.loc.line === r.line))),
  )
}
