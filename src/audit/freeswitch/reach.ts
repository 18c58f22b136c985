// FreeSWITCH dialplan graph (reference §2.10): contexts and extensions; edges are `transfer`,
// `execute_extension` and `bridge loopback/…`; sinks are bridges to sofia gateways/profiles whose
// destination condition admits international, premium or open-ended numbers and that are not gated
// on ${toll_allow}.
import { clip } from '../excerpt.js'
import { scrubInlineCredentials } from '../mask.js'
import { classifyRegex, type TollVerdict } from '../toll.js'
import type { Evidence, Loc } from '../types.js'
import { descendants, type XmlElement } from './xml.js'

export interface FsAction {
  readonly app: string
  readonly data: string
  readonly loc: Loc
  readonly anti: boolean
}

export interface FsExtension {
  readonly ctx: string
  readonly name: string
  readonly loc: Loc
  readonly conditions: Array<{ readonly field: string; readonly expression: string; readonly loc: Loc }>
  readonly actions: FsAction[]
}

export function extensionsOf(ctxName: string, ctx: XmlElement): FsExtension[] {
  const out: FsExtension[] = []
  for (const e of ctx.children) {
    if (e.name !== 'extension') continue
    const conditions = [...descendants(e, 'condition')].map((c) => ({
      field: c.attrs.get('field') ?? '',
      expression: c.attrs.get('expression') ?? '',
      loc: c.loc,
    }))
    const actions: FsAction[] = []
    for (const a of descendants(e)) {
      if (a.name !== 'action' && a.name !== 'anti-action') continue
      actions.push({
        app: (a.attrs.get('application') ?? '').toLowerCase(),
        data: a.attrs.get('data') ?? '',
        loc: a.loc,
        anti: a.name === 'anti-action',
      })
    }
    out.push({ ctx: ctxName, name: e.attrs.get('name') ?? '?', loc: e.loc, conditions, actions })
  }
  return out
}

export function actionExcerpt(a: FsAction): string {
  return clip(scrubInlineCredentials(`<action application="${a.app}" data="${a.data}"/>`))
}

function destMatches(ext: FsExtension, dest: string): boolean {
  const c = ext.conditions.find(
    (x) => x.field === 'destination_number' || x.field === '${destination_number}',
  )
  if (!c) return true
  try {
    return new RegExp(c.expression).test(dest)
  } catch {
    return true
  }
}

export function destinationExpression(ext: FsExtension): string | undefined {
  return ext.conditions.find((x) => x.field === 'destination_number' || x.field === '${destination_number}')
    ?.expression
}

export function tollGated(ext: FsExtension): boolean {
  return ext.conditions.some((c) => /toll_allow/.test(c.field) || /toll_allow/.test(c.expression))
}

/** A bridge to a carrier (gateway or external profile) of a toll destination. */
export function fsTollVerdict(ext: FsExtension, a: FsAction): TollVerdict | undefined {
  if (a.app !== 'bridge' || !/sofia\/(gateway|external)\//i.test(a.data)) return undefined
  const expr = destinationExpression(ext)
  if (expr === undefined) return { cls: 'open', toll: true, reason: 'bridge with no destination condition' }
  const v = classifyRegex(expr)
  return v.toll ? v : undefined
}

function target(a: FsAction, ctx: string): { ctx: string; dest?: string } | undefined {
  if (a.app === 'transfer' || a.app === 'execute_extension') {
    const parts = a.data.trim().split(/\s+/)
    if (parts.length === 0 || parts[0] === '') return undefined
    const dest = parts[0]!
    const tctx = parts[2] ?? ctx
    return { ctx: tctx, dest: dest.includes('${') || dest.includes('$1') ? undefined : dest }
  }
  if (a.app === 'bridge') {
    const m = /loopback\/([^/\s,|]+)(?:\/([^/\s,|]+))?/i.exec(a.data)
    if (m) return { ctx: m[2] ?? 'default', dest: m[1]!.includes('$') ? undefined : m[1] }
  }
  return undefined
}

export class FsGraph {
  readonly #exts = new Map<string, FsExtension[]>()
  constructor(contexts: Map<string, XmlElement>) {
    for (const [name, el] of contexts) this.#exts.set(name, extensionsOf(name, el))
  }

  extensions(): FsExtension[] {
    return [...this.#exts.values()].flat()
  }

  walk(ctx: string, visit: (ext: FsExtension, a: FsAction, hops: Evidence[]) => boolean | undefined): void {
    const seen = new Map<string, { parent?: string; hop?: Evidence }>()
    const queue: Array<{ key: string; ctx: string; dest?: string }> = []
    const add = (c: string, dest: string | undefined, parent?: string, hop?: Evidence) => {
      const key = dest === undefined ? c : `${c}\u0000${dest}`
      if (seen.has(key) || seen.has(c)) return
      seen.set(key, { parent, hop })
      queue.push({ key, ctx: c, dest })
    }
    add(ctx, undefined)
    while (queue.length > 0) {
      const node = queue.shift()!
      const hops: Evidence[] = []
      let cur = seen.get(node.key)
      while (cur?.hop) {
        hops.unshift(cur.hop)
        cur = cur.parent === undefined ? undefined : seen.get(cur.parent)
      }
      for (const ext of this.#exts.get(node.ctx) ?? []) {
        if (node.dest !== undefined && !destMatches(ext, node.dest)) continue
        for (const a of ext.actions) {
          if (visit(ext, a, hops)) return
          const t = target(a, node.ctx)
          if (t)
            add(t.ctx, t.dest, node.key, {
              loc: a.loc,
              excerpt: actionExcerpt(a),
              note: `${a.app} to ${t.ctx}`,
            })
        }
      }
    }
  }

  tollPath(
    ctx: string,
  ): { ext: FsExtension; action: FsAction; verdict: TollVerdict; hops: Evidence[] } | undefined {
    let found: ReturnType<FsGraph['tollPath']>
    this.walk(ctx, (ext, a, hops) => {
      const v = fsTollVerdict(ext, a)
      if (!v || tollGated(ext)) return false
      found = { ext, action: a, verdict: v, hops }
      return true
    })
    return found
  }
}
