import { metricsByName, type DeviceProfile } from '../device-profiles/index.ts';
import type { IMetricValue, IReading } from '../proto/index.ts';
import type { EdgeDeviceConfig } from './config.ts';

/** Metric values typed by the profile: boolean → flag, integer → integer (exact), number → number. */
export function metricValues(profile: DeviceProfile, values: Map<string, number | boolean>): IMetricValue[] {
  const specs = metricsByName(profile);
  const out: IMetricValue[] = [];
  for (const [name, value] of values) {
    const spec = specs.get(name);
    if (!spec) continue; // a register for a metric the profile no longer lists
    if (spec.type === 'boolean') out.push({ name, flag: typeof value === 'boolean' ? value : value !== 0 });
    else if (spec.type === 'integer') out.push({ name, integer: Math.round(Number(value)) });
    else out.push({ name, number: Number(value) });
  }
  return out;
}

/** One successful poll as a Reading; timestampMs is the poll time (the device has no clock of its own). */
export function toReading(device: EdgeDeviceConfig, profile: DeviceProfile, seq: number, timestampMs: number, values: Map<string, number | boolean>): IReading {
  return {
    deviceId: device.deviceId,
    profile: profile.class,
    profileVersion: profile.version,
    timestampMs,
    seq,
    district: device.district,
    metrics: metricValues(profile, values),
  };
}
