import type { AsteriskModel } from '../asterisk/model.js'
import { tollVerdict } from '../asterisk/reach.js'
import type { Check, FindingDraft } from '../types.js'
import { dialOptions } from './dial-util.js'
import { evLine, outsideReachable } from './util.js'

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.transfer-options-external',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Outside party can transfer into a context that reaches a toll route',
  rationale:
    'app_dial: the T/t (transfer), K/k (park) and X/x options "do not perform policy enforcement": a caller ' +
    'from a trunk with T, or a called carrier leg with t, can blind-transfer to an outbound number from the ' +
    'transfer context (TRANSFER_CONTEXT or the current context).',
  remediation:
    'Drop T on inbound legs and t on outbound trunk calls, or set TRANSFER_CONTEXT to a safe context.',
  run(m) {
    const out: FindingDraft[] = []
    const outside = outsideReachable(m)
    const transferCtx = new Map<string, string>()
    for (const l of m.dialplan.lines()) {
      const t = /TRANSFER_CONTEXT\s*=\s*([^,)\s]+)/i.exec(l.args)
      if ((l.appLower === 'set' || l.appLower === 'multiset') && t) transferCtx.set(l.ctx, t[1]!)
    }
    for (const line of m.dialplan.lines()) {
      if (line.appLower !== 'dial') continue
      const opts = dialOptions(line)
      const ctx = transferCtx.get(line.ctx) ?? line.ctx
      if (ctx.includes('${')) continue
      const o = outside.get(line)
      const reasons: string[] = []
      if (/[TKX]/.test(opts) && o)
        reasons.push(`the outside caller (${o.entry.label}) gets transfer/park/record keys`)
      if (/[tkx]/.test(opts) && tollVerdict(line)) reasons.push('the called carrier party gets transfer keys')
      if (reasons.length === 0) continue
      const p = m.graph.tollPath(ctx)
      if (!p) continue
      const ev = evLine(line, `Dial options ${opts}`)
      out.push({
        message: `[${line.ctx}] ${line.exten}: ${reasons.join('; ')}; transfers run in [${ctx}], which reaches a toll route`,
        evidence: [ev],
        path: [
          ...(o ? [o.entry.evidence, ...o.hops] : []),
          ev,
          ...p.hops,
          evLine(p.sink.line, `toll route: ${p.sink.verdict.reason}`),
        ],
      })
    }
    return out
  },
}
