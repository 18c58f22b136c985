// Policy → frozen plan: per-phase stage arrays built once at start; an empty phase is null so
// the runner skips it. Reload = build a new plan and swap one reference.

import { SgwError } from '../errors.js'
import type { StageDeps } from './deps.js'
import { KnownSources } from './known-sources.js'
import type { Phase, Stage } from './stage.js'
import { createAclStage } from './stages/acl.js'
import { createAntiEnumerationStage } from './stages/anti-enumeration.js'
import { createAuthGuardStage } from './stages/auth-guard.js'
import { createFloodStage } from './stages/flood.js'
import { createIdentityStage } from './stages/identity.js'
import { createIngressStage } from './stages/ingress.js'
import { createMethodsStage } from './stages/methods.js'
import { createSanityStage } from './stages/sanity.js'
import { createScannerStage, type ScannerOptions } from './stages/scanner.js'
import { createTollFraudStage } from './stages/toll-fraud.js'
import { createTopologyHidingStage } from './stages/topology-hiding.js'

export interface Plan {
  readonly ingress: readonly Stage[] | null
  readonly request: readonly Stage[] | null
  readonly reply: readonly Stage[] | null
  /** every stage, in pipeline order */
  readonly stages: readonly Stage[]
}

/** Pipeline order (ARCHITECTURE.md). Stages not built yet are simply absent. */
export interface BuildOptions {
  readonly scanner?: ScannerOptions
}

export function buildStages(deps: StageDeps, opts: BuildOptions = {}): Stage[] {
  const g = deps.policy.gateway
  const out: Stage[] = [createIngressStage(deps)]
  if (g.sanity.enabled) out.push(createSanityStage(deps))
  else out.push(createSanityStage(deps, { minimal: true }))
  if (g.scanner.enabled) out.push(createScannerStage(deps, opts.scanner))
  if (g.flood.enabled) out.push(createFloodStage(deps))
  // one table of authenticated sources for acl and methods (the gateway's, kept across reloads)
  const known = deps.knownSources ?? new KnownSources()
  out.push(createAclStage(deps, known), createMethodsStage(deps, known))
  if (g.identity.requireFromUserMatchesAuthUser || g.identity.validateCallerId)
    out.push(createIdentityStage(deps))
  if (g.authGuard.enabled) out.push(createAuthGuardStage(deps))
  if (g.antiEnumeration.enabled) out.push(createAntiEnumerationStage(deps))
  if (deps.fraud !== undefined && deps.policy.fraud.enabled) out.push(createTollFraudStage(deps, deps.fraud))
  if (g.topologyHiding.enabled) out.push(createTopologyHidingStage(deps))
  return out
}

export function compilePlan(stages: readonly Stage[]): Plan {
  const by: Record<Phase, Stage[]> = { ingress: [], request: [], reply: [] }
  const seen = new Set<string>()
  for (const s of stages) {
    if (seen.has(s.name)) throw new SgwError('SGW_ERR_GATEWAY_PLAN', `stage ${s.name} is listed twice`)
    seen.add(s.name)
    if (s.phases.length === 0) throw new SgwError('SGW_ERR_GATEWAY_PLAN', `stage ${s.name} declares no phase`)
    for (const p of s.phases) by[p].push(s)
  }
  const freeze = (a: Stage[]): readonly Stage[] | null => (a.length > 0 ? Object.freeze(a) : null)
  return Object.freeze({
    ingress: freeze(by.ingress),
    request: freeze(by.request),
    reply: freeze(by.reply),
    stages: Object.freeze([...stages]),
  })
}
