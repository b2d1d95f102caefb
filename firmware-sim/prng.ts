// Seeded randomness for the simulators: the whole district is reproducible
// under one seed (never Math.random).
import { mulberry32, TzError } from '../service-kit/index.ts';

/** FNV-1a of a string, to derive one stream per device from the district seed. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A random source with the helpers the physics needs. */
export class SeededRandom {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  float(): number {
    return this.next();
  }

  between(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  int(lo: number, hiInclusive: number): number {
    return lo + Math.floor(this.next() * (hiInclusive - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Random walk step that stays inside [lo, hi] by reflecting at the edges. */
  walk(value: number, step: number, lo: number, hi: number): number {
    let v = value + (this.next() - 0.5) * 2 * step;
    if (v > hi) v = hi - (v - hi);
    if (v < lo) v = lo + (lo - v);
    return Math.min(hi, Math.max(lo, v));
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Poisson count with mean `lambda` (Knuth for small means, normal beyond). */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  shuffle<T extends NonNullable<unknown>>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const a = items[i];
      const b = items[j];
      if (a === undefined || b === undefined) throw new TzError('TZ_INTERNAL', `shuffle: a hole at ${a === undefined ? i : j} of ${items.length} items`);
      items[i] = b;
      items[j] = a;
    }
    return items;
  }
}
