import { ID_PATTERN, metricValueOf, type IReading } from '../../proto/index.ts';
import { checkMetricValue, metricsByName, type DeviceProfile, type ProfileCatalogue } from '../../device-profiles/index.ts';

export interface AcceptedReading {
  reading: IReading;
  profile: DeviceProfile;
}

export interface RejectedReading {
  reading: IReading;
  /** Metric label and dead-letter reason: 'unknown-profile', 'unknown-metric', 'above-max', ... */
  reason: string;
  detail: string;
}

export interface ValidationResult {
  accepted: AcceptedReading[];
  rejected: RejectedReading[];
}

/** Step 2: each reading against its device profile. A reading is accepted or refused whole. */
export function validateStep(readings: readonly IReading[], profiles: ProfileCatalogue): ValidationResult {
  const result: ValidationResult = { accepted: [], rejected: [] };
  for (const reading of readings) {
    const problem = checkReading(reading, profiles);
    if ('reason' in problem) result.rejected.push({ reading, ...problem });
    else result.accepted.push({ reading, profile: problem.profile });
  }
  return result;
}

function checkReading(reading: IReading, profiles: ProfileCatalogue): { profile: DeviceProfile } | { reason: string; detail: string } {
  const deviceId = reading.deviceId ?? '';
  if (!ID_PATTERN.test(deviceId)) return { reason: 'invalid-device-id', detail: `device id "${deviceId}" does not match ${ID_PATTERN}` };
  const timestampMs = Number(reading.timestampMs ?? 0);
  if (!Number.isSafeInteger(timestampMs) || timestampMs <= 0) return { reason: 'invalid-timestamp', detail: `device ${deviceId}: timestamp ${String(reading.timestampMs)}` };
  const profile = profiles.get(reading.profile ?? '');
  if (!profile) return { reason: 'unknown-profile', detail: `device ${deviceId}: no profile "${reading.profile ?? ''}"` };
  const specs = metricsByName(profile);
  const seen = new Set<string>();
  for (const metric of reading.metrics ?? []) {
    const name = metric.name ?? '';
    if (seen.has(name)) return { reason: 'duplicate-metric', detail: `device ${deviceId}: metric ${name} twice` };
    seen.add(name);
    const spec = specs.get(name);
    const value = metricValueOf(metric);
    let problem: string | null = checkMetricValue(spec, value);
    // checkMetricValue accepts any finite number for integer metrics; a counter must be whole.
    if (problem === null && spec?.type === 'integer' && !Number.isSafeInteger(value)) problem = 'wrong-type';
    if (problem !== null) return { reason: problem, detail: `device ${deviceId}: ${profile.class} metric ${name} = ${String(value)} (${problem})` };
  }
  return { profile };
}
