// limits.qos0ShedAfterMs in the connection guard: QoS 0 PUBLISH packets from
// a client the broker has been behind for longer than the limit (every TCP
// read full) are dropped on arrival, counted, only while Aedes has not taken
// the previous bytes; QoS 1 is always kept, and a short read ends it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Duplex } from 'node:stream';
import { ConnectionGuard } from '../connection-guard.ts';

class Source extends Duplex {
  override _read(): void {}
  override _write(_c: Buffer, _e: BufferEncoding, cb: () => void): void {
    cb();
  }
}

function publish(qos: 0 | 1, n: number): Buffer {
  const topic = Buffer.from('tz/v1/gw/gw-1/up/batch');
  const payload = Buffer.alloc(120, n & 0xff);
  const body = Buffer.concat([Buffer.from([0, topic.length]), topic, qos ? Buffer.from([n >> 8, n & 0xff]) : Buffer.alloc(0), payload]);
  // Remaining length 144 (QoS 0) or 146 (QoS 1): two bytes of MQTT's variable length integer (§2.2.3).
  return Buffer.concat([Buffer.from([0x30 | (qos << 1), (body.length & 0x7f) | 0x80, body.length >> 7]), body]);
}

/** Exactly `size` bytes of whole packets (the last one cut, continued by the next chunk). */
function chunks(qos: 0 | 1, size: number, count: number): Buffer[] {
  const all = Buffer.concat(Array.from({ length: Math.ceil((size * count) / 147) + 1 }, (_, i) => publish(qos, i)));
  return Array.from({ length: count }, (_, i) => all.subarray(i * size, (i + 1) * size));
}

function setup(shedAfterMs: number | null) {
  let clock = 0;
  const drops: number[] = [];
  const inner = new Source();
  const guard = new ConnectionGuard(inner, { listener: 'tcp', remoteAddress: '127.0.0.1', remotePort: 1 },
    { maxPacketSize: 1 << 20, maxOutgoingBytes: 1 << 24, maxInflight: 100, qos0ShedAfterMs: shedAfterMs, now: () => clock },
    { onOversize: () => undefined, onSlowConsumer: () => undefined, onBehindDrops: (n) => drops.push(n) });
  guard.on('error', () => undefined);
  return { inner, guard, drops, advance: (ms: number) => (clock += ms) };
}

const FULL = 64 * 1024;

test('full reads within qos0ShedAfterMs, or with Aedes idle, are all kept', () => {
  const { inner, guard, drops, advance } = setup(100);
  const parts = chunks(0, FULL, 4);
  inner.emit('data', parts[0]);
  advance(50);
  inner.emit('data', parts[1]);
  assert.equal(drops, [], 'behind for 50 ms only');
  advance(100);
  guard.read(); // Aedes took everything: the next chunk is kept though the broker is behind
  inner.emit('data', parts[2]);
  assert.equal(drops, []);
  assert.is(guard.readableLength, FULL);
});

test('past qos0ShedAfterMs a full read that finds the previous one not taken loses its QoS 0 publishes, counted; a short read ends it', () => {
  const { inner, guard, drops, advance } = setup(100);
  const parts = chunks(0, FULL, 5);
  inner.emit('data', parts[0]);
  advance(150);
  inner.emit('data', parts[1]);
  const dropped = drops.reduce((a, b) => a + b, 0);
  assert.ok(dropped >= 440 && dropped <= 447, `about 64 KiB of 147-byte packets dropped, got ${dropped}`);
  // Only bytes of whole kept packets reach Aedes: the first chunk, plus none of the second (its head continued a kept packet).
  assert.ok(guard.readableLength >= FULL && guard.readableLength < FULL + 147, `kept ${guard.readableLength}`);
  inner.emit('data', (parts[2] ?? Buffer.alloc(0)).subarray(0, 1000)); // short read: caught up
  const after = drops.length;
  inner.emit('data', parts[3]);
  assert.is(drops.length, after, 'a full read right after a short one starts the clock again');
});

test('QoS 1 publishes are never dropped; qos0ShedAfterMs null never drops', () => {
  const one = setup(0);
  for (const c of chunks(1, FULL, 3)) one.inner.emit('data', c);
  assert.equal(one.drops, []);
  assert.is(one.guard.readableLength, 3 * FULL);
  const off = setup(null);
  for (const c of chunks(0, FULL, 3)) off.inner.emit('data', c);
  off.advance(10_000);
  for (const c of chunks(0, FULL, 2)) off.inner.emit('data', c);
  assert.equal(off.drops, []);
});

test.run();
