import { splitArgs } from '../asterisk/dialplan.js'
import type { AsteriskModel } from '../asterisk/model.js'
import { JUMP_APPS } from '../asterisk/reach.js'
import type { Check, FindingDraft } from '../types.js'
import { evLine, isTainted, readVariables } from './util.js'

/** Input that picks an extension other than the one dialled: caller ID, headers, Read() variables. */
const NON_EXTEN_INPUT =
  /\$\{(CALLERID\((num|name|all)\)|CALLERIDNUM|CALLERIDNAME|SIP_HEADER\(|PJSIP_HEADER\(read|CHANNEL\(useragent\))/i

export const check: Check<AsteriskModel> = {
  id: 'ast.dp.dynamic-goto',
  pbx: 'asterisk',
  severity: 'medium',
  title: 'Jump target chosen by caller input',
  rationale:
    'Goto/Gosub/Macro whose context comes from ${EXTEN}, caller ID, headers or Read() input lets the caller ' +
    'jump into any context, past the isolation the dialplan relies on (ISC-DP).',
  remediation: 'Validate the input against a whitelist and jump to fixed contexts.',
  run(m) {
    const out: FindingDraft[] = []
    const readVars = readVariables(m)
    for (const line of m.dialplan.lines()) {
      if (!JUMP_APPS.has(line.appLower)) continue
      const labels =
        line.appLower === 'gotoif' || line.appLower === 'gosubif' || line.appLower === 'gotoiftime'
          ? line.args.includes('?')
            ? line.args.slice(line.args.indexOf('?') + 1).split(':')
            : []
          : [line.args]
      for (const raw of labels) {
        const parts = splitArgs(raw.replace(/\([^)]*\)\s*$/, ''))
        const isMacro = line.appLower === 'macro' || line.appLower === 'macroexclusive'
        const ctx = isMacro ? parts[0] : parts.length >= 3 ? parts[0] : undefined
        const exten = isMacro ? undefined : parts.length >= 2 ? parts[parts.length - 2] : undefined
        const badCtx = ctx !== undefined && isTainted(ctx, readVars)
        const badExten =
          exten !== undefined &&
          (NON_EXTEN_INPUT.test(exten) || readVars.some((v) => exten.includes(`\${${v}`)))
        if (!badCtx && !badExten) continue
        out.push({
          message: `${line.app}() in [${line.ctx}] jumps to a ${badCtx ? (isMacro ? 'macro' : 'context') : 'extension'} chosen by the caller`,
          evidence: [evLine(line)],
        })
        break
      }
    }
    return out
  },
}
