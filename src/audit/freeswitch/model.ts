// The FreeSWITCH configuration as the checks see it: the preprocessed document (rooted at
// freeswitch.xml, or a synthetic vanilla-shaped root when it is missing) and typed views over
// sofia profiles, ESL, ACL lists, directory users and dialplan contexts.
import { join } from 'node:path'
import { clip } from '../excerpt.js'
import { isFile } from '../fsutil.js'
import { isSecretKey, maskSecret } from '../mask.js'
import type { Diagnostic, Evidence, Loc } from '../types.js'
import { type Directive, type Expansion, type FsVar, preprocess } from './preprocess.js'
import { FsGraph } from './reach.js'
import { ancestor, child, descendants, parseXml, type XmlElement } from './xml.js'

export interface FsParam {
  readonly name: string
  readonly value: string
  readonly loc: Loc
  readonly expansions: readonly Expansion[]
}

export interface FsProfile {
  readonly name: string
  readonly loc: Loc
  readonly params: Map<string, FsParam>
  readonly el: XmlElement
}

export interface FsUser {
  readonly id: string
  readonly loc: Loc
  readonly el: XmlElement
  readonly domain?: string
  readonly hasParams: boolean
  readonly params: Map<string, FsParam>
  readonly variables: Map<string, FsParam>
  /** params inherited from the domain and group (e.g. allow-empty-password, dial-string) */
  readonly inherited: Map<string, FsParam>
}

export interface FsAclList {
  readonly name: string
  readonly loc: Loc
  readonly defaultPolicy?: string
  readonly nodes: XmlElement[]
}

export interface FreeswitchModel {
  readonly pbx: 'freeswitch'
  readonly root: string
  readonly diags: Diagnostic[]
  readonly doc: XmlElement
  readonly vars: Map<string, FsVar>
  readonly directives: Directive[]
  /** every file the preprocessor read, relative to the root */
  readonly files: string[]
  readonly synthetic: boolean
  configuration(name: string): XmlElement | undefined
  settings(name: string): Map<string, FsParam>
  readonly profiles: FsProfile[]
  readonly users: FsUser[]
  readonly contexts: Map<string, XmlElement>
  readonly acls: Map<string, FsAclList>
  /** modules loaded by modules.conf.xml (undefined when the file is absent) */
  readonly modules?: Set<string>
  readonly graph: FsGraph
}

const SYNTHETIC_ROOT = `<?xml version="1.0"?>
<document type="freeswitch/xml">
<X-PRE-PROCESS cmd="include" data="vars.xml"/>
<section name="configuration" description="Various Configuration">
<X-PRE-PROCESS cmd="include" data="autoload_configs/*.xml"/>
</section>
<section name="dialplan" description="Regex/XML Dialplan">
<X-PRE-PROCESS cmd="include" data="dialplan/*.xml"/>
</section>
<section name="directory" description="User Directory">
<X-PRE-PROCESS cmd="include" data="directory/*.xml"/>
</section>
</document>`

export function paramsOf(el: XmlElement | undefined, tag = 'param'): Map<string, FsParam> {
  const out = new Map<string, FsParam>()
  if (!el) return out
  for (const p of el.children) {
    if (p.name !== tag) continue
    const name = p.attrs.get('name')
    if (name === undefined) continue
    out.set(name.toLowerCase(), {
      name,
      value: p.attrs.get('value') ?? '',
      loc: p.loc,
      expansions: p.expansions,
    })
  }
  return out
}

/** Plain masked excerpt for a param (secret names masked). */
export function paramExcerpt(p: FsParam): string {
  const v = isSecretKey(p.name) ? maskSecret(p.value) : p.value
  return clip(`<param name="${p.name}" value="${v}"/>`)
}

/** Evidence for a param: its line, plus where each `$${var}` in it was set. */
export function evParam(p: FsParam, note?: string): Evidence[] {
  const ev: Evidence[] = [{ loc: p.loc, excerpt: paramExcerpt(p), note }]
  for (const x of p.expansions)
    if (x.setAt)
      ev.push({ loc: x.setAt, excerpt: `$\${${x.name}} set here`, note: `value of $\${${x.name}}` })
  return ev
}

export function loadFreeswitch(root: string): FreeswitchModel {
  const diags: Diagnostic[] = []
  const synthetic = !isFile(join(root, 'freeswitch.xml'))
  const pre = synthetic
    ? preprocess(root, 'freeswitch.xml', diags, SYNTHETIC_ROOT)
    : preprocess(root, 'freeswitch.xml', diags)
  const doc = parseXml(pre.lines, diags)
  const section = (name: string) => [...descendants(doc, 'section')].find((s) => s.attrs.get('name') === name)
  const configs = new Map<string, XmlElement>()
  for (const c of descendants(doc, 'configuration')) {
    const n = c.attrs.get('name')
    if (n && !configs.has(n)) configs.set(n, c)
  }
  const configuration = (name: string) => configs.get(name)
  const settings = (name: string) => paramsOf(child(configuration(name), 'settings'))
  const profiles: FsProfile[] = []
  for (const p of descendants(configuration('sofia.conf') ?? doc, 'profile')) {
    if (!configuration('sofia.conf')) break
    profiles.push({
      name: p.attrs.get('name') ?? '?',
      loc: p.loc,
      params: paramsOf(child(p, 'settings')),
      el: p,
    })
  }
  const users: FsUser[] = []
  const dirSection = section('directory')
  if (dirSection)
    for (const u of descendants(dirSection, 'user')) {
      const id = u.attrs.get('id')
      if (id === undefined) continue
      const domainEl = ancestor(u, 'domain')
      const groupEl = ancestor(u, 'group')
      const inherited = new Map([
        ...paramsOf(child(domainEl, 'params')),
        ...paramsOf(child(groupEl, 'params')),
      ])
      const paramsEl = child(u, 'params')
      users.push({
        id,
        loc: u.loc,
        el: u,
        domain: domainEl?.attrs.get('name'),
        hasParams: paramsEl?.children.some((c) => c.name === 'param') === true,
        params: paramsOf(paramsEl),
        variables: paramsOf(child(u, 'variables'), 'variable'),
        inherited,
      })
    }
  const contexts = new Map<string, XmlElement>()
  const dpSection = section('dialplan')
  if (dpSection)
    for (const c of descendants(dpSection, 'context')) {
      const n = c.attrs.get('name')
      if (n && !contexts.has(n)) contexts.set(n, c)
    }
  const acls = new Map<string, FsAclList>()
  for (const l of descendants(
    configuration('acl.conf') ?? {
      name: '',
      attrs: new Map(),
      children: [],
      loc: { file: '', line: 0 },
      expansions: [],
    },
    'list',
  )) {
    const n = l.attrs.get('name')
    if (n)
      acls.set(n, {
        name: n,
        loc: l.loc,
        defaultPolicy: l.attrs.get('default'),
        nodes: l.children.filter((c) => c.name === 'node'),
      })
  }
  let modules: Set<string> | undefined
  const modConf = configuration('modules.conf')
  if (modConf) {
    modules = new Set()
    for (const l of descendants(modConf, 'load')) {
      const mod = l.attrs.get('module')
      if (mod) modules.add(mod)
    }
  }
  return {
    pbx: 'freeswitch',
    root,
    diags,
    doc,
    vars: pre.vars,
    directives: pre.directives,
    files: pre.files,
    synthetic,
    configuration,
    settings,
    profiles,
    users,
    contexts,
    acls,
    modules,
    graph: new FsGraph(contexts),
  }
}
