import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadProfiles } from '../../device-profiles/index.ts';
import type { IReading } from '../../proto/index.ts';
import { createRegistry, ManualClock } from '../../service-kit/index.ts';
import { createRulesMetrics, RulesEngine, SqliteRulesStore, type RulesTx, type Steps } from '../index.ts';
import { MetricWindows } from '../metric-window.ts';

// The hot path's guarantees: a batch's alarm changes are stored (with their
// outbox rows) by the time handleBatch returns, in one transaction, and a
// reading whose changes fail to store does not take the batch's others with
// it; the sliced write-behind saves only changed devices and restores them;
// the window arenas keep every sample of a window however many arrive.

const profiles = loadProfiles();
const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);
const dir = mkdtempSync(join(tmpdir(), 'tz-rules-batch-'));
let dbNo = 0;

function open(path = join(dir, `r${++dbNo}.db`), clock = new ManualClock(T0)) {
  const store = new SqliteRulesStore(path);
  const metrics = createRulesMetrics(createRegistry('rules-test'), { alarmsActive: () => 0, outboxDepth: () => ({}), devices: () => 0 });
  const engine = new RulesEngine({ store, profiles, clock, timeZone: 'Asia/Shanghai', log: pino({ level: 'silent' }), metrics, sinks: () => ['cases'] });
  return { store, engine, clock, path };
}

function reading(deviceId: string, seconds: number, coverOpen: boolean): IReading {
  return { deviceId, profile: 'manhole-cover', profileVersion: 1, timestampMs: T0 + seconds * 1000, seq: seconds + 1, district: 'gulou', metrics: [{ name: 'cover_open', flag: coverOpen }] };
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a batch stores every alarm change and its outbox rows before it returns, in one commit; the outbox hands them out once synced', async () => {
  const { engine, store } = open();
  let commits = 0;
  const transaction = store.transaction.bind(store);
  store.transaction = <T>(work: (tx: RulesTx) => Steps<T>): T => {
    if (!store.db.inTransaction) commits++;
    return transaction(work);
  };
  const synced = engine.handleBatch('gw-1', [reading('mh-1', 0, true), reading('mh-2', 0, false), reading('mh-3', 0, true)]);
  assert.equal(store.listAlarms({ state: 'open', limit: 10 }).map((a) => a.deviceId).sort(), ['mh-1', 'mh-3']);
  assert.is(store.outboxDepth().cases, 2, 'each raised alarm has its outbox row');
  await synced;
  assert.is(store.claimOutbox('cases', 10).length, 2, 'handed to the deliverer once on disk');
  assert.is(commits, 1, 'one transaction for the batch');
  commits = 0;
  engine.handleBatch('gw-1', [reading('mh-2', 60, false)]);
  assert.is(commits, 0, 'a batch without alarm changes writes nothing');
});

test('inside a batch, a reading whose changes fail to store is dropped alone (counted), the others are stored', async () => {
  const { engine, store } = open();
  const insert = store.insertAlarm.bind(store);
  store.insertAlarm = (a) => {
    if (a.deviceId === 'mh-bad') throw new Error('disk says no');
    return insert(a);
  };
  await engine.handleBatch('gw-1', [reading('mh-1', 0, true), reading('mh-bad', 0, true), reading('mh-3', 0, true)]);
  assert.equal(store.listAlarms({ state: 'open', limit: 10 }).map((a) => a.deviceId).sort(), ['mh-1', 'mh-3']);
  assert.is(store.claimOutbox('cases', 10).length, 2, 'no outbox row of the failed reading survived');
  assert.is(engine.counters.rejected, 1);
});

test('outside a batch a reading stores its changes at once (tests and tools call it directly)', () => {
  const { engine, store } = open();
  engine.handleReading('gw-1', reading('mh-1', 0, true));
  assert.is(store.countAlarms('open'), 1);
});

test('sliced write-behind: only changed devices are saved, in slices; a restart restores them', async () => {
  const first = open();
  const batch = Array.from({ length: 300 }, (_, i) => reading(`mh-${i}`, 0, false));
  first.engine.handleBatch('gw-1', batch);
  const all = await first.engine.checkpointInSlices(0.5);
  assert.is(all.devices, 300);
  assert.ok(all.slices > 1, `several slices (${all.slices})`);
  assert.is((await first.engine.checkpointInSlices()).devices, 0, 'nothing changed since');
  first.engine.handleBatch('gw-1', [reading('mh-7', 60, false), reading('mh-8', 60, true)]);
  assert.is((await first.engine.checkpointInSlices()).devices, 2);
  first.store.close();
  const second = open(first.path, first.clock);
  assert.is(second.engine.evaluator.deviceCount(), 300);
  assert.is(second.engine.handleReading('gw-1', reading('mh-7', 60, false)), 'stale-reading', 'last-seen of the second checkpoint survived');
  assert.is(second.engine.handleReading('gw-1', reading('mh-9', 60, false)), undefined);
  second.store.close();
});

test('a sync checkpoint while a sliced one is under way saves what is left, each device once', async () => {
  const { engine, store } = open();
  engine.handleBatch('gw-1', Array.from({ length: 200 }, (_, i) => reading(`mh-${i}`, 0, false)));
  const running = engine.checkpointInSlices(0.01);
  const rest = engine.checkpoint();
  const sliced = await running;
  assert.is(sliced.devices + rest, 200);
  assert.is((store.db.prepare('SELECT COUNT(*) AS n FROM device_state').get() as { n: number }).n, 200);
});

test('window arena: samples past the first block are kept, old ones pruned, blocks reused', () => {
  const w = new MetricWindows(10_000);
  for (let i = 0; i < 100; i++) w.push(0, i * 1000, i);
  assert.is(w.size(0), 11, 'only the last 10 s (11 samples) are kept');
  assert.is(w.avg(0, 89_000, 99_000), 94);
  assert.is(w.min(0, 0, 99_000), 89);
  assert.is(w.max(0, 0, 95_000), 95);
  assert.is(w.count(0, 95_000, 99_000, (v) => v % 2 === 0), 2);
  assert.is(w.change(0, 90_000, 99_000), 9);
  assert.is(w.span, 9000);
  w.push(1, 0, 5);
  w.push(0, 200_000, Number.NaN);
  assert.is(w.size(0), 11, 'NaN is never a sample');
  assert.equal(w.snapshot(1), [[0], [5]]);
  const copy = new MetricWindows(10_000);
  copy.restore(3, w.snapshot(0));
  assert.equal(copy.snapshot(3), w.snapshot(0));
  w.clear(0);
  assert.is(w.size(0), 0);
  assert.ok(Number.isNaN(w.avg(0, 0, 1e9)));
});

test.run();
