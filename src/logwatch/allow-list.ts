// Allow-listed networks, compiled once: IPv4 CIDRs as (network, mask) integer pairs checked in
// a tight loop, IPv6 CIDRs through ipaddr.js. Addresses come in already normalised.
import ipaddr from 'ipaddr.js'
import { ErrorCodes, SgwError } from '../errors.js'

export interface AllowList {
  has(ip: string): boolean
}

function v4ToInt(ip: string): number {
  let n = 0
  let octet = 0
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i)
    if (c === 46) {
      n = n * 256 + octet
      octet = 0
    } else octet = octet * 10 + (c - 48)
  }
  return (n * 256 + octet) >>> 0
}

export function compileAllowList(cidrs: readonly string[]): AllowList {
  const v4net: number[] = []
  const v4mask: number[] = []
  const v6: [ipaddr.IPv6, number][] = []
  for (const text of cidrs) {
    const cidr = text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`
    let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number]
    try {
      parsed = ipaddr.parseCIDR(cidr)
    } catch {
      throw new SgwError(
        ErrorCodes.LOGWATCH_OPTIONS,
        `allow-list entry '${text}' is not an IP address or CIDR`,
      )
    }
    const [addr, bits] = parsed
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      const v4 = (addr as ipaddr.IPv6).toIPv4Address()
      parsed = [v4, bits - 96]
    }
    if (parsed[0].kind() === 'ipv4') {
      const mask = parsed[1] === 0 ? 0 : (0xffffffff << (32 - parsed[1])) >>> 0
      v4mask.push(mask)
      v4net.push((v4ToInt(parsed[0].toString()) & mask) >>> 0)
    } else v6.push(parsed as [ipaddr.IPv6, number])
  }
  return {
    has(ip: string): boolean {
      if (ip.indexOf(':') === -1) {
        if (v4net.length === 0) return false
        const n = v4ToInt(ip)
        for (let i = 0; i < v4net.length; i++) if ((n & v4mask[i]!) >>> 0 === v4net[i]) return true
        return false
      }
      if (v6.length === 0) return false
      const a = ipaddr.IPv6.parse(ip)
      for (const range of v6) if (a.match(range)) return true
      return false
    },
  }
}
