// Security events: the one event type, the bus, the sinks.
export { createEventBus, type EventBus, type EventBusOptions, type EventSubscriber } from './bus.js'
export {
  assertEvent,
  EVENT_ACTIONS,
  EVENT_CODE_PATTERN,
  EVENT_SEVERITIES,
  EVENT_TRANSPORTS,
  type EventAction,
  type EventIssue,
  type EventSeverity,
  type EventTransport,
  type EventValidation,
  formatIssues,
  MAX_ACCOUNT_LENGTH,
  MAX_CODE_LENGTH,
  MAX_DETAIL_JSON_LENGTH,
  MAX_STAGE_LENGTH,
  type NormalizeOptions,
  normalizeEvent,
  normalizeIp,
  type SecurityEvent,
  validateEvent,
} from './event.js'
export { attachSink, type EventSink } from './sink.js'
export { createJsonlSink, type JsonlSink, type JsonlSinkOptions, type JsonlSinkStats } from './sinks/jsonl.js'
export { createLogSink, DEFAULT_SEVERITY_LEVELS, type LogSinkOptions } from './sinks/log.js'
export { createStoreSink, type StoreSink, type StoreSinkOptions } from './sinks/store.js'
