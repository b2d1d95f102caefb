import { metricValueOf } from '../../proto/index.ts';
import { TzError } from '../../service-kit/index.ts';
import type { DeviceProfile } from '../../device-profiles/index.ts';
import type { AcceptedReading } from './validate.ts';

/**
 * Step 3: a reading as one InfluxDB line (ARCHITECTURE.md layout):
 * measurement per device class; tags device, district, gateway,
 * profile_version (sorted, as InfluxDB prefers); one field per metric plus
 * `seq`; timestamp = device time in ms. Same reading → same series and time,
 * so a replay overwrites itself (at-least-once becomes idempotent).
 *
 * Written by hand rather than through the client's `Point` (which escapes and
 * sorts every key of every point): measurement and field keys are escaped
 * once per profile, device and gateway ids cannot need escaping (ID_PATTERN).
 * This is the reference path (odd readings, dead-letter replay); ingest's hot
 * path is UplinkParser, which writes the very same bytes.
 */
export function toLine(accepted: AcceptedReading, gatewayTag: string): string {
  const { reading, profile, specs } = accepted;
  const shape = shapeOf(profile);
  let line = shape.measurement + ',device=' + (reading.deviceId as string);
  if (reading.district) line += ',district=' + escapeTag(reading.district);
  line += ',gateway=' + gatewayTag + ',profile_version=' + (reading.profileVersion || profile.version) + ' ';
  const metrics = reading.metrics ?? [];
  for (const [i, metric] of metrics.entries()) {
    // validateStep gives every metric its spec, in order; an AcceptedReading made otherwise is a bug.
    const spec = specs[i];
    if (spec === undefined) throw new TzError('TZ_INTERNAL', `ingest: accepted reading of ${reading.deviceId ?? '?'} has no spec for its metric #${i + 1}`);
    const value = metricValueOf(metric);
    line += fieldKeyOf(shape, spec.name) + '=';
    if (spec.type === 'boolean') line += value === true ? 't,' : 'f,';
    else if (spec.type === 'integer') line += value + 'i,';
    else line += value + ',';
  }
  return line + 'seq=' + Number(reading.seq ?? 0) + 'i ' + Number(reading.timestampMs);
}

interface ProfileShape {
  measurement: string;
  fieldKey: Map<string, string>;
}

const shapes = new WeakMap<DeviceProfile, ProfileShape>();

function shapeOf(profile: DeviceProfile): ProfileShape {
  let shape = shapes.get(profile);
  if (!shape) {
    shape = { measurement: escapeMeasurement(profile.measurement), fieldKey: new Map(profile.metrics.map((m) => [m.name, escapeTag(m.name)])) };
    shapes.set(profile, shape);
  }
  return shape;
}

/** A metric's escaped field key: from the profile's shape, else (a name outside the profile, never in practice) escaped now. */
function fieldKeyOf(shape: ProfileShape, name: string): string {
  return shape.fieldKey.get(name) ?? escapeTag(name);
}

/** Line protocol: measurement names escape comma and space. */
export function escapeMeasurement(name: string): string {
  return name.replace(/[, ]/g, (c) => `\\${c}`);
}

/** Line protocol: tag keys, tag values and field keys escape comma, equals sign and space. */
export function escapeTag(value: string): string {
  return value.replace(/[,= ]/g, (c) => `\\${c}`);
}
