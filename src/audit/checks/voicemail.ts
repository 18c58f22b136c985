// voicemail.conf mailboxes: `mailbox => [-]pin,name,email,pager,options` in any section other than
// [general] and [zonemessages] (voicemail.conf.sample).
import type { AsteriskModel } from '../asterisk/model.js'
import type { AstCategory, AstVar } from '../asterisk/reader.js'

export interface Mailbox {
  readonly context: AstCategory
  readonly box: string
  readonly pin: string
  readonly unchangeable: boolean
  readonly options: Map<string, string>
  readonly v: AstVar
}

const cache = new WeakMap<AsteriskModel, Mailbox[]>()

/** Every mailbox, parsed once per model (several checks read them). */
export function mailboxes(m: AsteriskModel): Mailbox[] {
  const cached = cache.get(m)
  if (cached) return cached
  const out: Mailbox[] = []
  for (const ctx of m.conf('voicemail.conf').sections()) {
    if (ctx.name === 'general' || ctx.name === 'zonemessages') continue
    for (const v of ctx.vars) {
      const fields = v.value.split(',')
      const raw = (fields[0] ?? '').trim()
      const options = new Map<string, string>()
      for (const o of (fields[4] ?? '').split('|')) {
        const eq = o.indexOf('=')
        if (eq > 0) options.set(o.slice(0, eq).trim().toLowerCase(), o.slice(eq + 1).trim())
      }
      out.push({
        context: ctx,
        box: v.key,
        pin: raw.replace(/^-/, ''),
        unchangeable: raw.startsWith('-'),
        options,
        v,
      })
    }
  }
  cache.set(m, out)
  return out
}

export function mailboxExcerpt(b: Mailbox): string {
  return `${b.box} => <PIN masked>,…`
}
