// Trunk addresses given as host names (a provider's `sip.example.net`) are never banned: they are
// resolved when the watcher starts and again every few minutes, since providers move their
// signalling addresses. A failed lookup keeps the addresses of the last good one, so a DNS
// outage never turns a trunk into a ban candidate.
import { lookup as dnsLookup } from 'node:dns/promises'
import { parseIp } from './address.js'

export type Lookup = (host: string) => Promise<readonly string[]>

const systemLookup: Lookup = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address)

export interface TrunkResolverOptions {
  readonly hosts: readonly string[]
  /** receives the full set of addresses after every round */
  readonly onUpdate: (ips: ReadonlySet<string>) => void
  readonly onError?: (message: string) => void
  readonly intervalMs?: number
  readonly lookup?: Lookup
}

export class TrunkResolver {
  readonly #opts: TrunkResolverOptions
  readonly #lookup: Lookup
  /** host → its addresses at the last successful lookup */
  readonly #last = new Map<string, readonly string[]>()
  #timer: NodeJS.Timeout | null = null

  constructor(opts: TrunkResolverOptions) {
    this.#opts = opts
    this.#lookup = opts.lookup ?? systemLookup
  }

  /** Resolves every host once; then again every `intervalMs` (default 5 min) until stop(). */
  async start(): Promise<ReadonlySet<string>> {
    const ips = await this.refresh()
    if (this.#opts.hosts.length > 0) {
      this.#timer = setInterval(() => void this.refresh(), this.#opts.intervalMs ?? 5 * 60_000)
      this.#timer.unref()
    }
    return ips
  }

  async refresh(): Promise<ReadonlySet<string>> {
    await Promise.all(
      this.#opts.hosts.map(async (host) => {
        try {
          const found = (await this.#lookup(host)).map((a) => parseIp(a)).filter((a) => a !== null)
          if (found.length > 0) this.#last.set(host, found)
        } catch (err) {
          const kept = this.#last.get(host)
          this.#opts.onError?.(
            `cannot resolve trunk host ${host}: ${(err as Error).message}` +
              (kept !== undefined ? `; keeping ${kept.join(', ')}` : ''),
          )
        }
      }),
    )
    const ips = new Set([...this.#last.values()].flat())
    this.#opts.onUpdate(ips)
    return ips
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
  }
}
