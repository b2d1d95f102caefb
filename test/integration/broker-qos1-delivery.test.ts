// QoS 1 delivery through the broker's own delivery path (broker/fast-delivery.ts
// in place of Aedes' deliverQoS) and its memory persistence
// (offline-queue-cap.ts), over real TCP: per-publisher order and exactly-once
// arrival without loss for clean and persistent subscribers; a persistent
// subscriber that leaves with messages unacknowledged gets them again, with
// the same packet ids, then what was queued while it was away, in order, and
// nothing it acknowledged; a retained QoS 1 message sent on SUBSCRIBE.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { connect as netConnect, type Socket } from 'node:net';
import type { MqttClient } from 'mqtt';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { topics } from '../../proto/index.ts';
import { createLogger } from '../../service-kit/index.ts';
import { connectMqtt, waitFor } from '../../testing/index.ts';

const PASSWORD = 'qos1-delivery-test-pass';
const GATEWAYS = ['gw-q1-a', 'gw-q1-b', 'gw-q1-c'];
let broker: RunningBroker;
const clients: MqttClient[] = [];
const sockets: Socket[] = [];

interface WirePacket { cmd: string; topic?: string; payload?: Buffer; qos?: number; retain?: boolean; dup?: boolean; messageId?: number; sessionPresent?: boolean; returnCode?: number; granted?: number[] }
const require = createRequire(createRequire(import.meta.url).resolve('aedes'));
const mqttPacket = require('mqtt-packet') as { generate(packet: object): Buffer; parser(): { on(e: 'packet', f: (p: WirePacket) => void): void; on(e: 'error', f: (err: Error) => void): void; parse(b: Buffer): number } };

/** A subscriber on a bare socket that acknowledges only what the test tells it to. */
class RawSubscriber {
  readonly publishes: WirePacket[] = [];
  private readonly waiting: Array<() => void> = [];
  private constructor(private readonly socket: Socket, readonly connack: WirePacket) {}

  static async open(clientId: string, clean: boolean): Promise<RawSubscriber> {
    const socket = netConnect(Number(new URL(broker.mqttUrl).port), '127.0.0.1');
    sockets.push(socket);
    const parser = mqttPacket.parser();
    let self: RawSubscriber | undefined;
    const connack = new Promise<WirePacket>((resolve, reject) => {
      parser.on('packet', (p) => {
        if (p.cmd === 'connack') resolve(p);
        else self?.take(p);
      });
      parser.on('error', reject);
      socket.once('error', reject);
    });
    socket.on('data', (b: Buffer) => parser.parse(b));
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean, clientId, keepalive: 60, username: 'tz-ingest', password: Buffer.from(PASSWORD) }));
    self = new RawSubscriber(socket, await connack);
    return self;
  }

  private take(p: WirePacket): void {
    this.publishes.push(p);
    for (const wake of this.waiting.splice(0)) wake();
  }

  send(packet: object): void {
    this.socket.write(mqttPacket.generate(packet));
  }

  async subscribe(filter: string): Promise<void> {
    this.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos: 1 }] });
    await this.until(() => this.publishes.find((p) => p.cmd === 'suback'));
  }

  /** Waits (bounded) until `probe` finds something among the packets received. */
  until<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for packets')), timeoutMs);
      const check = () => {
        const found = probe();
        if (found === undefined) {
          this.waiting.push(check);
          return;
        }
        clearTimeout(timer);
        resolve(found);
      };
      check();
    });
  }

  /** PUBLISH packets received so far, in arrival order. */
  get messages(): WirePacket[] {
    return this.publishes.filter((p) => p.cmd === 'publish');
  }

  close(): void {
    this.socket.destroy();
  }
}

const gateway = (id: string) => connectMqtt(broker.mqttUrl, { clientId: id, username: id, password: PASSWORD }, clients);
const seqOf = (payload: Buffer | undefined) => payload?.toString() ?? '';

test.before(async () => {
  const users = BrokerUsers.inMemory();
  for (const id of GATEWAYS) users.add(id, PASSWORD, 'gateway');
  users.add('tz-ingest', PASSWORD, 'ingest');
  broker = await startBroker({ users, port: 0, log: createLogger('broker', 'silent'), gatewayEvents: false });
});

test.after(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker.stop();
});

for (const clean of [true, false]) {
  test(`QoS 1 from three gateways at once reaches a ${clean ? 'clean' : 'persistent'} subscriber once each, in each gateway's order`, async () => {
    const PER_GATEWAY = 1500;
    const sub = await connectMqtt(broker.mqttUrl, { clientId: `tz-ingest-order-${clean}`, username: 'tz-ingest', password: PASSWORD, clean }, clients);
    const got = new Map<string, number[]>();
    const qosSeen = new Set<number>();
    let total = 0;
    sub.on('message', (topic, payload, packet) => {
      qosSeen.add(packet.qos);
      const list = got.get(topic) ?? [];
      list.push(Number(payload.toString()));
      got.set(topic, list);
      total += 1;
    });
    await sub.subscribeAsync(topics.allBatches, { qos: 1 });
    const pubs = await Promise.all(GATEWAYS.map(gateway));
    // Every message of every gateway in flight at once (mqtt.js does not wait for one PUBACK before the next PUBLISH).
    await Promise.all(pubs.flatMap((pub, g) => Array.from({ length: PER_GATEWAY }, (_, i) => pub.publishAsync(topics.batch(GATEWAYS[g] ?? ''), String(i), { qos: 1 }))));
    await waitFor('every message delivered', () => (total >= PER_GATEWAY * GATEWAYS.length ? true : undefined), 30_000, 20);
    assert.equal([...qosSeen], [1]);
    for (const id of GATEWAYS) {
      const seqs = got.get(topics.batch(id)) ?? [];
      assert.is(seqs.length, PER_GATEWAY, `${id}: each message once`);
      assert.ok(seqs.every((s, i) => s === i), `${id}: in the order published`);
    }
    await Promise.all(pubs.map((p) => p.endAsync()));
    await sub.endAsync();
  });
}

test('a persistent subscriber that leaves with QoS 1 unacknowledged gets those again (same packet ids), then what was queued, in order; nothing it acknowledged', async () => {
  const topic = topics.batch('gw-q1-a');
  const first = await RawSubscriber.open('tz-ingest-redelivery', false);
  await first.subscribe(topics.allBatches);
  const pub = await gateway('gw-q1-a');
  for (let i = 0; i < 10; i++) await pub.publishAsync(topic, `m${i}`, { qos: 1 });
  await first.until(() => (first.messages.length >= 10 ? true : undefined));
  const sentFirst = first.messages;
  assert.equal(sentFirst.map((p) => seqOf(p.payload)), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
  assert.ok(sentFirst.every((p) => p.qos === 1 && typeof p.messageId === 'number' && p.messageId > 0));
  assert.is(new Set(sentFirst.map((p) => p.messageId)).size, 10, 'one packet id per message in flight');
  // Acknowledge the first four only, then vanish.
  for (const p of sentFirst.slice(0, 4)) first.send({ cmd: 'puback', messageId: p.messageId });
  // A PINGREQ after the PUBACKs: its answer means the broker has read them.
  first.send({ cmd: 'pingreq' });
  await first.until(() => first.publishes.find((p) => p.cmd === 'pingresp'));
  first.close();
  await waitFor('the broker saw the subscriber go', () => (broker.stats().clientsConnected === 1 ? true : undefined), 10_000, 20);
  for (let i = 10; i < 15; i++) await pub.publishAsync(topic, `m${i}`, { qos: 1 });

  const second = await RawSubscriber.open('tz-ingest-redelivery', false);
  assert.is(second.connack.sessionPresent, true);
  await second.until(() => (second.messages.length >= 11 ? true : undefined));
  const again = second.messages;
  assert.equal(again.map((p) => seqOf(p.payload)), ['m4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10', 'm11', 'm12', 'm13', 'm14'], 'unacknowledged first, then queued, in order, none acknowledged');
  assert.equal(again.slice(0, 6).map((p) => p.messageId), sentFirst.slice(4).map((p) => p.messageId), 'resent with the packet ids they had');
  for (const p of again) second.send({ cmd: 'puback', messageId: p.messageId });
  second.send({ cmd: 'pingreq' });
  await second.until(() => second.publishes.find((p) => p.cmd === 'pingresp'));
  second.close();
  await waitFor('the broker saw the subscriber go again', () => (broker.stats().clientsConnected === 1 ? true : undefined), 10_000, 20);

  // Everything acknowledged: after a reconnect, the next message is the first thing that arrives.
  const third = await RawSubscriber.open('tz-ingest-redelivery', false);
  await pub.publishAsync(topic, 'marker', { qos: 1 });
  await third.until(() => (third.messages.length >= 1 ? true : undefined));
  assert.equal(third.messages.map((p) => seqOf(p.payload)), ['marker']);
  third.close();
  await pub.endAsync();
});

test('a retained QoS 1 message goes to a new persistent subscription with the retain flag and a packet id', async () => {
  const pub = await gateway('gw-q1-b');
  await pub.publishAsync(topics.status('gw-q1-b'), 'online', { qos: 1, retain: true });
  const sub = await RawSubscriber.open('tz-ingest-retained', false);
  await sub.subscribe(topics.allStatus);
  const [retained] = await sub.until(() => (sub.messages.length >= 1 ? sub.messages : undefined));
  assert.is(seqOf(retained?.payload), 'online');
  assert.is(retained?.retain, true);
  assert.is(retained?.qos, 1);
  assert.ok((retained?.messageId ?? 0) > 0);
  sub.close();
  await pub.endAsync();
});

test.run();
