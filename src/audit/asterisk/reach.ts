// Dialplan reachability graph (reference §0.3, §2.10). Nodes are contexts, or one dialled string
// inside a context; edges are `include =>`, static Goto/GotoIf/GotoIfTime/Gosub/GosubIf targets,
// Macro(name) → [macro-name], Dial(Local/x@ctx), and Background()/WaitExten() (an IVR menu: the
// caller then dials any extension of the current context). A walk from an untrusted entry point that
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
  /** the hop that led here; its excerpt is built only when a path is asked for */
  readonly hop?: HopSource
  hops?: Evidence[]
}

interface HopSource {
  readonly loc: Loc
  readonly raw?: string
  readonly excerpt?: string
  readonly note: string
}

function hopEvidence(h: HopSource): Evidence {
  return { loc: h.loc, excerpt: h.excerpt ?? excerptDialLine(h.raw ?? ''), note: h.note }
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
  /** tollPath() per context: many entry points share a context (10,000 phones, one [users]) */
  readonly #tollCache = new Map<string, { sink: TollSink; hops: Evidence[] } | undefined>()
  readonly #lineCache = new Map<string, ReadonlySet<DpLine>>()
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

  #targets = new Map<DpLine, Edge[]>()

  /** lineTargets() once per line: every walk revisits the same lines. */
  #targetsOf(line: DpLine): Edge[] {
    let t = this.#targets.get(line)
    if (!t) {
      t = lineTargets(line).targets
      this.#targets.set(line, t)
    }
    return t
  }

  /**
   * Breadth-first walk from `ctx` (whole context). Calls `visit` for every reachable line with a
   * function returning the hops that lead to it (entry hop excluded; built on demand, because a
   * 10,000-phone dialplan has thousands of nodes and few paths are ever shown). Stops early when
   * `visit` returns true.
   */
  walk(ctx: string, visit: (line: DpLine, hops: () => Evidence[]) => boolean | undefined): void {
    const seen = new Map<string, NodeInfo>()
    const key = (c: string, e?: string) => (e === undefined ? c : `${c}\u0000${e}`)
    const queue: string[] = []
    const add = (c: string, e: string | undefined, parent?: string, hop?: HopSource) => {
      const k = key(c, e)
      if (seen.has(k) || (e !== undefined && seen.has(c))) return
      seen.set(k, { ctx: c, exten: e, parent, hop })
      queue.push(k)
    }
    const hopsTo = (n: NodeInfo): Evidence[] => {
      if (n.hops) return n.hops
      const parent = n.parent === undefined ? undefined : seen.get(n.parent)
      n.hops = n.hop ? [...(parent ? hopsTo(parent) : []), hopEvidence(n.hop)] : []
      return n.hops
    }
    add(ctx, undefined)
    for (let qi = 0; qi < queue.length; qi++) {
      const k = queue[qi]!
      const node = seen.get(k)!
      const c = this.#dp.contexts.get(node.ctx)
      if (!c) continue
      const prefix = () => hopsTo(node)
      for (const line of this.#linesOf(c, node.exten)) {
        if (visit(line, prefix)) return
        // an IVR menu: after Background()/WaitExten() the caller dials any extension of this context
        if (node.exten !== undefined && (line.appLower === 'background' || line.appLower === 'waitexten'))
          add(node.ctx, undefined, k, {
            loc: line.loc,
            raw: line.raw,
            note: `caller chooses any extension of ${node.ctx}`,
          })
        for (const t of this.#targetsOf(line))
          add(t.ctx, t.exten, k, { loc: line.loc, raw: line.raw, note: `jumps to ${t.ctx}` })
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
    if (this.#tollCache.has(ctx)) return this.#tollCache.get(ctx)
    let found: { sink: TollSink; hops: Evidence[] } | undefined
    this.walk(ctx, (line, hops) => {
      const verdict = tollVerdict(line)
      if (!verdict) return false
      found = { sink: { line, verdict }, hops: hops() }
      return true
    })
    this.#tollCache.set(ctx, found)
    return found
  }

  /** Every reachable line with its path, for checks that ask "is this app reachable from outside". */
  reachable(ctx: string): Array<{ readonly line: DpLine; readonly hops: Evidence[] }> {
    const out: Array<{ readonly line: DpLine; readonly hops: Evidence[] }> = []
    this.walk(ctx, (line, hops) => {
      out.push({
        line,
        get hops() {
          return hops()
        },
      })
      return false
    })
    return out
  }

  /** The lines reachable from `ctx`, without paths (cheaper; cached per context). */
  reachableLines(ctx: string): ReadonlySet<DpLine> {
    let set = this.#lineCache.get(ctx)
    if (!set) {
      const s = new Set<DpLine>()
      this.walk(ctx, (line) => {
        s.add(line)
        return false
      })
      set = s
      this.#lineCache.set(ctx, set)
    }
    return set
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
