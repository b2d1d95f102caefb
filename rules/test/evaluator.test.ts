import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { profileSchema, type RuleSpec } from '../../device-profiles/index.ts';
import { ManualClock } from '../../service-kit/index.ts';
import { CityCalendar, compileRuleSet, RuleEvaluator, type MetricValue } from '../index.ts';

// Scenario table for the evaluator: one rule, readings (device time in
// seconds + metrics), and the transitions expected as "kind@seconds".

const profile = profileSchema.parse({
  class: 'test-device', version: 1, title: 'Test device', measurement: 'test_device', reportIntervalSeconds: 60,
  metrics: [{ name: 'level', type: 'number' }, { name: 'open', type: 'boolean' }, { name: 'count', type: 'integer' }, { name: 'battery', type: 'number' }],
  modbus: { registers: [{ metric: 'level', table: 'input', address: 0, type: 'uint16' }] },
});

// 2023-11-14T22:13:20Z = 2023-11-15 06:13:20 in Asia/Shanghai (a Wednesday).
const T0 = 1_700_000_000_000;
type Step = [seconds: number, metrics: Record<string, MetricValue>];
interface Scenario { name: string; rule: Partial<RuleSpec>; steps: Step[]; expect: string[] }

function evaluatorWith(rule: Partial<RuleSpec>, clock = new ManualClock(T0)): RuleEvaluator {
  const ev = new RuleEvaluator({ calendar: new CityCalendar('Asia/Shanghai'), clock });
  ev.setRules(compileRuleSet([{ id: 'r', name: 'Rule', severity: 'warning', ...rule } as RuleSpec], [profile]));
  return ev;
}

function feed(ev: RuleEvaluator, step: Step, deviceId = 'd1', district = 'gulou') {
  const metrics = Object.entries(step[1]).map(([name, value]) => ({ index: profile.metrics.findIndex((m) => m.name === name), value }));
  return ev.evaluate({ deviceId, gatewayId: 'gw', district, profile, profileVersion: 1, timestampMs: T0 + step[0] * 1000, metrics });
}

function run(rule: Partial<RuleSpec>, steps: Step[]): string[] {
  const ev = evaluatorWith(rule);
  return steps.flatMap((s) => feed(ev, s).transitions.filter((t) => t.kind !== 'update').map((t) => `${t.kind}@${(t.timestampMs - T0) / 1000}`));
}

const gt = (v: number) => ({ metric: 'level', op: '>' as const, value: v });

const scenarios: Scenario[] = [
  { name: '== on a flag fires at once and clears when it stops holding', rule: { when: { metric: 'open', op: '==', value: true } },
    steps: [[0, { open: false }], [1, { open: true }], [2, { open: false }]], expect: ['fire@1', 'clear@2'] },
  { name: '> is strict, >= includes the bound', rule: { when: { any: [gt(10), { metric: 'battery', op: '>=', value: 5 }] } },
    steps: [[0, { level: 10, battery: 4 }], [1, { battery: 5 }]], expect: ['fire@1'] },
  { name: '< and <= bounds', rule: { when: { metric: 'level', op: '<', value: 5 } }, steps: [[0, { level: 5 }], [1, { level: 4.9 }]], expect: ['fire@1'] },
  { name: 'between is inclusive', rule: { when: { metric: 'level', between: [10, 20] } },
    steps: [[0, { level: 9.9 }], [1, { level: 10 }], [2, { level: 20 }], [3, { level: 20.1 }]], expect: ['fire@1', 'clear@3'] },
  { name: 'outside', rule: { when: { metric: 'level', outside: [190, 250] } },
    steps: [[0, { level: 220 }], [1, { level: 251 }], [2, { level: 230 }], [3, { level: 180 }]], expect: ['fire@1', 'clear@2', 'fire@3'] },
  { name: 'all keeps the latest value of each metric across readings', rule: { when: { all: [gt(10), { metric: 'open', op: '==', value: true }] } },
    steps: [[0, { level: 20 }], [1, { open: true }]], expect: ['fire@1'] },
  { name: 'not inverts', rule: { when: { not: gt(10) } }, steps: [[0, { level: 20 }], [1, { level: 5 }]], expect: ['fire@1'] },
  { name: 'a metric never reported makes the comparison false', rule: { when: { any: [gt(10), { metric: 'open', op: '==', value: true }] } },
    steps: [[0, { level: 1 }]], expect: [] },
  { name: 'change over a window: latest minus oldest within 10 min', rule: { when: { metric: 'level', change: '10m', op: '>', value: 5 } },
    steps: [[0, { level: 0 }], [300, { level: 4 }], [600, { level: 5.5 }], [900, { level: 9.5 }], [1500, { level: 10 }]], expect: ['fire@600', 'clear@1500'] },
  { name: 'rate of change per minute', rule: { when: { metric: 'level', rate: '5m', per: 'minute', op: '>=', value: 2 } },
    steps: [[0, { level: 0 }], [60, { level: 1 }], [120, { level: 4 }], [600, { level: 5 }]], expect: ['fire@120', 'clear@600'] },
  { name: 'avg over a window', rule: { when: { metric: 'level', avg: '3m', op: '>', value: 10 } },
    steps: [[0, { level: 0 }], [60, { level: 20 }], [120, { level: 20 }], [300, { level: 5 }], [400, { level: 5 }]], expect: ['fire@120', 'clear@400'] },
  { name: 'min over a window: stays high for the whole window', rule: { when: { metric: 'level', min: '2m', op: '>', value: 10 } },
    steps: [[0, { level: 5 }], [60, { level: 20 }], [120, { level: 20 }], [180, { level: 20 }]], expect: ['fire@180'] },
  { name: 'max over a window', rule: { when: { metric: 'level', max: '2m', op: '>', value: 50 } },
    steps: [[0, { level: 60 }], [60, { level: 10 }], [121, { level: 10 }]], expect: ['fire@0', 'clear@121'] },
  { name: 'count of readings matching `where` in a window (cover opened 3 times in an hour)',
    rule: { when: { metric: 'open', count: '1h', where: { op: '==', value: true }, op: '>=', value: 3 } },
    steps: [[0, { open: true }], [600, { open: false }], [1200, { open: true }], [1800, { open: true }], [5000, { open: false }]], expect: ['fire@1800', 'clear@5000'] },
  { name: 'time of day in the city zone (06:13 local is inside 06:00–07:00, outside 01:00–05:00)',
    rule: { when: { all: [{ time: { from: '06:00', to: '07:00' } }, gt(1)] } }, steps: [[0, { level: 2 }], [3600, { level: 2 }]], expect: ['fire@0', 'clear@3600'] },
  { name: 'time window wrapping midnight (22:00–05:00) and day of week (Wed only)',
    rule: { when: { all: [{ time: { from: '22:00', to: '05:00', days: ['wed', 'thu'] } }, gt(1)] } },
    // +16h → 22:13 Wed local (in), +24h → 06:13 Thu (out).
    steps: [[0, { level: 2 }], [16 * 3600, { level: 2 }], [24 * 3600, { level: 2 }]], expect: ['fire@57600', 'clear@86400'] },
  { name: 'day of week excludes other days', rule: { when: { all: [{ time: { days: ['sat', 'sun'] } }, gt(1)] } }, steps: [[0, { level: 2 }]], expect: [] },
  { name: 'for: not reached — no alarm', rule: { when: gt(10), for: '1m' }, steps: [[0, { level: 20 }], [30, { level: 20 }], [59, { level: 20 }]], expect: [] },
  { name: 'for: reached exactly at the edge', rule: { when: gt(10), for: '1m' }, steps: [[0, { level: 20 }], [60, { level: 20 }]], expect: ['fire@60'] },
  { name: 'for: interrupted restarts the window', rule: { when: gt(10), for: 60 },
    steps: [[0, { level: 20 }], [40, { level: 5 }], [50, { level: 20 }], [100, { level: 20 }], [110, { level: 20 }]], expect: ['fire@110'] },
  { name: 'hysteresis: separate clear condition', rule: { when: gt(150), clear: { metric: 'level', op: '<', value: 120 } },
    steps: [[0, { level: 160 }], [1, { level: 130 }], [2, { level: 119 }]], expect: ['fire@0', 'clear@2'] },
  { name: 'clearFor: the clear condition must hold that long', rule: { when: gt(10), clearFor: '30s' },
    steps: [[0, { level: 20 }], [10, { level: 5 }], [20, { level: 20 }], [30, { level: 5 }], [59, { level: 5 }], [60, { level: 5 }]], expect: ['fire@0', 'clear@60'] },
  { name: 'deadband: back past the threshold by 2 before it clears', rule: { when: gt(10), deadband: 2 },
    steps: [[0, { level: 11 }], [1, { level: 9 }], [2, { level: 8.5 }], [3, { level: 8 }]], expect: ['fire@0', 'clear@3'] },
  { name: 'deadband under not', rule: { when: { not: gt(10) }, deadband: 2 },
    steps: [[0, { level: 9 }], [1, { level: 11 }], [2, { level: 12.5 }]], expect: ['fire@0', 'clear@2'] },
  { name: 'repeat: 3 of the last 5 readings', rule: { when: gt(10), repeat: { count: 3, of: 5 } },
    steps: [[0, { level: 20 }], [1, { level: 0 }], [2, { level: 20 }], [3, { level: 0 }], [4, { level: 20 }], [5, { level: 0 }], [6, { level: 0 }], [7, { level: 0 }]], expect: ['fire@4', 'clear@5'] },
  { name: 'a reading without the rule\'s metrics does not touch it', rule: { when: gt(10) }, steps: [[0, { level: 20 }], [1, { battery: 50 }], [2, { level: 0 }]], expect: ['fire@0', 'clear@2'] },
  { name: 'flapping: the 3rd fire within 10 min is held until quiet for the window',
    rule: { when: gt(10), flapping: { count: 3, window: '10m' } },
    steps: [[0, { level: 20 }], [60, { level: 0 }], [120, { level: 20 }], [180, { level: 0 }], [240, { level: 20 }], [300, { level: 0 }], [360, { level: 20 }], [420, { level: 0 }], [1019, { level: 0 }], [1020, { level: 0 }]],
    expect: ['fire@0', 'clear@60', 'fire@120', 'clear@180', 'fire@240', 'clear@1020'] },
];

for (const s of scenarios) test(s.name, () => assert.equal(run(s.rule, s.steps), s.expect));

test('the flapping fire is marked; repeats while held update it', () => {
  const ev = evaluatorWith({ when: gt(10), flapping: { count: 2, window: '10m' } });
  feed(ev, [0, { level: 20 }]);
  feed(ev, [1, { level: 0 }]);
  const second = feed(ev, [2, { level: 20 }]).transitions[0]!;
  assert.is(second.kind, 'fire');
  assert.is(second.flapping, true);
  assert.is(feed(ev, [3, { level: 0 }]).transitions.length, 0, 'held, not cleared');
  assert.is(feed(ev, [4, { level: 20 }]).transitions[0]!.kind, 'update');
});

test('stale and duplicate readings are skipped (QoS 1 redelivery)', () => {
  const ev = evaluatorWith({ when: gt(10) });
  assert.is(feed(ev, [5, { level: 20 }]).transitions.length, 1);
  assert.is(feed(ev, [5, { level: 20 }]).skipped, 'stale-reading');
  assert.is(feed(ev, [4, { level: 0 }]).skipped, 'stale-reading');
});

test('evidence: every reading of the for: window, with the rule\'s metrics only', () => {
  const ev = evaluatorWith({ when: gt(10), for: '20s' });
  feed(ev, [0, { level: 11, battery: 90 }]);
  feed(ev, [10, { level: 12 }]);
  const fire = feed(ev, [20, { level: 13 }]).transitions[0]!;
  assert.equal(fire.evidence.map((e) => [(e.timestampMs - T0) / 1000, e.values]), [[0, { level: 11 }], [10, { level: 12 }], [20, { level: 13 }]]);
});

test('evidence: flags as booleans, metrics in the rule\'s order, a metric without a value left out; no-data evidence is every metric with a value, in profile order', () => {
  const ev = evaluatorWith({ when: { all: [{ metric: 'open', op: '==', value: true }, gt(10), { metric: 'count', op: '>', value: 0 }] } });
  const [fire] = feed(ev, [0, { level: 11, open: true, battery: 50 }]).transitions;
  assert.is(fire, undefined, 'count never reported: the rule does not hold');
  const [fired] = feed(ev, [1, { count: 2 }]).transitions;
  assert.equal(fired?.evidence.map((e) => e.values), [{ open: true, level: 11, count: 2 }]);
  assert.equal(Object.keys(fired?.evidence[0]?.values ?? {}), ['open', 'level', 'count']);
  const [cleared] = feed(ev, [2, { open: false }]).transitions;
  assert.equal(cleared?.evidence.map((e) => e.values), [{ open: false, level: 11, count: 2 }]);

  const clock = new ManualClock(T0);
  const silent = evaluatorWith({ noData: { missedReports: 1 } }, clock);
  feed(silent, [0, { battery: 40, open: false, level: 3 }]);
  clock.advance(60_000);
  const [quiet] = silent.sweepNoData(clock.now());
  assert.equal(Object.entries(quiet?.evidence[0]?.values ?? {}), [['level', 3], ['open', false], ['battery', 40]]);
});

test('scope: devices, districts and overrides per district and device', () => {
  const ev = evaluatorWith({
    when: gt(10), scope: { districts: ['gulou', 'xuanwu'] },
    overrides: [{ districts: ['xuanwu'], set: { when: gt(50), severity: 'critical' } }, { devices: ['d3'], set: { mode: 'disabled' } }],
  });
  assert.is(feed(ev, [0, { level: 20 }], 'd1', 'gulou').transitions[0]?.severity, 'warning');
  assert.is(feed(ev, [0, { level: 20 }], 'd2', 'xuanwu').transitions.length, 0, 'district override: threshold 50');
  assert.is(feed(ev, [1, { level: 60 }], 'd2', 'xuanwu').transitions[0]?.severity, 'critical');
  assert.is(feed(ev, [0, { level: 99 }], 'd3', 'gulou').transitions.length, 0, 'device override: disabled');
  assert.is(feed(ev, [0, { level: 99 }], 'd4', 'qinhuai').transitions.length, 0, 'out of scope');
});

test('no data: per device, from its profile\'s report interval', () => {
  const clock = new ManualClock(T0);
  const ev = evaluatorWith({ noData: { missedReports: 3 } }, clock);
  feed(ev, [0, { level: 1 }]);
  clock.advance(179_000);
  assert.equal(ev.sweepNoData(clock.now()), []);
  clock.advance(1_000);
  const [fire] = ev.sweepNoData(clock.now());
  assert.is(fire?.kind, 'fire');
  assert.is(fire?.noData, true);
  assert.equal(ev.sweepNoData(clock.now()), [], 'fires once');
  const back = feed(ev, [200, { level: 1 }]).transitions;
  assert.equal(back.map((t) => t.kind), ['clear']);
});

test('checkpoint and restore keep a running for: window and the last-seen guard', () => {
  const clock = new ManualClock(T0);
  const ev = evaluatorWith({ when: gt(10), for: '5m' }, clock);
  feed(ev, [0, { level: 20 }]);
  feed(ev, [120, { level: 20 }]);
  const saved = ev.takeDirty().map((d) => [d.deviceId, RuleEvaluator.snapshot(d)] as const);
  const again = evaluatorWith({ when: gt(10), for: '5m' }, clock);
  for (const [id, json] of saved) again.restore(id, json);
  assert.is(feed(again, [120, { level: 20 }]).skipped, 'stale-reading');
  assert.equal(feed(again, [240, { level: 20 }]).transitions, []);
  assert.is(feed(again, [300, { level: 20 }]).transitions[0]?.kind, 'fire', 'the window started before the restart');
});

test.run();
