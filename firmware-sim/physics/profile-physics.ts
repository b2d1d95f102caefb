import type { DeviceProfile } from '../../device-profiles/index.ts';
import type { DevicePhysics, MetricState } from './types.ts';

/**
 * Physics for a class that has none in the catalogue yet: every metric rests
 * at a plausible value read from the profile alone — the middle of its valid
 * range, its minimum when only that is given, 0 otherwise; booleans false — so
 * a brand-new class (a profile, no code) can be simulated at once. Tests and
 * scenarios move it with pins (`setValue`).
 */
export function profilePhysics(profile: DeviceProfile): DevicePhysics {
  const rest: MetricState = {};
  for (const m of profile.metrics) {
    if (m.type === 'boolean') rest[m.name] = false;
    else {
      const v = m.min !== undefined && m.max !== undefined ? (m.min + m.max) / 2 : m.min ?? 0;
      rest[m.name] = m.type === 'integer' ? Math.round(v) : v;
    }
  }
  return {
    silentWithoutMains: false,
    initial: () => ({ state: { ...rest }, hidden: {} }),
    step: (s) => ({ ...s }),
    events: {},
  };
}
