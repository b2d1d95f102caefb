import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { loadProfiles } from '../../device-profiles/index.ts';
import type { IReading } from '../../proto/index.ts';
import { createRegistry, ManualClock } from '../../service-kit/index.ts';
import { createRulesMetrics, RulesEngine, SqliteRulesStore } from '../index.ts';
import { GATE_HOLD_LOCKED } from '../alarm-writer-protocol.ts';
import { perThread } from '../thread-cpu.ts';
import { writerGate } from './fixtures/writer-gate.ts';

// Issue 18: the write-behind checkpoint must not stall the event loop. With
// the alarm writer thread running, a slice written on the loop's connection
// waited (busy_timeout sleeps the loop) for the writer's write lock and its
// fsync; the slices now go to the writer thread, and the loop only
// serialises and posts them. What must hold: the loop keeps turning while
// the writer holds its write lock, the states land once it lets go, and a
// fresh engine restores them; a writer that dies mid-run leaves its slices to
// the loop's connection.

const profiles = loadProfiles();
const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);
const dir = mkdtempSync(join(tmpdir(), 'tz-rules-ckpt-'));
let dbNo = 0;
const DEVICES = 3_000;

function open(path: string, gate?: Int32Array) {
  const registry = createRegistry('rules-test');
  const store = new SqliteRulesStore(path, { ...(gate ? { alarmWriter: true, writerGate: gate } : {}), registry, checkpointWorker: false });
  const metrics = createRulesMetrics(registry, { alarmsActive: () => 0, outboxDepth: () => ({}), devices: () => 0 });
  const engine = new RulesEngine({ store, profiles, clock: new ManualClock(T0), timeZone: 'Asia/Shanghai', log: pino({ level: 'silent' }), metrics, sinks: () => ['cases'] });
  return { store, engine };
}

function cover(deviceId: string, seconds: number, coverOpen: boolean): IReading {
  return { deviceId, profile: 'manhole-cover', profileVersion: 1, timestampMs: T0 + seconds * 1000, seq: seconds + 1, district: 'gulou', metrics: [{ name: 'cover_open', flag: coverOpen }] };
}

/** Whether a promise has settled, looked at after the event loop turned once (no timer). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  await new Promise<void>((resolve) => setImmediate(resolve));
  return done;
}

const statesIn = (path: string): number => {
  const other = new Database(path, { readonly: true });
  try {
    return (other.prepare('SELECT COUNT(*) AS n FROM device_state').get() as { n: number }).n;
  } finally {
    other.close();
  }
};

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a checkpoint while the writer holds its write lock: the loop keeps turning, the states land after it lets go, a fresh engine restores them', async () => {
  const path = join(dir, `c${++dbNo}.db`);
  const gate = writerGate();
  const { store, engine } = open(path, gate.gate);
  await engine.handleBatch('gw-1', Array.from({ length: DEVICES }, (_, i) => cover(`mh-${i}`, 0, i === 0)));
  // The next batch's commit holds SQLite's write lock (as a slow COMMIT and its fsync would) until the gate opens.
  Atomics.store(gate.gate, 0, GATE_HOLD_LOCKED);
  const held = engine.handleBatch('gw-1', [cover('mh-1', 60, true)]);
  assert.ok(held instanceof Promise);
  await gate.reached(2);

  const stalls = monitorEventLoopDelay({ resolution: 1 });
  stalls.enable();
  const called = performance.now();
  const run = engine.checkpointInSlices(0.5);
  const callMs = performance.now() - called;
  // The loop turns many times over while the run waits for the writer (a slice on the loop's connection would sleep here up to busy_timeout, 5 s).
  for (let turn = 0; turn < 50; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
  for (let tick = 0; tick < 5; tick++) await new Promise<void>((resolve) => setTimeout(resolve, 5));
  stalls.disable();
  const longestMs = stalls.max / 1e6;
  assert.ok(callMs < 100, `starting the run did not wait for the lock (${callMs.toFixed(1)} ms)`);
  assert.ok(longestMs < 200, `no loop stall near the hold (longest ${longestMs.toFixed(1)} ms)`);
  assert.is(await settled(run), false, 'the run is not done while the writer holds the lock');
  assert.is(statesIn(path), 0, 'no state is stored yet');

  gate.open();
  await held;
  const done = await run;
  assert.is(done.devices, DEVICES + 0, `every changed device (${done.devices})`);
  assert.ok(done.slices > 1, `in slices (${done.slices})`);
  assert.ok(done.longestSaveMs > 0, 'the writer reported its time');
  // The loop's CPU only (process.cpuUsage summed the writer's, which works at the same time): never above the slice's wall time.
  if (perThread) assert.ok(done.longestSliceCpuMs <= done.longestSliceMs + 2, `the loop's CPU (${done.longestSliceCpuMs.toFixed(1)} ms) within its wall time (${done.longestSliceMs.toFixed(1)} ms)`);
  assert.is(statesIn(path), DEVICES, 'every state landed after the writer let go');
  assert.is(store.walSyncsRun(), 2, 'slices are not counted as alarm commits');
  await store.close();

  const fresh = open(path);
  assert.is(fresh.engine.evaluator.deviceCount(), DEVICES, 'restored by a fresh engine');
  assert.is(fresh.engine.handleReading('gw-1', cover('mh-7', 0, false)), 'stale-reading', 'with its last-seen time');
  assert.is(fresh.store.countAlarms('open'), 2, 'and the open alarms, none raised twice');
  await fresh.store.close();
});

test('the writer thread dies with slices in flight: they are written on the loop\'s connection, nothing is lost', async () => {
  const path = join(dir, `c${++dbNo}.db`);
  const gate = writerGate();
  const { store, engine } = open(path, gate.gate);
  engine.handleBatch('gw-1', Array.from({ length: 500 }, (_, i) => cover(`mh-${i}`, 0, false)));
  gate.hold();
  const lost = engine.handleBatch('gw-1', [cover('mh-1', 60, true)]);
  assert.ok(lost instanceof Promise);
  lost.catch(() => undefined);
  await gate.reached(1);
  const run = engine.checkpointInSlices(0.2);
  assert.is(await settled(run), false, 'posted to the writer');
  gate.crash();
  const done = await run;
  assert.is(done.devices, 500);
  assert.is(store.alarmWriter?.running(), false, 'the writer is given up');
  assert.is(statesIn(path), 500, 'every state stored on the loop\'s connection');
  await store.close();
});

test('without the writer (\':memory:\'): checkpoint() writes at once, the sliced run on this connection', async () => {
  const { store, engine } = open(':memory:');
  engine.handleBatch('gw-1', Array.from({ length: 200 }, (_, i) => cover(`mh-${i}`, 0, false)));
  const run = await engine.checkpointInSlices(0.2);
  assert.is(run.devices, 200);
  assert.is(run.longestSaveMs, 0, 'nothing saved off the loop');
  engine.handleBatch('gw-1', [cover('mh-1', 60, false)]);
  assert.is(engine.checkpoint(), 1);
  assert.is(engine.checkpointWritten(), undefined, 'written before it returned');
  assert.is(store.deviceState('mh-1') !== undefined, true);
  await store.close();
});

test.run();
