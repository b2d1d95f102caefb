import type { SeededRandom } from '../prng.ts';
import type { CityTime } from '../city-time.ts';
import type { Environment } from '../environment.ts';

/** Engineering values of one simulated device, by metric name. */
export type MetricState = Record<string, number | boolean>;

/**
 * What the device knows but does not report: sensor constants drawn at
 * birth (a shaft's catchment, a household's demand) and conditions set by
 * events and commands (a leaking pipe, a failed lamp, a dimming setpoint).
 */
export type HiddenState = Record<string, number | boolean>;

export interface PhysicsStep {
  rng: SeededRandom;
  /** Simulated seconds since the previous step (the fixed physics step). */
  dtS: number;
  /** Simulated time, epoch seconds. */
  nowS: number;
  /** City-local time (the configured time zone, not the machine's). */
  time: CityTime;
  /** The local date changed since the previous step (daily counters reset). */
  newDay: boolean;
  env: Environment;
}

export type EventParams = Record<string, number | boolean | string>;

/** One thing that can happen to a device of this class (scenario `event`, or on demand). */
export type DeviceEvent = (hidden: HiddenState, state: MetricState, params: EventParams, rng: SeededRandom) => void;

/**
 * How one device class behaves. Normal operation stays inside the profile's
 * bands and below every default alarm threshold; alarms come from events
 * (a pipe leaks, a cover is lifted), the environment (a rainstorm, a power
 * cut) or injected faults.
 */
export interface DevicePhysics {
  initial(rng: SeededRandom, at: Omit<PhysicsStep, 'rng' | 'dtS' | 'newDay'>): { state: MetricState; hidden: HiddenState };
  /** Next values from the current ones; may update `hidden` (a decaying spike). */
  step(state: Readonly<MetricState>, hidden: HiddenState, at: PhysicsStep): MetricState;
  /** A master wrote `metric` (Modbus FC5/FC6): obey it as the real controller would. */
  command?(hidden: HiddenState, state: MetricState, metric: string, value: number | boolean): boolean;
  events: Readonly<Record<string, DeviceEvent>>;
  /**
   * The electronics die with the grid (a district power cut silences it).
   * Battery devices (covers, meters) and pole controllers with a backup cell
   * keep answering — a pole then reports its supply at 0 V.
   */
  silentWithoutMains: boolean;
}

export const num = (state: Readonly<MetricState | HiddenState>, key: string): number => Number(state[key] ?? 0);
export const flag = (state: Readonly<MetricState | HiddenState>, key: string): boolean => state[key] === true;
export const numParam = (params: EventParams, key: string, fallback: number): number => (typeof params[key] === 'number' ? (params[key] as number) : fallback);
/** Moves `value` towards `target` with time constant `tauS` over `dtS` (first-order lag). */
export const lag = (value: number, target: number, dtS: number, tauS: number): number => target + (value - target) * Math.exp(-dtS / tauS);
export const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
