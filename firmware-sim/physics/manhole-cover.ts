import type { DevicePhysics } from './types.ts';
import { num } from './types.ts';

// Alarm thresholds (manhole-cover.yaml): tilt > 15°, displacement > 30 mm,
// water > 150 cm, CH4 >= 10 %LEL, H2S >= 10 ppm, battery < 15 %.
export const manholeCover: DevicePhysics = {
  initial: (rng) => ({
    cover_open: false,
    tilt_deg: rng.between(0, 3),
    displacement_mm: rng.between(0, 5),
    water_level_cm: rng.between(10, 60),
    ch4_pct_lel: rng.between(0, 3),
    h2s_ppm: rng.between(0, 3),
    battery_pct: rng.between(60, 100),
    temperature_c: rng.between(12, 28),
  }),
  step: (s, { rng, dtS }) => ({
    cover_open: false,
    tilt_deg: rng.walk(num(s, 'tilt_deg'), 0.1, 0, 3),
    displacement_mm: rng.walk(num(s, 'displacement_mm'), 0.1, 0, 5),
    water_level_cm: rng.walk(num(s, 'water_level_cm'), 0.5, 10, 60),
    ch4_pct_lel: rng.walk(num(s, 'ch4_pct_lel'), 0.1, 0, 3),
    h2s_ppm: rng.walk(num(s, 'h2s_ppm'), 0.1, 0, 3),
    // Drains about 1 % a day, never below the simulator's floor of 60 %.
    battery_pct: Math.max(60, num(s, 'battery_pct') - dtS / 86_400),
    temperature_c: rng.walk(num(s, 'temperature_c'), 0.05, 5, 35),
  }),
};
