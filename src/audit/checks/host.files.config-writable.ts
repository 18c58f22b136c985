// <pbx>.files.config-writable: a configuration file or directory writable by other users lets any
// local account rewrite the dialplan (System(), toll routes) or add a file a glob include picks up.
import { groupName, userName } from '../host/accounts.js'
import { type HostContext, modeString, PREFIX } from '../host/context.js'
import type { Check, Evidence, Pbx } from '../types.js'

export function configWritable(pbx: Pbx): Check<HostContext> {
  return {
    id: `${PREFIX[pbx]}.files.config-writable`,
    pbx,
    severity: 'high',
    title: 'Configuration writable by other users',
    rationale:
      'Whoever can write the configuration controls the PBX: a dialplan line runs shell commands as the PBX ' +
      'user, and a new file in an included directory is loaded on the next reload.',
    remediation:
      'chmod o-w on the configuration directory and every file in it (0640 files, 0750 directories).',
    run(h) {
      const evidence: Evidence[] = []
      for (const f of h.files)
        if ((f.mode & 0o002) !== 0)
          evidence.push({
            loc: { file: f.display, line: 0 },
            excerpt: `${f.isDir ? 'directory' : 'file'} mode ${modeString(f.mode)} ${userName(h.accounts, f.uid)}:${groupName(h.accounts, f.gid)}`,
            note: f.isDir
              ? (f.mode & 0o1000) !== 0
                ? 'others can add files (sticky)'
                : 'others can add and replace files'
              : 'others can rewrite it',
          })
      if (evidence.length === 0) return []
      return [
        {
          message: `${evidence.length} configuration path${evidence.length === 1 ? ' is' : 's are'} writable by every local user`,
          evidence,
        },
      ]
    },
  }
}
