// Run a program with an argument vector: never through a shell, with a time limit. Batches
// (`nft -f -`, `ipset restore`) are written to the program's standard input.
import { execFile } from 'node:child_process'

export interface RunResult {
  readonly code: number
  readonly stderr: string
  /** what the program printed (runArgv fills it; a test runner may leave it out) */
  readonly stdout?: string
}

export interface RunOptions {
  /** written to the program's standard input, which is then closed */
  readonly input?: string
}

export type Runner = (file: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>

export const runArgv: Runner = (file, args, opts = {}) =>
  new Promise((resolve) => {
    const child = execFile(
      file,
      args as string[],
      { timeout: 30_000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err === null) return resolve({ code: 0, stderr: String(stderr), stdout: String(stdout) })
        const code =
          typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127
        resolve({ code, stderr: String(stderr || err.message) })
      },
    )
    // a program that exits without reading its input must not crash us with EPIPE
    child.stdin?.on('error', () => {})
    child.stdin?.end(opts.input ?? '')
  })
