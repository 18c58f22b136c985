// Sources that recently authenticated successfully: a 2xx reply from the PBX to a request that
// carried digest credentials (fed by the methods stage in the reply phase). The methods stage
// accepts known-source-only methods (SUBSCRIBE, MESSAGE …) from them, and the acl stage lets them
// place unauthenticated INVITEs to the trunks' DIDs (a phone calling its own company's number
// sends its first INVITE without credentials).
//
// Bounded: at most `maxEntries` addresses (the oldest refresh is evicted first, Map insertion
// order), each for `ttlMs` after its last successful authentication. Only a 2xx from the PBX
// adds an entry, so an attacker cannot grow the table without valid credentials.
import { lookup } from 'node:dns/promises'
import type { Policy } from '../config/schema.js'
import { type CidrMatcher, createCidrMatcher, isCidr, normalizeIp, parseCidr } from '../net/cidr.js'

export const DEFAULT_KNOWN_SOURCE_TTL_MS = 60 * 60_000
export const DEFAULT_MAX_KNOWN_SOURCES = 100_000

export class KnownSources {
  readonly #until = new Map<string, number>()
  readonly #ttlMs: number
  readonly #max: number

  constructor(ttlMs = DEFAULT_KNOWN_SOURCE_TTL_MS, maxEntries = DEFAULT_MAX_KNOWN_SOURCES) {
    this.#ttlMs = ttlMs
    this.#max = maxEntries
  }

  get size(): number {
    return this.#until.size
  }

  /** `address` authenticated successfully at `now`. */
  add(address: string, now: number): void {
    // delete first: a refresh moves the entry to the end (evicted last)
    if (!this.#until.delete(address) && this.#until.size >= this.#max) {
      const oldest = this.#until.keys().next().value
      if (oldest !== undefined) this.#until.delete(oldest)
    }
    this.#until.set(address, now + this.#ttlMs)
  }

  has(address: string, now: number): boolean {
    const until = this.#until.get(address)
    if (until === undefined) return false
    if (until > now) return true
    this.#until.delete(address)
    return false
  }

  delete(address: string): void {
    this.#until.delete(address)
  }

  clear(): void {
    this.#until.clear()
  }
}

// ---------------------------------------------------------------------------------------------
// What the policy says about sources: trunk addresses (with their DIDs) and account networks.
// Compiled once per policy object (a reload brings a new policy, so a new index) and shared by
// the acl, methods and identity stages.

export interface TrunkRule {
  readonly name: string
  /** IPs and CIDR blocks of `addresses` */
  readonly networks: CidrMatcher
  /** addresses of the host names in `addresses`, resolved once when the index is built */
  readonly resolved: Set<string>
}

export class PolicySources {
  readonly trunks: readonly TrunkRule[]
  /** every account network and tenant default network; empty lists mean anywhere and add
   * nothing here */
  readonly accountNetworks: CidrMatcher
  /** DID digits (no '+') → the trunks that deliver it */
  readonly #didExact = new Map<string, TrunkRule[]>()
  /** DID blocks: digit prefix → trunks, longest first */
  readonly #didBlocks: { readonly prefix: string; readonly trunks: TrunkRule[] }[] = []
  /** canonical CIDR text → the first trunk that lists it */
  readonly #trunkByNet = new Map<string, TrunkRule>()
  readonly #trunkNets: CidrMatcher
  /** trunks with host names among their addresses */
  readonly #withHosts: readonly TrunkRule[]

  constructor(policy: Policy, lookupHost: (host: string) => Promise<string[]> = resolveAll) {
    const trunks: TrunkRule[] = []
    for (const t of policy.trunks) {
      const cidrs = t.addresses.filter((a) => isCidr(a))
      const rule: TrunkRule = { name: t.name, networks: createCidrMatcher(cidrs), resolved: new Set() }
      trunks.push(rule)
      for (const host of t.addresses.filter((a) => !isCidr(a))) {
        // resolved once, off the packet path; until the answer comes the host matches nothing
        lookupHost(host).then(
          (ips) => {
            for (const ip of ips) {
              const n = normalizeIp(ip)
              if (n !== null) rule.resolved.add(n)
            }
          },
          () => {},
        )
      }
      for (const d of t.dids) {
        const digits = d.number.replace(/^\+/, '')
        if (digits.endsWith('*')) {
          const prefix = digits.slice(0, -1)
          let b = this.#didBlocks.find((x) => x.prefix === prefix)
          if (b === undefined) {
            b = { prefix, trunks: [] }
            this.#didBlocks.push(b)
          }
          if (!b.trunks.includes(rule)) b.trunks.push(rule)
        } else {
          let list = this.#didExact.get(digits)
          if (list === undefined) this.#didExact.set(digits, (list = []))
          if (!list.includes(rule)) list.push(rule)
        }
      }
    }
    this.#didBlocks.sort((a, b) => b.prefix.length - a.prefix.length)
    this.trunks = trunks
    for (const [i, t] of policy.trunks.entries())
      for (const a of t.addresses) {
        const c = parseCidr(a)
        if (!c.ok) continue
        // the key is what CidrMatcher.find returns: the address for a host, else network/prefix
        const v = c.value
        const key = v.prefix === (v.family === 4 ? 32 : 128) ? v.network : v.text
        if (!this.#trunkByNet.has(key)) this.#trunkByNet.set(key, trunks[i]!)
      }
    this.#trunkNets = createCidrMatcher(this.#trunkByNet.keys())
    this.#withHosts = trunks.filter((_, i) => policy.trunks[i]!.addresses.some((a) => !isCidr(a)))
    const nets = new Set<string>()
    for (const ten of policy.tenants) {
      for (const n of ten.defaults.networks ?? []) nets.add(n)
      for (const a of ten.accounts) for (const n of a.networks ?? []) nets.add(n)
    }
    this.accountNetworks = createCidrMatcher(nets)
  }

  get hasDids(): boolean {
    return this.#didExact.size > 0 || this.#didBlocks.length > 0
  }

  /** The trunk `address` belongs to, or null. */
  trunkOf(address: string): TrunkRule | null {
    // one matcher over every trunk's networks, then the (few) resolved host names
    const hit = this.#trunkNets.find(address)
    if (hit !== undefined) return this.#trunkByNet.get(hit) ?? null
    if (this.#withHosts.length === 0) return null
    for (const t of this.#withHosts) if (inTrunk(t, address)) return t
    return null
  }

  /** The trunks that deliver the dialled number `user` (a Request-URI or To user), or null. */
  didTrunks(user: string): readonly TrunkRule[] | null {
    const digits = didDigits(user)
    if (digits === null) return null
    const exact = this.#didExact.get(digits)
    if (exact !== undefined) return exact
    for (const b of this.#didBlocks) if (digits.startsWith(b.prefix)) return b.trunks
    return null
  }
}

export function inTrunk(t: TrunkRule, address: string): boolean {
  if (t.networks.has(address)) return true
  if (t.resolved.size === 0) return false
  return t.resolved.has(address) || t.resolved.has(normalizeIp(address) ?? address)
}

/**
 * The digits of a dialled number as the DIDs are written (E.164 without '+'): `+4930123456`,
 * `004930123456` and `4930123456` all give `4930123456`; visual separators (`-.()` and space)
 * and telephone-subscriber parameters (`;npdi`) are ignored. null when it is not a number.
 */
export function didDigits(user: string): string | null {
  let s = user
  const semi = s.indexOf(';')
  if (semi >= 0) s = s.slice(0, semi)
  s = s.replace(/[-.() ]/g, '')
  if (s.startsWith('+')) s = s.slice(1)
  else if (s.startsWith('00')) s = s.slice(2)
  return /^[0-9]{1,15}$/.test(s) ? s : null
}

async function resolveAll(host: string): Promise<string[]> {
  const found = await lookup(host, { all: true })
  return found.map((a) => a.address)
}

const byPolicy = new WeakMap<Policy, PolicySources>()

/** The index of `policy`, built on first use. */
export function policySources(policy: Policy): PolicySources {
  let s = byPolicy.get(policy)
  if (s === undefined) {
    s = new PolicySources(policy)
    byPolicy.set(policy, s)
  }
  return s
}
