// Runs a frozen stage list. No allocation while stages stay synchronous.
import type { SipContext } from './context.js'
import { CONTINUE, drop, type Outcome, type Stage } from './stage.js'

const INTERNAL_ERROR = drop('internal.stage-error')

/** Called when a stage throws or rejects; set by the gateway (logs once per stage). */
export type StageErrorHandler = (stage: Stage, error: unknown) => void

let onStageError: StageErrorHandler = () => {}
export function setStageErrorHandler(h: StageErrorHandler): void {
  onStageError = h
}

function failed(stage: Stage, error: unknown): Outcome {
  onStageError(stage, error)
  return stage.onInternalError === 'open' ? CONTINUE : INTERNAL_ERROR
}

function runGuarded(stage: Stage, ctx: SipContext): Outcome | Promise<Outcome> {
  try {
    const out = stage.run(ctx)
    if (out instanceof Promise) return out.catch((e: unknown) => failed(stage, e))
    return out
  } catch (e) {
    return failed(stage, e)
  }
}

export function runStages(
  stages: readonly Stage[] | null,
  ctx: SipContext,
  from = 0,
): Outcome | Promise<Outcome> {
  if (stages === null) return CONTINUE
  for (let i = from; i < stages.length; i++) {
    const stage = stages[i]!
    const out = runGuarded(stage, ctx)
    if (out === CONTINUE) continue
    if (out instanceof Promise) {
      return out.then((o) => {
        if (o === CONTINUE) return runStages(stages, ctx, i + 1)
        ctx.decidedBy = stage.name
        return o
      })
    }
    ctx.decidedBy = stage.name
    return out
  }
  return CONTINUE
}
