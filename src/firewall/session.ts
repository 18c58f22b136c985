// Which SSH session is `firewall apply` running in? sshd puts SSH_CONNECTION into the
// session's environment, but `sudo` resets the environment by default (Debian's env_reset
// does not keep it), so under sudo (or doas) the value is read from the nearest ancestor
// process that has it: the operator's login shell.

import { readFileSync } from 'node:fs'

export interface FoundSession {
  /** the SSH_CONNECTION value; undefined when there is no SSH session */
  readonly value?: string
  readonly source: 'environment' | 'parent process' | 'none'
}

const MAX_DEPTH = 32

function parentOf(pid: number): number | null {
  try {
    // /proc/PID/stat: "pid (comm) state ppid …"; comm may contain spaces and parentheses
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    return Number.isInteger(ppid) && ppid > 0 ? ppid : null
  } catch {
    return null
  }
}

function sshConnectionOf(pid: number): string | undefined {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')
    const entry = env.find((e) => e.startsWith('SSH_CONNECTION='))
    return entry?.slice('SSH_CONNECTION='.length)
  } catch {
    return undefined
  }
}

export function findSshConnection(env: NodeJS.ProcessEnv = process.env, pid = process.pid): FoundSession {
  const own = env['SSH_CONNECTION']
  if (own !== undefined && own !== '') return { value: own, source: 'environment' }
  if (env['SUDO_USER'] === undefined && env['DOAS_USER'] === undefined) return { source: 'none' }
  let p = parentOf(pid)
  for (let depth = 0; p !== null && p > 1 && depth < MAX_DEPTH; depth++) {
    const v = sshConnectionOf(p)
    if (v !== undefined && v !== '') return { value: v, source: 'parent process' }
    p = parentOf(p)
  }
  return { source: 'none' }
}
