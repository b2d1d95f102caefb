// The connection guard's header scan (connection-guard.ts) follows packets
// wherever reads cut them: oversized packets are caught at their header,
// DISCONNECT is seen, and when the broker is behind (qos0ShedAfterMs) exactly
// the QoS 0 PUBLISH packets that start in a shed read are left out — whole
// packets only, every other byte passed on in order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import { ConnectionGuard } from '../connection-guard.ts';

const require = createRequire(createRequire(import.meta.url).resolve('aedes'));
const mqttPacket = require('mqtt-packet') as { generate(packet: object): Buffer };

class Source extends Duplex {
  override _read(): void {}
  override _write(_c: Buffer, _e: BufferEncoding, cb: () => void): void {
    cb();
  }
}

function setup(maxPacketSize: number, shedAfterMs: number | null) {
  const inner = new Source();
  const oversize: number[] = [];
  let dropped = 0;
  const guard = new ConnectionGuard(inner, { listener: 'tcp', remoteAddress: '127.0.0.1', remotePort: 1 },
    { maxPacketSize, maxOutgoingBytes: 1 << 24, maxInflight: 100, qos0ShedAfterMs: shedAfterMs, now: () => 0 },
    { onOversize: (size) => oversize.push(size), onSlowConsumer: () => undefined, onBehindDrops: (n) => (dropped += n) });
  guard.on('error', () => undefined);
  return { inner, guard, oversize, dropped: () => dropped };
}

const publish = (qos: number, n: number, payloadBytes = 120) => mqttPacket.generate({ cmd: 'publish', topic: `tz/v1/gw/gw-${n % 7}/up/batch`, payload: Buffer.alloc(payloadBytes, n & 0xff), qos, messageId: qos ? n + 1 : undefined, retain: n % 5 === 0, dup: false });

/** A mixed stream: QoS 0 and 1 publishes of 1-, 2- and 3-byte remaining lengths, acknowledgements, PINGREQ. */
function mixed(count: number): Buffer[] {
  return Array.from({ length: count }, (_, n) => {
    switch (n % 6) {
      case 0: return publish(0, n);
      case 1: return publish(1, n, 20);
      case 2: return mqttPacket.generate({ cmd: 'puback', messageId: n });
      case 3: return publish(0, n, n % 12 === 3 ? 17_000 : 60);
      case 4: return mqttPacket.generate({ cmd: 'pingreq' });
      default: return publish(0, n, 0);
    }
  });
}

test('an oversized packet is caught at its header wherever the stream is cut, and nothing from its read reaches Aedes', () => {
  const before = Buffer.concat(mixed(30));
  const big = publish(0, 1, 40_000);
  const stream = Buffer.concat([before, big, mqttPacket.generate({ cmd: 'disconnect' })]);
  for (let cut = 0; cut <= stream.length; cut += cut > before.length + 10 ? 331 : 1) {
    const { inner, guard, oversize } = setup(32_768, null);
    inner.emit('data', stream.subarray(0, cut));
    if (!inner.destroyed) inner.emit('data', stream.subarray(cut));
    assert.equal(oversize, [big.length], `cut at ${cut}`);
    assert.is(guard.sawDisconnect, false);
    const passed = guard.read() as Buffer | null;
    const headerEnd = before.length + 4; // type byte and a 3-byte remaining length
    assert.is(passed?.length ?? 0, cut >= headerEnd ? 0 : cut, `cut at ${cut}: bytes passed on`);
  }
});

test('the header scan sees every packet, whole or cut (DISCONNECT at the end of the stream)', () => {
  const stream = Buffer.concat([...mixed(40), mqttPacket.generate({ cmd: 'disconnect' })]);
  for (let cut = 0; cut <= stream.length; cut += cut < 300 || cut > stream.length - 300 ? 1 : 97) {
    const { inner, guard, oversize } = setup(1 << 20, null);
    inner.emit('data', stream.subarray(0, cut));
    inner.emit('data', stream.subarray(cut));
    assert.equal(oversize, []);
    assert.is(guard.sawDisconnect, true, `cut at ${cut}`);
    assert.ok((guard.read() as Buffer).equals(stream));
  }
});

test('shedding leaves out exactly the QoS 0 PUBLISH packets that start in a shed read, wherever reads cut', () => {
  const packets = mixed(3000);
  const stream = Buffer.concat(packets);
  const FULL = 64 * 1024;
  for (const shift of [0, 1, 2, 3, 50, 146, 147, 1000, 16_999]) {
    const reads = [stream.subarray(0, FULL + shift)];
    for (let at = FULL + shift; at + FULL <= stream.length; at += FULL) reads.push(stream.subarray(at, at + FULL));
    const end = FULL + shift + (reads.length - 1) * FULL;
    // The first read is kept (Aedes has taken everything before it); each later one finds it not taken.
    const expected: Buffer[] = [];
    let dropped = 0;
    let at = 0;
    for (const p of packets) {
      if (at >= end) break;
      const qos0Publish = (p[0] ?? 0) >> 4 === 3 && ((p[0] ?? 0) & 0x06) === 0;
      if (qos0Publish && at >= FULL + shift) dropped += 1;
      else expected.push(p);
      at += p.length;
    }
    const { inner, guard, dropped: counted } = setup(1 << 20, 0);
    for (const r of reads) inner.emit('data', r);
    const kept = Buffer.concat(expected);
    const passed = guard.read() as Buffer;
    assert.is(counted(), dropped, `shift ${shift}: dropped`);
    // What passed is the kept packets, up to where the last read ended (a cut packet's first part included).
    assert.ok(kept.subarray(0, passed.length).equals(passed), `shift ${shift}: bytes kept`);
    assert.ok(dropped > 500, `shift ${shift}: some were shed (${dropped})`);
  }
});

test.run();
