// Everything the Asterisk checks read: the parsed files, the dialplan, its graph and the entry
// points that feed it (reference §2.4 "Entry-point classification").
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { excerptKv } from '../mask.js'
import type { Diagnostic, Evidence, Loc } from '../types.js'
import { buildDialplan, type Dialplan } from './dialplan.js'
import { DialplanGraph } from './reach.js'
import { type AstCategory, type AstConfig, get, isFalse, isTrue, readAsteriskConfig } from './reader.js'

export const ENTRY_KINDS = [
  'anonymous',
  'unauth-endpoint',
  'trunk',
  'guest',
  'insecure-peer',
  'inbound-name',
  'user',
] as const
export type EntryKind = (typeof ENTRY_KINDS)[number]

export interface EntryPoint {
  readonly kind: EntryKind
  readonly untrusted: boolean
  readonly context: string
  /** where the entry is configured: the `context=` line, or the section header when defaulted */
  readonly evidence: Evidence
  readonly label: string
  /** the section that defines the entry (endpoint, peer, [general]) */
  readonly source?: AstCategory
}

/** The Asterisk files the model reads (and the host checks inventory). */
export const ASTERISK_FILES = [
  'asterisk.conf',
  'modules.conf',
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
export type AstFile = (typeof ASTERISK_FILES)[number]

/** Context names that conventionally receive calls from carriers and DIDs. */
export const INBOUND_CONTEXT_NAMES =
  /^(from-trunk|from-pstn|from-external|from-sip-external|from-provider|from-itsp|from-did|incoming|inbound|public|from-outside|from-internet|did)$/i

export interface AsteriskModel {
  readonly pbx: 'asterisk'
  readonly root: string
  readonly diags: Diagnostic[]
  readonly conf: (name: AstFile) => AstConfig
  readonly dialplan: Dialplan
  readonly graph: DialplanGraph
  readonly entries: EntryPoint[]
  readonly pjsipEndpoints: AstCategory[]
  /** identify sections by endpoint name */
  readonly identified: Map<string, AstCategory[]>
  readonly hasFile: (name: string) => boolean
}

export function loadAsterisk(root: string): AsteriskModel {
  const diags: Diagnostic[] = []
  const asteriskConf = readAsteriskConfig(root, 'asterisk.conf', diags, { allowIncludes: false })
  const execIncludes = isTrue(get(asteriskConf.sections('options')[0], 'execincludes')?.value)
  const configs = new Map<string, AstConfig>([['asterisk.conf', asteriskConf]])
  for (const f of ASTERISK_FILES) {
    if (configs.has(f)) continue
    configs.set(f, readAsteriskConfig(root, f, diags, { allowIncludes: f !== 'modules.conf', execIncludes }))
  }
  const conf = (name: AstFile) => configs.get(name)!
  const dialplan = buildDialplan(conf('extensions.conf'))
  const graph = new DialplanGraph(dialplan)
  const pjsip = conf('pjsip.conf')
  const pjsipEndpoints = pjsip.ofType('endpoint')
  const identified = new Map<string, AstCategory[]>()
  for (const idf of pjsip.ofType('identify')) {
    const ep = get(idf, 'endpoint')?.value
    if (!ep) continue
    identified.set(ep, [...(identified.get(ep) ?? []), idf])
  }
  const entries = [...pjsipEntries(pjsipEndpoints, identified), ...sipEntries(conf('sip.conf'))]
  for (const ctx of dialplan.contexts.values()) {
    if (!INBOUND_CONTEXT_NAMES.test(ctx.name) || entries.some((e) => e.untrusted && e.context === ctx.name))
      continue
    entries.push({
      kind: 'inbound-name',
      untrusted: true,
      context: ctx.name,
      label: `context [${ctx.name}] (named as an inbound/trunk context)`,
      evidence: { loc: ctx.loc, excerpt: `[${ctx.name}]`, note: 'entry: inbound context by name' },
    })
  }
  return {
    pbx: 'asterisk',
    root,
    diags,
    conf,
    dialplan,
    graph,
    entries,
    pjsipEndpoints,
    identified,
    hasFile: (name) => existsSync(join(root, name)),
  }
}

/** identify_by as configured; the default is `username,ip` (pjsip_configuration.c). */
export function identifyBy(ep: AstCategory): string[] {
  const v = get(ep, 'identify_by')?.value ?? 'username,ip'
  return v
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
}

export function contextOf(
  cat: AstCategory,
  fallback: string,
): { context: string; loc: Loc; excerpt: string } {
  const v = get(cat, 'context')
  if (v) return { context: v.value, loc: v.loc, excerpt: excerptKv(v.key, v.value) }
  return { context: fallback, loc: cat.loc, excerpt: `[${cat.name}] (context unset → "${fallback}")` }
}

function pjsipEntries(endpoints: AstCategory[], identified: Map<string, AstCategory[]>): EntryPoint[] {
  const out: EntryPoint[] = []
  for (const ep of endpoints) {
    const c = contextOf(ep, 'default')
    const hasAuth = (get(ep, 'auth')?.value ?? '') !== ''
    let kind: EntryKind
    let label: string
    if (ep.name === 'anonymous') {
      kind = 'anonymous'
      label = 'pjsip endpoint [anonymous] (calls that match no endpoint)'
    } else if (!hasAuth && identifyBy(ep).includes('username')) {
      kind = 'unauth-endpoint'
      label = `pjsip endpoint [${ep.name}] without auth, identified by username`
    } else if (identified.has(ep.name) || (!hasAuth && get(ep, 'outbound_auth'))) {
      kind = 'trunk'
      label = `pjsip trunk endpoint [${ep.name}] (calls from the carrier)`
    } else {
      kind = 'user'
      label = `pjsip endpoint [${ep.name}]`
    }
    out.push({
      kind,
      untrusted: kind !== 'user',
      context: c.context,
      label,
      source: ep,
      evidence: { loc: c.loc, excerpt: c.excerpt, note: `entry: ${label}` },
    })
  }
  return out
}

function sipEntries(sip: AstConfig): EntryPoint[] {
  const out: EntryPoint[] = []
  if (!sip.present) return out
  const general = sip.sections('general')[0]
  const guest = get(general, 'allowguest')
  if (general && !isFalse(guest?.value)) {
    const c = contextOf(general, 'default')
    out.push({
      kind: 'guest',
      untrusted: true,
      context: c.context,
      source: general,
      label: `chan_sip guest calls (allowguest ${guest ? `= ${guest.value}` : 'unset, default yes'})`,
      evidence: { loc: c.loc, excerpt: c.excerpt, note: 'entry: chan_sip guest calls' },
    })
  }
  const generalContext = get(general, 'context')?.value ?? 'default'
  for (const peer of sip.sections()) {
    if (peer.name === 'general' || peer.name === 'authentication') continue
    const c = contextOf(peer, generalContext)
    const insecure = get(peer, 'insecure')?.value ?? ''
    const host = get(peer, 'host')?.value ?? ''
    const hasSecret = !!(get(peer, 'secret')?.value || get(peer, 'md5secret')?.value)
    let kind: EntryKind
    let label: string
    if (/invite|very/i.test(insecure)) {
      kind = 'insecure-peer'
      label = `sip peer [${peer.name}] with insecure=${insecure}`
    } else if (host !== '' && host.toLowerCase() !== 'dynamic') {
      kind = 'trunk'
      label = `sip trunk peer [${peer.name}] (host=${host})`
    } else if (!hasSecret) {
      kind = 'unauth-endpoint'
      label = `sip peer [${peer.name}] without secret`
    } else {
      kind = 'user'
      label = `sip peer [${peer.name}]`
    }
    out.push({
      kind,
      untrusted: kind !== 'user',
      context: c.context,
      label,
      source: peer,
      evidence: { loc: c.loc, excerpt: c.excerpt, note: `entry: ${label}` },
    })
  }
  return out
}
