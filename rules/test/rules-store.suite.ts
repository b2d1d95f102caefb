// The shared RulesStore suite (as MQTT.js's abstract_store): every rules
// store — SQLite (rules/test/sqlite-rules-store.test.ts) and PostgreSQL
// (test/integration/postgres-rules-store.test.ts) — must pass it. Every call
// is awaited, so one suite holds both a synchronous and an asynchronous store.
import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import { pino } from 'pino';
import { loadProfiles } from '../../device-profiles/index.ts';
import type { AlarmEvent, IReading } from '../../proto/index.ts';
import { createRegistry, isTzError, ManualClock } from '../../service-kit/index.ts';
import { RulesEngine } from '../engine.ts';
import { createRulesMetrics } from '../metrics.ts';
import { step, type NewAlarm, type RulesStore } from '../rules-store.ts';

export function sampleAlarm(over: Partial<NewAlarm> = {}): NewAlarm {
  return {
    ruleId: 'cover-open', ruleName: 'Cover open', severity: 'critical', deviceId: 'mh-1', gatewayId: 'gw-1', district: 'gulou', profile: 'manhole-cover@1',
    raisedAt: 1_000, lastSeenAt: 1_000, flapping: false, noData: false, caseSpec: { category: 'manhole-cover', priority: 'high' },
    escalate: [{ afterMs: 600_000, severity: 'critical' }], lastValues: { cover_open: true }, evidence: [{ timestampMs: 1_000, values: { cover_open: true } }],
    createdAt: 2_000, suppressedBy: null, ...over,
  };
}

const profiles = loadProfiles();
const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);

function reading(deviceId: string, seconds: number, coverOpen: boolean): IReading {
  return { deviceId, profile: 'manhole-cover', profileVersion: 1, timestampMs: T0 + seconds * 1000, seq: seconds + 1, district: 'gulou', metrics: [{ name: 'cover_open', flag: coverOpen }] };
}

export function rulesStoreSuite(test: Test, open: () => Promise<RulesStore>): void {
  test('rules store: an alarm is inserted, found open and by its raising reading, repeated, updated, listed and counted', async () => {
    const store = await open();
    try {
      const a = await store.transaction(function* (tx) {
        return yield* step(tx.insertAlarm(sampleAlarm()));
      });
      assert.is(a.state, 'active');
      assert.is(a.count, 1);
      assert.equal(a.caseSpec, { category: 'manhole-cover', priority: 'high' });
      assert.equal(a.evidence, [{ timestampMs: 1_000, values: { cover_open: true } }]);
      assert.is(a.flapping, false);
      assert.is((await store.findOpenAlarm('cover-open', 'mh-1'))?.id, a.id);
      assert.is((await store.findRaisedAlarm('cover-open', 'mh-1', 1_000))?.id, a.id);
      assert.is(await store.findRaisedAlarm('cover-open', 'mh-1', 999), undefined);
      const repeated = await store.recordRepeat(a.id, 3_000, { cover_open: true }, true, 3_500);
      assert.is(repeated.count, 2);
      assert.is(repeated.lastSeenAt, 3_000);
      assert.is(repeated.flapping, true);
      const older = await store.recordRepeat(a.id, 2_500, { cover_open: true }, false, 3_600);
      assert.is(older.lastSeenAt, 3_000, 'last seen never goes back');
      assert.is(older.flapping, true, 'flapping stays marked');
      const acked = await store.updateAlarm(a.id, { state: 'acknowledged', acknowledged_by: 'duty', acknowledged_at: 4_000 }, 4_000);
      assert.is(acked.state, 'acknowledged');
      assert.is(acked.acknowledgedBy, 'duty');
      assert.is(acked.updatedAt, 4_000);
      await store.insertAlarm(sampleAlarm({ ruleId: 'cover-tilt', deviceId: 'mh-2', raisedAt: 5_000 }));
      assert.is(await store.countAlarms('open'), 2);
      assert.is(await store.countAlarms('acknowledged'), 1);
      assert.equal((await store.listAlarms({ state: 'open', limit: 10 })).map((x) => x.deviceId), ['mh-2', 'mh-1'], 'newest first');
      assert.equal((await store.listAlarms({ deviceId: 'mh-2', limit: 10 })).map((x) => x.ruleId), ['cover-tilt']);
      assert.is((await store.listAlarms({ state: 'open', limit: 1 })).length, 1);
      assert.equal((await store.openAlarms()).map((x) => x.deviceId), ['mh-1', 'mh-2'], 'oldest first');
      assert.is((await store.openAlarmsOfDevice('mh-1')).length, 1);
      assert.is((await store.getAlarm(a.id))?.ruleName, 'Cover open');
      assert.is(await store.getAlarm(9_999_999), undefined);
    } finally {
      await store.close();
    }
  });

  test('rules store: one open alarm per (rule, device), held by the database', async () => {
    const store = await open();
    try {
      const a = await store.insertAlarm(sampleAlarm());
      let refused = false;
      try {
        await store.insertAlarm(sampleAlarm({ raisedAt: 7_000 }));
      } catch {
        refused = true;
      }
      assert.ok(refused, 'a second open alarm of one rule on one device is refused');
      await store.updateAlarm(a.id, { state: 'cleared', cleared_at: 8_000 }, 8_000);
      const b = await store.insertAlarm(sampleAlarm({ raisedAt: 9_000 }));
      assert.ok(b.id > a.id, 'after the clear a new alarm may open');
    } finally {
      await store.close();
    }
  });

  test('rules store: a failed transaction leaves nothing behind (alarm and its outbox rows commit together)', async () => {
    const store = await open();
    try {
      await store.transaction(function* (tx) {
        yield tx.insertAlarm(sampleAlarm());
        yield tx.enqueue('e-1', ['mqtt', 'cases'], '{}', 1);
        throw new Error('boom');
      });
      assert.unreachable('should throw');
    } catch (err) {
      assert.is((err as Error).message, 'boom');
    }
    try {
      assert.is(await store.countAlarms('open'), 0);
      assert.equal(await store.outboxDepth(), {});
    } finally {
      await store.close();
    }
  });

  test('rules store: the outbox keeps order per sink; delivered rows go, failed ones stay with their attempts', async () => {
    const store = await open();
    try {
      await store.enqueue('e-1', ['mqtt', 'cases'], '{"n":1}', 1);
      await store.enqueue('e-2', ['mqtt', 'cases'], '{"n":2}', 2);
      assert.equal(await store.outboxDepth(), { mqtt: 2, cases: 2 });
      const rows = await store.claimOutbox('cases', 10);
      assert.equal(rows.map((r) => [r.eventId, r.sink, r.payload, r.attempts]), [['e-1', 'cases', '{"n":1}', 0], ['e-2', 'cases', '{"n":2}', 0]]);
      const [first, second] = rows;
      assert.ok(first && second);
      await store.delivered(first.id);
      await store.deliveryFailed(second.id, 'sink down');
      const again = await store.claimOutbox('cases', 10);
      assert.equal(again.map((r) => [r.eventId, r.attempts]), [['e-2', 1]]);
      assert.equal(await store.outboxDepth(), { mqtt: 2, cases: 1 });
      assert.is((await store.claimOutbox('mqtt', 1)).length, 1, 'limit holds');
    } finally {
      await store.close();
    }
  });

  test('rules store: incidents, shadow records, gateways', async () => {
    const store = await open();
    try {
      assert.is(await store.openIncident('mh-1'), undefined);
      const id = await store.createIncident('mh-1', 10);
      assert.is(await store.openIncident('mh-1'), id);
      await store.closeIncident(id, 20);
      assert.equal(await store.getIncident(id), { id, assetId: 'mh-1', openedAt: 10, closedAt: 20 });
      assert.is(await store.openIncident('mh-1'), undefined);
      await store.recordShadow('r-1', 'mh-1', 'fire', 5, 'warning', { level_m: 2 }, 6);
      await store.recordShadow('r-1', 'mh-1', 'clear', 7, 'warning', { level_m: 1 }, 8);
      assert.is(await store.countShadow('r-1'), 1);
      assert.equal((await store.shadowRecords('r-1', 10)).map((r) => [r.kind, r.values]), [['clear', { level_m: 1 }], ['fire', { level_m: 2 }]]);
      await store.putGateway({ gatewayId: 'gw-1', online: false, clientId: 'c-1', connectionSeq: 3, since: 100, alarmId: 7 });
      await store.putGateway({ gatewayId: 'gw-1', online: true, clientId: 'c-1', connectionSeq: 4, since: 200, alarmId: null });
      assert.equal(await store.gateways(), [{ gatewayId: 'gw-1', online: true, clientId: 'c-1', connectionSeq: 4, since: 200, alarmId: null }]);
    } finally {
      await store.close();
    }
  });

  test('rules store: rule documents with versions; silences', async () => {
    const store = await open();
    try {
      const doc = { id: 'leak', name: 'Leak', severity: 'warning' as const, when: { metric: 'flow_m3h', op: '>' as const, value: 1 } };
      assert.is(await store.latestRuleVersion('leak'), 0);
      await store.transaction(function* (tx) {
        yield tx.putRuleDoc('leak', doc, 1, 'alice', 10);
        yield tx.addRuleVersion({ ruleId: 'leak', version: 1, action: 'create', doc, diff: [], who: 'alice', at: 10, note: null });
      });
      await store.putRuleDoc('leak', { ...doc, severity: 'critical' }, 2, 'bob', 20);
      await store.addRuleVersion({ ruleId: 'leak', version: 2, action: 'update', doc: { ...doc, severity: 'critical' }, diff: [{ path: 'severity', from: 'warning', to: 'critical' }], who: 'bob', at: 20, note: 'louder' });
      assert.equal((await store.ruleDocs()).map((d) => [d.id, d.version, d.doc.severity, d.updatedBy]), [['leak', 2, 'critical', 'bob']]);
      assert.is(await store.latestRuleVersion('leak'), 2);
      assert.equal((await store.ruleVersions('leak')).map((v) => [v.version, v.action, v.who, v.note]), [[1, 'create', 'alice', null], [2, 'update', 'bob', 'louder']]);
      let duplicate = false;
      try {
        await store.addRuleVersion({ ruleId: 'leak', version: 2, action: 'update', doc: null, diff: [], who: 'eve', at: 30, note: null });
      } catch {
        duplicate = true;
      }
      assert.ok(duplicate, 'a version number is taken once');
      await store.deleteRuleDoc('leak');
      assert.equal(await store.ruleDocs(), []);

      const s1 = await store.insertSilence({ kind: 'maintenance', matchers: '{"deviceIds":["mh-1"]}', startsAt: 100, endsAt: 1_000, reason: 'works', createdBy: 'ops', createdAt: 50 });
      const s2 = await store.insertSilence({ kind: 'silence', matchers: '{}', startsAt: 100, endsAt: 200, reason: 'noise', createdBy: 'ops', createdAt: 60 });
      assert.equal((await store.liveSilences(150)).map((s) => s.id), [s1, s2]);
      assert.equal((await store.liveSilences(300)).map((s) => s.id), [s1]);
      await store.expireSilence(s1, 400, 'boss');
      assert.equal(await store.liveSilences(300), []);
      assert.equal([(await store.getSilence(s1))?.expiredAt, (await store.getSilence(s1))?.expiredBy], [400, 'boss']);
      await store.deleteSilence(s2);
      assert.equal((await store.listSilences(10)).map((s) => [s.id, s.kind, s.matchers]), [[s1, 'maintenance', '{"deviceIds":["mh-1"]}']]);
    } finally {
      await store.close();
    }
  });

  test('rules store: checkpoints are written, overwritten and read back', async () => {
    const store = await open();
    try {
      await store.saveDeviceStates([['mh-1', '{"a":1}'], ['mh-2', '{"b":2}']], 10);
      await store.saveDeviceStates([['mh-1', '{"a":3}']], 20);
      const states = [...(await store.deviceStates())].sort((x, y) => x.deviceId.localeCompare(y.deviceId));
      assert.equal(states, [{ deviceId: 'mh-1', state: '{"a":3}' }, { deviceId: 'mh-2', state: '{"b":2}' }]);
      assert.is(await store.deviceState('mh-1'), '{"a":3}');
      assert.is(await store.deviceState('mh-9'), undefined);
    } finally {
      await store.close();
    }
  });

  test('rules store under the engine: raise, repeat, clear with outbox events; a redelivered raising reading raises nothing; a restart keeps the open alarm', async () => {
    const store = await open();
    try {
      const clock = new ManualClock(T0);
      const metrics = createRulesMetrics(createRegistry('rules-suite'), { alarmsActive: () => 0, outboxDepth: () => ({}), devices: () => 0 });
      const start = async () => {
        const engine = new RulesEngine({ store, profiles, clock, timeZone: 'Asia/Shanghai', log: pino({ level: 'silent' }), metrics, sinks: () => ['cases'] });
        await engine.ready;
        return engine;
      };
      const feed = async (engine: RulesEngine, r: IReading) => {
        assert.is(engine.handleReading('gw-1', r), undefined);
        await engine.pending();
      };
      const events = async () => (await store.claimOutbox('cases', 1000)).map((r) => JSON.parse(r.payload) as AlarmEvent);
      const first = await start();
      await feed(first, reading('mh-1', 0, true));
      await feed(first, reading('mh-1', 10, true));
      assert.equal((await events()).map((e) => e.type), ['raised', 'updated']);
      const open1 = await store.listAlarms({ state: 'open', limit: 10 });
      assert.equal(open1.map((a) => [a.ruleId, a.deviceId, a.count]), [['cover-open', 'mh-1', 2]]);

      // A crash before the checkpoint: a fresh evaluator sees the raising reading again.
      const second = await start();
      await feed(second, reading('mh-1', 0, true));
      assert.is((await store.listAlarms({ ruleId: 'cover-open', limit: 10 })).length, 1, 'no second alarm');
      await feed(second, reading('mh-1', 20, false));
      const all = await store.listAlarms({ ruleId: 'cover-open', limit: 10 });
      assert.equal(all.map((a) => a.state), ['cleared']);
      assert.ok((await events()).some((e) => e.type === 'cleared'));
      // The whole stream redelivered after the clear: the alarm it raised exists (cleared), nothing new opens.
      const third = await start();
      await feed(third, reading('mh-1', 0, true));
      await feed(third, reading('mh-1', 10, true));
      await feed(third, reading('mh-1', 20, false));
      assert.equal((await store.listAlarms({ ruleId: 'cover-open', limit: 10 })).map((a) => a.state), ['cleared'], 'a replayed stream stays one alarm');
      await feed(third, reading('mh-1', 30, true));
      assert.is((await store.listAlarms({ ruleId: 'cover-open', state: 'open', limit: 10 })).length, 1, 'a new reading raises a new alarm');
      // Acknowledge through the engine.
      const [open2] = await store.listAlarms({ state: 'open', limit: 1 });
      assert.ok(open2);
      const acked = await third.acknowledge(open2.id, 'duty');
      assert.is(acked.state, 'acknowledged');
      try {
        await third.acknowledge(open2.id, 'duty');
        assert.unreachable();
      } catch (err) {
        assert.ok(isTzError(err, 'TZ_ALARM_STATE'));
      }
    } finally {
      await store.close();
    }
  });
}
