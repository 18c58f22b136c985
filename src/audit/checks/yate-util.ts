// Helpers for the Yate checks.
import { excerptKv } from '../mask.js'
import type { Evidence } from '../types.js'
import type { YateModel } from '../yate/model.js'
import type { YEntry, YSection } from '../yate/reader.js'
import { yget } from '../yate/reader.js'

export function evY(e: YEntry, note?: string): Evidence {
  return { loc: e.loc, excerpt: excerptKv(e.key, e.value), note }
}

export function evSect(s: YSection, note?: string): Evidence {
  return { loc: s.loc, excerpt: `[${s.name}]`, note }
}

/** Is a module loaded? yate.conf [general] modload (default enable) and [modules] name.yate. */
export function moduleLoaded(m: YateModel, mod: string): boolean {
  const y = m.conf('yate.conf')
  const explicit = yget(y.section('modules'), `${mod}.yate`)?.value
  if (explicit !== undefined) return /^(yes|true|on|enable|1)$/i.test(explicit.trim())
  const modload = yget(y.section('general'), 'modload')?.value
  return modload === undefined || !/^(no|false|off|disable|0)$/i.test(modload.trim())
}

/** rmanager listeners: every section with a port other than 0 (default 5038). */
export function rmListeners(m: YateModel): YSection[] {
  return m.conf('rmanager.conf').sections.filter((s) => (yget(s, 'port')?.value ?? '5038').trim() !== '0')
}
