// Helpers for the fraud engine tests: policies from YAML, temp files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parsePolicy } from '../../src/config/load.js'
import type { Policy } from '../../src/config/schema.js'

/** A policy from YAML (version and upstream added); relative paths resolve against baseDir. */
export function policyOf(yaml: string, baseDir?: string): Policy {
  return parsePolicy(`version: 1\nupstream: udp:127.0.0.1:5080\n${yaml}`, 'test.yaml', {
    env: {},
    ...(baseDir !== undefined ? { baseDir } : {}),
  })
}

export interface TempDir {
  readonly dir: string
  write(name: string, text: string): string
  remove(): void
}

export function tempDir(): TempDir {
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-fraud-'))
  return {
    dir,
    write(name, text) {
      const p = join(dir, name)
      writeFileSync(p, text)
      return p
    },
    remove() {
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Polls until `check` is true or the time is up (bounded; no assertion on timing). */
export async function waitFor(check: () => boolean, timeoutMs = 5000, stepMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (check()) return true
    await new Promise((r) => setTimeout(r, stepMs))
  }
  return check()
}
