import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadProfiles } from '../../device-profiles/index.ts';
import type { IReading } from '../../proto/index.ts';
import { createRegistry, isTzError, ManualClock } from '../../service-kit/index.ts';
import { createRulesMetrics, RulesEngine, SqliteRulesStore } from '../index.ts';
import { WalGroupSync, type SyncFile } from '../wal-sync.ts';

// Issue 18: a batch's alarm rows are committed on the event loop and made
// durable by a WAL fsync off it, shared by every commit that asked while the
// one before ran. What must hold: a batch's answer (and so its PUBACK) waits
// for the sync that covers it; the engine's own reads see the rows at once;
// the outbox hands out nothing that is not on disk; a failed sync fails its
// batches (counted store-failed) instead of answering them.

const profiles = loadProfiles();
const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);
const dir = mkdtempSync(join(tmpdir(), 'tz-rules-durable-'));
let dbNo = 0;

/** A WAL sync the test holds: each call waits until released or failed. */
function heldSync() {
  const waiting: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  let calls = 0;
  const sync: SyncFile = () => {
    calls += 1;
    return new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
  };
  return {
    sync,
    calls: () => calls,
    inFlight: () => waiting.length,
    release: () => { for (const w of waiting.splice(0)) w.resolve(); },
    fail: (why: string) => { for (const w of waiting.splice(0)) w.reject(new Error(why)); },
  };
}

/** Whether a promise has settled, looked at after the event loop turned once (no timer). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  await new Promise<void>((resolve) => setImmediate(resolve));
  return done;
}

function open(sync: SyncFile) {
  const store = new SqliteRulesStore(join(dir, `d${++dbNo}.db`), { syncWal: sync, checkpointWorker: false });
  const registry = createRegistry('rules-test');
  const metrics = createRulesMetrics(registry, { alarmsActive: () => 0, outboxDepth: () => ({}), devices: () => 0 });
  let stored = 0;
  const engine = new RulesEngine({
    store, profiles, clock: new ManualClock(T0), timeZone: 'Asia/Shanghai', log: pino({ level: 'silent' }), metrics, sinks: () => ['cases'],
    onStored: () => { stored += 1; },
  });
  return { store, engine, registry, stored: () => stored };
}

function cover(deviceId: string, seconds: number, coverOpen: boolean): IReading {
  return { deviceId, profile: 'manhole-cover', profileVersion: 1, timestampMs: T0 + seconds * 1000, seq: seconds + 1, district: 'gulou', metrics: [{ name: 'cover_open', flag: coverOpen }] };
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('group commit: flushes asked while an fsync runs share the next one, answered in order', async () => {
  const held = heldSync();
  const wal = new WalGroupSync(join(dir, 'none-wal'), held.sync);
  const order: number[] = [];
  const first = wal.flush().then(() => order.push(1));
  const second = wal.flush().then(() => order.push(2));
  const third = wal.flush().then(() => order.push(3));
  assert.is(held.calls(), 1, 'one fsync in flight');
  assert.is(await settled(second), false);
  held.release();
  await first;
  assert.is(held.calls(), 2, 'the two that waited share the next fsync');
  assert.is(await settled(second), false, 'not answered by the fsync that began before it asked');
  held.release();
  await Promise.all([second, third]);
  assert.equal(order, [1, 2, 3]);
  assert.is(wal.syncs, 2);
});

test('a failed or silent fsync fails its commits (TZ_STORE_UNAVAILABLE); the next one is tried afresh', async () => {
  const held = heldSync();
  const wal = new WalGroupSync(join(dir, 'none-wal'), held.sync, 50);
  const failing = wal.flush();
  held.fail('EIO');
  const err = await failing.then(() => undefined, (e: unknown) => e);
  assert.ok(isTzError(err, 'TZ_STORE_UNAVAILABLE'), 'a store failure');
  const next = wal.flush();
  held.release();
  await next;
  const silent = await wal.flush().then(() => undefined, (e: unknown) => e);
  assert.ok(isTzError(silent, 'TZ_STORE_UNAVAILABLE'), 'a disk that never answers is bounded by the timeout');
  assert.match(String((silent as Error).message), /no answer within 50 ms/);
});

test('a batch answers only when its WAL sync has; the engine reads its rows meanwhile; the outbox waits for the disk', async () => {
  const held = heldSync();
  const { store, engine, stored } = open(held.sync);
  const first = engine.handleBatch('gw-1', [cover('mh-1', 0, true), cover('mh-2', 0, false)]);
  assert.ok(first instanceof Promise, 'a batch with an alarm change answers a Promise');
  assert.is(held.calls(), 1, 'its sync runs');
  assert.is(await settled(first), false, 'not answered while the sync is held');
  assert.is(store.countAlarms('open'), 1, 'the alarm row is committed (visible to the engine)');
  assert.is(store.claimOutbox('cases', 10).length, 0, 'its event is not handed out before it is on disk');
  assert.is(stored(), 0, 'the outbox is not nudged yet');
  // The next batch is evaluated while the first is synced: its repeat finds the pending alarm.
  const second = engine.handleBatch('gw-1', [cover('mh-1', 60, true)]);
  assert.ok(second instanceof Promise);
  assert.is(store.countAlarms('open'), 1, 'a repeat, not a second alarm');
  assert.is(store.listAlarms({ state: 'open', limit: 10 })[0]?.count, 2);
  assert.is(engine.handleBatch('gw-1', [cover('mh-3', 0, false)]), undefined, 'a batch without alarm changes has nothing to wait for');
  held.release();
  await first;
  assert.is(await settled(second), false, 'the second batch waits for the fsync that began after it committed');
  held.release();
  await second;
  assert.is(stored(), 2);
  assert.equal(store.claimOutbox('cases', 10).map((r) => JSON.parse(r.payload).type), ['raised', 'updated'], 'both events, once on disk, in order');
  store.close();
});

test('a failed sync: the batch is not answered (rejects) and its readings are counted store-failed', async () => {
  const held = heldSync();
  const { store, engine, registry, stored } = open(held.sync);
  const batch = engine.handleBatch('gw-1', [cover('mh-1', 0, true), cover('mh-2', 0, true), cover('mh-3', 0, false)]);
  assert.ok(batch instanceof Promise);
  held.fail('EIO: the disk went away');
  const err = await batch.then(() => undefined, (e: unknown) => e);
  assert.ok(isTzError(err, 'TZ_STORE_UNAVAILABLE'), `rejected with a store failure (${String(err)})`);
  assert.is(engine.counters.rejected, 2, 'the two readings that changed alarms');
  assert.match(await registry.getSingleMetricAsString('tz_rules_rejected_total'), /reason="store-failed"[^}]*\} 2/);
  assert.is(stored(), 0, 'nothing announced');
  assert.is(store.claimOutbox('cases', 10).length, 0, 'no event leaves for a batch that is not durable');
  store.close();
});

test.run();
