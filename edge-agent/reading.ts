import { metricIndexOf, metricsByName, type DeviceProfile } from '../device-profiles/index.ts';
import type { IMetricValue, IReading } from '../proto/index.ts';
import type { EdgeDeviceConfig } from './config.ts';

/**
 * Metric values typed by the profile: boolean → flag, integer → integer
 * (exact), number → number. Named by the compact 1-based profile index
 * (MetricValue.index) unless `names` is set. Values for metrics the profile
 * does not list are left out and counted in `unknown`.
 */
export function metricValues(profile: DeviceProfile, values: Map<string, number | boolean>, names: boolean): { metrics: IMetricValue[]; unknown: number } {
  const specs = metricsByName(profile);
  const metrics: IMetricValue[] = [];
  let unknown = 0;
  for (const [name, value] of values) {
    const spec = specs.get(name);
    if (!spec) {
      unknown++;
      continue;
    }
    const id: IMetricValue = names ? { name } : { index: metricIndexOf(profile, name) };
    if (spec.type === 'boolean') metrics.push({ ...id, flag: typeof value === 'boolean' ? value : value !== 0 });
    else if (spec.type === 'integer') metrics.push({ ...id, integer: Math.round(Number(value)) });
    else metrics.push({ ...id, number: Number(value) });
  }
  return { metrics, unknown };
}

/** One report of one device as a Reading; timestampMs is device-side time (poll time for Modbus, receive time for LoRa). */
export function toReading(device: EdgeDeviceConfig, profile: DeviceProfile, seq: number, timestampMs: number, metrics: IMetricValue[]): IReading {
  return { deviceId: device.deviceId, profile: profile.class, profileVersion: profile.version, timestampMs, seq, district: device.district, metrics };
}
