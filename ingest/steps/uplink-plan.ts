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

/** One metric position of a profile: its escaped key as bytes and its checks. */
export interface MetricPlan {
  /** `escapedKey=`, UTF-8. */
  key: Uint8Array;
  /** `escapedKey=t,` and `escapedKey=f,` (booleans in one copy). */
  trueField: Uint8Array;
  falseField: Uint8Array;
  kind: Kind;
  min: number;
  max: number;
}

/** Per profile, computed once: escaped names as bytes and the checks, one entry per metric position. */
export interface ProfilePlan {
  measurement: string;
  /** By metric position: a position the profile lacks is simply not there (the parser's one bounds check). */
  metrics: MetricPlan[];
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
  const metrics = profile.metrics.map((m): MetricPlan => {
    const key = Buffer.from(escapeTag(m.name) + '=', 'utf8');
    return {
      key,
      trueField: Buffer.concat([key, Buffer.from('t,')]),
      falseField: Buffer.concat([key, Buffer.from('f,')]),
      kind: m.type === 'boolean' ? Kind.Boolean : m.type === 'integer' ? Kind.Integer : Kind.Number,
      min: m.min ?? -Infinity,
      max: m.max ?? Infinity,
    };
  });
  return {
    measurement: escapeMeasurement(profile.measurement),
    metrics,
    byName: new Map(profile.metrics.map((m, i) => [m.name, i])),
    seen: new Uint32Array(metrics.length),
    stamp: 0,
    battery: profile.metrics.findIndex((m) => BATTERY_METRIC.test(m.name)),
    maxFieldBytes: metrics.reduce((sum, m) => sum + m.key.length + MAX_VALUE_BYTES, SEQ_KEY.length + 2 * MAX_VALUE_BYTES),
  };
}

/** `measurement,device=…,district=…,gateway=…,profile_version=… ` as UTF-8: a device's tag prefix. */
export function prefixOf(id: string, profile: DeviceProfile, plan: ProfilePlan, version: number, districtTag: string, gateway: string): Uint8Array {
  return Buffer.from(plan.measurement + ',device=' + id + districtTag + ',gateway=' + gateway + ',profile_version=' + (version || profile.version) + ' ', 'utf8');
}
