import type { ResolvedExpectations } from './runner.ts';

// Checks what the pipeline raised against what a scenario says it causes.
// Used by the scenario tests and `tianzhong sim --check`.

export interface ObservedAlarm {
  ruleId: string;
  deviceId: string;
}
export interface ObservedCase {
  deviceId: string;
  category?: string;
}

/** Problems, one line each; empty when every expectation holds. */
export function checkExpectations(
  expected: ResolvedExpectations,
  observed: { alarms: readonly ObservedAlarm[]; cases: readonly ObservedCase[] },
  districtOf: (deviceId: string) => string | undefined,
): string[] {
  const problems: string[] = [];
  const range = (what: string, n: number, min?: number, max?: number): void => {
    if (min !== undefined && n < min) problems.push(`${what}: ${n}, expected at least ${min}`);
    if (max !== undefined && n > max) problems.push(`${what}: ${n}, expected at most ${max}`);
  };
  for (const e of expected.alarms) {
    const devices = new Set(observed.alarms.filter((a) => a.ruleId === e.ruleId && (!e.district || districtOf(a.deviceId) === e.district)).map((a) => a.deviceId));
    for (const id of e.deviceIds ?? []) if (!devices.has(id)) problems.push(`no ${e.ruleId} alarm for ${id}`);
    range(`devices with a ${e.ruleId} alarm${e.district ? ` in ${e.district}` : ''}`, devices.size, e.min, e.max);
  }
  for (const e of expected.cases) {
    const cases = observed.cases.filter((c) => (!e.category || c.category === e.category) && (!e.district || districtOf(c.deviceId) === e.district));
    const devices = new Set(cases.map((c) => c.deviceId));
    for (const id of e.deviceIds ?? []) if (!devices.has(id)) problems.push(`no ${e.category ?? ''} case for ${id}`.replace('  ', ' '));
    range(`${e.category ?? 'all'} cases${e.district ? ` in ${e.district}` : ''}`, cases.length, e.min, e.max);
  }
  for (const ruleId of expected.absentRules) {
    const fired = observed.alarms.filter((a) => a.ruleId === ruleId);
    if (fired.length) problems.push(`${ruleId} must not fire, but did for ${[...new Set(fired.map((a) => a.deviceId))].join(', ')}`);
  }
  return problems;
}
