// PJSIP transports and endpoint roles shared by the ast.pjsip.* medium checks.
import type { AsteriskModel } from '../asterisk/model.js'
import { type AstCategory, get } from '../asterisk/reader.js'

export interface Transport {
  readonly cat: AstCategory
  readonly protocol: string
}

export function transports(m: AsteriskModel): Transport[] {
  return m
    .conf('pjsip.conf')
    .ofType('transport')
    .map((cat) => ({ cat, protocol: (get(cat, 'protocol')?.value ?? 'udp').toLowerCase() }))
}

export function isTlsProtocol(p: string): boolean {
  return p === 'tls' || p === 'wss'
}

/** An endpoint or registration that signals outward to a carrier over TLS: `sips:` or transport=tls URIs. */
export function wantsTls(uri: string | undefined): boolean {
  return uri !== undefined && (/\bsips:/i.test(uri) || /;transport=tls/i.test(uri))
}
