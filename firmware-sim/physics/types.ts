import type { SeededRandom } from '../prng.ts';

/** Engineering values of one simulated device, by metric name. */
export type MetricState = Record<string, number | boolean>;

export interface PhysicsStep {
  rng: SeededRandom;
  /** Seconds since the previous step. */
  dtS: number;
  /** Local hour of day (0–23.99), for lamps and daily patterns. */
  localHour: number;
}

/**
 * How one device class behaves in normal operation. Values stay inside the
 * profile's bands and below every default alarm threshold, so alarms only
 * come from injected faults or pinned values.
 */
export interface DevicePhysics {
  initial(rng: SeededRandom, localHour: number): MetricState;
  /** Next values from the current ones; the caller keeps pinned metrics as they are. */
  step(state: Readonly<MetricState>, at: PhysicsStep): MetricState;
}

export const num = (state: Readonly<MetricState>, metric: string): number => Number(state[metric] ?? 0);
