import type { Condition } from '../device-profiles/index.ts';

// A small interpreter over the rule's condition data. Operators' rules are
// data, never code: no eval / new Function (ARCHITECTURE.md, Non-negotiables).

export type MetricValue = number | boolean;

/** The latest known value of each metric of one device. */
export type MetricLookup = (metric: string) => MetricValue | undefined;

type Comparison = Extract<Condition, { metric: string }>;

function compare(c: Comparison, actual: MetricValue | undefined): boolean {
  // A metric the device has never reported makes the comparison false.
  if (actual === undefined) return false;
  if (typeof actual === 'number' && typeof c.value === 'number') {
    switch (c.op) {
      case '==': return actual === c.value;
      case '!=': return actual !== c.value;
      case '>': return actual > c.value;
      case '>=': return actual >= c.value;
      case '<': return actual < c.value;
      case '<=': return actual <= c.value;
    }
  }
  // Flags only compare for (in)equality; a flag against a number (or the
  // reverse) is a rule/profile mismatch and never holds.
  if (typeof actual === 'boolean' && typeof c.value === 'boolean') {
    if (c.op === '==') return actual === c.value;
    if (c.op === '!=') return actual !== c.value;
  }
  return false;
}

export function evaluateCondition(condition: Condition, lookup: MetricLookup): boolean {
  if ('metric' in condition) return compare(condition, lookup(condition.metric));
  if ('all' in condition) return condition.all.every((c) => evaluateCondition(c, lookup));
  if ('any' in condition) return condition.any.some((c) => evaluateCondition(c, lookup));
  return !evaluateCondition(condition.not, lookup);
}

/** Every metric a condition refers to, in order of first mention. */
export function metricsOf(condition: Condition, into: Set<string> = new Set()): Set<string> {
  if ('metric' in condition) into.add(condition.metric);
  else if ('all' in condition) for (const c of condition.all) metricsOf(c, into);
  else if ('any' in condition) for (const c of condition.any) metricsOf(c, into);
  else metricsOf(condition.not, into);
  return into;
}
