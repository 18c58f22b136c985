// <pbx>.files.owned-by-runtime: configuration owned by the account the PBX runs as. A compromised
// PBX (or an AMI user with the `config` class, UpdateConfig) can then rewrite its own dialplan and
// credentials, and the change survives restarts. Files the PBX must write are exempt.
import { groupName, userName } from '../host/accounts.js'
import { type HostContext, modeString, PREFIX } from '../host/context.js'
import type { Check, Evidence, Pbx } from '../types.js'

export function ownedByRuntime(pbx: Pbx): Check<HostContext> {
  return {
    id: `${PREFIX[pbx]}.files.owned-by-runtime`,
    pbx,
    severity: 'low',
    title: 'Configuration owned by the PBX runtime user',
    rationale:
      'The PBX only needs to read its configuration. When it owns the files, a compromise of the PBX process ' +
      '(or of an AMI/ESL account) can persist by rewriting the dialplan or adding credentials.',
    remediation:
      'chown root:<pbx group> the configuration (files 0640, directories 0750); leave writable only the files ' +
      'the PBX must update (e.g. voicemail.conf when passwordlocation=voicemail.conf).',
    skip(h) {
      if (!h.runtime)
        return 'runtime user unknown: no PBX process is running and no conventional PBX account exists'
      if (h.runtime.uid === 0) return `the PBX runs as root (${h.runtime.source}); see runs-as-root`
      return undefined
    },
    run(h) {
      const rt = h.runtime
      if (!rt || rt.uid === 0) return []
      const evidence: Evidence[] = []
      for (const f of h.files) {
        if (f.uid !== rt.uid || h.inventory.writtenByPbx.has(f.display)) continue
        evidence.push({
          loc: { file: f.display, line: 0 },
          excerpt: `${f.isDir ? 'directory' : 'file'} mode ${modeString(f.mode)} ${userName(h.accounts, f.uid)}:${groupName(h.accounts, f.gid)}`,
        })
      }
      if (evidence.length === 0) return []
      return [
        {
          message: `${evidence.length} configuration path${evidence.length === 1 ? ' is' : 's are'} owned by ${rt.name}, the PBX runtime user (${rt.source})`,
          evidence,
        },
      ]
    },
  }
}
