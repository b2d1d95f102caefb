import type { DevicePhysics, MetricState } from './types.ts';
import { num } from './types.ts';
import type { SeededRandom } from '../prng.ts';

// Alarm thresholds (smart-pole.yaml): lamp on with current < 0.05 A, voltage
// outside 190–250 V, noise > 85 dB, PM2.5 > 250, EV charger state 3.
const isNight = (localHour: number): boolean => localHour >= 18 || localHour < 6;

function electrical(rng: SeededRandom, lampOn: boolean, voltage: number, current: number): MetricState {
  const currentA = lampOn ? rng.walk(current < 0.4 ? 0.8 : current, 0.02, 0.4, 1.2) : 0;
  return { lamp_on: lampOn, dimming_pct: lampOn ? 100 : 0, voltage_v: voltage, current_a: currentA, power_w: voltage * currentA };
}

export const smartPole: DevicePhysics = {
  initial: (rng, localHour) => ({
    ...electrical(rng, isNight(localHour), rng.between(220, 235), rng.between(0.4, 1.2)),
    energy_kwh: rng.between(100, 5000),
    noise_db: rng.between(40, 70),
    pm25_ugm3: rng.between(10, 80),
    temperature_c: rng.between(12, 28),
    humidity_pct: rng.between(40, 80),
    ev_charger_state: rng.int(0, 2),
  }),
  step: (s, { rng, dtS, localHour }) => {
    const e = electrical(rng, isNight(localHour), rng.walk(num(s, 'voltage_v'), 0.5, 220, 235), num(s, 'current_a'));
    return {
      ...e,
      energy_kwh: num(s, 'energy_kwh') + (num(e, 'power_w') * dtS) / 3_600_000,
      noise_db: rng.walk(num(s, 'noise_db'), 1, 40, 70),
      pm25_ugm3: rng.walk(num(s, 'pm25_ugm3'), 0.5, 10, 80),
      temperature_c: rng.walk(num(s, 'temperature_c'), 0.05, 5, 35),
      humidity_pct: rng.walk(num(s, 'humidity_pct'), 0.2, 30, 90),
      // Charging sessions come and go; never the fault state (3).
      ev_charger_state: rng.chance(0.01) ? rng.int(0, 2) : num(s, 'ev_charger_state'),
    };
  },
};
