import { SeededRandom, hashString } from '../../firmware-sim/index.ts';

// How long the city's people take, as stated distributions (simulated
// minutes), drawn from seeded streams: the same seed and the same case draw
// the same delays, whatever the wall clock did.

const MINUTE = 60_000;

/** Log-normal with the given median (minutes) and σ of the log. */
function logNormal(rng: SeededRandom, medianMin: number, sigma: number): number {
  return medianMin * Math.exp(sigma * rng.normal()) * MINUTE;
}

export const DISTRIBUTIONS = {
  /** Crew takes the job on its phone: log-normal, median 8 min, σ 0.6. */
  accept: (r: SeededRandom) => logNormal(r, 8, 0.6),
  /** Crew travels to the site: uniform 10–35 min. */
  travel: (r: SeededRandom) => r.between(10, 35) * MINUTE,
  /** Repair on site: log-normal, median 35 min, σ 0.5. */
  fix: (r: SeededRandom) => logNormal(r, 35, 0.5),
  /** A crew runs late (parts, traffic) with this chance: the repair takes 4–10 h more. */
  lateChance: 0.04,
  late: (r: SeededRandom) => r.between(4, 10) * 60 * MINUTE,
  /** A repair that does not hold: the inspector fails the verification (rework), this often. */
  badFixChance: 0.07,
  /** Inspector reaches a handled case: log-normal, median 18 min, σ 0.4; late (a missed round, 1–4 h more) with chance 0.02. */
  verify: (r: SeededRandom) => logNormal(r, 18, 0.4),
  verifyLateChance: 0.02,
  verifyLate: (r: SeededRandom) => r.between(60, 240) * MINUTE,
  /** Command centre registers a citizen's report: uniform 5–25 min; rejects 3 % (duplicates, outside the city's remit). */
  register: (r: SeededRandom) => r.between(5, 25) * MINUTE,
  rejectChance: 0.03,
  /** Command centre closes a verified case: uniform 5–30 min. */
  close: (r: SeededRandom) => r.between(5, 30) * MINUTE,
  /** Citizen rates a closed request within 1–12 h, 70 % of them; stars 5/4/3/2/1 with 45/30/15/7/3 %. */
  rateChance: 0.7,
  rateAfter: (r: SeededRandom) => r.between(60, 720) * MINUTE,
  stars: (r: SeededRandom): number => {
    const x = r.float();
    return x < 0.45 ? 5 : x < 0.75 ? 4 : x < 0.9 ? 3 : x < 0.97 ? 2 : 1;
  },
} as const;

/** Citizens' reports per simulated hour by local hour (Poisson): busy by day, quiet at night; ≈ 2.6 a day. */
export function citizenRatePerHour(localHour: number, raining: boolean): number {
  const base = localHour >= 7 && localHour < 22 ? 0.16 : 0.02;
  return raining ? base * 1.6 : base;
}

/** Inspectors' patrol finds per simulated hour, 09:00–17:00 on patrol; ≈ 1 a day for the three of them. */
export function inspectorRatePerHour(localHour: number): number {
  return localHour >= 9 && localHour < 17 ? 0.125 : 0;
}

/** 12345 hotline calls per simulated hour, 08:00–20:00; ≈ 0.6 a day. */
export function hotlineRatePerHour(localHour: number): number {
  return localHour >= 8 && localHour < 20 ? 0.05 : 0;
}

/** A stream of its own for one thing (a case, a day's citizens), from the run's seed. */
export function streamFor(seed: number, key: string): SeededRandom {
  return new SeededRandom((seed ^ hashString(key)) >>> 0);
}
