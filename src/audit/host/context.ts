// Facts about the live host that the host checks (`sipwarden audit --host`) judge: modes and owners
// of the configuration files, the PBX's processes (/proc), the listening sockets (`ss`) and the
// management ports the configuration declares. Every source can be replaced for tests.
import { statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { AsteriskModel } from '../asterisk/model.js'
import { get } from '../asterisk/reader.js'
import { evCat, evVar } from '../checks/util.js'
import { evSect, evY, moduleLoaded, rmListeners } from '../checks/yate-util.js'
import type { FreeswitchModel } from '../freeswitch/model.js'
import { evParam } from '../freeswitch/model.js'
import type { Evidence, Pbx } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { yget } from '../yate/reader.js'
import { type Accounts, readAccounts } from './accounts.js'
import { findProcesses, type ProcFact } from './proc.js'
import { asteriskInventory, type ConfigInventory, freeswitchInventory, yateInventory } from './secrets.js'
import { type ListenerScan, parseSs, scanListeners } from './ss.js'

export interface HostOptions {
  /** default `/proc` */
  readonly procRoot?: string
  /** default `/etc/passwd` and `/etc/group` */
  readonly passwdFile?: string
  readonly groupFile?: string
  /** the `ss` command (default `ss`), or its captured output */
  readonly ss?: string | { readonly output: string }
}

export interface FileFact {
  /** path relative to the audited root ("." for the root directory itself) */
  readonly display: string
  readonly abs: string
  readonly isDir: boolean
  readonly mode: number
  readonly uid: number
  readonly gid: number
  /** every directory above the file lets other users through (o+x), so o+r on the file is effective */
  readonly reachableByOthers: boolean
}

export interface RuntimeUser {
  readonly uid: number
  readonly name: string
  /** how it was determined, e.g. "running process 812" or "asterisk.conf runuser" */
  readonly source: string
}

export interface MgmtPort {
  readonly port: number
  readonly label: string
  /** the configuration line that sets the port or its bind address */
  readonly evidence?: Evidence
}

export interface HostContext {
  readonly pbx: Pbx
  readonly root: string
  readonly files: FileFact[]
  readonly inventory: ConfigInventory
  readonly processes: ProcFact[]
  readonly listeners: ListenerScan
  readonly runtime?: RuntimeUser
  readonly mgmtPorts: MgmtPort[]
  readonly accounts: Accounts
}

export const PROCESS_NAMES: Record<Pbx, readonly string[]> = {
  asterisk: ['asterisk'],
  freeswitch: ['freeswitch'],
  yate: ['yate'],
}

function statFact(abs: string, display: string, traverse: Map<string, boolean>): FileFact | undefined {
  try {
    const st = statSync(abs)
    return {
      display,
      abs,
      isDir: st.isDirectory(),
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      reachableByOthers: othersCanTraverse(dirname(abs), traverse),
    }
  } catch {
    return undefined
  }
}

/** Every directory from `dir` up to / has o+x (memoised per run: tests chmod between runs). */
function othersCanTraverse(dir: string, cache: Map<string, boolean>): boolean {
  const cached = cache.get(dir)
  if (cached !== undefined) return cached
  let ok: boolean
  try {
    ok = (statSync(dir).mode & 0o001) !== 0
  } catch {
    ok = false
  }
  const parent = dirname(dir)
  if (ok && parent !== dir) ok = othersCanTraverse(parent, cache)
  cache.set(dir, ok)
  return ok
}

function portOf(addr: string | undefined): number | undefined {
  const m = /:(\d+)$/.exec(addr?.trim() ?? '')
  return m ? Number(m[1]) : undefined
}

function asteriskPorts(m: AsteriskModel): MgmtPort[] {
  const out: MgmtPort[] = []
  const mg = m.conf('manager.conf').sections('general')[0]
  const port = get(mg, 'port')
  const bind = get(mg, 'bindaddr')
  out.push({
    port: Number(port?.value) || 5038,
    label: 'AMI (manager.conf)',
    evidence: port ? evVar(port) : bind ? evVar(bind) : mg ? evCat(mg) : undefined,
  })
  const mtls = get(mg, 'tlsbindaddr')
  out.push({
    port: portOf(mtls?.value) ?? 5039,
    label: 'AMI over TLS (manager.conf)',
    evidence: mtls ? evVar(mtls) : undefined,
  })
  const hg = m.conf('http.conf').sections('general')[0]
  const hport = get(hg, 'bindport')
  const hbind = get(hg, 'bindaddr')
  out.push({
    port: Number(hport?.value) || 8088,
    label: 'HTTP server: ARI, AMI over HTTP (http.conf)',
    evidence: hport ? evVar(hport) : hbind ? evVar(hbind) : hg ? evCat(hg) : undefined,
  })
  const htls = get(hg, 'tlsbindaddr')
  out.push({
    port: portOf(htls?.value) ?? 8089,
    label: 'HTTPS server: ARI, AMI over HTTP (http.conf)',
    evidence: htls ? evVar(htls) : undefined,
  })
  return out
}

function freeswitchPorts(m: FreeswitchModel): MgmtPort[] {
  const out: MgmtPort[] = []
  const esl = m.settings('event_socket.conf')
  const p = esl.get('listen-port')
  const ip = esl.get('listen-ip')
  out.push({
    port: Number(p?.value) || 8021,
    label: 'event socket, ESL (event_socket.conf.xml)',
    evidence: p ? evParam(p)[0] : ip ? evParam(ip)[0] : undefined,
  })
  if (m.configuration('xml_rpc.conf') && (!m.modules || m.modules.has('mod_xml_rpc'))) {
    const hp = m.settings('xml_rpc.conf').get('http-port')
    out.push({
      port: Number(hp?.value) || 8080,
      label: 'mod_xml_rpc HTTP API (xml_rpc.conf.xml)',
      evidence: hp ? evParam(hp)[0] : undefined,
    })
  }
  return out
}

function yatePorts(m: YateModel): MgmtPort[] {
  const out: MgmtPort[] = []
  const rm = rmListeners(m)
  if (rm.length === 0) out.push({ port: 5038, label: 'rmanager (rmanager.conf)' })
  for (const s of rm) {
    const p = yget(s, 'port')
    out.push({
      port: Number(p?.value) || 5038,
      label: `rmanager [${s.name}] (rmanager.conf)`,
      evidence: p ? evY(p) : evSect(s),
    })
  }
  if (moduleLoaded(m, 'extmodule'))
    for (const s of m.conf('extmodule.conf').sections) {
      if (!s.name.startsWith('listener') || (yget(s, 'type')?.value ?? '').toLowerCase() !== 'tcp') continue
      const p = yget(s, 'port')
      if (p && Number(p.value) > 0)
        out.push({ port: Number(p.value), label: `extmodule [${s.name}] (extmodule.conf)`, evidence: evY(p) })
    }
  return out
}

const CONVENTIONAL_USER: Record<Pbx, string> = {
  asterisk: 'asterisk',
  freeswitch: 'freeswitch',
  yate: 'yate',
}

function runtimeUser(
  pbx: Pbx,
  model: AsteriskModel | FreeswitchModel | YateModel,
  procs: ProcFact[],
  acc: Accounts,
): RuntimeUser | undefined {
  const p = procs[0]
  if (p)
    return {
      uid: p.effectiveUid,
      name: acc.userByUid.get(p.effectiveUid) ?? String(p.effectiveUid),
      source: `running process ${p.pid}`,
    }
  if (pbx === 'asterisk') {
    const opts = (model as AsteriskModel).conf('asterisk.conf').sections('options')[0]
    const ru = get(opts, 'runuser')?.value
    if (ru) {
      const uid = acc.uidByUser.get(ru)
      if (uid !== undefined) return { uid, name: ru, source: 'asterisk.conf runuser' }
    }
  }
  const conv = CONVENTIONAL_USER[pbx]
  const uid = acc.uidByUser.get(conv)
  return uid === undefined
    ? undefined
    : { uid, name: conv, source: `the "${conv}" account (PBX not running)` }
}

export function hostContext(
  pbx: Pbx,
  model: AsteriskModel | FreeswitchModel | YateModel,
  opts: HostOptions = {},
): HostContext {
  const root = resolve(model.root)
  const inventory =
    pbx === 'asterisk'
      ? asteriskInventory(model as AsteriskModel)
      : pbx === 'freeswitch'
        ? freeswitchInventory(model as FreeswitchModel)
        : yateInventory(model as YateModel)
  const files: FileFact[] = []
  const dirs = new Set<string>(['.'])
  const traverse = new Map<string, boolean>()
  for (const f of inventory.files) {
    const abs = f.startsWith('/') ? f : join(root, f)
    const fact = statFact(abs, f, traverse)
    if (fact) files.push(fact)
    if (!f.startsWith('/')) for (let d = dirname(f); d !== '.' && d !== '/'; d = dirname(d)) dirs.add(d)
  }
  for (const d of [...dirs].sort()) {
    const fact = statFact(d === '.' ? root : join(root, d), d, traverse)
    if (fact) files.push(fact)
  }
  const accounts = readAccounts(opts.passwdFile, opts.groupFile)
  const processes = findProcesses(PROCESS_NAMES[pbx], opts.procRoot)
  const listeners: ListenerScan =
    typeof opts.ss === 'object'
      ? { ok: true, command: 'ss -Hltnup', listeners: parseSs(opts.ss.output) }
      : scanListeners(opts.ss)
  const mgmtPorts =
    pbx === 'asterisk'
      ? asteriskPorts(model as AsteriskModel)
      : pbx === 'freeswitch'
        ? freeswitchPorts(model as FreeswitchModel)
        : yatePorts(model as YateModel)
  return {
    pbx,
    root,
    files,
    inventory,
    processes,
    listeners,
    runtime: runtimeUser(pbx, model, processes, accounts),
    mgmtPorts,
    accounts,
  }
}

/** Check id prefix per PBX. */
export const PREFIX: Record<Pbx, string> = { asterisk: 'ast', freeswitch: 'fs', yate: 'yate' }

export function modeString(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`
}
