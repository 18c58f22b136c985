import type { AsteriskModel } from '../asterisk/model.js'
import { get, isTrue } from '../asterisk/reader.js'
import type { Check, FindingDraft } from '../types.js'

const FILES = [
  'pjsip.conf',
  'sip.conf',
  'extensions.conf',
  'manager.conf',
  'http.conf',
  'ari.conf',
  'voicemail.conf',
  'acl.conf',
  'rtp.conf',
  'logger.conf',
  'iax.conf',
  'features.conf',
  'extconfig.conf',
  'sorcery.conf',
] as const

export const check: Check<AsteriskModel> = {
  id: 'ast.core.exec-directive',
  pbx: 'asterisk',
  severity: 'medium',
  title: '#exec line in the configuration',
  rationale:
    'INC: #exec runs a program at every configuration load and includes its output, which cannot be ' +
    'audited. Medium when execincludes=yes; info when it is off (Asterisk ignores the line).',
  remediation: 'Replace #exec with a static #include of a generated file; protect the script path.',
  run(m) {
    const on = isTrue(get(m.conf('asterisk.conf').sections('options')[0], 'execincludes')?.value)
    const out: FindingDraft[] = []
    for (const f of FILES)
      for (const loc of m.conf(f).execLines)
        out.push({
          message: on
            ? `#exec in ${f} runs a program at every load; its output is not audited`
            : `#exec in ${f} (ignored while execincludes is off)`,
          evidence: [{ loc, excerpt: '#exec …' }],
          ...(on ? {} : { severity: 'info' as const }),
        })
    return out
  },
}
