// Dial() arguments: Dial(Technology/Resource[&…],timeout,options,URL); options may carry
// parenthesised arguments (L(…), M(…), U(…)) that are not option letters themselves.
import { type DpLine, splitArgs } from '../asterisk/dialplan.js'

export function dialOptions(line: DpLine): string {
  const opts = splitArgs(line.args)[2] ?? ''
  let out = ''
  let depth = 0
  for (const c of opts) {
    if (c === '(') depth++
    else if (c === ')') depth = Math.max(0, depth - 1)
    else if (depth === 0) out += c
  }
  return out
}
