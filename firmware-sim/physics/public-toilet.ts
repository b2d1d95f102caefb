import type { DevicePhysics, MetricState } from './types.ts';
import { num } from './types.ts';

// Alarm thresholds (public-toilet.yaml): NH3 > 25 ppm, H2S > 5 ppm, paper or
// soap < 10 %. Supplies are refilled (to 100 %) before they fall below 40 %.
const STALLS = 6;

export const publicToilet: DevicePhysics = {
  initial: (rng) => {
    const s: MetricState = {
      people_count: rng.int(0, 200),
      nh3_ppm: rng.between(2, 12),
      h2s_ppm: rng.between(0.05, 1.5),
      water_use_l: rng.between(1000, 50_000),
      paper_pct: rng.int(40, 100),
      soap_pct: rng.int(40, 100),
    };
    for (let i = 1; i <= STALLS; i++) s[`stall_${i}_occupied`] = rng.chance(0.3);
    return s;
  },
  step: (s, { rng }) => {
    const next: MetricState = {};
    let arrivals = 0;
    for (let i = 1; i <= STALLS; i++) {
      const key = `stall_${i}_occupied`;
      const occupied = s[key] === true;
      const flips = rng.chance(occupied ? 0.1 : 0.05);
      next[key] = flips ? !occupied : occupied;
      if (flips && !occupied) arrivals++;
    }
    const supply = (metric: string): number => {
      const v = num(s, metric) - (arrivals > 0 && rng.chance(0.3) ? 1 : 0);
      return v < 40 ? 100 : v;
    };
    return {
      ...next,
      people_count: num(s, 'people_count') + arrivals,
      nh3_ppm: rng.walk(num(s, 'nh3_ppm'), 0.2, 2, 12),
      h2s_ppm: rng.walk(num(s, 'h2s_ppm'), 0.05, 0.05, 1.5),
      water_use_l: num(s, 'water_use_l') + arrivals * 6,
      paper_pct: supply('paper_pct'),
      soap_pct: supply('soap_pct'),
    };
  },
};
