// The Yate configuration files the checks read.
import type { Diagnostic } from '../types.js'
import { readYateConfig, type YateConfig } from './reader.js'

const FILES = [
  'yate.conf',
  'rmanager.conf',
  'extmodule.conf',
  'ysipchan.conf',
  'regfile.conf',
  'regexroute.conf',
  'accfile.conf',
] as const
export type YateFile = (typeof FILES)[number]

export interface YateModel {
  readonly pbx: 'yate'
  readonly root: string
  readonly diags: Diagnostic[]
  readonly conf: (name: YateFile) => YateConfig
}

export function loadYate(root: string): YateModel {
  const diags: Diagnostic[] = []
  const configs = new Map<string, YateConfig>()
  for (const f of FILES) configs.set(f, readYateConfig(root, f, diags))
  return { pbx: 'yate', root, diags, conf: (name) => configs.get(name)! }
}
