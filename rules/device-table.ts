import type { CompiledRule, RuleVariant } from './compile.ts';
import { MetricWindows } from './metric-window.ts';

// The devices of one class in flat arrays, by slot: latest values (one row of
// `width` numbers per device), last-seen device time and arrival, and one
// window arena per windowed metric. A device's own object keeps only its
// slot, names and rule states, so 100,000 devices are a handful of typed
// arrays for the garbage collector instead of a million small objects.

/**
 * The rules that apply to devices of one scope (class, district, and gateway
 * / profile version when a rule of the class names them), resolved once:
 * scope tests and override lookups are not repeated per reading. `variants[i]`
 * undefined: rule i names devices, resolved per device.
 */
export interface ScopePlan {
  generation: number;
  rules: CompiledRule[];
  variants: Array<RuleVariant | undefined>;
}

export class DeviceTable {
  values: Float64Array;
  lastTs: Float64Array;
  lastArrival: Float64Array;
  /** Window arena by metric position (only metrics a rule windows). */
  readonly windows: Array<MetricWindows | undefined> = [];
  /** Scope plans by key, for the rule-set generation in `plansOf`. */
  readonly plans = new Map<string, ScopePlan>();
  plansOf = -1;
  size = 0;

  constructor(readonly profileClass: string, readonly width: number) {
    const cap = 256;
    this.values = new Float64Array(cap * width);
    this.lastTs = new Float64Array(cap);
    this.lastArrival = new Float64Array(cap);
  }

  /** A new device slot: no values, never seen. */
  add(arrival: number): number {
    if (this.size === this.lastTs.length) {
      const cap = this.size * 2;
      const grow = (a: Float64Array, n: number) => {
        const b = new Float64Array(n);
        b.set(a);
        return b;
      };
      this.values = grow(this.values, cap * this.width);
      this.lastTs = grow(this.lastTs, cap);
      this.lastArrival = grow(this.lastArrival, cap);
    }
    const slot = this.size++;
    this.values.fill(Number.NaN, slot * this.width, (slot + 1) * this.width);
    this.lastTs[slot] = Number.NEGATIVE_INFINITY;
    this.lastArrival[slot] = arrival;
    return slot;
  }

  /** Keeps exactly the windows the rules ask for (longest window per metric). */
  setWindows(windows: ReadonlyMap<number, number>): void {
    for (let m = 0; m < this.windows.length; m++) if (this.windows[m] && !windows.has(m)) this.windows[m] = undefined;
    for (const [m, ms] of windows) {
      const w = this.windows[m];
      if (w) w.keepMs = ms;
      else this.windows[m] = new MetricWindows(ms);
    }
  }
}
