import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { profileSchema, type RuleSpec } from '../../device-profiles/index.ts';
import { ManualClock } from '../../service-kit/index.ts';
import { CityCalendar, compileRuleSet, RuleEvaluator } from '../index.ts';

// Scope plans are resolved once per (class, district[, gateway, version]) and
// cached on the device: they must follow a device that moves district or
// gateway, a rule set edited at runtime, and rules that name devices.

const profile = profileSchema.parse({
  class: 'test-device', version: 1, title: 'Test device', measurement: 'test_device', reportIntervalSeconds: 60,
  metrics: [{ name: 'level', type: 'number' }],
  modbus: { registers: [{ metric: 'level', table: 'input', address: 0, type: 'uint16' }] },
});
const T0 = 1_700_000_000_000;
const high = { metric: 'level', op: '>' as const, value: 10 };

function evaluatorWith(rules: Array<Partial<RuleSpec>>): RuleEvaluator {
  const ev = new RuleEvaluator({ calendar: new CityCalendar('Asia/Shanghai'), clock: new ManualClock(T0) });
  ev.setRules(compileRuleSet(rules.map((r, i) => ({ id: `r${i}`, name: `Rule ${i}`, severity: 'warning', when: high, ...r }) as RuleSpec), [profile]));
  return ev;
}

let second = 0;
function feed(ev: RuleEvaluator, level: number, where: { device?: string; district?: string; gateway?: string } = {}): string[] {
  second += 1;
  const r = ev.evaluate({
    deviceId: where.device ?? 'd1', gatewayId: where.gateway ?? 'gw-a', district: where.district ?? 'gulou', profile, profileVersion: 1,
    timestampMs: T0 + second * 1000, metrics: [{ index: 0, value: level }],
  });
  return r.transitions.map((t) => `${t.kind}:${t.rule.id}:${t.severity}`);
}

test('a device that moves district gets that district\'s scope and override', () => {
  const ev = evaluatorWith([{ scope: { districts: ['gulou', 'xuanwu'] }, overrides: [{ districts: ['xuanwu'], set: { severity: 'critical' } }] }]);
  assert.equal(feed(ev, 20), ['fire:r0:warning']);
  assert.equal(feed(ev, 1), ['clear:r0:warning']);
  assert.equal(feed(ev, 20, { district: 'xuanwu' }), ['fire:r0:critical']);
  assert.equal(feed(ev, 1, { district: 'xuanwu' }), ['clear:r0:critical']);
  assert.equal(feed(ev, 20, { district: 'pukou' }), [], 'out of scope');
});

test('a device that moves gateway follows a gateway-scoped rule', () => {
  const ev = evaluatorWith([{ scope: { gateways: ['gw-b'] } }]);
  assert.equal(feed(ev, 20), []);
  assert.equal(feed(ev, 20, { gateway: 'gw-b' }), ['fire:r0:warning']);
});

test('rules edited at runtime apply to devices already known', () => {
  const ev = evaluatorWith([{ when: { metric: 'level', op: '>', value: 100 } }]);
  assert.equal(feed(ev, 20), []);
  ev.setRules(compileRuleSet([{ id: 'new', name: 'New', severity: 'info', when: high } as RuleSpec], [profile]));
  assert.equal(feed(ev, 20), ['fire:new:info']);
  ev.setRules(compileRuleSet([{ id: 'new', name: 'New', severity: 'info', when: high, mode: 'disabled' } as RuleSpec], [profile]));
  assert.equal(feed(ev, 20), [], 'disabled');
});

test('rules that name devices are resolved per device', () => {
  const ev = evaluatorWith([{ scope: { devices: ['d2'] } }, { overrides: [{ devices: ['d3'], set: { severity: 'critical' } }] }]);
  assert.equal(feed(ev, 20, { device: 'd1' }), ['fire:r1:warning']);
  assert.equal(feed(ev, 20, { device: 'd2' }), ['fire:r0:warning', 'fire:r1:warning']);
  assert.equal(feed(ev, 20, { device: 'd3' }), ['fire:r1:critical']);
});

test.run();
