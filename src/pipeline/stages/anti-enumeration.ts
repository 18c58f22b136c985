// anti-enumeration: an outsider must not be able to tell an existing account from a missing one
// (docs/gateway.md). Leaky PBXs answer "no such user" (404, 403, 484, 604) where they challenge
// a known account (401/407); SIPVicious's svwar compares the status line (and Reason) of every
// answer with the answer for a random extension. The stage makes the answers identical:
//
// - it learns, per method, the shape of the PBX's challenges (401/407 to a request without
//   credentials: status, reason phrase, header names in order, fixed header values such as
//   Server, the nonce's alphabet and length, the To tag's shape) and of its refusals of a wrong
//   password (401/407/403 to a request with credentials);
// - a "no such user" answer to a request without credentials becomes a challenge of the learned
//   shape with a fresh nonce (realm: the learned one, or `antiEnumeration.realm`);
// - credentials that answer one of those nonces are refused by the gateway itself, exactly like
//   the learned wrong-password refusal (default: a fresh challenge, as Kamailio and Asterisk
//   answer a wrong password). The PBX never sees them.
//
// Stateless apart from the learned shapes (a few per method): the gateway's nonces are an HMAC of
// a per-process secret, a 5-minute time bucket, the source address, the account and the Call-ID,
// so recognising one keeps no table.
import { createHmac, randomBytes } from 'node:crypto'
import { parseChallenge, parseCredentials } from '../../sip/auth.js'
import type { SipMessage } from '../../sip/message.js'
import { parseMessage } from '../../sip/parse.js'
import type { SipContext } from '../context.js'
import type { StageDeps } from '../deps.js'
import { policySources } from '../known-sources.js'
import { CONTINUE, type Outcome, respond, type Stage } from '../stage.js'

/** one secret per process: a reload keeps the nonces already handed out valid */
const SECRET = randomBytes(32)
const BUCKET_MS = 5 * 60_000
/** answers that mean "no such account" on leaky PBXs */
const UNKNOWN = new Set([403, 404, 484, 604])
const METHODS = new Set([
  'REGISTER',
  'INVITE',
  'SUBSCRIBE',
  'MESSAGE',
  'OPTIONS',
  'NOTIFY',
  'REFER',
  'PUBLISH',
  'INFO',
  'UPDATE',
])
const COPY = new Map([
  ['via', 'via'],
  ['v', 'via'],
  ['from', 'from'],
  ['f', 'from'],
  ['to', 'to'],
  ['t', 'to'],
  ['call-id', 'call-id'],
  ['i', 'call-id'],
  ['cseq', 'cseq'],
])
const MAX_LINES = 40
const MAX_VALUE = 1000
const EVENT_REPEAT_MS = 10_000
const DEFAULT_NONCE = '0123456789abcdef0123456789abcdef'
const DEFAULT_TAG = 'sw0123456789abcdef'

type LineKind = 'copy' | 'auth' | 'length' | 'date' | 'fixed'
interface ShapeLine {
  /** header name as the PBX wrote it */
  readonly name: string
  readonly kind: LineKind
  /** canonical name for copy lines; the value for the others */
  readonly value: string
}

/** What one kind of answer of the PBX looks like. */
export interface Shape {
  readonly status: number
  readonly reason: string
  readonly lines: readonly ShapeLine[]
  /** a nonce / To tag of the PBX: the gateway's have the same alphabet and length */
  readonly nonce: string
  readonly toTag: string
}

/** The learned shapes of one method. */
interface Learned {
  challenge: Shape | null
  refusal: Shape | null
}

/** Shape of a reply of the PBX, or null when it is not worth keeping. */
export function learnShape(m: SipMessage): Shape | null {
  const lines: ShapeLine[] = []
  const copied = new Set<string>()
  let nonce = ''
  for (const hl of m.headerLines()) {
    if (lines.length >= MAX_LINES) return null
    const name = m.lineName(hl.index)
    const n = name.toLowerCase()
    const value = m.lineValue(hl.index)
    const copy = COPY.get(n)
    if (copy !== undefined) {
      if (!copied.has(copy)) lines.push({ name, kind: 'copy', value: copy })
      copied.add(copy)
    } else if (n === 'www-authenticate' || n === 'proxy-authenticate') {
      const c = parseChallenge(value)
      if (c === null || c.stale === true || value.length > MAX_VALUE) return null
      if (c.nonce !== null && nonce === '') nonce = c.nonce
      lines.push({ name, kind: 'auth', value })
    } else if (n === 'content-length' || n === 'l') lines.push({ name, kind: 'length', value: '0' })
    else if (n === 'date') lines.push({ name, kind: 'date', value: '' })
    else if (value.length <= MAX_VALUE) lines.push({ name, kind: 'fixed', value })
  }
  if (copied.size < 5) return null
  return Object.freeze({
    status: m.status!,
    reason: m.reason ?? '',
    lines: Object.freeze(lines),
    nonce: nonce !== '' && nonce.length <= 256 ? nonce : DEFAULT_NONCE,
    toTag: m.to()?.tag ?? DEFAULT_TAG,
  })
}

/** The shape used before any challenge of the PBX was seen: 401 for REGISTER, else 407. */
function defaultShape(method: string, realm: string): Shape {
  const reg = method === 'REGISTER'
  const auth = reg ? 'WWW-Authenticate' : 'Proxy-Authenticate'
  return {
    status: reg ? 401 : 407,
    reason: reg ? 'Unauthorized' : 'Proxy Authentication Required',
    lines: [
      { name: 'Via', kind: 'copy', value: 'via' },
      { name: 'From', kind: 'copy', value: 'from' },
      { name: 'To', kind: 'copy', value: 'to' },
      { name: 'Call-ID', kind: 'copy', value: 'call-id' },
      { name: 'CSeq', kind: 'copy', value: 'cseq' },
      { name: auth, kind: 'auth', value: `Digest realm="${realm}", nonce="${DEFAULT_NONCE}"` },
      { name: 'Content-Length', kind: 'length', value: '0' },
    ],
    nonce: DEFAULT_NONCE,
    toTag: DEFAULT_TAG,
  }
}

const HEX_L = '0123456789abcdef'
const HEX_U = '0123456789ABCDEF'
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const DIGITS = '0123456789'
const LOWER = 'abcdefghijklmnopqrstuvwxyz'
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'

function hmacBytes(input: string, n: number): Buffer {
  const out: Buffer[] = []
  for (let i = 0, have = 0; have < n; i++) {
    const b = createHmac('sha256', SECRET).update(`${i}|${input}`).digest()
    out.push(b)
    have += b.length
  }
  return Buffer.concat(out)
}

/**
 * A string shaped like `sample` (same length, same alphabet: hex, base64, base64url, else the
 * character class of each position; separators and base64 padding kept), filled from an HMAC of
 * `input`: deterministic, so it can be recognised later without keeping it.
 */
export function shapedLike(sample: string, input: string): string {
  const body = sample.replace(/=+$/, '')
  const pad = sample.slice(body.length)
  let alpha: string | null = null
  if (/^[0-9a-f]+$/.test(body)) alpha = HEX_L
  else if (/^[0-9A-F]+$/.test(body)) alpha = HEX_U
  else if (/^[A-Za-z0-9+/]+$/.test(body) && /[+/]/.test(body)) alpha = B64
  else if (/^[A-Za-z0-9_-]+$/.test(body) && /[_]/.test(body)) alpha = B64URL
  const bytes = hmacBytes(input, body.length)
  let s = ''
  for (let i = 0; i < body.length; i++) {
    const b = bytes[i]!
    const c = body[i]!
    let a = alpha
    if (a === null) {
      if (c >= '0' && c <= '9') a = DIGITS
      else if (c >= 'a' && c <= 'z') a = LOWER
      else if (c >= 'A' && c <= 'Z') a = UPPER
    }
    s += a === null ? c : a[b % a.length]!
  }
  return s + pad
}

function nonceInput(bucket: number, address: string, account: string, callId: string): string {
  return `n|${bucket}|${address}|${account}|${callId}`
}

function quoted(value: string, param: string, replacement: string): string {
  return value.replace(
    new RegExp(`(\\b${param}\\s*=\\s*")([^"]*)(")`, 'i'),
    (_m, a: string, _b, c: string) => {
      return `${a}${replacement}${c}`
    },
  )
}

/**
 * Renders `shape` as a response: Via/From/To/Call-ID/CSeq taken from `src` (the PBX's answer,
 * or the request), in the shape's order and header spelling.
 */
function render(
  shape: Shape,
  src: SipMessage,
  nonce: string,
  realm: string | undefined,
  toTag: string | null,
  opaqueInput: string,
): Buffer {
  const out: string[] = [`SIP/2.0 ${shape.status} ${shape.reason}`]
  for (const l of shape.lines) {
    switch (l.kind) {
      case 'copy':
        for (const i of src.lineIndexes(l.value)) {
          let v = src.lineValue(i)
          if (l.value === 'to' && toTag !== null && src.to()?.tag == null) v += `;tag=${toTag}`
          out.push(`${l.name}: ${v}`)
        }
        break
      case 'auth': {
        let v = quoted(l.value, 'nonce', nonce)
        if (realm !== undefined) v = quoted(v, 'realm', realm.replace(/["\\]/g, ''))
        const opaque = /\bopaque\s*=\s*"([^"]*)"/i.exec(v)?.[1]
        if (opaque !== undefined && opaque !== '') v = quoted(v, 'opaque', shapedLike(opaque, opaqueInput))
        out.push(`${l.name}: ${v}`)
        break
      }
      case 'length':
        out.push(`${l.name}: 0`)
        break
      case 'date':
        out.push(`${l.name}: ${new Date().toUTCString()}`)
        break
      case 'fixed':
        out.push(`${l.name}: ${l.value}`)
        break
    }
  }
  out.push('', '')
  return Buffer.from(out.join('\r\n'), 'latin1')
}

export function createAntiEnumerationStage(deps: StageDeps): Stage {
  const cfg = deps.policy.gateway.antiEnumeration
  const learned = new Map<string, Learned>()
  const eventSeen = new Map<string, number>()
  const sources = policySources(deps.policy)

  function slot(method: string): Learned {
    const key = METHODS.has(method) ? method : 'OTHER'
    let l = learned.get(key)
    if (l === undefined) {
      l = { challenge: null, refusal: null }
      learned.set(key, l) // bounded: METHODS + OTHER
    }
    return l
  }

  function challengeFor(method: string, realmHint: string): Shape {
    return slot(method).challenge ?? defaultShape(method, cfg.realm ?? realmHint)
  }

  function refusalFor(method: string, realmHint: string): Shape {
    const l = slot(method)
    return l.refusal ?? l.challenge ?? defaultShape(method, cfg.realm ?? realmHint)
  }

  function event(
    ctx: SipContext,
    code: string,
    address: string,
    account: string | null,
    status: number,
  ): void {
    const key = `${address}|${code}`
    const last = eventSeen.get(key)
    if (last !== undefined && ctx.now - last < EVENT_REPEAT_MS) return
    if (eventSeen.size >= 10_000) eventSeen.clear()
    eventSeen.set(key, ctx.now)
    deps.publish({
      time: ctx.now,
      address,
      ...(account !== null ? { account } : {}),
      code,
      stage: 'anti-enumeration',
      action: 'reply',
      severity: 'info',
      detail: { status },
    })
  }

  /** A request answering one of the gateway's own challenges: refused here, like a wrong password. */
  function onRequest(ctx: SipContext): Outcome {
    const m = ctx.message!
    const method = m.method!
    if (method === 'ACK' || method === 'CANCEL' || m.to()?.tag != null) return CONTINUE
    const raw = m.header('Authorization') ?? m.header('Proxy-Authorization')
    if (raw === null) return CONTINUE
    const nonce = parseCredentials(raw)?.nonce ?? null
    if (nonce === null || nonce.length === 0) return CONTINUE
    const account = (method === 'REGISTER' ? m.to()?.uri?.user : m.from()?.uri?.user) ?? ''
    const callId = m.callId() ?? ''
    const l = slot(method)
    const samples = new Set([l.challenge?.nonce, l.refusal?.nonce, DEFAULT_NONCE])
    const bucket = Math.floor(ctx.now / BUCKET_MS)
    let ours = false
    for (const s of samples) {
      if (s === undefined || s.length !== nonce.length) continue
      for (const b of [bucket, bucket - 1])
        if (shapedLike(s, nonceInput(b, ctx.address, account, callId)) === nonce) ours = true
    }
    if (!ours) return CONTINUE
    const shape = refusalFor(method, m.from()?.uri?.host ?? '')
    const fresh = shapedLike(shape.nonce, nonceInput(bucket, ctx.address, account, callId))
    const tag = shapedLike(shape.toTag, `t|${callId}|${m.topVia()?.branch ?? ''}`)
    const bytes = render(shape, m, fresh, cfg.realm, tag, `o|${callId}`)
    return respond('antienum.refusal', bytes, shape.status)
  }

  /** Learns the PBX's challenges and refusals; rewrites its "no such user". */
  function onReply(ctx: SipContext): Outcome {
    const r = ctx.request
    const m = ctx.message
    if (r === null || m === null || !ctx.fromUpstream || !r.outOfDialog) return CONTINUE
    if (r.method === 'ACK' || r.method === 'CANCEL') return CONTINUE
    // operators and trunks are not enumerating: their 404s stay 404s
    if (deps.isTrusted(r.address) || sources.trunkOf(r.address) !== null) return CONTINUE
    const st = m.status!
    if (st === 401 || st === 407 || (st === 403 && r.hadCredentials)) {
      if (st === 403 || m.hasHeader('WWW-Authenticate') || m.hasHeader('Proxy-Authenticate')) {
        const shape = learnShape(m)
        if (shape !== null) {
          const l = slot(r.method)
          if (r.hadCredentials) l.refusal = shape
          else if (st !== 403) l.challenge = shape
        }
      }
      return CONTINUE
    }
    if (!UNKNOWN.has(st)) return CONTINUE
    // with credentials, only a REGISTER's "no such user" is certain to be about the account (an
    // INVITE's 404 may be about the callee); credentials for the gateway's own nonces never get here
    if (r.hadCredentials && r.method !== 'REGISTER') return CONTINUE
    const realmHint = m.from()?.uri?.host ?? ''
    const shape = r.hadCredentials ? refusalFor(r.method, realmHint) : challengeFor(r.method, realmHint)
    const callId = m.callId() ?? ''
    const nonce = shapedLike(
      shape.nonce,
      nonceInput(Math.floor(ctx.now / BUCKET_MS), r.address, r.account ?? '', callId),
    )
    const bytes = render(shape, m, nonce, cfg.realm, null, `o|${callId}`)
    const p = parseMessage(bytes)
    if (!p.ok) return CONTINUE
    ctx.message = p.message
    const code = r.hadCredentials ? 'antienum.refusal' : 'antienum.challenge'
    event(ctx, code, r.address, r.account, st)
    return CONTINUE
  }

  return Object.freeze({
    name: 'anti-enumeration',
    phases: Object.freeze(['request', 'reply'] as const),
    onInternalError: 'open' as const,
    run(ctx: SipContext): Outcome {
      if (ctx.phase === 'reply') return onReply(ctx)
      if (ctx.fromUpstream || ctx.message === null) return CONTINUE
      return onRequest(ctx)
    },
  })
}
