// Every ban decision of the log watcher becomes a security event (src/events): code
// `logwatch.<rule>` (e.g. `logwatch.auth-failure`), stage `logwatch`, action `ban`, published on
// the event bus, whose sinks (JSON lines, the process log, the store) the CLI attaches as the
// policy's `events` section says.
import type { EventBus } from '../events/bus.js'
import type { SecurityEvent } from '../events/event.js'
import { MAX_ACCOUNT_LENGTH } from '../events/event.js'
import type { BanDecision, BanSink } from './types.js'

export function banEvent(d: BanDecision): SecurityEvent {
  const detail: Record<string, unknown> = {
    rule: d.rule,
    count: d.count,
    kind: d.kind,
    ttlMs: d.ttlMs,
    until: new Date(d.until).toISOString(),
    nth: d.nth,
  }
  if (d.what !== undefined) detail['what'] = d.what
  const ev: { -readonly [K in keyof SecurityEvent]: SecurityEvent[K] } = {
    time: Number.isFinite(d.time) && d.time >= 0 ? d.time : Date.now(),
    address: d.ip,
    code: `logwatch.${d.rule}`,
    stage: 'logwatch',
    action: 'ban',
    severity: 'warning',
    detail,
  }
  // the account comes from the log line: attacker-controlled, kept short
  if (d.account !== undefined && d.account !== '') ev.account = d.account.slice(0, MAX_ACCOUNT_LENGTH)
  return ev
}

/** Publishes each decision as a security event (nothing is built while nobody listens). */
export class EventsBanSink implements BanSink {
  readonly #bus: EventBus
  constructor(bus: EventBus) {
    this.#bus = bus
  }
  ban(d: BanDecision): void {
    if (this.#bus.hasSubscribers) this.#bus.publish(banEvent(d))
  }
}
