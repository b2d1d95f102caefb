import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfiles } from '../../device-profiles/index.ts';
import { ManualClock } from '../../service-kit/index.ts';
import { AlarmLifecycle } from '../alarm-lifecycle.ts';
import { CaseWorkflow, CASE_DUE_HOURS } from '../case-workflow.ts';
import { RuleEvaluator, SqliteCaseStore, type CaseStore } from '../index.ts';
import type { MetricValue } from '../conditions.ts';

// Alarm → case behaviour over the CaseStore interface; every store
// implementation runs this suite (today: SQLite, in memory and on disk).

const profiles = loadProfiles();
const cover = profiles.require('manhole-cover');
const T0 = 1_700_000_000_000;
const dirs: string[] = [];

function harness(store: CaseStore, clock = new ManualClock(T0)) {
  const evaluator = new RuleEvaluator();
  const alarms = new AlarmLifecycle(store, new CaseWorkflow(store), clock);
  alarms.restoreInto(evaluator);
  const events: string[] = [];
  const feed = (deviceId: string, sec: number, metrics: Record<string, MetricValue>) => {
    for (const t of evaluator.evaluate({ deviceId, gatewayId: 'gw-1', district: 'gulou', profile: cover, timestampMs: T0 + sec * 1000, metrics }).transitions) {
      const e = alarms.apply(t);
      if (e) events.push(`${e.type}:${e.alarm.ruleId}`);
    }
  };
  return { evaluator, alarms, events, feed, clock };
}

function suite(name: string, makeStore: () => { store: CaseStore; reopen?: () => CaseStore }) {
  test(`${name}: a firing rule with case opens one registered case linked to the alarm`, () => {
    const { store } = makeStore();
    const h = harness(store);
    for (let i = 0; i < 20; i++) h.feed('mh-1', i, { cover_open: true });
    const alarms = store.listAlarms({ limit: 10 });
    assert.is(alarms.length, 1);
    assert.is(alarms[0]!.count, 20);
    assert.is(alarms[0]!.state, 'active');
    assert.is(alarms[0]!.gatewayId, 'gw-1');
    assert.is(alarms[0]!.district, 'gulou');
    assert.is(alarms[0]!.profile, 'manhole-cover');
    assert.is(alarms[0]!.severity, 'critical');
    assert.equal(alarms[0]!.evidence, [{ timestampMs: T0, values: { cover_open: true } }]);
    assert.is(alarms[0]!.lastSeenAt, T0 + 19_000);
    const cases = store.listCases({ limit: 10 });
    assert.is(cases.length, 1);
    const c = cases[0]!;
    assert.equal([c.status, c.category, c.priority, c.source, c.title, c.deviceId], ['registered', 'manhole-cover', 'urgent', 'sensor', 'Manhole cover opened', 'mh-1']);
    assert.is(c.dueAt - c.createdAt, CASE_DUE_HOURS.urgent * 3_600_000);
    assert.is(alarms[0]!.caseId, c.id);
    assert.equal(store.alarmsOfCase(c.id).map((a) => a.id), [alarms[0]!.id]);
    const events = store.eventsOfCase(c.id);
    assert.equal(events.map((e) => [e.who, e.what]), [['rules-engine', 'registered']]);
    assert.equal(h.events.filter((e) => e.startsWith('alarm.fired')).length, 1);
    assert.equal(h.events.filter((e) => e.startsWith('alarm.updated')).length, 19);
    store.close();
  });

  test(`${name}: a second alarm on a device with an open case joins that case`, () => {
    const { store } = makeStore();
    const h = harness(store);
    h.feed('mh-2', 0, { cover_open: true });
    h.feed('mh-2', 1, { ch4_pct_lel: 25 });
    assert.is(store.countAlarms('open'), 2);
    const cases = store.listCases({ limit: 10 });
    assert.is(cases.length, 1);
    assert.is(store.alarmsOfCase(cases[0]!.id).length, 2);
    assert.equal(store.eventsOfCase(cases[0]!.id).map((e) => e.what), ['registered', 'alarm-absorbed']);
    // A different device gets its own case.
    h.feed('mh-3', 2, { cover_open: true });
    assert.is(store.countCases('open'), 2);
    store.close();
  });

  test(`${name}: clearing the alarm keeps the case open and audits it`, () => {
    const { store } = makeStore();
    const h = harness(store);
    h.feed('mh-4', 0, { cover_open: true });
    h.clock.advance(5_000);
    h.feed('mh-4', 5, { cover_open: false });
    const [alarm] = store.listAlarms({ limit: 1 });
    assert.is(alarm!.state, 'cleared');
    assert.is(alarm!.clearedAt, T0 + 5_000);
    assert.is(store.countAlarms('open'), 0);
    const [c] = store.listCases({ status: 'open', limit: 5 });
    assert.is(c!.status, 'registered');
    assert.equal(store.eventsOfCase(c!.id).map((e) => e.what), ['registered', 'alarm-cleared']);
    store.close();
  });

  test(`${name}: acknowledge moves active → acknowledged, still open; repeats keep updating it`, () => {
    const { store } = makeStore();
    const h = harness(store);
    h.feed('mh-5', 0, { cover_open: true });
    const [alarm] = store.listAlarms({ limit: 1 });
    const ack = h.alarms.acknowledge(alarm!.id, 'operator-li');
    assert.is(ack?.alarm.state, 'acknowledged');
    assert.is(ack?.alarm.acknowledgedBy, 'operator-li');
    assert.is(h.alarms.acknowledge(alarm!.id, 'operator-li'), undefined);
    h.feed('mh-5', 1, { cover_open: true });
    assert.is(store.getAlarm(alarm!.id)!.count, 2);
    assert.is(store.countAlarms('open'), 1);
    h.feed('mh-5', 2, { cover_open: false });
    assert.is(store.getAlarm(alarm!.id)!.state, 'cleared');
    store.close();
  });

  test(`${name}: the database refuses a second open alarm for the same rule and device`, () => {
    const { store } = makeStore();
    const base = { ruleId: 'cover-open', ruleName: 'x', severity: 'critical' as const, deviceId: 'mh-6', gatewayId: 'g', district: '', profile: 'manhole-cover', raisedAt: T0, lastSeenAt: T0, lastValues: {}, evidence: [], createdAt: T0 };
    store.insertAlarm(base);
    assert.throws(() => store.insertAlarm(base));
    store.close();
  });
}

suite('sqlite :memory:', () => ({ store: new SqliteCaseStore(':memory:') }));

test('sqlite file: a restart with an active alarm neither loses nor re-raises it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tz-rules-'));
  dirs.push(dir);
  const path = join(dir, 'rules.db');
  const first = new SqliteCaseStore(path);
  const before = harness(first);
  before.feed('mh-7', 0, { cover_open: true });
  before.feed('mh-7', 1, { cover_open: true });
  first.close();

  const second = new SqliteCaseStore(path);
  const after = harness(second);
  assert.ok(after.evaluator.isActive('mh-7', 'cover-open'));
  after.feed('mh-7', 1, { cover_open: true }); // a redelivered reading: not counted again
  after.feed('mh-7', 2, { cover_open: true });
  assert.equal(after.events, ['alarm.updated:cover-open']);
  const alarms = second.listAlarms({ limit: 10 });
  assert.is(alarms.length, 1);
  assert.is(alarms[0]!.count, 3);
  assert.is(second.countCases('open'), 1);
  after.feed('mh-7', 3, { cover_open: false });
  assert.is(second.countAlarms('open'), 0);
  second.close();
  // Migrations ran once and are recorded.
  const third = new SqliteCaseStore(path);
  assert.is(third.countCases('registered'), 1);
  third.close();
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test.run();
