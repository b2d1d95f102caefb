import { ID_PATTERN, metricValueOf, type IReading } from '../../proto/index.ts';
import { checkMetricValue, metricOfValue, type DeviceProfile, type MetricSpec, type ProfileCatalogue } from '../../device-profiles/index.ts';
import type { Clock } from '../../service-kit/index.ts';
import type { DeviceBinding } from './bind.ts';
import type { RejectReason } from '../reject-reasons.ts';

export interface AcceptedReading {
  reading: IReading;
  profile: DeviceProfile;
  /** The profile metric of each `reading.metrics[i]` (resolved once, by index or name). */
  specs: MetricSpec[];
}

export interface RejectedReading {
  reading: IReading;
  /** Metric label and dead-letter reason (reject-reasons.ts). */
  reason: RejectReason;
  detail: string;
}

export interface ValidationResult {
  accepted: AcceptedReading[];
  rejected: RejectedReading[];
}

/** How far a device clock may be from ours before its readings are refused instead of written at the wrong time. */
export interface TimestampWindow {
  /** Default 5 minutes ahead. */
  futureMs: number;
  /** Default 30 days behind (longer than any store-and-forward outage we plan for). */
  pastMs: number;
}

export const DEFAULT_TIMESTAMP_WINDOW: TimestampWindow = { futureMs: 5 * 60_000, pastMs: 30 * 86_400_000 };

export interface ValidationContext {
  profiles: ProfileCatalogue;
  window: TimestampWindow;
  clock: Clock;
  /** The registry binding for step 2b (bind.ts); absent: no registry, every device with a known profile is accepted. */
  binding?: DeviceBinding;
}

/**
 * Step 2: each reading against its device profile. A reading is accepted or
 * refused whole. "Known device" means: an id matching ID_PATTERN whose
 * profile class and version this cloud knows (there is no device list yet).
 */
export function validateStep(readings: readonly IReading[], context: ValidationContext): ValidationResult {
  const result: ValidationResult = { accepted: [], rejected: [] };
  const now = context.clock.now();
  for (const reading of readings) {
    const checked = checkReading(reading, context, now);
    if ('reason' in checked) result.rejected.push({ reading, reason: checked.reason, detail: checked.detail });
    else result.accepted.push(checked);
  }
  return result;
}

function checkReading(reading: IReading, context: ValidationContext, now: number): AcceptedReading | { reason: RejectReason; detail: string } {
  const deviceId = reading.deviceId ?? '';
  if (!ID_PATTERN.test(deviceId)) return { reason: 'invalid-device-id', detail: `device id "${deviceId}" does not match ${ID_PATTERN}` };
  const timestampMs = Number(reading.timestampMs ?? 0);
  if (!Number.isSafeInteger(timestampMs) || timestampMs <= 0) return { reason: 'invalid-timestamp', detail: `device ${deviceId}: timestamp ${String(reading.timestampMs)}` };
  // A device clock far off would put the point at the wrong time (and, in the past, into an expired shard).
  if (timestampMs > now + context.window.futureMs || timestampMs < now - context.window.pastMs) {
    return { reason: 'timestamp-out-of-range', detail: `device ${deviceId}: timestamp ${new Date(timestampMs).toISOString()} is ${formatSkew(timestampMs - now)} from the cloud clock (window +${context.window.futureMs / 1000}s / -${context.window.pastMs / 1000}s)` };
  }
  const profile = context.profiles.get(reading.profile ?? '');
  if (!profile) return { reason: 'unknown-profile', detail: `device ${deviceId}: no profile "${reading.profile ?? ''}"` };
  // Version 0 = not sent (old gateways). Another version may order or name metrics differently: refuse rather than guess.
  const version = reading.profileVersion ?? 0;
  if (version !== 0 && version !== profile.version) return { reason: 'unknown-profile-version', detail: `device ${deviceId}: ${profile.class} version ${version}, this cloud knows version ${profile.version}` };
  const metrics = reading.metrics ?? [];
  const specs: MetricSpec[] = [];
  for (const metric of metrics) {
    const spec = metricOfValue(profile, metric);
    const label = spec?.name ?? (metric.index ? `#${metric.index}` : (metric.name ?? ''));
    const value = metricValueOf(metric);
    let problem: RejectReason | null = checkMetricValue(spec, value);
    // checkMetricValue accepts any finite number for integer metrics; a counter must be whole.
    if (problem === null && spec?.type === 'integer' && !Number.isSafeInteger(value)) problem = 'wrong-type';
    if (problem === null && spec !== undefined && specs.includes(spec)) problem = 'duplicate-metric';
    // checkMetricValue already calls a metric without a spec unknown; the second test is for the type checker.
    if (problem !== null || spec === undefined) {
      const reason = problem ?? 'unknown-metric';
      return { reason, detail: `device ${deviceId}: ${profile.class} metric ${label} = ${String(value)} (${reason})` };
    }
    specs.push(spec);
  }
  return { reading, profile, specs };
}

function formatSkew(ms: number): string {
  const abs = Math.abs(ms);
  const text = abs >= 86_400_000 ? `${(abs / 86_400_000).toFixed(1)} days` : abs >= 3_600_000 ? `${(abs / 3_600_000).toFixed(1)} h` : `${Math.round(abs / 1000)} s`;
  return `${text} ${ms > 0 ? 'ahead' : 'behind'}`;
}
