// A QoS 0 publisher that outruns a subscriber, over real TCP with mqtt.js
// clients: the broker drops QoS 0 for the subscriber once its unsent bytes
// pass limits.qos0HighWaterBytes and counts every drop in /metrics, so the
// ledger closes (sent = delivered + dropped) and a message published after
// the subscriber catches up arrives at once instead of behind seconds of
// backlog. QoS 1 to the same paused subscriber is never dropped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Duplex } from 'node:stream';
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../../proto/index.ts';
import { createLogger } from '../../service-kit/index.ts';
import { waitFor } from '../../test/integration/helpers.ts';
import { BrokerUsers, startBroker, type RunningBroker } from '../index.ts';

const PASSWORD = 'slow-subscriber-test-pass';
const GATEWAY = 'gw-flood';
const HIGH_WATER = 64 * 1024;
const PAYLOAD_BYTES = 200;

let broker: RunningBroker;
const clients: MqttClient[] = [];

test.before(async () => {
  const users = BrokerUsers.inMemory();
  users.add(GATEWAY, PASSWORD, 'gateway');
  users.add('tz-ingest', PASSWORD, 'ingest');
  broker = await startBroker({ users, port: 0, log: createLogger('broker', 'silent'), limits: { qos0HighWaterBytes: HIGH_WATER } });
});

test.after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker.stop();
});

async function connect(clientId: string, username: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(broker.mqttUrl, { clientId, username, password: PASSWORD, reconnectPeriod: 0, clean: true });
  clients.push(c);
  return c;
}

const stat = (name: string): number => broker.stats()[name] ?? 0;

/** The client's socket: paused, mqtt.js reads nothing and the broker's writes pile up (kernel buffers, then the broker's own). */
const socketOf = (c: MqttClient) => (c as unknown as { stream: Duplex }).stream;

async function dropped(reason: string): Promise<number> {
  const text = await (await fetch(`${broker.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('tz_broker_messages_dropped_total{') && l.includes(`reason="${reason}"`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/**
 * Publishes `n` messages; each payload starts with its send time (ms) and index.
 * `paced`: every 500 messages, wait until the broker has taken what was sent,
 * so the subscriber, not the broker, is what falls behind (broker and clients
 * share this process's event loop).
 */
async function flood(pub: MqttClient, n: number, qos: 0 | 1, paced = false): Promise<void> {
  const taken0 = stat('messagesIn');
  const topic = topics.batch(GATEWAY);
  for (let i = 0; i < n; i++) {
    const payload = Buffer.alloc(PAYLOAD_BYTES, 0x61);
    payload.writeDoubleLE(performance.now(), 0);
    payload.writeUInt32LE(i, 8);
    if (qos === 1) {
      await pub.publishAsync(topic, payload, { qos: 1 });
    } else if (!pub.publish(topic, payload, { qos: 0 })) {
      // mqtt.js queues when not connected; it is connected here, so false never comes.
      throw new Error('publish refused');
    }
    if (paced && i % 500 === 499) {
      const want = taken0 + i + 1;
      await waitFor('broker took the round', () => (stat('messagesIn') >= want ? true : undefined), 10_000, 1);
    }
  }
}

test('QoS 0: a paused subscriber gets its messages dropped past the high-water mark, counted; the ledger closes and fresh messages arrive at once', async () => {
  const sub = await connect('slow-qos0', 'tz-ingest');
  const got: number[] = [];
  const ages: number[] = [];
  sub.on('message', (_t, payload) => {
    got.push(payload.readUInt32LE(8));
    ages.push(performance.now() - payload.readDoubleLE(0));
  });
  await sub.subscribeAsync(topics.allBatches, { qos: 0 });
  const pub = await connect(GATEWAY, GATEWAY);
  const before = { slow: await dropped('slow-subscriber-qos0'), in: stat('messagesIn') };

  socketOf(sub).pause();
  const N = 40_000; // 8 MB: more than the kernel's loopback buffers (send buffer up to tcp_wmem max, 4 MiB here) and the high-water mark together
  await flood(pub, N, 0, true);
  // Every message reached the broker.
  await waitFor('broker took every publish', () => (stat('messagesIn') - before.in === N ? true : undefined), 30_000, 50);
  const slowDrops = (await dropped('slow-subscriber-qos0')) - before.slow;
  assert.ok(slowDrops > 0, `drops counted while the subscriber is paused (got ${slowDrops})`);
  assert.is(stat('slowSubscriberQos0Drops'), slowDrops + before.slow, 'stats() and /metrics agree');

  socketOf(sub).resume();
  // The ledger: every message was delivered or counted as dropped, none twice.
  await waitFor('delivered + dropped = sent', () => (got.length + slowDrops === N ? true : undefined), 30_000, 20);
  assert.is(new Set(got).size, got.length, 'no message twice');
  assert.ok(got.length < N, 'what was queued for the paused subscriber is bounded');
  // Delivered in order: QoS 0 drops leave gaps, never reorder.
  for (let i = 1; i < got.length; i++) if (got[i]! <= got[i - 1]!) assert.unreachable(`out of order at ${i}`);

  // Caught up: a message published now arrives without seconds of backlog in front of it.
  const marker = got.length;
  const sentAt = performance.now();
  await flood(pub, 1, 0);
  await waitFor('fresh message delivered', () => (got.length > marker ? true : undefined), 5_000, 5);
  const freshMs = performance.now() - sentAt;
  assert.ok(freshMs < 1_000, `fresh message after catching up took ${freshMs.toFixed(0)} ms`);
  await pub.endAsync();
  await sub.endAsync();
});

test('QoS 1 to a subscriber above the QoS 0 high-water mark is never dropped: it waits, and arrives once the subscriber reads again', async () => {
  const sub = await connect('slow-mixed', 'tz-ingest');
  const got0: number[] = [];
  const got1 = new Set<number>();
  sub.on('message', (_t, payload, packet) => (packet.qos === 1 ? got1.add(payload.readUInt32LE(8)) : got0.push(payload.readUInt32LE(8))));
  await sub.subscribeAsync(topics.allBatches, { qos: 1 });
  const pub = await connect(GATEWAY, GATEWAY);
  const before = { slow: await dropped('slow-subscriber-qos0') };

  socketOf(sub).pause();
  // Push the paused subscriber past the high-water mark with QoS 0 until drops show it is there.
  const N0 = 40_000;
  await flood(pub, N0, 0, true);
  assert.ok((await dropped('slow-subscriber-qos0')) > before.slow, 'above the high-water mark');
  // Now QoS 1 into the same full buffer: Aedes acknowledges each and waits for the subscriber (TCP back-pressure).
  const K = 50;
  let acked = 0;
  const sending = Promise.all(Array.from({ length: K }, (_, i) => {
    const payload = Buffer.alloc(PAYLOAD_BYTES, 0x62);
    payload.writeDoubleLE(performance.now(), 0);
    payload.writeUInt32LE(i, 8);
    return pub.publishAsync(topics.batch(GATEWAY), payload, { qos: 1 }).then(() => (acked += 1));
  }));
  // Aedes acknowledges a QoS 1 PUBLISH before it delivers it: the first PUBACK means one is on its way to the full subscriber.
  await waitFor('a QoS 1 message taken by the broker', () => (acked > 0 ? true : undefined), 5_000, 5);
  const slowBefore = await dropped('slow-subscriber-qos0');
  socketOf(sub).resume(); // well within the drain timeout (10 s)
  await sending;
  await waitFor('every QoS 1 message delivered', () => (got1.size === K ? true : undefined), 30_000, 20);
  assert.is(await dropped('slow-subscriber-qos0'), slowBefore, 'no QoS 1 message counted as a QoS 0 drop');
  await waitFor('QoS 0 ledger closes', async () => (got0.length + (await dropped('slow-subscriber-qos0')) - before.slow === N0 ? true : undefined), 30_000, 20);
  assert.is(stat('slowConsumers'), 0, 'the subscriber stayed connected');
  await pub.endAsync();
  await sub.endAsync();
});

test.run();
