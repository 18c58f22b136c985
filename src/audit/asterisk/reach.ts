// Dialplan reachability graph (reference §0.3, §2.10). Nodes are contexts, or one dialled string
// inside a context; edges are `include =>`, static Goto/GotoIf/GotoIfTime/Gosub/GosubIf targets,
// Macro(name) → [macro-name], and Dial(Local/x@ctx). A walk from an untrusted entry point that
// meets a Dial of a toll pattern is a toll-fraud path; every hop carries file:line.
import { excerptDialLine } from '../excerpt.js'
import { asteriskMatches, classifyAsteriskPattern, classifyMatcher, type TollVerdict } from '../toll.js'
import type { Evidence, Loc } from '../types.js'
import { type Dialplan, type DpContext, type DpLine, splitArgs } from './dialplan.js'

export interface Edge {
  readonly from: DpLine | { readonly ctx: string; readonly loc: Loc; readonly include: string }
  readonly ctx: string
  /** undefined = the whole context (the caller chooses the digits) */
  readonly exten?: string
}

export interface TollSink {
  readonly line: DpLine
  readonly verdict: TollVerdict
}

interface NodeInfo {
  readonly ctx: string
  readonly exten?: string
  readonly parent?: string
  readonly hop?: Evidence
}

const DIAL_APPS = new Set(['dial', 'originate', 'queue', 'page', 'followme'])
const JUMP_APPS = new Set(['goto', 'gotoif', 'gotoiftime', 'gosub', 'gosubif', 'macro', 'macroexclusive'])

function isDynamic(s: string): boolean {
  return s.includes('${') || s.includes('$[')
}

/** `[[ctx,]ext,]pri` → a target relative to the current line. */
function labelTarget(
  line: DpLine,
  label: string,
): { ctx: string; exten?: string; dynamic: boolean } | undefined {
  const parts = splitArgs(label)
  if (parts.length === 0 || parts[0] === '') return undefined
  let ctx = line.ctx
  let exten: string | undefined = line.exten
  if (parts.length >= 3) {
    ctx = parts[0]!
    exten = parts[1]
  } else if (parts.length === 2) exten = parts[0]
  if (isDynamic(ctx)) return { ctx, exten, dynamic: true }
  // digits chosen by the caller (`${EXTEN}`…) may select any extension of the target context
  if (exten !== undefined && isDynamic(exten)) exten = undefined
  return { ctx, exten, dynamic: false }
}

/** Targets of one dialplan line: jumps and Local channels. Dynamic contexts are reported separately. */
export function lineTargets(line: DpLine): { targets: Edge[]; dynamic: string[] } {
  const targets: Edge[] = []
  const dynamic: string[] = []
  const push = (t: { ctx: string; exten?: string; dynamic: boolean } | undefined) => {
    if (!t) return
    if (t.dynamic) dynamic.push(t.ctx)
    else targets.push({ from: line, ctx: t.ctx, exten: t.exten })
  }
  const app = line.appLower
  if (app === 'goto' || app === 'gosub') push(labelTarget(line, line.args.replace(/\([^)]*\)\s*$/, '')))
  else if (app === 'gotoif' || app === 'gosubif' || app === 'gotoiftime') {
    const q = line.args.indexOf('?')
    if (q !== -1) {
      for (const branch of line.args.slice(q + 1).split(':'))
        push(labelTarget(line, branch.replace(/\([^)]*\)\s*$/, '')))
    }
  } else if (app === 'macro' || app === 'macroexclusive') {
    const name = splitArgs(line.args)[0] ?? ''
    if (isDynamic(name)) dynamic.push(name)
    else if (name !== '') targets.push({ from: line, ctx: `macro-${name}`, exten: 's' })
  }
  if (DIAL_APPS.has(app)) {
    for (const m of line.args.matchAll(/Local\/([^@/,&)]+)@([^/,&)]+)/gi)) {
      const exten = isDynamic(m[1]!) ? undefined : m[1]
      if (isDynamic(m[2]!)) dynamic.push(m[2]!)
      else targets.push({ from: line, ctx: m[2]!, exten })
    }
  }
  return { targets, dynamic }
}

/** A Dial of a toll pattern: the extension's pattern (when the dial string passes the dialled digits)
 * or a literal number in the dial string. Local channels are followed as edges, not sinks. */
export function tollVerdict(line: DpLine): TollVerdict | undefined {
  if (!DIAL_APPS.has(line.appLower) || line.appLower === 'queue') return undefined
  const target = splitArgs(line.args)[0] ?? ''
  const outbound = target.split('&').filter((t) => !/^local\//i.test(t.trim()))
  if (outbound.length === 0) return undefined
  const joined = outbound.join('&')
  if (/\$\{EXTEN/i.test(joined) && line.exten.startsWith('_')) {
    const v = classifyAsteriskPattern(line.exten)
    if (v.toll) return v
  }
  for (const m of joined.matchAll(/(?:^|[/@:])(\+?\d{6,})/g)) {
    const num = m[1]!
    const v = classifyMatcher((n) => n === num)
    if (v.toll) return v
  }
  return undefined
}

export class DialplanGraph {
  readonly #dp: Dialplan
  constructor(dp: Dialplan) {
    this.#dp = dp
  }

  get dialplan(): Dialplan {
    return this.#dp
  }

  #linesOf(ctx: DpContext, exten: string | undefined): DpLine[] {
    const out: DpLine[] = []
    for (const e of ctx.extens)
      if (exten === undefined || e.name === exten || asteriskMatches(e.name, exten)) out.push(...e.lines)
    return out
  }

  /**
   * Breadth-first walk from `ctx` (whole context). Calls `visit` for every reachable line with the
   * hops that lead to it (entry hop excluded). Stops early when `visit` returns true.
   */
  walk(ctx: string, visit: (line: DpLine, hops: Evidence[]) => boolean | undefined): void {
    const seen = new Map<string, NodeInfo>()
    const key = (c: string, e?: string) => (e === undefined ? c : `${c}\u0000${e}`)
    const queue: string[] = []
    const add = (c: string, e: string | undefined, parent?: string, hop?: Evidence) => {
      const k = key(c, e)
      if (seen.has(k) || (e !== undefined && seen.has(c))) return
      seen.set(k, { ctx: c, exten: e, parent, hop })
      queue.push(k)
    }
    const hopsTo = (k: string): Evidence[] => {
      const hops: Evidence[] = []
      let cur = seen.get(k)
      while (cur?.hop) {
        hops.unshift(cur.hop)
        cur = cur.parent === undefined ? undefined : seen.get(cur.parent)
      }
      return hops
    }
    add(ctx, undefined)
    while (queue.length > 0) {
      const k = queue.shift()!
      const node = seen.get(k)!
      const c = this.#dp.contexts.get(node.ctx)
      if (!c) continue
      const prefix = hopsTo(k)
      for (const line of this.#linesOf(c, node.exten)) {
        if (visit(line, prefix)) return
        for (const t of lineTargets(line).targets)
          add(t.ctx, t.exten, k, {
            loc: line.loc,
            excerpt: excerptDialLine(line.raw),
            note: `jumps to ${t.ctx}`,
          })
      }
      for (const inc of c.includes)
        add(inc.name, node.exten, k, {
          loc: inc.loc,
          excerpt: `include => ${inc.name}`,
          note: `includes ${inc.name}`,
        })
    }
  }

  /** First toll route reachable from `ctx`, with the path (hops then the Dial line). */
  tollPath(ctx: string): { sink: TollSink; hops: Evidence[] } | undefined {
    let found: { sink: TollSink; hops: Evidence[] } | undefined
    this.walk(ctx, (line, hops) => {
      const verdict = tollVerdict(line)
      if (!verdict) return false
      found = { sink: { line, verdict }, hops }
      return true
    })
    return found
  }

  /** Every reachable line with its path, for checks that ask "is this app reachable from outside". */
  reachable(ctx: string): Array<{ line: DpLine; hops: Evidence[] }> {
    const out: Array<{ line: DpLine; hops: Evidence[] }> = []
    this.walk(ctx, (line, hops) => {
      out.push({ line, hops })
      return false
    })
    return out
  }

  /** Contexts reachable from `ctx` through includes only (ISC-DP "included by [default]"). */
  includeClosure(ctx: string): string[] {
    const out: string[] = []
    const stack = [ctx]
    while (stack.length > 0) {
      const c = stack.pop()!
      if (out.includes(c)) continue
      out.push(c)
      for (const inc of this.#dp.contexts.get(c)?.includes ?? []) stack.push(inc.name)
    }
    return out
  }
}

export { JUMP_APPS }
