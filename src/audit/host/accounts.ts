// uid/gid ↔ name from /etc/passwd and /etc/group (files given for tests).
import { readFileSync } from 'node:fs'

export interface Accounts {
  readonly userByUid: Map<number, string>
  readonly uidByUser: Map<string, number>
  readonly groupByGid: Map<number, string>
}

function table(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.split(':'))
  } catch {
    return []
  }
}

export function readAccounts(passwd = '/etc/passwd', group = '/etc/group'): Accounts {
  const userByUid = new Map<number, string>()
  const uidByUser = new Map<string, number>()
  for (const f of table(passwd)) {
    const uid = Number(f[2])
    if (!f[0] || !Number.isInteger(uid)) continue
    if (!userByUid.has(uid)) userByUid.set(uid, f[0])
    uidByUser.set(f[0], uid)
  }
  const groupByGid = new Map<number, string>()
  for (const f of table(group)) {
    const gid = Number(f[2])
    if (f[0] && Number.isInteger(gid) && !groupByGid.has(gid)) groupByGid.set(gid, f[0])
  }
  return { userByUid, uidByUser, groupByGid }
}

export function userName(a: Accounts, uid: number): string {
  return a.userByUid.get(uid) ?? String(uid)
}

export function groupName(a: Accounts, gid: number): string {
  return a.groupByGid.get(gid) ?? String(gid)
}
