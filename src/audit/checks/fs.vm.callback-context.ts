import type { FreeswitchModel } from '../freeswitch/model.js'
import { descendants } from '../freeswitch/xml.js'
import type { Check, Evidence, FindingDraft } from '../types.js'
import { actionExcerpt } from './fs-util.js'

export const check: Check<FreeswitchModel> = {
  id: 'fs.vm.callback-context',
  pbx: 'freeswitch',
  severity: 'medium',
  title: 'Voicemail callback context reaches a toll route',
  rationale:
    'mod_voicemail places callback calls in callback-context (default "default"): whoever opens a mailbox ' +
    '(a guessed PIN) can dial out through it.',
  remediation: 'callback-context pointing at a context that only reaches internal extensions.',
  run(m) {
    const vm = m.configuration('voicemail.conf')
    if (!vm || (m.modules && !m.modules.has('mod_voicemail'))) return []
    const out: FindingDraft[] = []
    for (const p of descendants(vm, 'profile')) {
      const name = p.attrs.get('name') ?? '?'
      const param = [...descendants(p, 'param')].find((x) => x.attrs.get('name') === 'callback-context')
      const ctx = param?.attrs.get('value') ?? 'default'
      const t = m.graph.tollPath(ctx)
      if (!t) continue
      const ev: Evidence = param
        ? { loc: param.loc, excerpt: `<param name="callback-context" value="${ctx}"/>` }
        : { loc: p.loc, excerpt: `<profile name="${name}">`, note: 'callback-context unset → "default"' }
      out.push({
        message: `voicemail profile ${name}: callback-context ${ctx} reaches a toll route`,
        evidence: [ev],
        path: [
          ev,
          ...t.hops,
          { loc: t.action.loc, excerpt: actionExcerpt(t.action), note: `toll route: ${t.verdict.reason}` },
        ],
      })
    }
    return out
  },
}
