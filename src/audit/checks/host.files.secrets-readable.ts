// <pbx>.files.secrets-readable (catalogue ast.files.secrets-readable, live-host mode): configuration
// files that hold secrets are readable by every local user.
import { groupName, userName } from '../host/accounts.js'
import { type HostContext, modeString, PREFIX } from '../host/context.js'
import type { Check, Evidence, Pbx } from '../types.js'

export function secretsReadable(pbx: Pbx): Check<HostContext> {
  return {
    id: `${PREFIX[pbx]}.files.secrets-readable`,
    pbx,
    severity: 'medium',
    title: 'Files holding secrets are readable by other users',
    rationale:
      'Secrets in PBX configuration are stored in clear (ISC-LOG, RSB Secure Passwords); any local account ' +
      'or compromised service can read SIP, AMI and ESL credentials from a world-readable file.',
    remediation:
      'chown root:<pbx group> and chmod 0640 every file that holds a secret (o-rwx), e.g. ' +
      '`chmod o-rwx /etc/asterisk/*.conf`; keep the directory 0750.',
    run(h) {
      const evidence: Evidence[] = []
      for (const f of h.files) {
        if (f.isDir || (f.mode & 0o004) === 0 || !f.reachableByOthers) continue
        const secret = h.inventory.secrets.get(f.display)
        if (!secret) continue
        evidence.push({
          ...secret,
          note: `mode ${modeString(f.mode)} ${userName(h.accounts, f.uid)}:${groupName(h.accounts, f.gid)}: readable by other users`,
        })
      }
      if (evidence.length === 0) return []
      return [
        {
          message: `${evidence.length} file${evidence.length === 1 ? '' : 's'} holding secrets ${evidence.length === 1 ? 'is' : 'are'} readable by every local user`,
          evidence,
        },
      ]
    },
  }
}
