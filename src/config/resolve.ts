// Effective per-account settings. The policy keeps the three levels as written
// (fraud.defaults → tenants[].defaults → tenants[].accounts[]) so that `check --effective`
// shows what the operator wrote; consumers compile the merged result once, at start or
// reload (style-by-example habit 1), with these functions.
//
// Merge rule: objects merge key by key (recursively), lists and scalars replace, an unset
// key inherits.

import type { Account, CallingRights, Limits, Policy, Schedule, Tenant } from './schema.js'

export interface EffectiveAccount {
  readonly tenant: string
  readonly account: string
  /** permitted source networks; empty means anywhere */
  readonly networks: readonly string[]
  readonly callingRights: CallingRights
  readonly limits: Limits
  readonly schedule: Schedule | undefined
  readonly timezone: string
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** Deep merge of `over` onto `base`: objects merge, everything else replaces, undefined inherits. */
export function mergeOverrides<T>(base: T, ...overs: readonly (unknown | undefined)[]): T {
  let out: unknown = base
  for (const over of overs) out = mergeTwo(out, over)
  return out as T
}

function mergeTwo(base: unknown, over: unknown): unknown {
  if (over === undefined) return base
  if (!isPlainObject(base) || !isPlainObject(over)) return over
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(over)) if (v !== undefined) out[k] = mergeTwo(base[k], v)
  return out
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v)
    for (const child of Object.values(v)) deepFreeze(child)
  }
  return v
}

/** Merged settings of one account of one tenant. */
export function effectiveAccount(policy: Policy, tenant: Tenant, account: Account): EffectiveAccount {
  return deepFreeze({
    tenant: tenant.name,
    account: account.name,
    networks: account.networks ?? tenant.defaults.networks ?? [],
    callingRights: mergeOverrides<CallingRights>(
      policy.fraud.defaults.callingRights,
      tenant.defaults.callingRights,
      account.callingRights,
    ),
    limits: mergeOverrides<Limits>(policy.fraud.defaults.limits, tenant.defaults.limits, account.limits),
    schedule: account.schedule ?? tenant.defaults.schedule ?? policy.fraud.defaults.schedule,
    timezone: tenant.timezone ?? policy.site.timezone,
  })
}

/** Every account of every tenant, merged. */
export function effectiveAccounts(policy: Policy): EffectiveAccount[] {
  return policy.tenants.flatMap((t) => t.accounts.map((a) => effectiveAccount(policy, t, a)))
}
