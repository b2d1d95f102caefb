import type { MetricProblem } from '../device-profiles/index.ts';

// Every reason ingest refuses something for: the dead-letter store's `reason`
// column, the `reason` label of tz_ingest_readings_rejected_total and
// tz_ingest_dead_lettered_total, and what `dead-letters list --reason` takes.
// A closed set, so a new refusal is added here on purpose (and documented in
// README's dead-letter table) instead of appearing as a new label by accident.

/** A whole message refused (topic, wire format, size, rate). */
export const MESSAGE_REJECT_REASONS = ['bad-topic', 'malformed-protobuf', 'gateway-mismatch', 'oversized', 'bad-json', 'codec-error', 'flood'] as const;
/** One reading (or device status) refused by its content. */
export const READING_REJECT_REASONS = ['invalid-device-id', 'invalid-timestamp', 'timestamp-out-of-range', 'unknown-profile', 'unknown-profile-version', 'duplicate-metric'] as const;
/** A value refused against its metric's spec (device-profiles' `checkMetricValue`). */
export const VALUE_REJECT_REASONS = ['unknown-metric', 'wrong-type', 'below-min', 'above-max', 'not-finite'] as const satisfies readonly MetricProblem[];
/** The registry's binding: a device nobody registered to this gateway. */
export const BINDING_REJECT_REASONS = ['unknown-device', 'wrong-gateway', 'retired-device'] as const;
/** InfluxDB refused the line for good (400/413/422: a field type conflict, a bad line). */
export const STORAGE_REJECT_REASONS = ['influx-rejected'] as const;

export const REJECT_REASONS = [...MESSAGE_REJECT_REASONS, ...READING_REJECT_REASONS, ...VALUE_REJECT_REASONS, ...BINDING_REJECT_REASONS, ...STORAGE_REJECT_REASONS] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];
export type BindingRejectReason = (typeof BINDING_REJECT_REASONS)[number];

const known = new Set<string>(REJECT_REASONS);
export const isRejectReason = (s: string): s is RejectReason => known.has(s);
