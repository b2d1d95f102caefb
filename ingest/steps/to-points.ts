import { Point } from '@influxdata/influxdb-client';
import { metricValueOf } from '../../proto/index.ts';
import { metricsByName } from '../../device-profiles/index.ts';
import type { AcceptedReading } from './validate.ts';

/**
 * Step 3: the InfluxDB layout (ARCHITECTURE.md): measurement per device class,
 * tags device/gateway/district/profile_version, one field per metric plus
 * seq, timestamp = device time in ms. Same reading → same series and time,
 * so a replay overwrites itself (at-least-once becomes idempotent).
 */
export function toPoint({ reading, profile }: AcceptedReading, gatewayId: string): Point {
  const point = new Point(profile.measurement).tag('device', reading.deviceId ?? '').tag('gateway', gatewayId).tag('profile_version', String(reading.profileVersion ?? profile.version));
  // Line protocol has no empty tag values; a reading without district simply has no district tag.
  if (reading.district) point.tag('district', reading.district);
  const specs = metricsByName(profile);
  for (const metric of reading.metrics ?? []) {
    const name = metric.name ?? '';
    const value = metricValueOf(metric);
    const spec = specs.get(name);
    if (value === null || !spec) continue; // validateStep refused these already
    if (spec.type === 'boolean') point.booleanField(name, value === true);
    else if (spec.type === 'integer') point.intField(name, Number(value));
    else point.floatField(name, Number(value));
  }
  point.intField('seq', Number(reading.seq ?? 0));
  point.timestamp(Number(reading.timestampMs));
  return point;
}

export function toPoints(accepted: readonly AcceptedReading[], gatewayId: string): Point[] {
  return accepted.map((a) => toPoint(a, gatewayId));
}
