// Constants of the policy in a module of their own, so that code which needs only these (the
// log watcher's replay) does not load the schema.
export const DEFAULT_DATA_DIR = '/var/lib/sipwarden'
export const DEFAULT_STATE_FILE = 'sipwarden.db'
export const DEFAULT_EVENTS_FILE = 'events.jsonl'

/** Placeholders a logwatch `command` action may use in its argv. */
export const COMMAND_PLACEHOLDERS = Object.freeze(['{ip}', '{family}', '{ttlSeconds}', '{rule}'] as const)
