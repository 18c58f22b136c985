// Keys that are not (or no longer) sipwarden keys but that people will write: renamed keys
// from earlier drafts and the names other tools use for the same thing (fail2ban's
// bantime/findtime/maxretry/ignoreip, unit-less names). An unknown key that matches an
// entry here fails with a message that names the replacement (style-by-example habit 3;
// undici's "use pipelining=0 instead").
//
// `path` is a key path pattern: `a.b` matches exactly; `*` matches one key; `[]` matches any
// array index; a leading `**.` matches at any depth. `use` is the replacement: an absolute
// key path, or `.key` for a sibling key in the same object.
// Entries are never removed: a name retired once stays explained.

export interface RenamedKey {
  readonly path: string
  /** the key to use instead; omitted when there is no replacement */
  readonly use?: string
  /** why, shown after the replacement */
  readonly note?: string
}

export const RENAMED_KEYS: readonly RenamedKey[] = Object.freeze([
  // fail2ban vocabulary
  { path: 'ignoreip', use: 'adminNetworks', note: 'fail2ban calls it ignoreip' },
  { path: 'bantime', use: 'bans.defaultTtlMs', note: 'fail2ban calls it bantime' },
  { path: 'bans.bantime', use: 'bans.defaultTtlMs', note: 'fail2ban calls it bantime' },
  { path: 'bans.ttl', use: 'bans.defaultTtlMs' },
  { path: 'bans.maxTtl', use: 'bans.maxTtlMs' },
  { path: 'logwatch.bantime', use: 'bans.defaultTtlMs', note: 'fail2ban calls it bantime' },
  {
    path: 'logwatch.findtime',
    use: 'logwatch.rules.authFailure.windowMs',
    note: 'fail2ban calls it findtime',
  },
  {
    path: 'logwatch.maxretry',
    use: 'logwatch.rules.authFailure.maxEvents',
    note: 'fail2ban calls it maxretry',
  },
  { path: 'logwatch.ignoreip', use: 'logwatch.ignoreNetworks', note: 'fail2ban calls it ignoreip' },
  { path: 'logwatch.logpath', use: 'logwatch.sources[].path', note: 'fail2ban calls it logpath' },
  // accounts live in tenants
  {
    path: 'accounts',
    use: 'tenants[].accounts',
    note: 'accounts belong to a tenant; a single office is one tenant',
  },
  { path: 'extensions', use: 'tenants[].accounts', note: 'extensions are accounts of a tenant' },
  {
    path: 'tenants[].accounts[].password',
    note: 'sipwarden never needs account passwords: the PBX authenticates, the gateway only watches',
  },
  {
    path: 'tenants[].accounts[].secret',
    note: 'sipwarden never needs account passwords: the PBX authenticates, the gateway only watches',
  },
  { path: 'tenants[].accounts[].permit', use: '.networks', note: 'Asterisk calls it permit' },
  { path: 'tenants[].accounts[].deny', use: '.networks', note: 'list the permitted networks only' },
  { path: 'tenants[].accounts[].ips', use: '.networks' },
  { path: 'tenants[].accounts[].allowedNetworks', use: '.networks' },
  { path: 'tenants[].accounts[].user', use: '.name' },
  { path: 'tenants[].accounts[].username', use: '.name' },
  { path: 'tenants[].internationalPrefix', use: 'tenants[].numbering.internationalPrefixes' },
  { path: 'tenants[].nationalPrefix', use: 'tenants[].numbering.nationalPrefix' },
  {
    path: 'tenants[].numbering.internationalPrefix',
    use: '.internationalPrefixes',
    note: 'a list, e.g. ["00"]',
  },
  { path: 'tenants[].accounts[].maxCalls', use: '.limits.concurrentCalls' },
  // transport words
  { path: 'listen[].protocol', use: '.transport' },
  { path: 'upstream.protocol', use: '.transport' },
  { path: 'upstream.address', use: '.host' },
  { path: 'upstream.timeout', use: '.transactionTimeoutMs' },
  { path: 'trunks[].protocol', use: '.transport' },
  { path: 'trunks[].ips', use: '.addresses' },
  { path: 'trunks[].hosts', use: '.addresses' },
  // keys without their unit
  { path: '**.window', use: '.windowMs', note: 'durations accept 30s, 10m, 1h' },
  { path: '**.banTime', use: '.banTtlMs', note: 'durations accept 30s, 10m, 1h' },
  { path: '**.banTtl', use: '.banTtlMs', note: 'durations accept 30s, 10m, 1h' },
  { path: '**.limit', use: '.maxRequestsPerWindow' },
  { path: 'gateway.ingress.maxMessageSize', use: '.maxMessageBytes', note: 'sizes accept 16KiB' },
  { path: 'gateway.ingress.maxSize', use: '.maxMessageBytes', note: 'sizes accept 16KiB' },
  { path: 'gateway.scanner.extraUserAgent', use: '.extraUserAgents' },
  { path: 'gateway.antiflood', use: 'gateway.flood', note: 'Kamailio calls it WITH_ANTIFLOOD' },
  { path: 'gateway.pike', use: 'gateway.flood', note: "Kamailio's pike is the flood stage here" },
  { path: 'firewall.rtpRange', use: 'firewall.rtpPorts', note: '{min, max}' },
  { path: 'firewall.rtpPortRange', use: 'firewall.rtpPorts', note: '{min, max}' },
  { path: 'state.type', use: 'state.adapter' },
  { path: 'state.backend', use: 'state.adapter' },
  { path: 'state.redisUrl', use: 'state.url' },
])

function segmentsMatch(pattern: readonly string[], path: readonly (string | number)[]): boolean {
  if (pattern.length !== path.length) return false
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!
    const s = path[i]!
    if (p === '[]') {
      if (typeof s !== 'number') return false
    } else if (p !== '*' && p !== s) {
      return false
    }
  }
  return true
}

/** `a.b[].c` → ['a', 'b', '[]', 'c'] */
function patternSegments(pattern: string): string[] {
  return pattern
    .replace(/\[\]/g, '.[]')
    .split('.')
    .filter((s) => s !== '')
}

/** The entry for an unknown key at `path` (the key being the last segment), if any. */
export function findRenamedKey(path: readonly (string | number)[]): RenamedKey | undefined {
  for (const entry of RENAMED_KEYS) {
    if (entry.path.startsWith('**.')) {
      const tail = patternSegments(entry.path.slice(3))
      if (path.length >= tail.length && segmentsMatch(tail, path.slice(path.length - tail.length)))
        return entry
    } else if (segmentsMatch(patternSegments(entry.path), path)) {
      return entry
    }
  }
  return undefined
}

/** The message for an unknown key that is in the table. `parentPath` is the formatted path of
 * the object holding the key, used to spell sibling replacements in full. */
export function renamedKeyMessage(key: string, entry: RenamedKey, parentPath: string): string {
  let text: string
  if (entry.use === undefined) {
    text = `"${key}" is not a sipwarden key`
  } else {
    const use = entry.use.startsWith('.')
      ? parentPath === ''
        ? entry.use.slice(1)
        : `${parentPath}${entry.use}`
      : entry.use
    text = `"${key}" is not a sipwarden key: use "${use}"`
  }
  return entry.note === undefined ? text : `${text} (${entry.note})`
}
