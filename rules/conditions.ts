import { TzError } from '../service-kit/index.ts';
import { ruleDuration, ruleTimeOfDay } from './rule-durations.ts';
import { WEEKDAYS, type ComparisonOp, type Condition, type DeviceProfile, type MetricCondition } from '../device-profiles/index.ts';
import type { CityCalendar } from './city-time.ts';
import type { MetricWindows } from './metric-window.ts';

// Conditions compiled against one profile (metric names → positions) and
// interpreted per reading. Operators' rules are data, never code: no eval /
// new Function anywhere (ARCHITECTURE.md, Non-negotiables).

export type MetricValue = number | boolean;

const OPS: readonly ComparisonOp[] = ['==', '!=', '>', '>=', '<', '<='];

/** The test applied to a number: op/value, or a range. Flags are stored as 1/0. */
export type Test =
  | { kind: 'op'; op: number; value: number }
  | { kind: 'between'; lo: number; hi: number }
  | { kind: 'outside'; lo: number; hi: number };

export type WindowFn = 'change' | 'rate' | 'avg' | 'min' | 'max' | 'count';

export type CompiledCondition =
  | { k: 'value'; metric: number; test: Test }
  | { k: 'window'; metric: number; fn: WindowFn; ms: number; perMs: number; where: Test | undefined; wherePasses: ((v: number) => boolean) | undefined; test: Test }
  | { k: 'time'; from: number; to: number; days: number }
  | { k: 'all' | 'any'; parts: CompiledCondition[] }
  | { k: 'not'; part: CompiledCondition }
  | { k: 'never' };

/** What a condition is evaluated against: one device's latest values and windows. */
export interface ConditionContext {
  /** Latest values of the device's class table; NaN when never reported. */
  values: Float64Array;
  /** Where the device's values start in `values` (metric position 0). */
  base: number;
  /** The class's windows by metric position; the device's samples are those of `slot`. */
  windows: ReadonlyArray<MetricWindows | undefined>;
  slot: number;
  /** Device time of the reading being evaluated. */
  t: number;
  calendar: CityCalendar;
}

function test(c: { op?: ComparisonOp; value?: number | boolean; between?: [number, number]; outside?: [number, number] }): Test {
  if (c.between) return { kind: 'between', lo: c.between[0], hi: c.between[1] };
  if (c.outside) return { kind: 'outside', lo: c.outside[0], hi: c.outside[1] };
  return { kind: 'op', op: OPS.indexOf(c.op ?? '=='), value: Number(c.value) };
}

const PER_MS = { second: 1000, minute: 60_000, hour: 3_600_000 } as const;

export function compileCondition(c: Condition, profile: DeviceProfile): CompiledCondition {
  if ('all' in c) return { k: 'all', parts: c.all.map((x) => compileCondition(x, profile)) };
  if ('any' in c) return { k: 'any', parts: c.any.map((x) => compileCondition(x, profile)) };
  if ('not' in c) return { k: 'not', part: compileCondition(c.not, profile) };
  if ('time' in c) {
    const days = c.time.days ? c.time.days.reduce((mask, d) => mask | (1 << WEEKDAYS.indexOf(d)), 0) : 0x7f;
    return { k: 'time', from: c.time.from ? ruleTimeOfDay(c.time.from, 'time.from') : 0, to: c.time.to ? ruleTimeOfDay(c.time.to, 'time.to') : 1440, days };
  }
  const metric = profile.metrics.findIndex((m) => m.name === c.metric);
  // A metric this class does not have never holds (the rule is for other classes).
  if (metric < 0) return { k: 'never' };
  const fn = windowOf(c);
  if (!fn) return { k: 'value', metric, test: test(c) };
  const span = c[fn];
  if (span === undefined) throw new TzError('TZ_INTERNAL', `${c.metric}: windowOf chose ${fn}, which the condition does not set`);
  const where = c.where ? test(c.where) : undefined;
  return {
    k: 'window', metric, fn, ms: ruleDuration(span, `${c.metric} ${fn}`), perMs: PER_MS[c.per ?? 'minute'],
    // Made once here, not per evaluation (a closure per reading was garbage).
    where, wherePasses: where ? (v: number) => passes(where, v, 0) : undefined, test: test(c),
  };
}

function windowOf(c: MetricCondition): WindowFn | undefined {
  for (const k of ['change', 'rate', 'avg', 'min', 'max', 'count'] as const) if (c[k] !== undefined) return k;
  return undefined;
}

/**
 * `slack` > 0 widens thresholds in the alarm's favour (deadband: the value must
 * come back past the threshold by that much before the alarm clears).
 */
function passes(t: Test, v: number, slack: number): boolean {
  if (Number.isNaN(v)) return false;
  if (t.kind === 'between') return v >= t.lo - slack && v <= t.hi + slack;
  if (t.kind === 'outside') return v < t.lo + slack || v > t.hi - slack;
  switch (t.op) {
    case 0: return v === t.value;
    case 1: return v !== t.value;
    case 2: return v > t.value - slack;
    case 3: return v >= t.value - slack;
    case 4: return v < t.value + slack;
    default: return v <= t.value + slack;
  }
}

function windowValue(c: Extract<CompiledCondition, { k: 'window' }>, ctx: ConditionContext): number {
  const w = ctx.windows[c.metric];
  if (!w) return Number.NaN;
  const from = ctx.t - c.ms;
  const slot = ctx.slot;
  switch (c.fn) {
    case 'count': return w.count(slot, from, ctx.t, c.wherePasses);
    case 'avg': return w.avg(slot, from, ctx.t);
    case 'min': return w.min(slot, from, ctx.t);
    case 'max': return w.max(slot, from, ctx.t);
    case 'change': return w.change(slot, from, ctx.t);
    case 'rate': {
      const delta = w.change(slot, from, ctx.t);
      return w.span > 0 ? (delta / w.span) * c.perMs : Number.NaN;
    }
  }
}

export function evaluate(c: CompiledCondition, ctx: ConditionContext, slack = 0): boolean {
  switch (c.k) {
    // A compiled metric position inside the device's row of the table; NaN (no value) only satisfies the index type.
    case 'value': return passes(c.test, ctx.values[ctx.base + c.metric] ?? Number.NaN, slack);
    case 'window': return passes(c.test, windowValue(c, ctx), slack);
    case 'time': {
      const local = ctx.calendar.at(ctx.t);
      if ((c.days & (1 << local.weekday)) === 0) return false;
      // A window like 22:00–05:00 wraps past midnight.
      return c.from <= c.to ? local.minutes >= c.from && local.minutes < c.to : local.minutes >= c.from || local.minutes < c.to;
    }
    case 'all': for (const p of c.parts) if (!evaluate(p, ctx, slack)) return false; return true;
    case 'any': for (const p of c.parts) if (evaluate(p, ctx, slack)) return true; return false;
    case 'not': return !evaluate(c.part, ctx, -slack);
    case 'never': return false;
  }
}

/** Metric positions a compiled condition reads, and the longest window per metric. */
export function collectMetrics(c: CompiledCondition, metrics: Set<number>, windows: Map<number, number>): void {
  if (c.k === 'value') metrics.add(c.metric);
  else if (c.k === 'window') {
    metrics.add(c.metric);
    windows.set(c.metric, Math.max(windows.get(c.metric) ?? 0, c.ms));
  } else if (c.k === 'all' || c.k === 'any') for (const p of c.parts) collectMetrics(p, metrics, windows);
  else if (c.k === 'not') collectMetrics(c.part, metrics, windows);
}
