// The fast path's view of one device profile, computed once per profile:
// escaped names as UTF-8 bytes and the checks as flat typed arrays, so the
// parser (uplink-lines.ts) tests a metric without a lookup or an allocation.
import type { DeviceProfile } from '../../device-profiles/index.ts';
import { MAX_VALUE_BYTES } from './line-output.ts';
import { escapeMeasurement, escapeTag } from './to-lines.ts';

export const enum Kind {
  Number = 0,
  Integer = 1,
  Boolean = 2,
}

/** Per profile, computed once: escaped names as bytes and the checks as flat arrays. */
export interface ProfilePlan {
  measurement: string;
  /** `escapedKey=` per metric position, UTF-8. */
  keys: Uint8Array[];
  /** `escapedKey=t,` and `escapedKey=f,` per metric position (booleans in one copy). */
  trueFields: Uint8Array[];
  falseFields: Uint8Array[];
  kinds: Uint8Array;
  min: Float64Array;
  max: Float64Array;
  byName: Map<string, number>;
  /** Duplicate-metric detection without allocating: seen[i] === stamp. */
  seen: Uint32Array;
  stamp: number;
  battery: number;
  /** Most bytes a line of this profile needs after its tag prefix: every field at its longest, seq and timestamp. */
  maxFieldBytes: number;
}

const BATTERY_METRIC = /^battery(_pct|_percent)?$/;
export const SEQ_KEY = Buffer.from('seq=');

export function planProfile(profile: DeviceProfile): ProfilePlan {
  const n = profile.metrics.length;
  const keys = profile.metrics.map((m) => Buffer.from(escapeTag(m.name) + '=', 'utf8'));
  return {
    measurement: escapeMeasurement(profile.measurement),
    keys,
    trueFields: keys.map((key) => Buffer.concat([key, Buffer.from('t,')])),
    falseFields: keys.map((key) => Buffer.concat([key, Buffer.from('f,')])),
    kinds: Uint8Array.from(profile.metrics, (m) => (m.type === 'boolean' ? Kind.Boolean : m.type === 'integer' ? Kind.Integer : Kind.Number)),
    min: Float64Array.from(profile.metrics, (m) => m.min ?? -Infinity),
    max: Float64Array.from(profile.metrics, (m) => m.max ?? Infinity),
    byName: new Map(profile.metrics.map((m, i) => [m.name, i])),
    seen: new Uint32Array(n),
    stamp: 0,
    battery: profile.metrics.findIndex((m) => BATTERY_METRIC.test(m.name)),
    maxFieldBytes: keys.reduce((sum, key) => sum + key.length + MAX_VALUE_BYTES, SEQ_KEY.length + 2 * MAX_VALUE_BYTES),
  };
}

/** `measurement,device=…,district=…,gateway=…,profile_version=… ` as UTF-8: a device's tag prefix. */
export function prefixOf(id: string, profile: DeviceProfile, plan: ProfilePlan, version: number, districtTag: string, gateway: string): Uint8Array {
  return Buffer.from(plan.measurement + ',device=' + id + districtTag + ',gateway=' + gateway + ',profile_version=' + (version || profile.version) + ' ', 'utf8');
}
