import type { DevicePhysics, HiddenState, MetricState } from './types.ts';
import { num, flag, numParam, lag, clamp } from './types.ts';

// Alarm thresholds (public-toilet.yaml): NH3 > 25 ppm for 5 min, H2S > 5 ppm,
// paper or soap < 10 %.
//
// Visitors arrive as a Poisson stream whose rate follows the day (lunch and
// evening peaks, a trickle at night); each takes a free stall for 2–8 min
// (the stall-guidance display). Every visit adds ammonia that the fans vent
// over ~3 h, flushes ~6 L and uses paper and soap. The cleaning crew comes at
// 07:00, 13:00 and 19:00: ammonia back to background, supplies refilled —
// unless the toilet is out of service for the crew (skip-cleaning).

const STALLS = 6;
const CLEANING_HOURS = [7, 13, 19];

/** Visitors per hour at a busy street toilet. */
const arrivalRate = (hour: number): number => {
  const lunch = Math.exp(-((hour - 12) ** 2) / 3);
  const evening = Math.exp(-((hour - 18) ** 2) / 4);
  const day = hour >= 6 && hour < 23 ? 6 : 0.6;
  return day + 18 * lunch + 14 * evening;
};

function clean(h: HiddenState, s: MetricState): void {
  s.nh3_ppm = 2 + Number(s.nh3_ppm) * 0.05;
  s.h2s_ppm = 0.1;
  h.paper = 100;
  h.soap = 100;
}

export const publicToilet: DevicePhysics = {
  silentWithoutMains: true,
  initial: (rng, { time }) => {
    const hidden: HiddenState = {
      crowdFactor: rng.between(0.6, 1.4),
      paper: rng.between(55, 100),
      soap: rng.between(55, 100),
      lastCleaningHour: -1,
      skipCleaning: false,
      nh3PerVisit: rng.between(0.2, 0.3),
    };
    const state: MetricState = {
      people_count: Math.round(arrivalRate(time.hour) * time.hour * 0.8),
      nh3_ppm: rng.between(2, 8),
      h2s_ppm: rng.between(0.05, 0.5),
      water_use_l: rng.between(1000, 50_000),
      paper_pct: Math.floor(num(hidden, 'paper')),
      soap_pct: Math.floor(num(hidden, 'soap')),
    };
    for (let i = 1; i <= STALLS; i++) {
      hidden[`stall${i}FreeAtS`] = 0;
      state[`stall_${i}_occupied`] = false;
    }
    return { state, hidden };
  },
  step: (s, h, { rng, dtS, nowS, time, newDay }) => {
    const next: MetricState = { ...s };
    const arrivals = rng.poisson((arrivalRate(time.hour) * num(h, 'crowdFactor') * dtS) / 3600);
    // Stalls: each visitor takes the first free stall; a full toilet turns people away.
    let seated = 0;
    for (let i = 1; i <= STALLS; i++) {
      const key = `stall${i}FreeAtS`;
      if (num(h, key) <= nowS && seated < arrivals) {
        h[key] = nowS + rng.between(120, 480);
        seated++;
      }
      next[`stall_${i}_occupied`] = num(h, key) > nowS;
    }
    const visits = seated;
    next.people_count = (newDay ? 0 : num(s, 'people_count')) + arrivals;
    next.water_use_l = num(s, 'water_use_l') + visits * rng.between(5, 7) + arrivals * 0.8;
    h.paper = clamp(num(h, 'paper') - visits * rng.between(0.1, 0.2), 0, 100);
    h.soap = clamp(num(h, 'soap') - arrivals * rng.between(0.05, 0.12), 0, 100);
    next.nh3_ppm = clamp(lag(num(s, 'nh3_ppm'), 2, dtS, 3 * 3600) + visits * num(h, 'nh3PerVisit'), 0, 100);
    next.h2s_ppm = clamp(lag(num(s, 'h2s_ppm'), 0.1, dtS, 3600) + visits * 0.004, 0, 50);

    const hour = Math.floor(time.hour);
    if (CLEANING_HOURS.includes(hour) && h.lastCleaningHour !== hour) {
      h.lastCleaningHour = hour;
      if (!flag(h, 'skipCleaning')) clean(h, next);
    }
    next.paper_pct = Math.floor(num(h, 'paper'));
    next.soap_pct = Math.floor(num(h, 'soap'));
    return next;
  },
  events: {
    /** A crowd (festival, stadium exit): several times the usual arrivals. */
    crowd: (h, _s, p) => {
      h.crowdFactor = numParam(p, 'factor', 5);
    },
    'crowd-end': (h, _s, _p, rng) => {
      h.crowdFactor = rng.between(0.6, 1.4);
    },
    /** The crew does not come (strike, closed road): no cleaning, no refills. */
    'skip-cleaning': (h) => {
      h.skipCleaning = true;
    },
    'resume-cleaning': (h) => {
      h.skipCleaning = false;
    },
    /** An unscheduled cleaning visit. */
    clean: (h, s) => clean(h, s),
    /** Supplies stolen or dispensers jammed. */
    'supplies-out': (h, s, p) => {
      h.paper = numParam(p, 'paperPct', 4);
      h.soap = numParam(p, 'soapPct', 30);
      s.paper_pct = Math.floor(num(h, 'paper'));
      s.soap_pct = Math.floor(num(h, 'soap'));
    },
    restock: (h, s) => {
      h.paper = 100;
      h.soap = 100;
      s.paper_pct = 100;
      s.soap_pct = 100;
    },
  },
};
