import type { AsteriskModel } from '../asterisk/model.js'
import { get, getAll } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'
import { evVar, tollRaise } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.sip.insecure-invite',
  pbx: 'asterisk',
  severity: 'high',
  title: 'chan_sip peer accepts INVITE without authentication',
  rationale: 'insecure=invite (or legacy "very") skips the challenge on INVITE from this peer.',
  remediation: 'Only for host=<ip> trunks with deny=0.0.0.0/0.0.0.0 then permit=<provider>.',
  run(m) {
    const out: FindingDraft[] = []
    for (const peer of m.conf('sip.conf').sections()) {
      if (peer.name === 'general') continue
      const ins = get(peer, 'insecure')
      if (!ins || !/invite|very/i.test(ins.value)) continue
      const host = get(peer, 'host')?.value ?? 'dynamic'
      const acl = getAll(peer, 'deny').length + getAll(peer, 'permit').length + getAll(peer, 'acl').length > 0
      const entry = m.entries.find((e) => e.source === peer)
      const raise = entry ? tollRaise(m, entry, entry.context) : undefined
      const exposed = host.toLowerCase() === 'dynamic' || !acl
      out.push({
        message:
          `peer [${peer.name}] (host=${host}${acl ? '' : ', no permit/deny'}) takes INVITEs unchallenged` +
          (raise ? '; its context reaches a toll route' : ''),
        evidence: [evVar(ins)],
        severity: raise ? 'critical' : exposed ? 'critical' : undefined,
        path: raise?.path,
      })
    }
    return out
  },
}
