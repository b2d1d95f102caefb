import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadProfiles } from '../../device-profiles/index.ts';
import { encodeGatewayStatus, tz, type AlarmEvent, type IReading } from '../../proto/index.ts';
import { createRegistry, isTzError, ManualClock } from '../../service-kit/index.ts';
import { createRulesMetrics, RulesEngine, SqliteRulesStore } from '../index.ts';

/** SQLite answers synchronously: the engine's calls must not hand back a Promise. */
function sync<T>(value: T | Promise<T>): T {
  if (value instanceof Promise) throw new Error('a SQLite store answered asynchronously');
  return value;
}

// The engine against a real SQLite file and a manual clock: no-data per
// profile, gateway outage suppression, escalation, restart mid-window,
// incidents, close by case, rule versions, shadow mode.

const profiles = loadProfiles();
const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);
const dir = mkdtempSync(join(tmpdir(), 'tz-rules-engine-'));
let dbNo = 0;

function open(path = join(dir, `r${++dbNo}.db`), clock = new ManualClock(T0)) {
  const store = new SqliteRulesStore(path);
  const metrics = createRulesMetrics(createRegistry('rules-test'), { alarmsActive: () => 0, outboxDepth: () => ({}), devices: () => 0 });
  const engine = new RulesEngine({ store, profiles, clock, timeZone: 'Asia/Shanghai', log: pino({ level: 'silent' }), metrics, sinks: () => ['cases'] });
  const events = () => store.claimOutbox('cases', 10_000).map((r) => JSON.parse(r.payload) as AlarmEvent);
  return { store, engine, clock, path, events };
}

function reading(deviceId: string, profile: string, seconds: number, metrics: Record<string, number | boolean>, district = 'gulou'): IReading {
  return {
    deviceId, profile, profileVersion: 1, timestampMs: T0 + seconds * 1000, seq: seconds + 1, district,
    metrics: Object.entries(metrics).map(([name, v]) => (typeof v === 'boolean' ? { name, flag: v } : { name, number: v })),
  };
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('with a registry, a district-scoped rule goes by the registered district, not the one a gateway claims', () => {
  const store = new SqliteRulesStore(join(dir, `r${++dbNo}.db`));
  const metrics = createRulesMetrics(createRegistry('rules-test'), { alarmsActive: () => 0, outboxDepth: () => ({}), devices: () => 0 });
  const registered: Record<string, string> = { 'wm-1': 'yicheng', 'wm-2': 'gaoxin' };
  const engine = new RulesEngine({ store, profiles, clock: new ManualClock(T0), timeZone: 'Asia/Shanghai', log: pino({ level: 'silent' }), metrics, sinks: () => ['cases'], districtOf: (id) => registered[id] });
  sync(engine.rules.create({ id: 'yc-flow', name: 'Flow in 驿城区', severity: 'warning', scope: { classes: ['water-meter'], districts: ['yicheng'] }, when: { metric: 'flow_m3h', op: '>', value: 10 } }, 'op'));
  // wm-1 is registered in yicheng but its gateway says gaoxin; wm-2 the reverse; wm-3 is not registered, so its claim stands.
  engine.handleReading('gw-1', reading('wm-1', 'water-meter', 0, { flow_m3h: 50 }, 'gaoxin'));
  engine.handleReading('gw-1', reading('wm-2', 'water-meter', 0, { flow_m3h: 50 }, 'yicheng'));
  engine.handleReading('gw-1', reading('wm-3', 'water-meter', 0, { flow_m3h: 50 }, 'yicheng'));
  assert.equal(store.listAlarms({ state: 'open', limit: 10 }).filter((a) => a.ruleId === 'yc-flow').map((a) => a.deviceId).sort(), ['wm-1', 'wm-3']);
  store.close();
});

test('no data: each device by its own profile interval (toilet 3 min, manhole 45 min)', () => {
  const { engine, clock, store } = open();
  engine.handleReading('gw-1', reading('wc-1', 'public-toilet', 0, { nh3_ppm: 1 }));
  engine.handleReading('gw-1', reading('mh-1', 'manhole-cover', 0, { cover_open: false }));
  clock.advance(179_000); engine.tick();
  assert.is(store.countAlarms('open'), 0);
  clock.advance(1_000); engine.tick();
  assert.equal(store.listAlarms({ state: 'open', limit: 10 }).map((a) => `${a.ruleId}:${a.deviceId}`), ['device-silent:wc-1']);
  clock.advance(45 * 60_000 - 180_000 - 1); engine.tick();
  assert.is(store.countAlarms('open'), 1);
  clock.advance(1); engine.tick();
  assert.is(store.countAlarms('open'), 2);
  engine.handleReading('gw-1', reading('wc-1', 'public-toilet', 3000, { nh3_ppm: 1 }));
  assert.equal(store.listAlarms({ state: 'cleared', limit: 10 }).map((a) => a.deviceId), ['wc-1']);
});

test('gateway outage: one gateway alarm; its devices\' no-data alarms are suppressed and linked; stale disconnects ignored', () => {
  const { engine, clock, store, events } = open();
  for (let i = 1; i <= 5; i++) engine.handleReading('gw-9', reading(`wc-${i}`, 'public-toilet', 0, { nh3_ppm: 1 }));
  engine.handleReading('gw-8', reading('wc-other', 'public-toilet', 0, { nh3_ppm: 1 }));
  const ev = (type: string, seq: number) => Buffer.from(JSON.stringify({ type, gatewayId: 'gw-9', clientId: 'gw-9', brokerId: 'b1', connectionSeq: seq, at: new Date(clock.now()).toISOString() }));
  assert.is(engine.topology.onConnectionEvent(ev('connected', 3)), 'applied');
  assert.is(engine.topology.onConnectionEvent(ev('disconnected', 2)), 'stale', 'a disconnect of an older connection is stale');
  assert.is(store.countAlarms('open'), 0);
  clock.advance(10_000);
  assert.is(engine.topology.onConnectionEvent(ev('disconnected', 3)), 'applied');
  const [gwAlarm] = store.listAlarms({ ruleId: 'gateway-offline', limit: 5 });
  assert.ok(gwAlarm, 'one gateway alarm');
  clock.advance(200_000); engine.tick();
  const silent = store.listAlarms({ ruleId: 'device-silent', state: 'open', limit: 10 });
  assert.is(silent.length, 6);
  const suppressed = silent.filter((a) => a.suppressedBy === gwAlarm!.id).map((a) => a.deviceId).sort();
  assert.equal(suppressed, ['wc-1', 'wc-2', 'wc-3', 'wc-4', 'wc-5']);
  const raised = events().filter((e) => e.type === 'raised').map((e) => e.alarm.deviceId).sort();
  assert.equal(raised, ['gw-9', 'wc-other'], 'suppressed alarms raise nothing downstream');
  // The last will as retained status also works, and online comes back by status.
  engine.topology.onStatus('gw-9', encodeGatewayStatus({ gatewayId: 'gw-9', state: tz.GatewayState.GATEWAY_STATE_ONLINE, timestampMs: clock.now() }));
  assert.is(store.getAlarm(gwAlarm!.id)!.state, 'cleared');
  for (let i = 1; i <= 4; i++) engine.handleReading('gw-9', reading(`wc-${i}`, 'public-toilet', 300, { nh3_ppm: 1 }));
  clock.advance(60_000); engine.tick();
  const released = store.listAlarms({ ruleId: 'device-silent', state: 'open', limit: 10 }).map((a) => `${a.deviceId}:${a.suppressedBy}`).sort();
  assert.equal(released, ['wc-5:null', 'wc-other:null'], 'wc-5 still silent a report interval after the gateway came back: its own problem');
  assert.ok(events().some((e) => e.type === 'raised' && e.alarm.deviceId === 'wc-5'));
});

test('severity escalates while unacknowledged and steps down on acknowledge', () => {
  const { engine, clock, store, events } = open();
  engine.handleReading('gw-1', reading('mh-7', 'manhole-cover', 0, { water_level_cm: 160 }));
  engine.handleReading('gw-1', reading('mh-7', 'manhole-cover', 60, { water_level_cm: 165 }));
  const [alarm] = store.listAlarms({ ruleId: 'shaft-flooding', limit: 1 });
  assert.is(alarm!.severity, 'warning');
  clock.advance(10 * 60_000 - 1); engine.tick();
  assert.is(store.getAlarm(alarm!.id)!.severity, 'warning');
  clock.advance(1); engine.tick();
  assert.is(store.getAlarm(alarm!.id)!.severity, 'critical');
  assert.ok(events().some((e) => e.type === 'escalated' && e.alarm.severity === 'critical'));
  const acked = sync(engine.acknowledge(alarm!.id, 'duty-officer', 'crew on the way'));
  assert.is(acked.state, 'acknowledged');
  assert.is(acked.acknowledgedBy, 'duty-officer');
  assert.is(acked.severity, 'warning');
  clock.advance(3_600_000); engine.tick();
  assert.is(store.getAlarm(alarm!.id)!.severity, 'warning', 'no escalation once acknowledged');
  try { engine.acknowledge(alarm!.id, 'x'); assert.unreachable(); } catch (err) { assert.ok(isTzError(err, 'TZ_ALARM_STATE')); }
});

test('restart in the middle of a for: window: it fires on time, open alarms are neither lost nor re-raised', () => {
  const first = open();
  first.engine.handleReading('gw-1', reading('mh-3', 'manhole-cover', 0, { tilt_deg: 20 }));
  first.engine.handleReading('gw-1', reading('mh-3', 'manhole-cover', 20, { tilt_deg: 21 }));
  first.engine.handleReading('gw-1', reading('mh-4', 'manhole-cover', 0, { cover_open: true }));
  first.engine.checkpoint();
  first.store.close();
  const second = open(first.path, first.clock);
  assert.is(second.store.countAlarms('open'), 1);
  assert.is(second.engine.handleReading('gw-1', reading('mh-3', 'manhole-cover', 20, { tilt_deg: 21 })), 'stale-reading', 'last-seen survived');
  second.engine.handleReading('gw-1', reading('mh-3', 'manhole-cover', 30, { tilt_deg: 22 }));
  const tilted = second.store.listAlarms({ ruleId: 'cover-tilted', limit: 5 });
  assert.is(tilted.length, 1, 'the 30 s window that began before the restart completed');
  assert.is(tilted[0]!.raisedAt, T0 + 30_000);
  assert.is(tilted[0]!.evidence.length, 3);
  second.engine.handleReading('gw-1', reading('mh-4', 'manhole-cover', 40, { cover_open: true }));
  const cover = second.store.listAlarms({ ruleId: 'cover-open', limit: 5 });
  assert.is(cover.length, 1);
  assert.is(cover[0]!.count, 2, 'a repeat, not a new alarm');
  assert.is(second.engine.counters.alarmsRaised, 1);
  second.store.close();
});

test('incidents: several alarms on one asset group into one; close by case closes alarms and the incident', () => {
  const { engine, store, events } = open();
  engine.handleReading('gw-1', reading('pole-1', 'smart-pole', 0, { lamp_on: true, current_a: 0, voltage_v: 260, ev_charger_state: 3 }));
  engine.handleReading('gw-1', reading('pole-1', 'smart-pole', 180, { lamp_on: true, current_a: 0, voltage_v: 260, ev_charger_state: 3 }));
  const open1 = store.listAlarms({ deviceId: 'pole-1', state: 'open', limit: 10 });
  assert.equal(open1.map((a) => a.ruleId).sort(), ['ev-charger-fault', 'lamp-failure', 'pole-voltage-abnormal']);
  const incident = open1[0]!.incidentId;
  assert.ok(incident !== null && open1.every((a) => a.incidentId === incident));
  const closed = sync(engine.closeByCase(open1.map((a) => a.id), 'case-42', 'crew-7', 'replaced the driver'));
  assert.is(closed.length, 3);
  assert.ok(closed.every((a) => a.state === 'closed' && a.caseId === 'case-42' && a.closedBy === 'crew-7'));
  assert.ok(store.getIncident(incident!)!.closedAt !== null);
  assert.is(events().filter((e) => e.type === 'closed').length, 3);
  assert.ok(new Set(events().map((e) => e.eventId)).size === events().length, 'eventId unique per change');
});

test('rules: errors name the path; create, change, history with diff, rollback; shadow mode records, raises nothing', () => {
  const { engine, store } = open();
  try {
    engine.rules.create({ id: 'leak', name: 'Leak', severity: 'loud', scope: { classes: ['water-meter'] }, when: { all: [{ metric: 'flow_m3h', avg: '10 parsecs', op: '>', value: 1 }, { metric: 'flw', op: '>', value: 1 }] } }, 'op');
    assert.unreachable();
  } catch (err) {
    assert.ok(isTzError(err, 'TZ_RULE_INVALID'));
    const paths = (err.details.problems as Array<{ path: string }>).map((p) => p.path);
    assert.ok(paths.includes('severity'), paths.join());
    assert.ok(paths.includes('when.all.0.avg'), paths.join());
  }
  try {
    engine.rules.create({ id: 'leak', name: 'Leak', severity: 'warning', scope: { classes: ['water-meter'] }, when: { all: [{ metric: 'flw', op: '>', value: 1 }] } }, 'op');
    assert.unreachable();
  } catch (err) {
    assert.ok(isTzError(err, 'TZ_RULE_INVALID'));
    assert.match(err.message, /when\.all\.0\.metric: unknown metric "flw"/);
  }
  engine.rules.create({ id: 'high-flow', name: 'High flow', severity: 'warning', scope: { classes: ['water-meter'] }, when: { metric: 'flow_m3h', op: '>', value: 10 }, mode: 'shadow' }, 'alice');
  engine.handleReading('gw-1', reading('wm-1', 'water-meter', 0, { flow_m3h: 12 }));
  assert.is(store.countShadow('high-flow'), 1);
  assert.is(store.listAlarms({ ruleId: 'high-flow', limit: 5 }).length, 0);
  engine.rules.replace('high-flow', { id: 'high-flow', name: 'High flow', severity: 'warning', scope: { classes: ['water-meter'] }, when: { metric: 'flow_m3h', op: '>', value: 20 } }, 'bob');
  engine.handleReading('gw-1', reading('wm-1', 'water-meter', 10, { flow_m3h: 15 }));
  assert.is(store.listAlarms({ ruleId: 'high-flow', limit: 5 }).length, 0, 'new threshold applied without restart');
  const history = sync(engine.rules.history('high-flow'));
  assert.equal(history.map((h) => `${h.version}:${h.action}:${h.who}`), ['1:create:alice', '2:update:bob']);
  assert.equal(history[1]!.diff, [{ path: 'when.value', from: 10, to: 20 }, { path: 'mode', from: 'shadow' }]);
  engine.rules.rollback('high-flow', 1, 'carol');
  assert.is(engine.rules.get('high-flow').spec.mode, 'shadow');
  assert.is(sync(engine.rules.history('high-flow'))[2]!.action, 'rollback');
  // A profile default: changed, then reverted by DELETE.
  engine.rules.replace('cover-open', { ...engine.rules.get('cover-open').spec, severity: 'warning' }, 'dave');
  assert.is(engine.rules.get('cover-open').source, 'profile');
  assert.is(engine.rules.get('cover-open').version, 1);
  const removed = sync(engine.rules.remove('cover-open', 'dave'));
  assert.is(removed.deleted, false);
  assert.is(engine.rules.get('cover-open').spec.severity, 'critical');
});

test.run();
