import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { profileSchema, loadProfiles, type Condition } from '../../device-profiles/index.ts';
import { RuleEvaluator, evaluateCondition, type MetricValue } from '../index.ts';

// Scenario table for the evaluator: each scenario is one rule, a series of
// readings (device time in seconds + metrics) and the transitions expected,
// written as "kind@seconds".

function profileWith(rule: Record<string, unknown>) {
  return profileSchema.parse({
    class: 'test-device', version: 1, title: 'Test device', measurement: 'test_device', reportIntervalSeconds: 60,
    metrics: [
      { name: 'level', type: 'number' }, { name: 'open', type: 'boolean' }, { name: 'count', type: 'integer' }, { name: 'battery', type: 'number' },
    ],
    rules: [{ id: 'r', name: 'Rule', severity: 'warning', ...rule }],
  });
}

type Step = [seconds: number, metrics: Record<string, MetricValue>];
interface Scenario { name: string; rule: Record<string, unknown>; steps: Step[]; expect: string[]; counts?: number }

const T0 = 1_700_000_000_000;
const gt = (v: number): Condition => ({ metric: 'level', op: '>', value: v });

const scenarios: Scenario[] = [
  { name: '== on a flag fires at once and clears when it stops holding', rule: { when: { metric: 'open', op: '==', value: true } },
    steps: [[0, { open: false }], [1, { open: true }], [2, { open: false }]], expect: ['fire@1', 'clear@2'] },
  { name: '!= on a flag', rule: { when: { metric: 'open', op: '!=', value: false } }, steps: [[0, { open: true }]], expect: ['fire@0'] },
  { name: '> is strict', rule: { when: gt(10) }, steps: [[0, { level: 10 }], [1, { level: 10.1 }]], expect: ['fire@1'] },
  { name: '>= includes the bound', rule: { when: { metric: 'level', op: '>=', value: 10 } }, steps: [[0, { level: 10 }]], expect: ['fire@0'] },
  { name: '< is strict', rule: { when: { metric: 'level', op: '<', value: 5 } }, steps: [[0, { level: 5 }], [1, { level: 4 }]], expect: ['fire@1'] },
  { name: '<= includes the bound', rule: { when: { metric: 'level', op: '<=', value: 5 } }, steps: [[0, { level: 5 }]], expect: ['fire@0'] },
  { name: '== on an integer', rule: { when: { metric: 'count', op: '==', value: 3 } }, steps: [[0, { count: 2 }], [1, { count: 3 }]], expect: ['fire@1'] },
  { name: 'a flag compared with a number never holds', rule: { when: { metric: 'open', op: '==', value: 1 } }, steps: [[0, { open: true }]], expect: [] },
  { name: 'all needs every part; the latest value of a metric is kept across readings',
    rule: { when: { all: [gt(10), { metric: 'open', op: '==', value: true }] } },
    steps: [[0, { level: 20 }], [1, { open: true }]], expect: ['fire@1'] },
  { name: 'any needs one part', rule: { when: { any: [gt(10), { metric: 'open', op: '==', value: true }] } },
    steps: [[0, { level: 1, open: false }], [1, { open: true }]], expect: ['fire@1'] },
  { name: 'not inverts', rule: { when: { not: gt(10) } }, steps: [[0, { level: 20 }], [1, { level: 5 }]], expect: ['fire@1'] },
  { name: 'a metric never reported makes the comparison false', rule: { when: { any: [gt(10), { metric: 'open', op: '==', value: true }] } },
    steps: [[0, { level: 1 }]], expect: [] },
  { name: 'forSeconds not reached: no alarm', rule: { when: gt(10), forSeconds: 60 },
    steps: [[0, { level: 20 }], [30, { level: 20 }], [59, { level: 20 }]], expect: [] },
  { name: 'forSeconds reached in device time', rule: { when: gt(10), forSeconds: 60 },
    steps: [[0, { level: 20 }], [30, { level: 20 }], [60, { level: 20 }]], expect: ['fire@60'] },
  { name: 'forSeconds interrupted restarts the window', rule: { when: gt(10), forSeconds: 60 },
    steps: [[0, { level: 20 }], [40, { level: 5 }], [50, { level: 20 }], [100, { level: 20 }], [110, { level: 20 }]], expect: ['fire@110'] },
  { name: 'hysteresis: clears only when clear holds', rule: { when: gt(150), clear: { metric: 'level', op: '<', value: 120 } },
    steps: [[0, { level: 160 }], [1, { level: 140 }], [2, { level: 125 }], [3, { level: 119 }]], expect: ['fire@0', 'clear@3'] },
  { name: 'repeats while active are updates, never a second fire', rule: { when: { metric: 'open', op: '==', value: true } },
    steps: [[0, { open: true }], [1, { open: true }], [2, { open: true }]], expect: ['fire@0', 'update@1', 'update@2'] },
  { name: 'fires again after a clear', rule: { when: { metric: 'open', op: '==', value: true } },
    steps: [[0, { open: true }], [1, { open: false }], [2, { open: true }]], expect: ['fire@0', 'clear@1', 'fire@2'] },
  { name: 'a reading without the rule metrics neither repeats nor clears', rule: { when: { metric: 'open', op: '==', value: true } },
    steps: [[0, { open: true }], [1, { battery: 50 }]], expect: ['fire@0'] },
  { name: 'a duplicate or older reading is skipped', rule: { when: { metric: 'open', op: '==', value: true } },
    steps: [[5, { open: true }], [5, { open: true }], [3, { open: true }]], expect: ['fire@5'] },
];

for (const s of scenarios) {
  test(`evaluator: ${s.name}`, () => {
    const profile = profileWith(s.rule);
    const evaluator = new RuleEvaluator();
    const got: string[] = [];
    for (const [sec, metrics] of s.steps) {
      const r = evaluator.evaluate({ deviceId: 'd-1', gatewayId: 'gw-1', district: 'north', profile, timestampMs: T0 + sec * 1000, metrics });
      for (const t of r.transitions) got.push(`${t.kind}@${(t.timestampMs - T0) / 1000}`);
    }
    assert.equal(got, s.expect);
  });
}

test('evaluator: fire carries the readings of the forSeconds window as evidence', () => {
  const profile = profileWith({ when: gt(10), forSeconds: 20 });
  const evaluator = new RuleEvaluator();
  const fired = [0, 10, 20].flatMap((sec) => evaluator.evaluate({ deviceId: 'd', gatewayId: 'g', district: 'x', profile, timestampMs: T0 + sec * 1000, metrics: { level: 11 + sec, battery: 3 } }).transitions);
  assert.is(fired.length, 1);
  assert.equal(fired[0]!.evidence, [0, 10, 20].map((sec) => ({ timestampMs: T0 + sec * 1000, values: { level: 11 + sec } })));
  assert.is(fired[0]!.gatewayId, 'g');
  assert.is(fired[0]!.district, 'x');
});

test('evaluator: devices are independent', () => {
  const profile = profileWith({ when: { metric: 'open', op: '==', value: true } });
  const evaluator = new RuleEvaluator();
  const a = evaluator.evaluate({ deviceId: 'a', gatewayId: 'g', district: '', profile, timestampMs: T0, metrics: { open: true } });
  const b = evaluator.evaluate({ deviceId: 'b', gatewayId: 'g', district: '', profile, timestampMs: T0, metrics: { open: false } });
  assert.is(a.transitions.length, 1);
  assert.is(b.transitions.length, 0);
  assert.ok(evaluator.isActive('a', 'r'));
  assert.not.ok(evaluator.isActive('b', 'r'));
});

test('evaluator: a restored active alarm is updated, not raised again', () => {
  const profile = profileWith({ when: { metric: 'open', op: '==', value: true } });
  const evaluator = new RuleEvaluator();
  evaluator.restoreActive('d', 'r', T0);
  const r = evaluator.evaluate({ deviceId: 'd', gatewayId: 'g', district: '', profile, timestampMs: T0 + 1000, metrics: { open: true } });
  assert.equal(r.transitions.map((t) => t.kind), ['update']);
});

test('evaluator: built-in manhole cover tilt rule with hysteresis and forSeconds', () => {
  const profile = loadProfiles().require('manhole-cover');
  const evaluator = new RuleEvaluator();
  const kinds: string[] = [];
  const feed = (sec: number, tilt: number, disp: number) => {
    for (const t of evaluator.evaluate({ deviceId: 'mh-1', gatewayId: 'g', district: '', profile, timestampMs: T0 + sec * 1000, metrics: { tilt_deg: tilt, displacement_mm: disp, cover_open: false } }).transitions) kinds.push(`${t.rule.id}:${t.kind}`);
  };
  feed(0, 20, 0); feed(29, 20, 0); assert.equal(kinds, []);
  feed(30, 20, 0); assert.equal(kinds, ['cover-tilted:fire']);
  feed(40, 12, 0); assert.equal(kinds, ['cover-tilted:fire']); // between thresholds: neither repeat nor clear
  feed(50, 5, 0); assert.equal(kinds, ['cover-tilted:fire', 'cover-tilted:clear']);
});

test('conditions: nested condition data is interpreted', () => {
  const values: Record<string, MetricValue> = { a: 1, b: true };
  const lookup = (m: string) => values[m];
  assert.ok(evaluateCondition({ all: [{ any: [{ metric: 'a', op: '>', value: 5 }, { metric: 'b', op: '==', value: true }] }, { not: { metric: 'zz', op: '==', value: 1 } }] }, lookup));
  assert.not.ok(evaluateCondition({ metric: 'zz', op: '!=', value: 1 }, lookup));
});

test.run();
