// The broker's own PUBLISH/PUBACK serialisation (wire.ts) writes byte for
// byte what mqtt-packet writes, and the connection guard still counts QoS 1
// deliveries in flight and lets CONNACK/SUBACK leave at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import { ConnectionGuard } from '../connection-guard.ts';
import { installWireFastPath } from '../wire.ts';

const require = createRequire(createRequire(import.meta.url).resolve('aedes'));
const mqttPacket = require('mqtt-packet') as { writeToStream(packet: object, stream: unknown): boolean; generate(packet: object): Buffer };

/** A transport that keeps what it is given. */
class Sink extends Duplex {
  readonly chunks: Buffer[] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    cb();
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, cb: () => void): void {
    for (const c of chunks) this.chunks.push(c.chunk);
    cb();
  }
}

function guarded(maxInflight = 100): { guard: ConnectionGuard; sink: Sink; slow: string[] } {
  const sink = new Sink();
  const slow: string[] = [];
  const guard = new ConnectionGuard(sink, { listener: 'tcp', remoteAddress: '127.0.0.1', remotePort: 1 }, { maxPacketSize: 1 << 20, maxOutgoingBytes: 1 << 24, maxInflight }, {
    onOversize: () => undefined,
    onSlowConsumer: (reason) => slow.push(reason),
  });
  guard.on('error', () => undefined);
  return { guard, sink, slow };
}

const nextCheckPhase = () => new Promise<void>((resolve) => setImmediate(resolve));

const packets: Array<[string, object]> = [
  ['QoS 0 publish', { cmd: 'publish', topic: 'tz/v1/gw/gw-1/up/batch', payload: Buffer.from('hello'), qos: 0, retain: false, dup: false }],
  ['QoS 0 retained, empty payload', { cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(0), qos: 0, retain: true, dup: false }],
  ['QoS 1 publish', { cmd: 'publish', topic: 'tz/v1/events/alarm', payload: Buffer.alloc(300, 7), qos: 1, messageId: 513, retain: false, dup: false }],
  ['QoS 1 DUP publish', { cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1, messageId: 65535, retain: false, dup: true }],
  ['QoS 2 publish, string payload, non-ASCII topic', { cmd: 'publish', topic: '驻马店/井盖', payload: 'ok', qos: 2, messageId: 1, retain: false, dup: false }],
  ['QoS 1 publish, 3-byte remaining length', { cmd: 'publish', topic: 'big', payload: Buffer.alloc(20_000, 1), qos: 1, messageId: 9, retain: false, dup: false }],
  ['PUBACK', { cmd: 'puback', messageId: 4660 }],
  ['PUBREC', { cmd: 'pubrec', messageId: 1 }],
  ['PUBREL', { cmd: 'pubrel', messageId: 2 }],
  ['PUBCOMP', { cmd: 'pubcomp', messageId: 3 }],
  ['PINGRESP (left to mqtt-packet)', { cmd: 'pingresp' }],
];

test('each packet is written exactly as mqtt-packet generates it, in order', async () => {
  installWireFastPath();
  const { guard, sink } = guarded();
  for (const [, packet] of packets) mqttPacket.writeToStream(packet, guard);
  await nextCheckPhase();
  const expected = Buffer.concat(packets.map(([, p]) => mqttPacket.generate(p)));
  assert.equal(Buffer.concat(sink.chunks).toString('hex'), expected.toString('hex'));
});

for (const [name, packet] of packets) {
  test(`${name}: same bytes as mqtt-packet`, async () => {
    installWireFastPath();
    const { guard, sink } = guarded();
    mqttPacket.writeToStream(packet, guard);
    await nextCheckPhase();
    assert.equal(Buffer.concat(sink.chunks).toString('hex'), mqttPacket.generate(packet).toString('hex'));
  });
}

test('new QoS 1 deliveries count in flight (a DUP resend does not); past maxInflight the client is cut off', async () => {
  installWireFastPath();
  const { guard, slow } = guarded(2);
  mqttPacket.writeToStream({ cmd: 'publish', topic: 't', payload: Buffer.from('1'), qos: 1, messageId: 1 }, guard);
  mqttPacket.writeToStream({ cmd: 'publish', topic: 't', payload: Buffer.from('1'), qos: 1, messageId: 1, dup: true }, guard);
  mqttPacket.writeToStream({ cmd: 'publish', topic: 't', payload: Buffer.from('2'), qos: 1, messageId: 2 }, guard);
  assert.is(guard.inflight, 2);
  assert.equal(slow, []);
  mqttPacket.writeToStream({ cmd: 'publish', topic: 't', payload: Buffer.from('3'), qos: 1, messageId: 3 }, guard);
  assert.equal(slow, ['inflight']);
  assert.ok(guard.destroyed);
});

test('a SUBACK leaves at once, ahead of the batch that follows it', () => {
  installWireFastPath();
  const { guard, sink } = guarded();
  mqttPacket.writeToStream({ cmd: 'publish', topic: 'before', payload: Buffer.from('a'), qos: 0 }, guard);
  mqttPacket.writeToStream({ cmd: 'suback', messageId: 7, granted: [1] }, guard);
  // Written to the transport synchronously, with what came before it, without waiting for the check phase.
  const now = Buffer.concat(sink.chunks);
  assert.equal(now.toString('hex'), Buffer.concat([
    mqttPacket.generate({ cmd: 'publish', topic: 'before', payload: Buffer.from('a'), qos: 0 }),
    mqttPacket.generate({ cmd: 'suback', messageId: 7, granted: [1] }),
  ]).toString('hex'));
});

test.run();
