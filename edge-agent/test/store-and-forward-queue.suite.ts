// The shared suite every StoreAndForwardQueue must pass (as MQTT.js's
// abstract_store.ts for its stores). Not a *.test.ts file: the test files
// that run it pass in a factory.
import { test as uvuTest, suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { QueueEntry, StoreAndForwardQueue } from '../store-and-forward-queue.ts';

export interface QueueFactory {
  /** A fresh, empty queue bounded at `maxBytes`. */
  open(maxBytes: number): StoreAndForwardQueue;
  /** For durable queues: closes and opens the same queue again. */
  reopen?(queue: StoreAndForwardQueue): StoreAndForwardQueue;
}

const entry = (n: number, bytes = 10, readings = 2): QueueEntry => ({ payload: new Uint8Array(bytes).fill(n & 0xff), readings, firstReadingAtMs: 1_000 + n });

export function storeAndForwardQueueSuite(name: string, factory: QueueFactory): ReturnType<typeof suite> {
  const test = suite(name);

  test('append returns increasing ids and read returns batches oldest first, byte for byte', () => {
    const q = factory.open(1_000_000);
    const ids = [1, 2, 3].map((n) => q.append(entry(n)).id);
    assert.ok(ids[0]! > 0 && ids[1]! > ids[0]! && ids[2]! > ids[1]!);
    const got = q.read(0, 10);
    assert.equal(got.map((b) => b.id), ids);
    assert.equal([...got[1]!.payload], [...entry(2).payload]);
    assert.is(got[2]!.firstReadingAtMs, 1_003);
    assert.is(q.lastId(), ids[2]);
    q.close();
  });

  test('read honours afterId, limit and upToId', () => {
    const q = factory.open(1_000_000);
    const ids = [1, 2, 3, 4, 5].map((n) => q.append(entry(n)).id);
    assert.equal(q.read(ids[1]!, 2).map((b) => b.id), [ids[2], ids[3]]);
    assert.equal(q.read(0, 10, ids[2]).map((b) => b.id), ids.slice(0, 3));
    assert.equal(q.read(ids[4]!, 10), []);
    q.close();
  });

  test('remove forgets one batch, leaves order intact, and is idempotent', () => {
    const q = factory.open(1_000_000);
    const ids = [1, 2, 3].map((n) => q.append(entry(n)).id);
    assert.ok(q.remove(ids[1]!));
    assert.not.ok(q.remove(ids[1]!), 'second remove is a no-op');
    assert.equal(q.read(0, 10).map((b) => b.id), [ids[0], ids[2]]);
    const s = q.stats();
    assert.equal([s.batches, s.readings, s.bytes], [2, 4, 20]);
    q.close();
  });

  test('ids are never reused, even after the queue empties', () => {
    const q = factory.open(1_000_000);
    const a = q.append(entry(1)).id;
    q.remove(a);
    const b = q.append(entry(2)).id;
    assert.ok(b > a);
    q.close();
  });

  test('stats: depth, bytes and the oldest reading', () => {
    const q = factory.open(1_000_000);
    assert.equal(q.stats(), { batches: 0, readings: 0, bytes: 0, oldestReadingAtMs: null, droppedBatches: 0, droppedReadings: 0 });
    q.append(entry(5, 100, 7));
    q.append(entry(9, 50, 3));
    const s = q.stats();
    assert.equal([s.batches, s.readings, s.bytes, s.oldestReadingAtMs], [2, 10, 150, 1_005]);
    q.close();
  });

  test('over the byte bound the OLDEST batches are dropped and counted', () => {
    const q = factory.open(100);
    const ids = [1, 2, 3].map((n) => q.append(entry(n, 30, 5)).id);
    const r = q.append(entry(4, 30, 5));
    assert.equal(r.dropped.map((d) => d.id), [ids[0]], 'one oldest batch made room');
    assert.equal(q.read(0, 10).map((b) => b.id), [...ids.slice(1), r.id]);
    const s = q.stats();
    assert.equal([s.bytes, s.droppedBatches, s.droppedReadings], [90, 1, 5]);
    assert.ok(s.bytes <= q.maxBytes);
    q.close();
  });

  test('a batch larger than the whole bound is itself dropped, counted, and the rest kept', () => {
    const q = factory.open(100);
    const kept = q.append(entry(1, 40, 1)).id;
    const r = q.append(entry(2, 101, 9));
    assert.is(r.id, 0);
    assert.is(r.dropped.length, 1);
    assert.equal(q.read(0, 10).map((b) => b.id), [kept]);
    assert.equal([q.stats().droppedBatches, q.stats().droppedReadings], [1, 9]);
    q.close();
  });

  test('alongside runs with the append, and a throw appends nothing', () => {
    const q = factory.open(1_000_000);
    let ran = 0;
    q.append(entry(1), () => void ran++);
    assert.is(ran, 1);
    assert.throws(() => q.append(entry(2), () => {
      throw new Error('counter save failed');
    }), /counter save failed/);
    assert.is(q.stats().batches, 1, 'the failed append left no batch');
    q.close();
  });

  if (factory.reopen) {
    const reopen = factory.reopen;
    test('everything not removed is there after reopening, in order, with the same ids', () => {
      let q = factory.open(1_000_000);
      const ids = [1, 2, 3, 4].map((n) => q.append(entry(n, 20, n)).id);
      q.remove(ids[0]!);
      q = reopen(q);
      assert.equal(q.read(0, 10).map((b) => b.id), ids.slice(1));
      assert.equal([...q.read(0, 1)[0]!.payload], [...entry(2, 20).payload]);
      assert.equal([q.stats().batches, q.stats().readings, q.stats().bytes], [3, 9, 60]);
      assert.is(q.lastId(), ids[3]);
      assert.ok(q.append(entry(9)).id > ids[3]!, 'ids continue after reopen');
      q.close();
    });
  }

  return test;
}

export { uvuTest };
