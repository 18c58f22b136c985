// <pbx>.host.mgmt-port-public: a management port (AMI 5038, ARI/HTTP 8088/8089, ESL 8021, Yate
// rmanager 5038, extmodule TCP) is listening on an address other than loopback, per `ss -Hltnup`.
import { type HostContext, PREFIX, PROCESS_NAMES } from '../host/context.js'
import { isLoopbackAddress } from '../host/ss.js'
import type { Check, Evidence, FindingDraft, Pbx } from '../types.js'

export function mgmtPortPublic(pbx: Pbx): Check<HostContext> {
  return {
    id: `${PREFIX[pbx]}.host.mgmt-port-public`,
    pbx,
    severity: 'high',
    title: 'Management port listening beyond localhost',
    rationale:
      'AMI, ARI, the event socket and rmanager give call control or full administration; scanners ' +
      '(sippts astami, nuclei ClueCon) look for them. MGR SECURITY NOTE, FSD-ESL.',
    remediation:
      'Bind management interfaces to 127.0.0.1 (manager.conf/http.conf bindaddr, event_socket listen-ip, ' +
      'rmanager addr) and reach them through SSH or a VPN; firewall them otherwise.',
    skip(h) {
      return h.listeners.ok ? undefined : h.listeners.reason
    },
    run(h) {
      if (!h.listeners.ok) return []
      const out: FindingDraft[] = []
      const names = PROCESS_NAMES[pbx]
      for (const mp of h.mgmtPorts)
        for (const l of h.listeners.listeners) {
          if (l.port !== mp.port || l.proto !== 'tcp' || isLoopbackAddress(l.address)) continue
          // a socket owned by another program (e.g. Yate's rmanager on 5038 while auditing Asterisk)
          if (l.processes.length > 0 && !l.processes.some((p) => names.includes(p.name))) continue
          const who =
            l.processes.length > 0
              ? `${l.processes[0]!.name}${l.processes[0]!.pid ? ` pid ${l.processes[0]!.pid}` : ''}`
              : 'process not visible to ss'
          const ssEv: Evidence = {
            loc: { file: h.listeners.command, line: l.line },
            excerpt: l.raw,
            note: `listening on ${l.address}:${l.port} (${who})`,
          }
          out.push({
            message: `${mp.label} listens on ${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}, reachable beyond localhost`,
            evidence: mp.evidence ? [mp.evidence, ssEv] : [ssEv],
          })
        }
      return out
    },
  }
}
