// Which configuration files hold secrets, with the first secret line of each (masked) as evidence,
// and every file the PBX reads. Host checks use these to judge file modes and ownership.
import { readdirSync } from 'node:fs'
import { ASTERISK_FILES, type AsteriskModel } from '../asterisk/model.js'
import { type AstConfig, readAsteriskConfig } from '../asterisk/reader.js'
import { evVar } from '../checks/util.js'
import { evY } from '../checks/yate-util.js'
import { clip } from '../excerpt.js'
import type { FreeswitchModel } from '../freeswitch/model.js'
import { descendants } from '../freeswitch/xml.js'
import { isSecretKey, maskSecret, scrubInlineCredentials } from '../mask.js'
import type { Diagnostic, Evidence } from '../types.js'
import type { YateModel } from '../yate/model.js'

export interface ConfigInventory {
  /** every configuration file read, relative to the root */
  readonly files: string[]
  /** file → its first secret, masked */
  readonly secrets: Map<string, Evidence>
  /** files the PBX itself rewrites at runtime (exempt from the ownership check) */
  readonly writtenByPbx: Map<string, string>
}

function addSecret(secrets: Map<string, Evidence>, e: Evidence): void {
  const existing = secrets.get(e.loc.file)
  if (!existing || e.loc.line < existing.loc.line) secrets.set(e.loc.file, e)
}

/** Asterisk: the model's files plus every other top-level *.conf (res_odbc.conf, iax.conf, …). */
export function asteriskInventory(m: AsteriskModel, extra = true): ConfigInventory {
  const configs: AstConfig[] = []
  for (const n of ASTERISK_FILES) configs.push(m.conf(n))
  if (extra) {
    let listing: string[] = []
    try {
      listing = readdirSync(m.root)
    } catch {
      listing = []
    }
    const ignored: Diagnostic[] = []
    for (const n of listing.sort())
      if (n.endsWith('.conf') && !(ASTERISK_FILES as readonly string[]).includes(n))
        configs.push(readAsteriskConfig(m.root, n, ignored))
  }
  const files = new Set<string>()
  const secrets = new Map<string, Evidence>()
  for (const cfg of configs) {
    for (const f of cfg.files) files.add(f)
    for (const cat of cfg.categories)
      for (const v of cat.vars) {
        if (v.inheritedFrom || v.value === '') continue
        if (isSecretKey(v.key) || scrubInlineCredentials(v.value) !== v.value) addSecret(secrets, evVar(v))
        else if (cfg.name === 'voicemail.conf' && cat.name !== 'general' && cat.name !== 'zonemessages')
          addSecret(secrets, { loc: v.loc, excerpt: `${v.key} => <PIN masked>,…` })
      }
  }
  const writtenByPbx = new Map<string, string>()
  const vmGeneral = m.conf('voicemail.conf').sections('general')[0]
  const location = vmGeneral?.vars.filter((v) => v.key.toLowerCase() === 'passwordlocation').pop()?.value
  if (m.conf('voicemail.conf').present && location?.toLowerCase() !== 'spooldir')
    writtenByPbx.set('voicemail.conf', 'app_voicemail writes PIN changes into it (passwordlocation)')
  return { files: [...files], secrets, writtenByPbx }
}

export function freeswitchInventory(m: FreeswitchModel): ConfigInventory {
  const secrets = new Map<string, Evidence>()
  for (const el of descendants(m.doc)) {
    const name = el.attrs.get('name')
    const value = el.attrs.get('value')
    // a value that is only a $${var} reference is held by the file that sets the variable
    if (el.expansions.some((x) => x.value === value)) continue
    if (name !== undefined && value && isSecretKey(name))
      addSecret(secrets, {
        loc: el.loc,
        excerpt: clip(`<${el.name} name="${name}" value="${maskSecret(value)}"/>`),
      })
  }
  for (const d of m.directives) {
    if (d.cmd !== 'set') continue
    const eq = d.data.indexOf('=')
    const k = eq === -1 ? d.data : d.data.slice(0, eq)
    const v = eq === -1 ? '' : d.data.slice(eq + 1)
    if (v !== '' && isSecretKey(k))
      addSecret(secrets, {
        loc: d.loc,
        excerpt: `<X-PRE-PROCESS cmd="set" data="${k}=${maskSecret(v)}"/>`,
      })
  }
  return { files: [...new Set(m.files)], secrets, writtenByPbx: new Map() }
}

export function yateInventory(m: YateModel): ConfigInventory {
  const names = [
    'yate.conf',
    'rmanager.conf',
    'extmodule.conf',
    'ysipchan.conf',
    'regfile.conf',
    'regexroute.conf',
    'accfile.conf',
  ] as const
  const files = new Set<string>()
  const secrets = new Map<string, Evidence>()
  for (const n of names) {
    const cfg = m.conf(n)
    for (const f of cfg.files) files.add(f)
    for (const s of cfg.sections)
      for (const e of s.entries)
        if (e.value !== '' && (isSecretKey(e.key) || scrubInlineCredentials(e.value) !== e.value))
          addSecret(secrets, evY(e))
  }
  return { files: [...files], secrets, writtenByPbx: new Map() }
}
