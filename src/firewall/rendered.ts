// Rendered ruleset text plus, for every line, the rule it comes from: `firewall check`
// turns "line 57" from nft or iptables-restore into "SIP REGISTER hits per source per
// minute (firewall.sipLimits.registerPerMinute)".

import type { Origin } from './model.js'

export interface Rendered {
  readonly text: string
  /** origin of each line: index 0 is line 1; undefined for comments and structure */
  readonly origins: readonly (Origin | undefined)[]
  readonly warnings: readonly string[]
}

export class TextBuilder {
  readonly #lines: string[] = []
  readonly #origins: (Origin | undefined)[] = []

  line(text = '', origin?: Origin): this {
    this.#lines.push(text)
    this.#origins.push(origin)
    return this
  }

  build(warnings: readonly string[] = []): Rendered {
    return { text: `${this.#lines.join('\n')}\n`, origins: [...this.#origins], warnings: [...warnings] }
  }
}

/** The origin of 1-based `line`, or the nearest rule line above it (a multi-line rule or
 * set definition reports its first or last line depending on the tool). */
export function originAt(r: Rendered, line: number): Origin | undefined {
  if (line < 1 || line > r.origins.length) return undefined
  return r.origins[line - 1]
}

export function formatOrigin(o: Origin): string {
  return `${o.purpose} (${o.key})`
}
