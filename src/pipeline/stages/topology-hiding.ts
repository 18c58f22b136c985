// topology-hiding: what the outside learns about the PBX (docs/gateway.md).
//
// - The stage (replies of the PBX and requests the PBX sends toward the phones): Server and
//   User-Agent are removed, or replaced by `versionHeaderReplacement`; Organization, Warning
//   (its warn-agent names the PBX host or product) and product headers of Asterisk
//   (X-Asterisk-*) and FreeSWITCH (X-FS-*, X-FreeSWITCH-*) are removed.
// - `hideInternalAddresses`, applied by the proxy with the helpers below: a request of the PBX
//   leaves with the gateway's Via only; the PBX's Vias stay in the gateway's transaction and are
//   put back on the phone's answer (hideVias / restoreVias). The PBX's Record-Route entries (on
//   its requests, and on its answers to the phones' INVITEs) are taken out and carried, encrypted,
//   in a `sw-rr` parameter of the gateway's own Record-Route; when a phone's in-dialog request
//   comes back with that Route, the PBX's routes are put back (hideRecordRoutes,
//   hideResponseRecordRoutes, restoreRoutes). Stateless; the key lives as long as the process.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { applyEdits, type SipEdit } from '../../sip/edit.js'
import type { SipMessage } from '../../sip/message.js'
import { parseMessage } from '../../sip/parse.js'
import type { SipContext } from '../context.js'
import type { StageDeps } from '../deps.js'
import { CONTINUE, type Outcome, type Stage } from '../stage.js'

const VERSION = new Set(['server', 'user-agent'])
const REMOVE = new Set(['organization', 'warning', 'x-serialnumber'])
const REMOVE_PREFIX = ['x-asterisk', 'x-fs-', 'x-freeswitch']
/** bound on the Vias of the PBX kept per transaction */
const MAX_HIDDEN_VIAS = 16

function isVia(name: string): boolean {
  const n = name.toLowerCase()
  return n === 'via' || n === 'v'
}

const RR_KEY = randomBytes(32)
const RR_PARAM = 'sw-rr'
const MAX_HIDDEN_ROUTES_BYTES = 2048

/** Route values, encrypted and authenticated, as a URI parameter value (base64url). */
export function sealRoutes(values: readonly string[]): string {
  const iv = randomBytes(12)
  const c = createCipheriv('aes-256-gcm', RR_KEY, iv)
  const body = Buffer.concat([c.update(JSON.stringify(values), 'utf8'), c.final()])
  return Buffer.concat([iv, c.getAuthTag(), body]).toString('base64url')
}

/** The Route values sealed in `token`, or null (not ours, tampered, another process's key). */
export function openRoutes(token: string): string[] | null {
  try {
    const b = Buffer.from(token, 'base64url')
    if (b.length < 29) return null
    const d = createDecipheriv('aes-256-gcm', RR_KEY, b.subarray(0, 12))
    d.setAuthTag(b.subarray(12, 28))
    const text = Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8')
    const v: unknown = JSON.parse(text)
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && !/[\r\n\0]/.test(x))) return null
    return v as string[]
  } catch {
    return null
  }
}

/** Splits a header value at its top-level commas. */
function splitTop(v: string): string[] {
  const out: string[] = []
  for (let rest = v; ;) {
    const c = topLevelComma(rest)
    if (c < 0) {
      if (rest.trim() !== '') out.push(rest.trim())
      return out
    }
    out.push(rest.slice(0, c).trim())
    rest = rest.slice(c + 1)
  }
}

/** `<uri;params>` with `;sw-rr=token` added inside the brackets. */
function withSealed(entry: string, token: string): string {
  const gt = entry.lastIndexOf('>')
  return gt < 0
    ? `${entry};${RR_PARAM}=${token}`
    : `${entry.slice(0, gt)};${RR_PARAM}=${token}${entry.slice(gt)}`
}

/**
 * A request of the PBX toward a phone: the Record-Route lines of the PBX side are removed and
 * sealed into the gateway's own Record-Route that `edits` inserts. No change when the request
 * has no Record-Route or the gateway does not record-route it.
 */
export function hideRecordRoutes(m: SipMessage, edits: SipEdit[]): void {
  const ours = edits.findIndex(
    (e) => (e.op === 'insertBefore' || e.op === 'append') && /^Record-Route:/i.test(e.text),
  )
  if (ours < 0) return
  const values: string[] = []
  const lines: number[] = []
  for (const hl of m.headerLines()) {
    if (m.lineName(hl.index).toLowerCase() !== 'record-route') continue
    lines.push(hl.index)
    values.push(...splitTop(m.lineValue(hl.index)))
  }
  if (values.length === 0 || values.join(',').length > MAX_HIDDEN_ROUTES_BYTES) return
  const e = edits[ours]!
  if (e.op !== 'insertBefore' && e.op !== 'append') return
  // the entry facing the phone is the first one the gateway wrote
  const entries = splitTop(e.text.slice(e.text.indexOf(':') + 1))
  entries[0] = withSealed(entries[0]!, sealRoutes(values))
  edits[ours] = { ...e, text: `Record-Route: ${entries.join(', ')}` }
  for (const l of lines) edits.push({ op: 'remove', line: l })
}

/**
 * An answer of the PBX to a phone's request: the Record-Route entries above the gateway's own
 * (the PBX side) are removed and sealed into the gateway's entry, in the order the phone's Route
 * set would carry them. No change when the gateway's entry is not found.
 */
export function hideResponseRecordRoutes(
  m: SipMessage,
  edits: SipEdit[],
  isOwn: (entry: string) => boolean,
): void {
  const lines: number[] = []
  const all: string[] = []
  for (const hl of m.headerLines()) {
    if (m.lineName(hl.index).toLowerCase() !== 'record-route') continue
    lines.push(hl.index)
    all.push(...splitTop(m.lineValue(hl.index)))
  }
  const at = all.findIndex(isOwn)
  if (at <= 0) return
  const pbx = all.slice(0, at)
  if (pbx.join(',').length > MAX_HIDDEN_ROUTES_BYTES) return
  // two entries of ours when the transports differ: the sealed one is the phone's side (the last)
  let last = at
  while (last + 1 < all.length && isOwn(all[last + 1]!)) last++
  const sealed = withSealed(all[last]!, sealRoutes([...pbx].reverse()))
  const kept = [...all.slice(at, last), sealed, ...all.slice(last + 1)]
  edits.push({ op: 'replaceValue', line: lines[0]!, value: kept.join(', ') })
  for (const l of lines.slice(1)) edits.push({ op: 'remove', line: l })
}

/**
 * A phone's answer to a request of the PBX: the sealed Record-Route entry is unsealed, so the PBX
 * gets its own route set back (RFC 3261 §12.1.2).
 */
export function unsealRecordRoutes(m: SipMessage, edits: SipEdit[]): void {
  for (const hl of m.headerLines()) {
    if (m.lineName(hl.index).toLowerCase() !== 'record-route') continue
    const v = m.lineValue(hl.index)
    if (!v.includes(`;${RR_PARAM}=`)) continue
    const out: string[] = []
    const back: string[] = []
    for (const e of splitTop(v)) {
      const r = restoreRoutes(e)
      if (r === null) out.push(e)
      else {
        out.push(e.replace(new RegExp(`;${RR_PARAM}=[A-Za-z0-9_-]*`), ''))
        back.push(...r)
      }
    }
    if (back.length > 0 && !edits.some((x) => 'line' in x && x.line === hl.index && x.op !== 'insertAfter'))
      edits.push({ op: 'replaceValue', line: hl.index, value: [...out, ...back].join(', ') })
  }
}

/** The PBX routes sealed in the gateway's own Route entry, or null. */
export function restoreRoutes(ownEntry: string): string[] | null {
  const i = ownEntry.indexOf(`;${RR_PARAM}=`)
  if (i < 0) return null
  const start = i + RR_PARAM.length + 2
  let end = start
  while (end < ownEntry.length && /[A-Za-z0-9_-]/.test(ownEntry[end]!)) end++
  return openRoutes(ownEntry.slice(start, end))
}

/** Index of the first comma outside quotes and <>, or -1. */
function topLevelComma(s: string): number {
  let q = false
  let angle = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 34 && s.charCodeAt(i - 1) !== 92) q = !q
    else if (q) continue
    else if (c === 60) angle++
    else if (c === 62) angle--
    else if (c === 44 && angle === 0) return i
  }
  return -1
}

/** The edits that take the product headers out of `m` (none when there is nothing to hide). */
export function versionEdits(m: SipMessage, replacement: string | undefined): SipEdit[] {
  const edits: SipEdit[] = []
  for (const hl of m.headerLines()) {
    const n = m.lineName(hl.index).toLowerCase()
    if (VERSION.has(n)) {
      if (replacement === undefined) edits.push({ op: 'remove', line: hl.index })
      else if (m.lineValue(hl.index) !== replacement)
        edits.push({ op: 'replaceValue', line: hl.index, value: replacement })
    } else if (REMOVE.has(n) || REMOVE_PREFIX.some((p) => n.startsWith(p)))
      edits.push({ op: 'remove', line: hl.index })
  }
  return edits
}

/**
 * Hides the Vias of a request of the PBX: every Via line is removed from `edits`' output (the
 * proxy's own Via, inserted before the first one, stays). Returns the Via values as they would
 * have been relayed (with received/rport), to be put back on the answer; null when there are
 * too many to keep (the request is then relayed with them).
 */
export function hideVias(m: SipMessage, edits: SipEdit[]): string[] | null {
  const hidden: string[] = []
  const lines: number[] = []
  for (const hl of m.headerLines()) {
    if (!isVia(m.lineName(hl.index))) continue
    lines.push(hl.index)
    const edited = edits.find((e) => e.op === 'replaceValue' && e.line === hl.index)
    hidden.push(edited !== undefined && edited.op === 'replaceValue' ? edited.value : m.lineValue(hl.index))
  }
  if (lines.length === 0 || hidden.length > MAX_HIDDEN_VIAS) return null
  for (let i = edits.length - 1; i >= 0; i--) {
    const e = edits[i]!
    if ((e.op === 'replaceValue' || e.op === 'replaceLine' || e.op === 'remove') && lines.includes(e.line))
      edits.splice(i, 1)
  }
  for (const l of lines) edits.push({ op: 'remove', line: l })
  return hidden
}

/** The answer of a phone to a request of the PBX: our Via off, the PBX's Vias back. */
export function restoreVias(m: SipMessage, hidden: readonly string[]): SipEdit[] {
  for (const hl of m.headerLines()) {
    if (!isVia(m.lineName(hl.index))) continue
    const v = m.lineValue(hl.index)
    const comma = topLevelComma(v)
    if (comma >= 0)
      return [
        { op: 'replaceValue', line: hl.index, value: [...hidden, v.slice(comma + 1).trim()].join(', ') },
      ]
    return [
      { op: 'remove', line: hl.index },
      ...hidden.map((h): SipEdit => ({ op: 'insertAfter', line: hl.index, text: `Via: ${h}` })),
    ]
  }
  return []
}

export function createTopologyHidingStage(deps: StageDeps): Stage {
  const t = deps.policy.gateway.topologyHiding
  const replacement = t.versionHeaderReplacement
  const limits = {
    maxMessageBytes: deps.policy.gateway.ingress.maxMessageBytes + 4096,
    maxHeaders: deps.policy.gateway.sanity.maxHeaders,
  }

  return Object.freeze({
    name: 'topology-hiding',
    phases: Object.freeze(['request', 'reply'] as const),
    onInternalError: 'open' as const,
    run(ctx: SipContext): Outcome {
      const m = ctx.message
      if (!ctx.fromUpstream || m === null || !t.removeVersionHeaders) return CONTINUE
      const edits = versionEdits(m, replacement)
      if (edits.length === 0) return CONTINUE
      const p = parseMessage(applyEdits(m, edits), limits)
      if (p.ok) ctx.message = p.message
      return CONTINUE
    },
  })
}
