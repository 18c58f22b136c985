// Address blocks for anti-spoofing, and small CIDR-list helpers the firewall model needs.
//
// Two lists on purpose:
// - MARTIANS are never a valid source on any interface other than loopback (this-network,
//   loopback, multicast, reserved). Dropping them breaks nothing, so they are dropped
//   whenever `firewall.antiSpoof` is on.
// - BOGONS are valid inside a site (RFC 1918 LANs, CGNAT, link-local, documentation) but
//   never arrive from the internet. They are dropped only on `firewall.publicInterfaces`,
//   and networks the policy names (admin networks, trunks, account networks) are let
//   through first, so an office LAN reached over a VPN keeps working.
//
// Not listed: fe80::/10 (IPv6 neighbour discovery and router advertisements come from
// link-local addresses on every interface) and :: (duplicate address detection).

import ipaddr from 'ipaddr.js'
import { type Cidr, createCidrMatcher, parseCidr } from '../net/cidr.js'

export const MARTIANS_V4 = Object.freeze(['0.0.0.0/8', '127.0.0.0/8', '224.0.0.0/4', '240.0.0.0/4'])
export const MARTIANS_V6 = Object.freeze(['::1/128', '::ffff:0:0/96', 'ff00::/8'])

/** RFC 6890 special-purpose blocks that do not route on the internet (besides the martians). */
export const BOGONS_V4 = Object.freeze([
  '10.0.0.0/8',
  '100.64.0.0/10',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
])
export const BOGONS_V6 = Object.freeze(['100::/64', '2001:db8::/32', '3fff::/20', 'fc00::/7', 'fec0::/10'])

function toCidr(text: string): Cidr {
  // `::ffff:0:0/96` is an IPv4-mapped block, which parseCidr folds into IPv4 space; keep it
  // as the IPv6 block it is on the wire.
  if (text === '::ffff:0:0/96') return { family: 6, network: '::ffff:0:0', prefix: 96, text }
  const r = parseCidr(text)
  if (!r.ok) throw new TypeError(`firewall: ${r.reason}`)
  return r.value
}

function sortKey(c: Cidr): string {
  const bytes = ipaddr.parse(c.network).toByteArray()
  return `${c.family}:${bytes.map((b) => b.toString(16).padStart(2, '0')).join('')}/${String(c.prefix).padStart(3, '0')}`
}

/** True when block `outer` contains block `inner` (same family). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || outer.prefix > inner.prefix) return false
  if (outer.prefix === 0) return true
  return createCidrMatcher([outer]).has(inner.network)
}

/**
 * Canonical, deterministic list of the blocks of one family: duplicates and blocks inside
 * another entry removed, sorted by address. nftables interval sets refuse overlapping
 * elements, and a sorted list keeps the rendered ruleset stable whatever the policy order.
 */
export function normalizeCidrs(entries: Iterable<string>, family: 4 | 6): string[] {
  const all: Cidr[] = []
  for (const e of entries) {
    const c = toCidr(e)
    if (c.family === family) all.push(c)
  }
  const kept = all.filter(
    (c, i) =>
      !all.some(
        (o, j) => j !== i && cidrContains(o, c) && (o.prefix < c.prefix || (o.prefix === c.prefix && j < i)),
      ),
  )
  kept.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0))
  return kept.map((c) => (c.prefix === (c.family === 4 ? 32 : 128) ? c.network : c.text))
}

/** Parses a list entry (address or block) for matching; see toCidr for the mapped block. */
export function cidrOf(text: string): Cidr {
  return toCidr(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`)
}
