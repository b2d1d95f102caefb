import type { DevicePhysics } from './types.ts';
import { num } from './types.ts';

// Alarm thresholds (water-meter.yaml): reverse flow, pressure < 0.14 or
// > 1.0 MPa, battery < 10 %. Volume never decreases.
export const waterMeter: DevicePhysics = {
  initial: (rng) => ({
    volume_m3: rng.between(100, 5000),
    flow_m3h: rng.between(0, 2),
    pressure_mpa: rng.between(0.2, 0.45),
    valve_open: true,
    reverse_flow: false,
    battery_pct: rng.between(60, 100),
  }),
  step: (s, { rng, dtS }) => {
    const flow = rng.walk(num(s, 'flow_m3h'), 0.05, 0, 2);
    return {
      volume_m3: num(s, 'volume_m3') + (flow * dtS) / 3600,
      flow_m3h: flow,
      pressure_mpa: rng.walk(num(s, 'pressure_mpa'), 0.005, 0.2, 0.45),
      valve_open: true,
      reverse_flow: false,
      battery_pct: Math.max(60, num(s, 'battery_pct') - dtS / 86_400),
    };
  },
};
