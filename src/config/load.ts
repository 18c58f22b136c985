// Loading a policy file: YAML → plain data → schema → normalised, path-resolved, deep-frozen
// Policy. Every problem is collected (not only the first) with its key path and its line and
// column in the file; `sipwarden check` and every command that reads a policy share this one
// function, so check validates exactly as the gateway will.

import { readFileSync, statSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { ErrorCodes, PolicyError, type PolicyIssue } from '../errors.js'
import { describeIssues } from './issues.js'
import { buildJsonSchema } from './json-schema.js'
import { type Policy, PolicySchema } from './schema.js'
import { formatPath, locate, type PolicySource, readPolicySource, type SourceIssue } from './source.js'

export interface PolicyLoadOptions {
  /** directory that relative paths in the policy are resolved against; default: the
   * directory of the policy file (the working directory for `-` and `<…>` names) */
  readonly baseDir?: string
  /** variables for `${env:NAME}` references; default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** top-level keys that replace the file's, written as in the file (e.g. from command-line
   * flags: `{ listen: ['udp:127.0.0.1:5060'], upstream: 'udp:127.0.0.1:5080' }`); problems
   * in them are reported without a file position */
  readonly overrides?: Readonly<Record<string, unknown>>
}

/** Policy files are small; a huge file is a mistake (or an attack on the parser). */
export const MAX_POLICY_BYTES = 4 * 1024 * 1024

function toPolicyIssue(i: SourceIssue): PolicyIssue {
  const out: { path: string; message: string; line?: number; column?: number } = {
    path: formatPath(i.path),
    message: i.message,
  }
  if (i.line !== undefined) out.line = i.line
  if (i.column !== undefined) out.column = i.column
  return out
}

function byPosition(a: PolicyIssue, b: PolicyIssue): number {
  return (
    (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER) ||
    (a.column ?? 0) - (b.column ?? 0)
  )
}

function dedupe(issues: readonly PolicyIssue[]): PolicyIssue[] {
  const seen = new Set<string>()
  return issues.filter((i) => {
    const k = `${i.path}\0${i.message}\0${i.line}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

function fail(code: string, fileName: string, issues: readonly PolicyIssue[]): never {
  const sorted = dedupe(issues).sort(byPosition)
  const n = sorted.length
  const head = `${fileName}: invalid policy (${n} problem${n === 1 ? '' : 's'})`
  const err = new PolicyError(code, head, sorted)
  // the message carries every line, so an uncaught error still shows all problems
  Object.defineProperty(err, 'message', { value: [head, ...formatPolicyIssues(err, fileName)].join('\n') })
  throw err
}

function defaultBaseDir(fileName: string): string {
  if (fileName === '-' || fileName.startsWith('<')) return process.cwd()
  return dirname(resolve(fileName))
}

/**
 * Validates policy text. Throws PolicyError listing every problem
 * (code SGW_ERR_POLICY_YAML for YAML syntax errors, SGW_ERR_POLICY_INVALID otherwise).
 */
export function parsePolicy(text: string, fileName = '<policy>', options: PolicyLoadOptions = {}): Policy {
  const source = readPolicySource(text, options.env ? { env: options.env } : {})
  if (source.syntaxIssues.length > 0) {
    fail(ErrorCodes.POLICY_YAML, fileName, [...source.syntaxIssues, ...source.readIssues].map(toPolicyIssue))
  }
  const problems: PolicyIssue[] = source.readIssues.map(toPolicyIssue)
  const data = source.data
  if (data === undefined || data === null) {
    problems.push({
      path: '',
      message: 'the policy is empty: it needs at least "version: 1" and "upstream"',
      line: 1,
      column: 1,
    })
    fail(ErrorCodes.POLICY_INVALID, fileName, problems)
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    problems.push({
      path: '',
      message: 'the policy must be a mapping of keys (version: 1, upstream: …)',
      line: 1,
      column: 1,
    })
    fail(ErrorCodes.POLICY_INVALID, fileName, problems)
  }
  const overridden = new Set(Object.keys(options.overrides ?? {}))
  const input = overridden.size > 0 ? { ...(data as object), ...options.overrides } : data
  const result = PolicySchema.safeParse(input)
  if (!result.success || problems.length > 0) {
    if (!result.success)
      problems.push(...schemaIssues(result.error.issues, { ...source, data: input }, overridden))
    fail(ErrorCodes.POLICY_INVALID, fileName, problems)
  }
  const policy = structuredClone(result.data)
  resolvePolicyPaths(policy as unknown as Mutable, options.baseDir ?? defaultBaseDir(fileName))
  return deepFreeze(policy) as Policy
}

function schemaIssues(
  issues: Parameters<typeof describeIssues>[0],
  source: PolicySource,
  overridden: ReadonlySet<string>,
): PolicyIssue[] {
  const problems = describeIssues(issues, {
    data: source.data,
    envPaths: source.envPaths,
    jsonSchema: buildJsonSchema,
  })
  return problems
    .filter((p) => !source.envErrorPaths.has(formatPath(p.path)))
    .map((p) => {
      const at = overridden.has(String(p.path[0])) ? undefined : locate(source, p.path, p.atKey)
      return at
        ? { path: formatPath(p.path), message: p.message, line: at.line, column: at.column }
        : { path: formatPath(p.path), message: p.message }
    })
}

/** Reads and validates a policy file. Throws PolicyError: SGW_ERR_POLICY_READ when the file
 * cannot be read, otherwise as parsePolicy. */
export function loadPolicy(path: string, options: PolicyLoadOptions = {}): Policy {
  return parsePolicy(readPolicyText(path), path, options)
}

/** The text of a policy file, with read errors as PolicyError (SGW_ERR_POLICY_READ). */
export function readPolicyText(path: string): string {
  try {
    if (path !== '-') {
      const st = statSync(path)
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
      if (st.size > MAX_POLICY_BYTES) throw Object.assign(new Error('file too large'), { code: 'EFBIG' })
    }
    const text = readFileSync(path === '-' ? 0 : path, 'utf8')
    if (text.length > MAX_POLICY_BYTES) throw Object.assign(new Error('file too large'), { code: 'EFBIG' })
    return text
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : code === 'EFBIG'
              ? `larger than ${MAX_POLICY_BYTES / 1024 / 1024} MiB`
              : err instanceof Error
                ? err.message
                : String(err)
    throw new PolicyError(ErrorCodes.POLICY_READ, `cannot read policy file ${path}: ${why}`)
  }
}

/** `file:line:col: path: message`, one line per problem. */
export function formatPolicyIssues(err: PolicyError, fileName: string): string[] {
  return err.issues.map((i) => {
    const where = i.line !== undefined ? `${fileName}:${i.line}:${i.column ?? 1}` : fileName
    return i.path === '' ? `${where}: ${i.message}` : `${where}: ${i.path}: ${i.message}`
  })
}

// ---------------------------------------------------------------------------------------

type Mutable = Record<string, unknown>

/** Relative file paths in the policy are relative to `baseDir` (the policy file's directory),
 * so that a service started from any working directory reads the same files. */
function resolvePolicyPaths(p: Mutable, baseDir: string): void {
  const abs = (v: unknown) => (typeof v === 'string' && !isAbsolute(v) ? resolve(baseDir, v) : v)
  const at = (obj: unknown, key: string) => {
    if (obj !== null && typeof obj === 'object' && key in obj)
      (obj as Mutable)[key] = abs((obj as Mutable)[key])
  }
  const get = (obj: unknown, key: string): unknown =>
    obj !== null && typeof obj === 'object' ? (obj as Mutable)[key] : undefined
  at(p['site'], 'dataDir')
  for (const k of ['certFile', 'keyFile', 'caFile']) at(p['tls'], k)
  at(p['state'], 'path')
  at(get(p['events'], 'jsonl'), 'path')
  const fraud = p['fraud'] as Mutable
  at(fraud, 'rateTableFile')
  at(fraud, 'highRiskRangesFile')
  fraud['blacklistFiles'] = (fraud['blacklistFiles'] as unknown[]).map(abs)
  for (const s of get(p['logwatch'], 'sources') as unknown[]) at(s, 'path')
  at(get(p['alerting'], 'syslog'), 'path')
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v)
    for (const child of Object.values(v)) deepFreeze(child)
  }
  return v
}
