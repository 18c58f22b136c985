// What the stages get from the gateway: the policy, the store, exemptions, event publishing.
import type { Policy } from '../config/schema.js'
import type { SecurityEvent } from '../events/event.js'
import type { Store } from '../state/store.js'
import type { KnownSources } from './known-sources.js'
import type { BanOutcome } from './stage.js'
import type { FraudGate } from './stages/toll-fraud.js'

export interface StageDeps extends StageDepsExtra {
  readonly policy: Policy
  readonly store: Store
  /** admin networks and the upstream: never rate limited, never banned */
  isTrusted(address: string): boolean
  /** publishes a security event (decisions that are not the message's outcome, e.g. a lock) */
  publish(event: SecurityEvent): void
  /**
   * Applies a ban decided after the message's outcome, when a counter of an asynchronous store
   * (Redis) answers later; the same rules as a ban outcome (trusted sources are never banned).
   */
  banLater?(address: string, outcome: BanOutcome, stage: string): void
}

export interface StageDepsExtra {
  /** `host:port` of every listener (loop detection) */
  readonly ownAddresses: ReadonlySet<string>
  /** sources that recently authenticated (kept by the gateway across plan reloads; the stages
   * make their own when absent) */
  readonly knownSources?: KnownSources
  /** the toll-fraud engine as the gateway wires it (src/proxy/fraud-hooks.ts); absent: no
   * toll-fraud stage */
  readonly fraud?: FraudGate
}
