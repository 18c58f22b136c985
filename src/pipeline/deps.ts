// What the stages get from the gateway: the policy, the store, exemptions, event publishing.
import type { Policy } from '../config/schema.js'
import type { SecurityEvent } from '../events/event.js'
import type { Store } from '../state/store.js'
import type { KnownSources } from './known-sources.js'

export interface StageDeps extends StageDepsExtra {
  readonly policy: Policy
  readonly store: Store
  /** admin networks and the upstream: never rate limited, never banned */
  isTrusted(address: string): boolean
  /** publishes a security event (decisions that are not the message's outcome, e.g. a lock) */
  publish(event: SecurityEvent): void
}

export interface StageDepsExtra {
  /** `host:port` of every listener (loop detection) */
  readonly ownAddresses: ReadonlySet<string>
  /** sources that recently authenticated (kept by the gateway across plan reloads; the stages
   * make their own when absent) */
  readonly knownSources?: KnownSources
}
