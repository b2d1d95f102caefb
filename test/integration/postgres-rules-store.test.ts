// The shared RulesStore suite against a real PostgreSQL server (issue 20),
// plus what only a shared store has to show: two stores (two rules services)
// never open two alarms for one (rule, device) nor take one outbox row twice;
// migrations apply once; a stopped server is TZ_STORE_UNAVAILABLE.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pino } from 'pino';
import { loadProfiles } from '../../device-profiles/index.ts';
import type { IReading } from '../../proto/index.ts';
import { createRegistry, isTzError, ManualClock } from '../../service-kit/index.ts';
import { createRulesMetrics, RulesEngine } from '../../rules/index.ts';
import { PostgresRulesStore } from '../../rules/postgres-rules-store.ts';
import { step, type AlarmRecord, type RulesTx, type Steps } from '../../rules/rules-store.ts';
import { rulesStoreSuite, sampleAlarm } from '../../rules/test/rules-store.suite.ts';
import { startPostgres, type TestPostgres } from './helpers.ts';

let server: TestPostgres;
let n = 0;
const freshDatabase = () => server.createDatabase(`tz_rules_${++n}`);

test.before(async () => {
  server = await startPostgres();
});
test.after(async () => {
  await server?.stop();
});

rulesStoreSuite(test, async () => PostgresRulesStore.open({ url: await freshDatabase() }));

/** The lifecycle's "raise unless open" under the subject lock, as alarm-lifecycle.ts does it. */
function* raiseUnlessOpen(tx: RulesTx, deviceId: string, raisedAt: number): Steps<AlarmRecord | null> {
  yield* step(tx.lockSubject(deviceId));
  if (yield* step(tx.findOpenAlarm('cover-open', deviceId))) return null;
  if (yield* step(tx.findRaisedAlarm('cover-open', deviceId, raisedAt))) return null;
  const a = yield* step(tx.insertAlarm(sampleAlarm({ deviceId, raisedAt })));
  yield* step(tx.enqueue(`raised-${a.id}`, ['cases'], '{}', raisedAt));
  return a;
}

test('postgres: two stores on one database: one alarm per device however many raise it at once; no outbox row taken twice', async () => {
  const url = await freshDatabase();
  const [a, b] = await Promise.all([PostgresRulesStore.open({ url }), PostgresRulesStore.open({ url })]);
  try {
    const DEVICES = 20;
    // Each device's raising reading reaches both services, four times (redelivery after a failover).
    const results = await Promise.all(Array.from({ length: DEVICES * 4 }, (_, i) => (i % 2 ? a : b).transaction((tx) => raiseUnlessOpen(tx, `mh-${i % DEVICES}`, 1_000))));
    assert.is(results.filter((r) => r !== null).length, DEVICES, 'one alarm raised per device');
    assert.is(await a.countAlarms('open'), DEVICES);
    assert.equal(await b.outboxDepth(), { cases: DEVICES });
    // Both services drain the outbox at once: every row is taken by exactly one.
    const [fromA, fromB] = await Promise.all([a.claimOutbox('cases', 1000), b.claimOutbox('cases', 1000)]);
    const ids = [...fromA, ...fromB].map((r) => r.id);
    assert.is(ids.length, DEVICES);
    assert.is(new Set(ids).size, DEVICES, 'no row claimed twice');
    // A claimed row stays with its deliverer while its lease runs.
    assert.is((await a.claimOutbox('cases', 1000)).length, fromA.length, 'a deliverer may take its own rows again');
    assert.is((await b.claimOutbox('cases', 1000)).length, fromB.length);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('postgres: a dead deliverer\'s rows are due again when its lease ends', async () => {
  const url = await freshDatabase();
  const a = await PostgresRulesStore.open({ url, outboxLeaseMs: 200 });
  const b = await PostgresRulesStore.open({ url, outboxLeaseMs: 200 });
  try {
    await a.enqueue('e-1', ['cases'], '{}', 1);
    assert.is((await a.claimOutbox('cases', 10)).length, 1);
    assert.is((await b.claimOutbox('cases', 10)).length, 0, 'held by a');
    await a.close(); // a dies holding the row
    const deadline = Date.now() + 5_000;
    let taken = 0;
    while (Date.now() < deadline && taken === 0) {
      taken = (await b.claimOutbox('cases', 10)).length;
      if (taken === 0) await new Promise((resolve) => setTimeout(resolve, 50)); // bounded poll on a lease that ends by wall time
    }
    assert.is(taken, 1, 'the row came back to b');
  } finally {
    await b.close();
  }
});

test('postgres: the engine on a shared store: a batch goes through the lane, the sliced write-behind awaits each slice, another service adopts the devices', async () => {
  const url = await freshDatabase();
  const profiles = loadProfiles();
  const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);
  const clock = new ManualClock(T0);
  const engineOn = (store: PostgresRulesStore) => new RulesEngine({
    store, profiles, clock, timeZone: 'Asia/Shanghai', log: pino({ level: 'silent' }), sinks: () => ['cases'],
    metrics: createRulesMetrics(createRegistry('rules-test'), { alarmsActive: () => 0, outboxDepth: () => ({}), devices: () => 0 }),
  });
  const reading = (deviceId: string, seconds: number, coverOpen: boolean): IReading => ({
    deviceId, profile: 'manhole-cover', profileVersion: 1, timestampMs: T0 + seconds * 1000, seq: seconds + 1, district: 'gulou', metrics: [{ name: 'cover_open', flag: coverOpen }],
  });
  const [a, b] = await Promise.all([PostgresRulesStore.open({ url }), PostgresRulesStore.open({ url })]);
  try {
    const first = engineOn(a);
    await first.ready;
    // 40 devices, every fourth cover open: each is new here, so each reading is queued behind its adoption (the new input API fed from the lane).
    first.handleBatch('gw-1', Array.from({ length: 40 }, (_, i) => reading(`mh-${i}`, 0, i % 4 === 0)));
    // Nothing was committed inside handleBatch: the PUBACK has the lane to wait for.
    assert.ok(first.pending() !== undefined, 'the batch\'s changes are in the lane');
    await first.pending();
    assert.is(first.counters.readingsEvaluated, 40);
    assert.is(await a.countAlarms('open'), 10);
    const run = await first.checkpointInSlices(0.5);
    assert.is(run.devices, 40);
    assert.ok(run.slices > 1, `several slices (${run.slices})`);
    assert.ok((await b.deviceState('mh-39')) !== undefined, 'every slice written before the run resolved');

    // The gateway moved to a second service: it adopts mh-0 (checkpoint and open alarm) before evaluating its reading.
    clock.advance(60_000);
    const second = engineOn(b);
    await second.ready;
    second.handleBatch('gw-1', [reading('mh-0', 60, true), reading('mh-1', 60, false)]);
    await second.pending();
    assert.is(second.counters.readingsEvaluated, 2);
    assert.is(await b.countAlarms('open'), 10, 'no alarm raised twice');
    assert.is((await b.listAlarms({ deviceId: 'mh-0', state: 'open', limit: 10 })).length, 1);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('postgres: migrations apply once when two services start together; a stopped server is TZ_STORE_UNAVAILABLE', async () => {
  const url = await freshDatabase();
  const stores = await Promise.all(Array.from({ length: 3 }, () => PostgresRulesStore.open({ url })));
  await Promise.all(stores.map((s) => s.close()));
  const store = await PostgresRulesStore.open({ url, connectTimeoutMs: 1_000, maxRetries: 1 });
  try {
    await store.insertAlarm(sampleAlarm());
    await server.stopServer();
    try {
      await store.transaction((tx) => raiseUnlessOpen(tx, 'mh-9', 5));
      assert.unreachable('should fail');
    } catch (err) {
      assert.ok(isTzError(err, 'TZ_STORE_UNAVAILABLE'), String(err));
    }
    await server.startServer();
    const raised = await store.transaction((tx) => raiseUnlessOpen(tx, 'mh-9', 5));
    assert.ok(raised, 'works again once the server is back');
    assert.is(await store.countAlarms('open'), 2);
  } finally {
    await store.close();
  }
});

test.run();
