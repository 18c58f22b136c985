import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Finding } from '../../src/audit/types.js'

// dist/test/audit → repository root
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const FIXTURES = join(ROOT, 'test/fixtures/audit')

export function fixture(name: string): string {
  return join(FIXTURES, name)
}

const tempDirs: string[] = []
process.once('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
})

/** Write `files` (path → content) into a fresh temporary directory, removed when the test process exits. */
export function tempConfig(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sipwarden-audit-'))
  tempDirs.push(dir)
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return dir
}

/** "id file:line" for the first evidence of every finding, for compact assertions. */
export function keys(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.id} ${f.evidence[0]!.loc.file}:${f.evidence[0]!.loc.line}`)
}
