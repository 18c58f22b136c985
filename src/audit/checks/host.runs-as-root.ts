// <pbx>.host.runs-as-root: the running PBX process has effective uid 0 (read from /proc). Any
// command injection in the dialplan, AGI script or management interface then runs as root.
import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import { type HostContext, PREFIX, PROCESS_NAMES } from '../host/context.js'
import type { Check, Evidence, Pbx } from '../types.js'
import { evVar } from './util.js'

const FIX: Record<Pbx, string> = {
  asterisk:
    'runuser = asterisk and rungroup = asterisk in asterisk.conf [options] (or `asterisk -U asterisk`).',
  freeswitch: 'Start FreeSWITCH with `-u freeswitch -g freeswitch` (the packaged systemd unit does).',
  yate: 'Run Yate under a dedicated account (systemd User=yate), never as root.',
}

export function runsAsRoot(pbx: Pbx, model?: AsteriskModel): Check<HostContext> {
  return {
    id: `${PREFIX[pbx]}.host.runs-as-root`,
    pbx,
    severity: 'medium',
    title: 'The PBX is running as root',
    rationale:
      'RSB: "not running Asterisk as root, can prevent serious problems". A shell injection (System(), ' +
      'bgsystem, extmodule) or a management account with command rights then owns the host.',
    remediation: FIX[pbx],
    skip(h) {
      return h.processes.length === 0
        ? `no ${PROCESS_NAMES[pbx].join('/')} process is running (read from /proc)`
        : undefined
    },
    run(h) {
      const out = []
      for (const p of h.processes) {
        if (p.effectiveUid !== 0) continue
        const evidence: Evidence[] = [
          {
            loc: { file: p.statusFile, line: p.uidLine },
            excerpt: p.uidText,
            note: `${p.name} pid ${p.pid}`,
          },
        ]
        if (model) {
          const opts = model.conf('asterisk.conf').sections('options')[0]
          const ru = get(opts, 'runuser')
          if (ru) evidence.push(evVar(ru, 'configured, but the process still runs as root'))
        }
        out.push({ message: `${p.name} (pid ${p.pid}) runs with effective uid 0`, evidence })
      }
      return out
    },
  }
}
