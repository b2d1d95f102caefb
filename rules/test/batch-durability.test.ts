import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { loadProfiles } from '../../device-profiles/index.ts';
import type { IReading } from '../../proto/index.ts';
import { createRegistry, isTzError, ManualClock } from '../../service-kit/index.ts';
import { createRulesMetrics, RulesEngine, SqliteRulesStore } from '../index.ts';
import { AlarmWriter } from '../alarm-writer.ts';
import { writerGate } from './fixtures/writer-gate.ts';

// Issue 18: a batch's alarm changes are committed by the alarm writer thread
// (its own connection, synchronous=FULL), off the event loop. What must hold:
// a batch's answer (and so its PUBACK) waits until its rows are committed and
// synced — before that no connection sees them, after it another one does;
// a failed commit or a dead thread fails its batches (counted store-failed,
// counted by the writer) instead of answering them; one device's changes
// reach the database in evaluation order, a tick's no-data fire behind the
// batch's clear evaluated before it.

const profiles = loadProfiles();
const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);
const dir = mkdtempSync(join(tmpdir(), 'tz-rules-durable-'));
let dbNo = 0;

/** Whether a promise has settled, looked at after the event loop turned once (no timer). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  await new Promise<void>((resolve) => setImmediate(resolve));
  return done;
}

function open(gate: Int32Array) {
  const path = join(dir, `d${++dbNo}.db`);
  const registry = createRegistry('rules-test');
  const store = new SqliteRulesStore(path, { alarmWriter: true, writerGate: gate, registry, checkpointWorker: false });
  const metrics = createRulesMetrics(registry, { alarmsActive: () => 0, outboxDepth: () => ({}), devices: () => 0 });
  let stored = 0;
  const clock = new ManualClock(T0);
  const engine = new RulesEngine({
    store, profiles, clock, timeZone: 'Asia/Shanghai', log: pino({ level: 'silent' }), metrics, sinks: () => ['cases'],
    onStored: () => { stored += 1; },
  });
  // Another connection to the file: what it sees is committed (and, FULL, synced before it became visible).
  const other = new Database(path, { readonly: true });
  const seen = () => ({
    alarms: (other.prepare(`SELECT device_id AS d, rule_id AS r, state AS s FROM alarms ORDER BY id`).all() as Array<{ d: string; r: string; s: string }>).map((a) => `${a.r}:${a.d}:${a.s}`),
    outbox: (other.prepare('SELECT payload FROM outbox ORDER BY id').all() as Array<{ payload: string }>).map((r) => {
      const e = JSON.parse(r.payload) as { type: string; alarm: { ruleId: string; deviceId: string } };
      return `${e.type} ${e.alarm.ruleId}:${e.alarm.deviceId}`;
    }),
  });
  const close = async () => { other.close(); await store.close(); };
  return { store, engine, registry, clock, seen, close, stored: () => stored };
}

function cover(deviceId: string, seconds: number, coverOpen: boolean): IReading {
  return { deviceId, profile: 'manhole-cover', profileVersion: 1, timestampMs: T0 + seconds * 1000, seq: seconds + 1, district: 'gulou', metrics: [{ name: 'cover_open', flag: coverOpen }] };
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a batch answers only once the writer committed and synced it; before that no connection sees its rows, then another one does', async () => {
  const gate = writerGate();
  gate.hold();
  const { store, engine, seen, close, stored } = open(gate.gate);
  const first = engine.handleBatch('gw-1', [cover('mh-1', 0, true), cover('mh-2', 0, false)]);
  assert.ok(first instanceof Promise, 'a batch with an alarm change answers a Promise');
  await gate.reached(1);
  assert.is(await settled(first), false, 'not answered while the writer is held before its commit');
  assert.equal(seen(), { alarms: [], outbox: [] }, 'nothing committed yet');
  assert.is(store.countAlarms('open'), 0, 'nor visible to the engine\'s own connection');
  assert.is(engine.counters.alarmsRaised, 0, 'its events are counted when it is stored');
  // The next batch is evaluated meanwhile: the evaluator knows mh-1 fired, so this is a repeat.
  const second = engine.handleBatch('gw-1', [cover('mh-1', 60, true)]);
  assert.ok(second instanceof Promise);
  assert.is(engine.handleBatch('gw-1', [cover('mh-3', 0, false)]), undefined, 'a batch without alarm changes has nothing to wait for');
  assert.is(store.alarmWriter?.depth(), 2, 'two batches with the writer');
  gate.open();
  await first;
  assert.ok(seen().alarms.includes('cover-open:mh-1:active'), `the alarm is in the file once answered (${seen().alarms.join(', ')})`);
  await second;
  assert.equal(seen().outbox, ['raised cover-open:mh-1', 'updated cover-open:mh-1'], 'both events, in order');
  assert.is(store.listAlarms({ state: 'open', limit: 10 })[0]?.count, 2, 'a repeat, not a second alarm');
  assert.equal(store.claimOutbox('cases', 10).map((r) => JSON.parse(r.payload).type), ['raised', 'updated'], 'the deliverer on the engine\'s connection sees them');
  assert.is(engine.counters.alarmsRaised, 1);
  assert.is(engine.counters.alarmsUpdated, 1);
  assert.is(stored(), 2, 'the outbox nudged once per answered batch');
  assert.ok(store.walSyncsRun() >= 1 && store.walSyncsRun() <= 2, `one or two commits (fsyncs) for both batches (${store.walSyncsRun()})`);
  await close();
});

test('a failed commit: the batch is not answered (rejects), its readings are counted store-failed, nothing of it is stored; the writer goes on', async () => {
  const gate = writerGate();
  gate.fail();
  const { engine, registry, seen, close, stored } = open(gate.gate);
  const batch = engine.handleBatch('gw-1', [cover('mh-1', 0, true), cover('mh-2', 0, true), cover('mh-3', 0, false)]);
  assert.ok(batch instanceof Promise);
  const err = await batch.then(() => undefined, (e: unknown) => e);
  assert.ok(isTzError(err, 'TZ_STORE_UNAVAILABLE'), `rejected with a store failure (${String(err)})`);
  assert.is(engine.counters.rejected, 2, 'the two readings that changed alarms');
  assert.match(await registry.getSingleMetricAsString('tz_rules_rejected_total'), /reason="store-failed"[^}]*\} 2/);
  assert.match(await registry.getSingleMetricAsString('tz_rules_alarm_writer_failures_total'), /reason="commit"[^}]*\} 1/);
  assert.is(stored(), 0, 'nothing announced');
  assert.equal(seen(), { alarms: [], outbox: [] }, 'rolled back: no alarm, no event');
  gate.open();
  await engine.handleBatch('gw-1', [cover('mh-4', 0, true)]);
  assert.equal(seen().alarms, ['cover-open:mh-4:active'], 'the next batch is stored');
  await close();
});

test('one device in evaluation order: a batch\'s clear, then a tick\'s no-data fire, land in that order', async () => {
  const gate = writerGate();
  const { engine, clock, seen, close } = open(gate.gate);
  await engine.handleBatch('gw-1', [cover('mh-1', 0, true)]);
  gate.hold();
  const clear = engine.handleBatch('gw-1', [cover('mh-1', 60, false)]);
  assert.ok(clear instanceof Promise);
  await gate.reached(2);
  // 45 minutes of silence (3 missed reports of 15 min) while the clear waits with the writer.
  clock.advance(45 * 60_000);
  const tick = engine.tick();
  assert.ok(tick instanceof Promise, 'the tick\'s no-data fire goes to the writer too');
  assert.is(await settled(tick), false, 'and waits behind the held clear');
  gate.open();
  await Promise.all([clear, tick]);
  assert.equal(seen().alarms, ['cover-open:mh-1:cleared', 'device-silent:mh-1:active']);
  assert.equal(seen().outbox, ['raised cover-open:mh-1', 'cleared cover-open:mh-1', 'raised device-silent:mh-1'], 'the clear before the fire');
  await close();
});

test('a rule retired while its fire is with the writer: the alarm lands first, then is cleared with the others', async () => {
  const gate = writerGate();
  const { engine, seen, close } = open(gate.gate);
  await engine.rules.create({ id: 'lid-lifted', name: 'Lid lifted', severity: 'critical', scope: { classes: ['manhole-cover'] }, when: { metric: 'cover_open', op: '==', value: true } }, 'op');
  gate.hold();
  const fired = engine.handleBatch('gw-1', [cover('mh-1', 0, true)]);
  await gate.reached(1);
  await engine.rules.remove('lid-lifted', 'op');
  const retired = engine.retireRule('lid-lifted', 'op');
  assert.ok(retired instanceof Promise, 'waits for the batch in flight');
  gate.open();
  await fired;
  assert.equal((await retired).map((a) => `${a.ruleId}:${a.deviceId}:${a.state}`), ['lid-lifted:mh-1:cleared']);
  assert.ok(seen().alarms.includes('lid-lifted:mh-1:cleared'), 'no open alarm of a retired rule is left behind');
  await close();
});

test('the writer thread dies: its batches in flight fail (not acknowledged, counted), later batches are committed on the event loop', async () => {
  const gate = writerGate();
  gate.hold();
  const { store, engine, registry, seen, close } = open(gate.gate);
  const lost = engine.handleBatch('gw-1', [cover('mh-1', 0, true)]);
  assert.ok(lost instanceof Promise);
  await gate.reached(1);
  gate.crash();
  const err = await lost.then(() => undefined, (e: unknown) => e);
  assert.ok(isTzError(err, 'TZ_STORE_UNAVAILABLE'), `rejected (${String(err)})`);
  assert.match(String((err as Error).message), /alarm writer thread/);
  assert.match(await registry.getSingleMetricAsString('tz_rules_alarm_writer_failures_total'), /reason="crashed"[^}]*\} 1/);
  assert.match(await registry.getSingleMetricAsString('tz_rules_rejected_total'), /reason="store-failed"[^}]*\} 1/);
  assert.is(store.alarmWriter?.running(), false, 'given up');
  const next = engine.handleBatch('gw-1', [cover('mh-2', 0, true)]);
  assert.equal(seen().alarms, ['cover-open:mh-2:active'], 'committed before handleBatch returned, on the engine\'s connection; the lost batch\'s alarm is not there');
  await next;
  await close();
});

test('closing the store lets the writer commit what it was given first', async () => {
  const gate = writerGate();
  const { engine, close } = open(gate.gate);
  const batches = [0, 1, 2, 3].map((i) => engine.handleBatch('gw-1', [cover(`mh-${i}`, 0, true)]));
  await close();
  for (const b of batches) await b;
  const other = new Database(join(dir, `d${dbNo}.db`), { readonly: true });
  assert.is((other.prepare('SELECT COUNT(*) AS n FROM alarms').get() as { n: number }).n, 4);
  other.close();
});

test('a writer that does not finish in time when closed is ended: what it held fails (stopped, counted)', async () => {
  const path = join(dir, `d${++dbNo}.db`);
  await new SqliteRulesStore(path, { checkpointWorker: false }).close();
  const gate = writerGate();
  gate.hold();
  const registry = createRegistry('rules-test');
  const writer = new AlarmWriter(path, { gate: gate.gate, registry, closeTimeoutMs: 200 });
  const held = writer.write({ now: T0, sinks: ['cases'], readings: [] });
  await gate.reached(1);
  await writer.close();
  const err = await held.then(() => undefined, (e: unknown) => e);
  assert.ok(isTzError(err, 'TZ_STORE_UNAVAILABLE'), `rejected (${String(err)})`);
  assert.match(String((err as Error).message), /stopped/);
  assert.match(await registry.getSingleMetricAsString('tz_rules_alarm_writer_failures_total'), /reason="stopped"[^}]*\} 1/);
  assert.is(writer.running(), false);
});

test.run();
