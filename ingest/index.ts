// The ingest room: MQTT uplink batches → decode → validate → InfluxDB,
// refused data to a SQLite dead-letter store, a device registry over HTTP.
// At-least-once, idempotent writes.
export { startIngest, type Ingest, type IngestOptions } from './ingest.ts';
export { openDeadLetterStore, type DeadLetter, type DeadLetterRecord, type DeadLetterStore, type DeadLetterQuery } from './dead-letter-store.ts';
export { replayDeadLetters, type ReplayOptions, type ReplayReport } from './dead-letter-replay.ts';
export { DeviceRegistry, type DeviceRecord, type DeviceView, type DeviceState, type DeviceQuery } from './device-registry.ts';
export { DEFAULT_RETENTION, downsampleSelect, downsampledMetrics, setUpInfluxLayout, type RetentionSetup, type SetupReport } from './influx-setup.ts';
export { decodeStep } from './steps/decode.ts';
export { validateStep, DEFAULT_TIMESTAMP_WINDOW, type AcceptedReading, type RejectedReading, type ValidationResult, type TimestampWindow, type ValidationContext } from './steps/validate.ts';
export { toLine, escapeTag, escapeMeasurement } from './steps/to-lines.ts';
export { queryInfluxQL, detectInfluxApi, rewriteV1WritePath, type InfluxTarget, type InfluxSeries } from '../service-kit/index.ts';
export { startDeviceGateway, type DeviceGatewayOptions } from './direct-devices/device-gateway.ts';
export type { DirectDevice } from './direct-devices/json-intake.ts';
export { REJECT_REASONS, isRejectReason, type RejectReason } from './reject-reasons.ts';
