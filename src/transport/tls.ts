// TLS: the secure context of TLS listeners (and of a TLS upstream) from the policy's `tls`
// section. TLS 1.2 or newer only; framing and bounds are those of TCP (transport/tcp.ts).
import { readFileSync } from 'node:fs'
import { type ConnectionOptions, createSecureContext, type TlsOptions } from 'node:tls'
import type { Policy } from '../config/schema.js'
import { ErrorCodes, SgwError } from '../errors.js'

type TlsSection = NonNullable<Policy['tls']>

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code)
    throw new SgwError(ErrorCodes.GATEWAY_TLS, `cannot read the TLS ${what} ${file}: ${why}`)
  }
}

/** Server options for TLS listeners; a missing or unreadable file is a clear SgwError. */
export function tlsServerOptions(t: TlsSection): TlsOptions {
  const opts: TlsOptions = {
    cert: read(t.certFile, 'certificate (tls.certFile)'),
    key: read(t.keyFile, 'key (tls.keyFile)'),
    minVersion: t.minVersion,
    ...(t.caFile !== undefined ? { ca: read(t.caFile, 'CA bundle (tls.caFile)') } : {}),
    ...(t.requireClientCertificate ? { requestCert: true, rejectUnauthorized: true } : {}),
  }
  try {
    // fail at start (bad PEM, key not matching the certificate), not at the first handshake
    createSecureContext(opts)
  } catch (err) {
    throw new SgwError(
      ErrorCodes.GATEWAY_TLS,
      `the TLS certificate or key is not usable (${t.certFile}, ${t.keyFile}): ${(err as Error).message}`,
    )
  }
  return opts
}

/** Client options toward a TLS upstream: verified against tls.caFile when set, else the system CAs. */
export function tlsClientOptions(t: TlsSection | undefined, host: string): ConnectionOptions {
  return {
    minVersion: t?.minVersion ?? 'TLSv1.2',
    ...(t?.caFile !== undefined ? { ca: read(t.caFile, 'CA bundle (tls.caFile)') } : {}),
    ...(isIpLiteral(host) ? {} : { servername: host }),
  }
}

function isIpLiteral(h: string): boolean {
  return /^[\d.]+$/.test(h) || h.includes(':')
}
