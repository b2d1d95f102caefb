// The ingest room: MQTT uplink batches → decode → validate → InfluxDB,
// refused data to a SQLite dead-letter store. At-least-once, idempotent writes.
export { startIngest, type Ingest, type IngestOptions } from './ingest.ts';
export { openDeadLetterStore, type DeadLetter, type DeadLetterRecord, type DeadLetterStore } from './dead-letter-store.ts';
export { decodeStep } from './steps/decode.ts';
export { validateStep, type AcceptedReading, type RejectedReading, type ValidationResult } from './steps/validate.ts';
export { toPoint, toPoints } from './steps/to-points.ts';
export { queryInfluxQL, detectInfluxApi, rewriteV1WritePath, type InfluxTarget, type InfluxSeries } from '../service-kit/index.ts';
