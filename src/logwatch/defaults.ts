// The schema's defaults for the sections the log watcher reads, as plain data, so that
// `watch --replay` without a policy file starts without building the zod schema (about a third
// of its start-up). test/logwatch/defaults.test.ts checks them against the schema; when it
// fails, it prints the object to paste here.
import type { Policy } from '../config/schema.js'

type IpsetAction = Extract<Policy['logwatch']['action'], { type: 'ipset' }>

export interface WatchDefaults {
  readonly bans: Policy['bans']
  readonly logwatch: Policy['logwatch']
  readonly site: Policy['site']
  /** without `path`: the caller derives it from site.dataDir */
  readonly state: Omit<Policy['state'], 'path'>
  readonly events: Omit<Policy['events'], 'jsonl'> & { readonly jsonl: { readonly enabled: boolean } }
  /** `logwatch.action` as the schema completes `{ type: ipset }` */
  readonly ipsetAction: IpsetAction
}

const DEFAULTS: WatchDefaults = {
  bans: {
    defaultTtlMs: 3600000,
    maxTtlMs: 604800000,
    escalation: {
      enabled: true,
      factor: 2,
      memoryMs: 604800000,
    },
    maxEntries: 100000,
    kernel: {
      enabled: true,
      table: 'sipwarden',
      setV4: 'banned_v4',
      setV6: 'banned_v6',
    },
  },
  logwatch: {
    sources: [],
    ignoreNetworks: [],
    maxSources: 100000,
    rules: {
      authFailure: {
        enabled: true,
        maxEvents: 5,
        windowMs: 60000,
      },
      unknownAccount: {
        enabled: true,
        maxEvents: 5,
        windowMs: 60000,
      },
      enumeration: {
        enabled: true,
        maxDistinctAccounts: 5,
        windowMs: 600000,
      },
      aclRefused: {
        enabled: true,
        maxEvents: 5,
        windowMs: 60000,
      },
      unknownExtension: {
        enabled: true,
        maxEvents: 5,
        windowMs: 60000,
      },
      anyFailure: {
        enabled: true,
        maxEvents: 10,
        windowMs: 600000,
      },
      pbxBlock: {
        enabled: true,
        maxEvents: 1,
        windowMs: 1000,
      },
    },
    action: {
      type: 'nftables',
    },
  },
  site: {
    name: 'sipwarden',
    dataDir: '/var/lib/sipwarden',
    timezone: 'UTC',
  },
  state: {
    adapter: 'sqlite',
    keyPrefix: 'sipwarden:',
    maxEntries: 1000000,
    eventRetentionMs: 2592000000,
  },
  events: {
    logLevel: 'info',
    jsonl: {
      enabled: true,
    },
  },
  ipsetAction: {
    type: 'ipset',
    setV4: 'sipwarden_v4',
    setV6: 'sipwarden_v6',
  },
}

/** A fresh copy (callers may extend what they get). */
export function watchDefaults(): WatchDefaults {
  return structuredClone(DEFAULTS)
}
