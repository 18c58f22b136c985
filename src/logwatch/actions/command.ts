// A custom ban command, given as an argument vector with placeholders, run without a shell:
//   ["/usr/local/sbin/block", "{ip}", "{ttlSeconds}"]
// Placeholders are the policy's (COMMAND_PLACEHOLDERS in src/config/schema.ts): {ip} {family}
// (4 or 6) {ttlSeconds} {rule}. The address has been validated as a literal IP; nothing else
// from the log reaches the argv. An optional unban argv runs when a ban ends (expired, lifted
// early, or evicted). Commands run one at a time, in order; a backlog beyond `maxQueue` is
// dropped and reported. Each command is one process: for thousands of bans (the restore at
// start) prefer the nftables or ipset action, which apply a batch in one run.
import { isIP } from 'node:net'
import { COMMAND_PLACEHOLDERS } from '../../config/constants.js'
import { ErrorCodes, SgwError } from '../../errors.js'
import type { BanAction, BanDecision, UnbanReason } from '../types.js'
import { type Runner, runArgv } from './run.js'

export interface CommandOptions {
  readonly argv: readonly string[]
  readonly unbanArgv?: readonly string[] | undefined
  readonly maxQueue?: number
  readonly run?: Runner
  readonly onError?: (message: string) => void
}

interface Values {
  readonly ip: string
  readonly ttlSeconds: string
  readonly rule: string
  readonly family: string
}

const PLACEHOLDER = /\{[^}]*\}/g

/** Unknown placeholders in an argv template (the same check as the policy schema's). */
export function unknownPlaceholders(template: readonly string[]): string[] {
  const known = COMMAND_PLACEHOLDERS as readonly string[]
  return template.flatMap((a) =>
    [...a.matchAll(PLACEHOLDER)].map((m) => m[0]).filter((p) => !known.includes(p)),
  )
}

function expand(template: readonly string[], v: Values): string[] {
  return template.map((a) =>
    a.replace(PLACEHOLDER, (p) => {
      const k = p.slice(1, -1) as keyof Values
      return Object.hasOwn(v, k) ? v[k] : p
    }),
  )
}

export function expandArgv(template: readonly string[], d: BanDecision): string[] {
  return expand(template, {
    ip: d.ip,
    ttlSeconds: String(Math.max(1, Math.ceil(d.ttlMs / 1000))),
    rule: d.rule,
    family: d.ip.includes(':') ? '6' : '4',
  })
}

function checkTemplate(argv: readonly string[], what: string): void {
  if (argv.length === 0 || argv.some((a) => typeof a !== 'string') || argv[0] === '')
    throw new SgwError(
      ErrorCodes.LOGWATCH_OPTIONS,
      `the ${what} command must be a non-empty array of strings`,
    )
  const bad = unknownPlaceholders(argv)
  if (bad.length > 0)
    throw new SgwError(
      ErrorCodes.LOGWATCH_OPTIONS,
      `the ${what} command has unknown placeholder(s) ${bad.join(', ')} (use ${COMMAND_PLACEHOLDERS.join(', ')})`,
    )
}

export class CommandSink implements BanAction {
  readonly name = 'command'
  readonly #argv: readonly string[]
  readonly #unbanArgv: readonly string[] | undefined
  readonly #max: number
  readonly #run: Runner
  readonly #onError: (message: string) => void
  #pending = 0
  #chain: Promise<void> = Promise.resolve()
  dropped = 0

  constructor(opts: CommandOptions) {
    checkTemplate(opts.argv, 'ban')
    if (opts.unbanArgv !== undefined) checkTemplate(opts.unbanArgv, 'unban')
    this.#argv = [...opts.argv]
    this.#unbanArgv = opts.unbanArgv === undefined ? undefined : [...opts.unbanArgv]
    this.#max = opts.maxQueue ?? 10_000
    this.#run = opts.run ?? runArgv
    this.#onError = opts.onError ?? (() => {})
  }

  ban(d: BanDecision): void {
    if (isIP(d.ip) === 0) {
      this.#onError(`not an IP address, not banned: ${JSON.stringify(d.ip)}`)
      return
    }
    this.#enqueue(expandArgv(this.#argv, d), `ban of ${d.ip}`)
  }

  unban(ip: string, _reason: UnbanReason): void {
    if (this.#unbanArgv === undefined || isIP(ip) === 0) return
    const argv = expand(this.#unbanArgv, {
      ip,
      ttlSeconds: '0',
      rule: '',
      family: ip.includes(':') ? '6' : '4',
    })
    this.#enqueue(argv, `unban of ${ip}`)
  }

  #enqueue(argv: string[], what: string): void {
    if (this.#pending >= this.#max) {
      this.dropped++
      this.#onError(`command backlog full; ${what} not applied`)
      return
    }
    this.#pending++
    const [file, ...args] = argv
    this.#chain = this.#chain.then(async () => {
      const r = await this.#run(file!, args)
      this.#pending--
      if (r.code !== 0) this.#onError(`command for ${what} failed (exit ${r.code}): ${r.stderr.trim()}`)
    })
  }

  flush(): Promise<void> {
    return this.#chain
  }

  close(): Promise<void> {
    return this.#chain
  }
}
