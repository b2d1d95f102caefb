import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRegistry } from '../../service-kit/index.ts';
import type { IReading } from '../../proto/index.ts';
import { createEdgeMetrics } from '../metrics.ts';
import { UplinkQueue } from '../uplink-queue.ts';

const reading = (seq: number): IReading => ({ deviceId: 'mh-0001', profile: 'manhole-cover', profileVersion: 1, timestampMs: Date.now(), seq, district: 'gulou', metrics: [] });

function queue(maxReadings: number, maxQueuedReadings: number, maxDelayMs = 60_000) {
  const registry = createRegistry('edge-agent-test');
  const metrics = createEdgeMetrics(registry);
  let sealed = 0;
  const q = new UplinkQueue({ maxReadings, maxDelayMs, maxQueuedReadings, metrics, onSealed: () => sealed++ });
  return { q, registry, sealedCount: () => sealed };
}

test('batches seal at maxReadings with increasing batchSeq', () => {
  const { q, sealedCount } = queue(3, 100);
  for (let i = 1; i <= 7; i++) q.addReading(reading(i));
  assert.is(sealedCount(), 2);
  const a = q.take()!;
  const b = q.take()!;
  assert.equal(a.readings.map((r) => r.seq), [1, 2, 3]);
  assert.is(b.batchSeq, a.batchSeq + 1);
  assert.is(q.depth, 7, 'in flight and open readings still count until acknowledged');
  q.release(a, true);
  q.release(b, false);
  assert.is(q.depth, 4);
  assert.is(q.take()!.batchSeq, b.batchSeq, 'an unacknowledged batch goes back to the front');
  q.stop();
});

test('batches seal after maxDelayMs', async () => {
  const { q, sealedCount } = queue(100, 100, 30);
  q.addReading(reading(1));
  q.addStatus({ deviceId: 'mh-0001', state: 2 });
  const deadline = Date.now() + 2000;
  while (sealedCount() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const batch = q.take()!;
  assert.is(batch.readings.length, 1);
  assert.is(batch.statuses.length, 1);
  assert.ok(batch.sentAtMs > 0);
});

test('overflow drops the OLDEST readings and counts them', async () => {
  const { q, registry } = queue(2, 5);
  for (let i = 1; i <= 9; i++) q.addReading(reading(i));
  assert.is(q.depth, 5);
  assert.is(q.dropped, 4);
  const kept: number[] = [];
  for (let b = q.take(); b; b = q.take()) kept.push(...b.readings.map((r) => Number(r.seq)));
  q.seal();
  for (let b = q.take(); b; b = q.take()) kept.push(...b.readings.map((r) => Number(r.seq)));
  assert.equal(kept, [5, 6, 7, 8, 9]);
  assert.match(await registry.metrics(), /tz_edge_readings_dropped_total\{reason="queue-full",component="edge-agent-test"\} 4/);
  q.stop();
});

test.run();
