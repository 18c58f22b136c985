// Helpers shared by the checks: evidence builders, ACL parsing, taint tests and the
// "reachable from an untrusted entry" cache.

import { type Assessment, WEAKNESS_TEXT } from '../../passwd/strength.js'
import type { DpLine } from '../asterisk/dialplan.js'
import type { AsteriskModel, EntryPoint } from '../asterisk/model.js'
import type { AstCategory, AstVar } from '../asterisk/reader.js'
import { clip, excerptDialLine } from '../excerpt.js'
import { excerptKv } from '../mask.js'
import type { Evidence, FindingDraft, Loc } from '../types.js'

export function evVar(v: AstVar, note?: string): Evidence {
  const from = v.inheritedFrom ? ` (inherited from [${v.inheritedFrom.name}])` : ''
  return { loc: v.loc, excerpt: clip(excerptKv(v.key, v.value, v.isObject ? '=>' : '=') + from), note }
}

export function evCat(cat: AstCategory, note?: string): Evidence {
  return { loc: cat.loc, excerpt: `[${cat.name}]`, note }
}

export function evLine(line: DpLine, note?: string): Evidence {
  return { loc: line.loc, excerpt: excerptDialLine(line.raw), note }
}

export function evAt(loc: Loc, excerpt: string, note?: string): Evidence {
  return { loc, excerpt: clip(excerpt), note }
}

export function weakText(a: Assessment): string {
  return a.weaknesses.map((w) => WEAKNESS_TEXT[w]).join('; ')
}

/** Full evidence path: the entry point, the hops, then the line reached. */
export function pathOf(entry: EntryPoint, hops: readonly Evidence[], last: Evidence): Evidence[] {
  return [entry.evidence, ...hops, last]
}

/** Severity raise and path when `ctx` reaches a toll route (the finding's own entry). */
export function tollRaise(
  m: AsteriskModel,
  entry: EntryPoint | undefined,
  ctx: string,
): Pick<FindingDraft, 'severity' | 'path'> | undefined {
  const p = m.graph.tollPath(ctx)
  if (!p) return undefined
  const sink = evLine(p.sink.line, `toll route: ${p.sink.verdict.reason}`)
  const path = entry ? pathOf(entry, p.hops, sink) : [...p.hops, sink]
  return { severity: 'critical', path }
}

export interface OutsideReach {
  readonly entry: EntryPoint
  readonly hops: Evidence[]
}

const outsideCache = new WeakMap<AsteriskModel, Map<DpLine, OutsideReach>>()

/** Lines reachable from any untrusted entry point, each with the first path found. */
export function outsideReachable(m: AsteriskModel): Map<DpLine, OutsideReach> {
  const cached = outsideCache.get(m)
  if (cached) return cached
  const out = new Map<DpLine, OutsideReach>()
  const done = new Set<string>()
  for (const entry of m.entries) {
    if (!entry.untrusted || done.has(entry.context)) continue
    done.add(entry.context)
    for (const r of m.graph.reachable(entry.context))
      if (!out.has(r.line))
        out.set(r.line, {
          entry,
          // the path is built only for the lines that become findings
          get hops() {
            return r.hops
          },
        })
  }
  outsideCache.set(m, out)
  return out
}

/** IPv4/IPv6 `addr[/mask]` → prefix length (mask may be dotted). undefined when unparseable. */
export function prefixLength(spec: string): number | undefined {
  const s = spec.trim().replace(/^!/, '')
  const slash = s.indexOf('/')
  const addr = slash === -1 ? s : s.slice(0, slash)
  const mask = slash === -1 ? undefined : s.slice(slash + 1)
  const v6 = addr.includes(':')
  if (mask === undefined) return v6 ? 128 : 32
  if (/^\d+$/.test(mask)) return Number(mask)
  const parts = mask.split('.')
  if (parts.length !== 4) return undefined
  let bits = 0
  for (const p of parts) {
    const n = Number(p)
    if (!Number.isInteger(n) || n < 0 || n > 255) return undefined
    bits += n.toString(2).replace(/0/g, '').length
  }
  return bits
}

export function isWorldSpec(spec: string): boolean {
  return prefixLength(spec) === 0
}

const PRIVATE_OR_LOOPBACK =
  /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|::1$|\[::1\]|localhost$|fd|fc)/i

export function isLoopback(addr: string): boolean {
  const a = addr.trim().replace(/^\[|\](:\d+)?$/g, '')
  return /^(127\.|::1$|localhost$)/i.test(a)
}

/** An address that listens beyond the host's private networks (all interfaces or a public IP). */
export function isBroadBind(addr: string | undefined): boolean {
  if (addr === undefined) return true
  const a = addr
    .trim()
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
  if (a === '' || a === '0.0.0.0' || a === '::' || a === '[::]' || a === '*') return true
  return !PRIVATE_OR_LOOPBACK.test(a)
}

/** Remove `FILTER(…)`/`REGEX(…)` calls (with nested parentheses): their output is sanitised. */
export function stripSanitisers(text: string): string {
  let out = text
  for (;;) {
    const m = /(FILTER|REGEX)\(/i.exec(out)
    if (!m) return out
    let depth = 0
    let end = out.length
    for (let i = m.index + m[0].length - 1; i < out.length; i++) {
      if (out[i] === '(') depth++
      else if (out[i] === ')') {
        depth--
        if (depth === 0) {
          end = i + 1
          break
        }
      }
    }
    out = out.slice(0, m.index) + 'SANITISED' + out.slice(end)
  }
}

/** Caller-controlled data (RSB Filtering Data, §2.4 ast.dp.untrusted-in-shell). */
export const TAINTED =
  /\$\{(CALLERID\((num|name|all)\)|CALLERIDNUM|CALLERIDNAME|EXTEN[}:]|SIP_HEADER\(|PJSIP_HEADER\(read|CHANNEL\(useragent\)|SIPCALLID|RDNIS|CALLERID\(rdnis\)|CONNECTEDLINE\()/i

export function isTainted(text: string, extra: readonly string[] = []): boolean {
  const t = stripSanitisers(text)
  if (TAINTED.test(t)) return true
  return extra.some((v) => t.includes(`\${${v}}`) || t.includes(`\${${v}:`))
}

/** Variables filled from Read()/ReadExten() (their first argument), which the caller types in. */
export function readVariables(m: AsteriskModel): string[] {
  const out: string[] = []
  for (const l of m.dialplan.lines())
    if (l.appLower === 'read' || l.appLower === 'readexten') {
      const v = l.args.split(',')[0]?.trim()
      if (v) out.push(v)
    }
  return out
}
