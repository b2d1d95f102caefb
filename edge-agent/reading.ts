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
  const specs = metricSlots(profile);
  const metrics: IMetricValue[] = [];
  let unknown = 0;
  for (const [name, value] of values) {
    const spec = specs.get(name);
    if (!spec) {
      unknown++;
      continue;
    }
    const mv: IMetricValue = names ? { name } : { index: spec.index };
    if (spec.type === 'boolean') mv.flag = typeof value === 'boolean' ? value : value !== 0;
    else if (spec.type === 'integer') mv.integer = Math.round(Number(value));
    else mv.number = Number(value);
    metrics.push(mv);
  }
  return { metrics, unknown };
}

/** Type and 1-based index of each metric by name, once per profile (this runs for every reading). */
const slots = new WeakMap<DeviceProfile, Map<string, { type: string; index: number }>>();
function metricSlots(profile: DeviceProfile): Map<string, { type: string; index: number }> {
  let m = slots.get(profile);
  if (!m) {
    m = new Map([...metricsByName(profile)].map(([name, spec]) => [name, { type: spec.type, index: metricIndexOf(profile, name) }]));
    slots.set(profile, m);
  }
  return m;
}

/** One report of one device as a Reading; timestampMs is device-side time (poll time for Modbus, receive time for LoRa). */
export function toReading(device: EdgeDeviceConfig, profile: DeviceProfile, seq: number, timestampMs: number, metrics: IMetricValue[]): IReading {
  return { deviceId: device.deviceId, profile: profile.class, profileVersion: profile.version, timestampMs, seq, district: device.district, metrics };
}
