// The state store: one interface, adapters that pass one conformance suite.
export {
  DEFAULT_EVENT_QUERY_LIMIT,
  DEFAULT_LIMITS,
  MAX_EVENT_QUERY_LIMIT,
  SQLITE_DEFAULT_LIMITS,
  type StoreLimits,
} from './limits.js'
export { createMemoryStore, type MemoryStoreOptions } from './memory.js'
// the Redis adapter is reached through openStore() (loaded on demand, like node-redis itself)
export type { RedisStoreOptions } from './redis.js'
export {
  createSqliteStore,
  SQLITE_APPLICATION_ID,
  SQLITE_SCHEMA_VERSION,
  type SqliteStoreOptions,
} from './sqlite.js'
export {
  type BanChange,
  type BanChangeKind,
  type BanInput,
  type BanListener,
  type BanRecord,
  type Clock,
  type CommonStoreOptions,
  type CreateStoreOptions,
  checkStoreLimits,
  createStore,
  type EventQuery,
  type MaybePromise,
  type OpenStoreOptions,
  openStore,
  type Store,
  type StoredEvent,
  type StoreStats,
  type SweepResult,
  type SyncStore,
  type UnbanOptions,
} from './store.js'
