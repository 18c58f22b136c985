// Replays CDR history in time order through the fraud engine and the learned patterns, with a
// simulated clock: checkNewCall at each call's start, answered at its answer, ended at its end,
// learning from each call as it ends. CDR files are written when calls end, not when they
// start, so rows are held in a time-ordered queue until no earlier start can still arrive
// (a reorder window; memory is bounded by the calls within it).
import type { Policy } from '../config/schema.js'
import type { Classifier, NumberInfo } from '../fraud/classify.js'
import type { CallAttempt, FraudDecision, FraudFinding } from '../fraud/engine.js'
import type { LearnedPatterns } from '../fraud/patterns.js'
import type { Cdr } from './types.js'

/** The engine calls a replay needs (FraudEngine). */
export interface ReplayEngine {
  checkNewCall(call: CallAttempt): FraudDecision
  answered(id: string, time: number): void
  ended(id: string, time: number): void
  tick(now: number): Array<{ id: string; finding: FraudFinding }>
}

export interface ReplayFinding extends FraudFinding {
  readonly time: number
  readonly callId: string
  readonly account: string
  readonly tenant: string | null
  readonly dialled: string
  /** destination class and country of the dialled number */
  readonly cls: string
  readonly country: string | null
}

export interface ReplayOptions {
  readonly policy: Policy
  readonly classifier: Classifier
  /** the engine; it is given `patterns` itself (FraudEngine({ patterns })) */
  readonly engine?: ReplayEngine | null
  /** learned patterns: learn from every ended call; checked by the engine, or here without one */
  readonly patterns?: LearnedPatterns | null
  readonly onFinding: (f: ReplayFinding) => void
  /** how far back a row's start may lie behind the latest end already read; default 6 h */
  readonly reorderWindowMs?: number
  /** simulated time between engine ticks (max call duration, live spend); default 60 s */
  readonly tickMs?: number
}

export interface ReplayStats {
  rows: number
  calls: number
  /** rows without an account (inbound from trunks, unknown) */
  noAccount: number
  /** rows that arrived after later calls had already been replayed */
  late: number
  /** calls the engine refused: not learned */
  notLearned: number
  findings: number
  readonly byRule: Record<string, number>
  readonly byCode: Record<string, number>
  /** calls per destination class */
  readonly byClass: Record<string, number>
}

const START = 2
const ANSWER = 1
const END = 0

interface Ev {
  time: number
  kind: number
  seq: number
  cdr: Cdr
  id: string
  call: Active | null
}

interface Active {
  readonly tenant: string | null
  readonly number: NumberInfo
  /** the engine let it through: only such calls are learned (a refused call would not have
   * happened behind the gateway, and an attack must not become the norm) */
  readonly allowed: boolean
}

export class CdrReplay {
  readonly stats: ReplayStats = {
    rows: 0,
    calls: 0,
    noAccount: 0,
    late: 0,
    notLearned: 0,
    findings: 0,
    byRule: {},
    byCode: {},
    byClass: {},
  }
  readonly #o: ReplayOptions
  readonly #heap: Ev[] = []
  readonly #tenantOf = new Map<string, string | null>()
  readonly #trunks: ReadonlySet<string>
  readonly #active = new Map<string, { cdr: Cdr; call: Active }>()
  readonly #window: number
  readonly #tickMs: number
  #seq = 0
  #maxEnd = Number.NEGATIVE_INFINITY
  #clock = Number.NEGATIVE_INFINITY
  #lastTick = Number.NEGATIVE_INFINITY

  constructor(opts: ReplayOptions) {
    this.#o = opts
    this.#window = opts.reorderWindowMs ?? 6 * 3_600_000
    this.#tickMs = opts.tickMs ?? 60_000
    for (const t of opts.policy.tenants)
      for (const a of t.accounts)
        for (const name of a.extension !== undefined ? [a.name, a.extension] : [a.name]) {
          // a name in two tenants is ambiguous: no tenant
          this.#tenantOf.set(name, this.#tenantOf.has(name) ? null : t.name)
        }
    this.#trunks = new Set(opts.policy.trunks.map((t) => t.name))
  }

  /** the simulated time: the latest event replayed */
  get clock(): number {
    return this.#clock
  }

  /** Queues a row and replays what can no longer be preceded by a row still to come. */
  push(cdr: Cdr): void {
    this.stats.rows++
    if (cdr.account === null) {
      this.stats.noAccount++
      return
    }
    if (cdr.start < this.#clock) this.stats.late++
    this.#add({ time: cdr.start, kind: START, seq: ++this.#seq, cdr, id: cdr.id, call: null })
    if (cdr.end > this.#maxEnd) this.#maxEnd = cdr.end
    this.#run(this.#maxEnd - this.#window)
  }

  /** Replays everything still queued. */
  finish(): void {
    this.#run(Number.POSITIVE_INFINITY)
  }

  #run(until: number): void {
    const heap = this.#heap
    while (heap.length > 0 && heap[0]!.time <= until) {
      const ev = this.#pop()
      if (ev.time > this.#clock) this.#clock = ev.time
      const engine = this.#o.engine
      if (engine && this.#clock - this.#lastTick >= this.#tickMs) {
        this.#lastTick = this.#clock
        for (const t of engine.tick(this.#clock)) {
          const a = this.#active.get(t.id)
          if (a !== undefined) this.#report(t.finding, this.#clock, t.id, a.cdr, a.call)
          // an alert-only finding lets the call go on (the engine reports it once per call)
          if (t.finding.action !== 'alert') engine.ended(t.id, this.#clock)
        }
      }
      if (ev.kind === START) this.#start(ev)
      else if (ev.kind === ANSWER) engine?.answered(ev.id, ev.time)
      else this.#end(ev)
    }
  }

  #start(ev: Ev): void {
    const cdr = ev.cdr
    const account = cdr.account!
    const tenant = cdr.tenant ?? this.#tenantOf.get(account) ?? null
    let id = cdr.id
    if (this.#active.has(id)) id = `${id}#${ev.seq}`
    const call: CallAttempt = {
      id,
      account,
      tenant,
      dialled: cdr.dialled,
      source: cdr.sourceAddress,
      trunk: this.#trunks.has(account) ? account : null,
      time: cdr.start,
    }
    const engine = this.#o.engine
    let findings: readonly FraudFinding[]
    let allowed = true
    let number: NumberInfo
    if (engine) {
      // the engine classifies the number itself: its answer is used, not a second lookup
      const d = engine.checkNewCall(call)
      findings = d.findings
      allowed = d.allow
      number = d.number
    } else {
      number = this.#o.classifier.classify(cdr.dialled, tenant)
      findings = this.#o.patterns?.check(call, number) ?? []
    }
    this.stats.calls++
    this.stats.byClass[number.cls] = (this.stats.byClass[number.cls] ?? 0) + 1
    const active: Active = { tenant, number, allowed }
    for (const f of findings) this.#report(f, cdr.start, id, cdr, active)
    this.#active.set(id, { cdr, call: active })
    if (cdr.answer !== null && engine)
      this.#add({ time: Math.max(cdr.answer, cdr.start), kind: ANSWER, seq: ev.seq, cdr, id, call: active })
    // the start event is out of the queue: it comes back as the end event (one object less per row)
    ev.time = Math.max(cdr.end, cdr.start)
    ev.kind = END
    ev.id = id
    ev.call = active
    this.#add(ev)
  }

  #end(ev: Ev): void {
    this.#o.engine?.ended(ev.id, ev.time)
    this.#active.delete(ev.id)
    const patterns = this.#o.patterns
    if (!patterns) return
    const call = ev.call!
    const cdr = ev.cdr
    for (const f of patterns.checkCompleted(cdr, call.tenant)) this.#report(f, ev.time, ev.id, cdr, call)
    if (call.allowed) patterns.learn(cdr, call.number, call.tenant)
    else this.stats.notLearned++
  }

  #report(f: FraudFinding, time: number, callId: string, cdr: Cdr, call: Active): void {
    const s = this.stats
    s.findings++
    s.byRule[f.rule] = (s.byRule[f.rule] ?? 0) + 1
    s.byCode[f.code] = (s.byCode[f.code] ?? 0) + 1
    this.#o.onFinding({
      ...f,
      time,
      callId,
      account: cdr.account!,
      tenant: call.tenant,
      dialled: cdr.dialled,
      cls: call.number.cls,
      country: call.number.country,
    })
  }

  // a binary min-heap on (time, kind, seq): at equal times ends before answers before starts,
  // so that a call ending at the instant another starts has released its concurrency slot
  #add(ev: Ev): void {
    const h = this.#heap
    h.push(ev)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(ev, h[p]!)) break
      h[i] = h[p]!
      i = p
    }
    h[i] = ev
  }

  #pop(): Ev {
    const h = this.#heap
    const top = h[0]!
    const last = h.pop()!
    if (h.length > 0) {
      let i = 0
      const n = h.length
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        const c = r < n && before(h[r]!, h[l]!) ? r : l
        if (!before(h[c]!, last)) break
        h[i] = h[c]!
        i = c
      }
      h[i] = last
    }
    return top
  }
}

function before(a: Ev, b: Ev): boolean {
  return a.time !== b.time ? a.time < b.time : a.kind !== b.kind ? a.kind < b.kind : a.seq < b.seq
}
