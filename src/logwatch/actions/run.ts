// Run a program with an argument vector: never through a shell, with a time limit.
import { execFile } from 'node:child_process'

export interface RunResult {
  readonly code: number
  readonly stderr: string
}

export type Runner = (file: string, args: readonly string[]) => Promise<RunResult>

export const runArgv: Runner = (file, args) =>
  new Promise((resolve) => {
    execFile(file, args as string[], { timeout: 30_000, maxBuffer: 1 << 20 }, (err, _stdout, stderr) => {
      if (err === null) return resolve({ code: 0, stderr: String(stderr) })
      const code = typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127
      resolve({ code, stderr: String(stderr || err.message) })
    })
  })
