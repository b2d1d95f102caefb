// The broker's own PUBLISH intake (publish-intake.ts) gives Aedes exactly
// what mqtt-packet's parser gives: the same 'packet' and 'error' events, in
// the same order, packets of the same class with the same fields in the same
// order, for whole packets, packets split anywhere, mixed packet types and
// malformed bytes — held against a plain mqtt-packet parser fed the same chunks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { takePublishesFirst } from '../publish-intake.ts';

interface Parser {
  parse(buf: Buffer): number;
  on(event: 'packet' | 'error', listener: (value: unknown) => void): void;
}
const require = createRequire(createRequire(import.meta.url).resolve('aedes'));
const mqttPacket = require('mqtt-packet') as { parser(opts?: { protocolVersion?: number }): Parser; generate(packet: object, opts?: { protocolVersion?: number }): Buffer };

/** What a listener sees, written out: class, keys in order, values (buffers as hex). */
function describe(value: unknown): string {
  if (value instanceof Error) return `error ${value.message}`;
  const packet = value as Record<string, unknown>;
  const fields = Object.keys(packet).map((k) => {
    const v = packet[k];
    return `${k}=${Buffer.isBuffer(v) ? `<${v.toString('hex')}>` : JSON.stringify(v)}`;
  });
  return `${(packet.constructor as { name: string }).name} ${fields.join(' ')}`;
}

/** Feeds `chunks` to a parser (with or without the intake) and returns what its listeners saw, and what parse() returned. */
function run(chunks: Buffer[], fast: boolean, protocolVersion?: number): string[] {
  const parser = mqttPacket.parser(protocolVersion ? { protocolVersion } : undefined);
  if (fast) takePublishesFirst(parser as unknown as Parameters<typeof takePublishesFirst>[0]);
  const seen: string[] = [];
  parser.on('packet', (p) => seen.push(describe(p)));
  parser.on('error', (e) => seen.push(describe(e)));
  for (const chunk of chunks) seen.push(`left ${parser.parse(chunk)}`);
  return seen;
}

function same(chunks: Buffer[], label: string, protocolVersion?: number): string[] {
  const expected = run(chunks, false, protocolVersion);
  const actual = run(chunks, true, protocolVersion);
  assert.equal(actual, expected, label);
  return actual;
}

const gen = (packet: object, protocolVersion?: number) => mqttPacket.generate(packet, protocolVersion ? { protocolVersion } : undefined);
const publish = (fields: object) => gen({ cmd: 'publish', retain: false, dup: false, qos: 0, topic: 'tz/v1/gw/gw-1/up/batch', payload: Buffer.from('reading'), ...fields });

const stream = Buffer.concat([
  publish({}),
  publish({ qos: 1, messageId: 1 }),
  publish({ qos: 2, messageId: 65535, dup: true, retain: true, payload: Buffer.alloc(0) }),
  gen({ cmd: 'pingreq' }),
  publish({ topic: '驻马店/井盖/1', payload: Buffer.alloc(300, 7) }),
  gen({ cmd: 'puback', messageId: 7 }),
  gen({ cmd: 'pubrec', messageId: 8 }),
  gen({ cmd: 'pubrel', messageId: 9 }),
  gen({ cmd: 'pubcomp', messageId: 10 }),
  publish({ qos: 1, messageId: 0, topic: 'a' }),
  gen({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'x/#', qos: 1 }] }),
  publish({ topic: 'big', payload: Buffer.alloc(20_000, 1) }), // 3-byte remaining length
  publish({ topic: '' }), // empty topic: parsed, Aedes refuses it
  gen({ cmd: 'disconnect' }),
]);

test('whole packets in one chunk: same events (and some PUBLISH packets really went the fast way)', () => {
  const seen = same([stream], 'one chunk');
  assert.is(seen.filter((s) => s.startsWith('Packet cmd="publish"')).length, 7);
  // The fast path is taken: a parser with the intake emits these packets without mqtt-packet's parse().
  const parser = mqttPacket.parser() as Parser & { _list: { length: number } };
  const slowBytes: number[] = [];
  const original = parser.parse.bind(parser);
  parser.parse = (b) => (slowBytes.push(b.length), original(b));
  takePublishesFirst(parser as unknown as Parameters<typeof takePublishesFirst>[0]);
  parser.parse(Buffer.concat([publish({}), publish({ qos: 1, messageId: 9 }), gen({ cmd: 'puback', messageId: 3 })]));
  assert.equal(slowBytes, []);
  // A packet cut by a read (in its body, or in its remaining length): mqtt-packet gets its first part, then only
  // the bytes that finish it; the next packet comes here.
  const got: unknown[] = [];
  parser.on('packet', (p) => got.push(p));
  const cut = publish({ topic: 'cut', payload: Buffer.alloc(200, 1) }); // 2-byte remaining length
  const two = Buffer.concat([cut, publish({ topic: 'whole' })]);
  for (const at of [10, 2, 1]) {
    slowBytes.length = 0;
    parser.parse(two.subarray(0, at));
    parser.parse(two.subarray(at));
    assert.equal(slowBytes, [at, cut.length - at], `cut at ${at}`);
  }
  assert.equal(got.map((p) => (p as { topic: string }).topic), ['cut', 'whole', 'cut', 'whole', 'cut', 'whole']);
});

test('a stream split in two at every byte boundary', () => {
  // Every byte, but inside the 20 KB payload only every 997th (the packet is the same throughout).
  const bigFrom = stream.length - 20_030 - 2;
  for (let cut = 0; cut <= stream.length; cut += cut > bigFrom + 40 && cut < stream.length - 40 ? 997 : 1) {
    same([stream.subarray(0, cut), stream.subarray(cut)], `cut at ${cut}`);
  }
});

test('a stream split into one-byte chunks, and into chunks of every size up to 40', () => {
  const small = stream.subarray(0, stream.length - 20_030); // without the 20 KB packet, to keep this quick
  same([...small].map((b) => Buffer.from([b])), 'one byte at a time');
  for (let size = 2; size <= 40; size += 1) {
    const chunks: Buffer[] = [];
    for (let at = 0; at < stream.length; at += size) chunks.push(stream.subarray(at, at + size));
    same(chunks, `chunks of ${size}`);
  }
});

const malformed: Array<[string, Buffer]> = [
  ['QoS 3 publish', Buffer.from([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01])],
  ['five remaining-length bytes', Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00])],
  ['topic longer than the packet', Buffer.from([0x30, 0x04, 0x00, 0x09, 0x61, 0x62, 0x30, 0x03, 0x00, 0x01, 0x61])],
  ['remaining length 1', Buffer.from([0x30, 0x01, 0x00, 0x30, 0x03, 0x00, 0x01, 0x61])],
  ['remaining length 0', Buffer.from([0x30, 0x00, 0x30, 0x03, 0x00, 0x01, 0x61])],
  ['QoS 1 without room for its packet id', Buffer.from([0x32, 0x04, 0x00, 0x01, 0x61, 0x00, 0x30, 0x03, 0x00, 0x01, 0x61])],
  ['QoS 1 with exactly its packet id, no payload', Buffer.from([0x32, 0x05, 0x00, 0x01, 0x61, 0x12, 0x34])],
  ['a length in 2 bytes that fits in 1', Buffer.from([0x30, 0x83, 0x00, 0x00, 0x01, 0x61])],
  ['invalid UTF-8 in the topic', Buffer.from([0x30, 0x05, 0x00, 0x02, 0xc3, 0x28, 0x21])],
  ['PUBREL with wrong flags after a publish', Buffer.concat([publish({}), Buffer.from([0x60, 0x02, 0x00, 0x01]), publish({})])],
  ['PUBACK with remaining length 3', Buffer.from([0x40, 0x03, 0x00, 0x01, 0x00])],
  ['PUBACK with remaining length 1', Buffer.from([0x40, 0x01, 0x00])],
  ['PUBREC with the DUP flag', Buffer.from([0x58, 0x02, 0x00, 0x01])],
  ['unknown packet type 0 between publishes', Buffer.concat([publish({}), Buffer.from([0x00, 0x00]), publish({})])],
];

test('malformed and odd packets: rejected (or taken) exactly as mqtt-packet does, whole and split anywhere', () => {
  for (const [label, bytes] of malformed) {
    const withGood = Buffer.concat([publish({ qos: 1, messageId: 5 }), bytes, publish({})]);
    same([withGood], label);
    same([withGood, publish({})], `${label}, then a good chunk`);
    for (let cut = 0; cut <= withGood.length; cut += 1) same([withGood.subarray(0, cut), withGood.subarray(cut)], `${label} cut at ${cut}`);
  }
  const errors = run([malformed[0]?.[1] ?? Buffer.alloc(0)], true);
  assert.ok(errors.some((s) => s.startsWith('error ')), 'QoS 3 is an error');
});

test('MQTT 5 parser: an empty property list is taken, properties go to mqtt-packet', () => {
  const v5 = Buffer.concat([
    gen({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 1, messageId: 2, retain: false, dup: false }, 5),
    gen({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('y'), qos: 0, retain: false, dup: false, properties: { contentType: 'text/plain', userProperties: { k: 'v' } } }, 5),
    gen({ cmd: 'publish', topic: 'a/c', payload: Buffer.from('z'), qos: 0, retain: true, dup: false }, 5),
    gen({ cmd: 'puback', messageId: 4 }, 5),
    gen({ cmd: 'puback', messageId: 5, reasonCode: 16 }, 5),
  ]);
  const seen = same([v5], 'v5 in one chunk', 5);
  assert.ok(seen.some((s) => s.includes('properties=')), 'properties parsed by mqtt-packet');
  for (let cut = 0; cut <= v5.length; cut += 1) same([v5.subarray(0, cut), v5.subarray(cut)], `v5 cut at ${cut}`, 5);
});

test('random mutations of a valid stream, cut into random chunks (seeded), give the same events', () => {
  let seed = 18;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  const base = stream.subarray(0, stream.length - 20_030);
  for (let round = 0; round < 3000; round += 1) {
    const bytes = Buffer.from(base);
    const flips = 1 + Math.floor(random() * 4);
    for (let f = 0; f < flips; f += 1) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; ) {
      const size = 1 + Math.floor(random() * 80);
      chunks.push(bytes.subarray(at, at + size));
      at += size;
    }
    same(chunks, `round ${round}`);
  }
});

test('a parse() reached from a packet listener waits for the chunk being read', () => {
  const parser = mqttPacket.parser();
  takePublishesFirst(parser as unknown as Parameters<typeof takePublishesFirst>[0]);
  const topics: string[] = [];
  let nested = false;
  parser.on('packet', (p) => {
    topics.push((p as { topic: string }).topic);
    if (!nested) {
      nested = true;
      parser.parse(publish({ topic: 'third' }));
    }
  });
  parser.parse(Buffer.concat([publish({ topic: 'first' }), publish({ topic: 'second' })]));
  assert.equal(topics, ['first', 'second', 'third']);
});

test.run();
