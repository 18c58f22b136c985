// Shared by the firewall tests: fixture policies, snapshot files, running the CLI and the
// system tools.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadPolicy } from '../../src/config/load.js'
import type { Policy } from '../../src/config/schema.js'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const MAIN = join(ROOT, 'dist/src/cli/main.js')
export const POLICIES = join(ROOT, 'test/firewall/policies')
export const SNAPSHOTS = join(ROOT, 'test/firewall/snapshots')
export const FIXTURE_NAMES = ['minimal', 'office', 'ipv4-only'] as const

export function fixturePath(name: string): string {
  return join(POLICIES, `${name}.yaml`)
}

export function fixture(name: string): Policy {
  return loadPolicy(fixturePath(name))
}

/**
 * Compares `actual` with the committed snapshot `file`. UPDATE_SNAPSHOTS=1 rewrites it
 * instead (review the diff before committing).
 */
export function matchSnapshot(file: string, actual: string): void {
  const path = join(SNAPSHOTS, file)
  if (process.env['UPDATE_SNAPSHOTS'] === '1') {
    mkdirSync(SNAPSHOTS, { recursive: true })
    writeFileSync(path, actual)
    return
  }
  assert.ok(existsSync(path), `no snapshot ${file}: run the tests with UPDATE_SNAPSHOTS=1 and review it`)
  const expected = readFileSync(path, 'utf8')
  if (actual !== expected) {
    const a = actual.split('\n')
    const e = expected.split('\n')
    const i = a.findIndex((l, n) => l !== e[n])
    assert.fail(
      `snapshot ${file} differs at line ${i + 1}:\n  expected: ${e[i]}\n  actual:   ${a[i]}\n` +
        'if the change is intended, run the tests with UPDATE_SNAPSHOTS=1 and review the diff',
    )
  }
}

export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the CLI (optionally inside a network namespace) outside any SSH session. */
export function cli(
  args: readonly string[],
  opts: { netns?: string; env?: Record<string, string> } = {},
): Run {
  const env: Record<string, string> = {}
  // hermetic: no SSH session of whoever runs the tests (nor, under sudo, of its parents)
  const drop = new Set(['SSH_CONNECTION', 'SUDO_USER', 'DOAS_USER'])
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !drop.has(k)) env[k] = v
  Object.assign(env, { SIPWARDEN_DEBUG: '' }, opts.env ?? {})
  const argv = [process.execPath, MAIN, ...args]
  const [program, ...rest] = opts.netns !== undefined ? ['ip', 'netns', 'exec', opts.netns, ...argv] : argv
  const r = spawnSync(program!, rest, { cwd: ROOT, encoding: 'utf8', env, timeout: 60_000 })
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}

export function exits(r: Run, code: number): void {
  assert.equal(r.code, code, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
}

export function isRoot(): boolean {
  return process.getuid?.() === 0
}

/** True when `program` can be run (found on PATH). */
export function have(program: string): boolean {
  const r = spawnSync(program, ['--version'], { encoding: 'utf8' })
  return r.error === undefined
}

/** Why tests that need root and these programs must skip, or false to run them. */
export function skipUnless(...programs: string[]): string | false {
  if (!isRoot()) return 'needs root (CAP_NET_ADMIN); CI runs as root'
  const missing = programs.filter((p) => !have(p))
  return missing.length > 0 ? `missing ${missing.join(', ')}: run scripts/install-deps.sh` : false
}
