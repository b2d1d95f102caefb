// Handover of a dead $share member's messages (issue 20, MQTT 5 §4.8.2):
// member A (a raw MQTT client over TCP that never sends PUBACK) gets QoS 1
// messages, its socket is destroyed; after the grace the group's other member
// gets exactly those messages in order (also the ones queued for A while no
// member was online), and A, back with its session, does not get them again.
// A member back within the grace gets its own messages; nothing is handed over.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createConnection, type Socket } from 'node:net';
import mqttPacket, { type IPublishPacket } from 'mqtt-packet';
import mqtt, { type MqttClient } from 'mqtt';
import { BrokerUsers, startBroker, type PersistenceConfig, type RunningBroker } from '../../broker/index.ts';
import { topics } from '../../proto/index.ts';
import { connectMqtt, startRedis, waitFor, type TestRedis } from './helpers.ts';

const PASSWORD = 'ingest-secret-pass';
const GATEWAYS = ['gw-0001', 'gw-0002', 'gw-0003', 'gw-0004', 'gw-0005', 'gw-0006'];
const GROUP = 'handover';
const SHARE = `$share/${GROUP}/${topics.allBatches}`;
const clients: MqttClient[] = [];
const brokers: RunningBroker[] = [];

/** A member speaking raw MQTT 3.1.1: subscribes and records PUBLISHes, never acknowledges them. */
async function silentMember(url: string, clientId: string): Promise<{ got: string[]; destroy(): void; socket: Socket }> {
  const { hostname, port } = new URL(url);
  const socket = createConnection({ host: hostname, port: Number(port) });
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const got: string[] = [];
  let connack: (() => void) | undefined;
  let suback: ((qos: number) => void) | undefined;
  parser.on('packet', (packet) => {
    if (packet.cmd === 'connack') connack?.();
    else if (packet.cmd === 'suback') suback?.(packet.granted[0] as number);
    else if (packet.cmd === 'publish') got.push((packet as IPublishPacket).payload.toString());
  });
  socket.on('data', (chunk) => parser.parse(chunk));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    connack = resolve;
    socket.once('error', reject);
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean: false, keepalive: 60, username: 'tz-ingest', password: Buffer.from(PASSWORD) }));
  });
  const granted = await new Promise<number>((resolve) => {
    suback = resolve;
    socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: SHARE, qos: 1 }] }));
  });
  assert.is(granted, 1);
  return { got, socket, destroy: () => socket.destroy() };
}

async function start(shareHandoverMs: number, persistence: PersistenceConfig = { type: 'memory' }): Promise<{ broker: RunningBroker; gateways: Map<string, MqttClient> }> {
  const users = BrokerUsers.inMemory();
  users.add('tz-ingest', PASSWORD, 'ingest');
  for (const id of GATEWAYS) users.add(id, `${id}-secret-pass`, 'gateway');
  const broker = await startBroker({ users, port: 0, shareHandoverMs, gatewayEvents: false, persistence });
  brokers.push(broker);
  const gateways = new Map<string, MqttClient>();
  for (const id of GATEWAYS) gateways.set(id, await connectMqtt(broker.mqttUrl, { clientId: id, username: id, password: `${id}-secret-pass` }, clients));
  return { broker, gateways };
}

/** An mqtt.js member recording payloads; acknowledges everything. Handlers are in place before CONNECT: a session replay follows CONNACK at once. */
async function member(broker: RunningBroker, clientId: string): Promise<{ client: MqttClient; got: string[]; sessionPresent: boolean }> {
  const client = mqtt.connect(broker.mqttUrl, { clientId, username: 'tz-ingest', password: PASSWORD, clean: false, reconnectPeriod: 0, connectTimeout: 5_000 });
  clients.push(client);
  const got: string[] = [];
  client.on('message', (_topic, payload) => got.push(payload.toString()));
  const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  return { client, got, sessionPresent: connack.sessionPresent };
}

let seq = 0;
async function publish(gateways: Map<string, MqttClient>, gw: string, n: number): Promise<string[]> {
  const client = gateways.get(gw);
  if (!client) throw new Error(`no ${gw}`);
  const sent: string[] = [];
  for (let i = 0; i < n; i++) {
    const payload = `${gw}/${seq++}`;
    sent.push(payload);
    await client.publishAsync(topics.batch(gw), Buffer.from(payload), { qos: 1 });
  }
  return sent;
}

const online = (broker: RunningBroker, id: string) => broker.sharedGroups().flatMap((g) => g.members).find((m) => m.clientId === id)?.online;
const metric = async (broker: RunningBroker, name: string, labels: string) => {
  const text = await (await fetch(`${broker.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((kv) => l.includes(kv)));
  return line ? Number(line.split(' ').pop()) : 0;
};

let redis: TestRedis | undefined;

test.after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  for (const b of brokers) await b.stop();
  await redis?.stop();
});

const persistences: Array<[string, () => Promise<PersistenceConfig>]> = [
  ['memory', async () => ({ type: 'memory' })],
  ['redis', async () => {
    redis ??= await startRedis({ persist: false });
    return { type: 'redis', url: redis.url };
  }],
];

for (const [kind, persistence] of persistences) test(`${kind} persistence: a dead member's unacknowledged and queued messages go to the surviving member in order, and not back to it`, async () => {
  const { broker, gateways } = await start(300, await persistence());
  const a = await silentMember(broker.mqttUrl, 'ingest-a');
  // A alone in the group: it gets three messages and acknowledges none (in flight).
  const inFlight = await publish(gateways, 'gw-0001', 3);
  await waitFor('A got three', () => (a.got.length === 3 ? true : undefined), 5_000, 10);
  assert.equal(a.got, inFlight);
  a.destroy();
  await waitFor('A offline', () => (online(broker, 'ingest-a') === false ? true : undefined), 5_000, 10);
  // No member online: two more wait in A's session (queued, never sent).
  const queued = await publish(gateways, 'gw-0001', 2);
  const b = await member(broker, 'ingest-b');
  await b.client.subscribeAsync(SHARE, { qos: 1 });
  await waitFor('B got the five', () => (b.got.length >= 5 ? true : undefined), 5_000, 10).catch((err: Error) => { throw new Error(`${err.message}: B got ${JSON.stringify(b.got)}, A had ${JSON.stringify(a.got)}, sent ${JSON.stringify([...inFlight, ...queued])}`); });
  assert.equal(b.got, [...inFlight, ...queued], 'exactly those messages, in their original order');
  await waitFor('handover counted', async () => ((await metric(broker, 'tz_broker_share_handover_total', `group="${GROUP}"`)) === 1 ? true : undefined), 5_000, 20);
  assert.is(await metric(broker, 'tz_broker_share_handover_messages_total', `group="${GROUP}",state="in-flight"`), 3);
  assert.is(await metric(broker, 'tz_broker_share_handover_messages_total', `group="${GROUP}",state="queued"`), 2);

  // A returns with its session: none of them again. Markers from every gateway: those that stick to A
  // arrive after its queue replay, so once A has its markers it would have had any old message.
  const back = await member(broker, 'ingest-a');
  assert.ok(back.sessionPresent, 'A\'s session (and membership) survived');
  await waitFor('A online again', () => (online(broker, 'ingest-a') === true ? true : undefined), 5_000, 10);
  const markers: string[] = [];
  for (const gw of GATEWAYS) markers.push(...(await publish(gateways, gw, 1)));
  await waitFor('markers delivered', () => (markers.every((m) => back.got.includes(m) || b.got.includes(m)) ? true : undefined), 5_000, 10);
  assert.ok(back.got.length > 0, 'A owns some gateways again');
  assert.equal(back.got.filter((p) => !markers.includes(p)), [], 'A got nothing it had before it died');
  assert.is(new Set([...back.got, ...b.got]).size, back.got.length + b.got.length, 'no message twice');
  await Promise.all([back.client.endAsync(), b.client.endAsync()]);
});

test('grace 0, nobody online when A dies: its messages wait and move when a member joins', async () => {
  const { broker, gateways } = await start(0);
  const a = await silentMember(broker.mqttUrl, 'ingest-a');
  const inFlight = await publish(gateways, 'gw-0002', 4);
  await waitFor('A got four', () => (a.got.length === 4 ? true : undefined), 5_000, 10);
  a.destroy();
  await waitFor('A offline', () => (online(broker, 'ingest-a') === false ? true : undefined), 5_000, 10);
  assert.is(await metric(broker, 'tz_broker_share_handover_total', `group="${GROUP}"`), 0, 'nobody to hand over to yet');
  const b = await member(broker, 'ingest-b');
  await b.client.subscribeAsync(SHARE, { qos: 1 });
  await waitFor('B got the four', () => (b.got.length >= 4 ? true : undefined), 5_000, 10);
  assert.equal(b.got, inFlight);
  assert.is(await metric(broker, 'tz_broker_share_handover_messages_total', `group="${GROUP}",state="in-flight"`), 4);
  await b.client.endAsync();
});

test('a member back within the grace gets its own messages; nothing is handed over', async () => {
  const { broker, gateways } = await start(60_000);
  const b = await member(broker, 'ingest-b');
  await b.client.subscribeAsync(SHARE, { qos: 1 });
  const a = await silentMember(broker.mqttUrl, 'ingest-a');
  const sent: string[] = [];
  for (const gw of GATEWAYS) sent.push(...(await publish(gateways, gw, 2)));
  await waitFor('all delivered', () => (sent.every((m) => a.got.includes(m) || b.got.includes(m)) ? true : undefined), 5_000, 10);
  const aHad = [...a.got];
  const bHad = [...b.got];
  assert.ok(aHad.length > 0 && bHad.length > 0, 'both members own gateways');
  a.destroy();
  await waitFor('A offline', () => (online(broker, 'ingest-a') === false ? true : undefined), 5_000, 10);
  assert.equal(broker.sharedGroups()[0]?.members.length, 2, 'A stays a member while away');
  const back = await member(broker, 'ingest-a');
  await waitFor('A gets its unacknowledged messages back', () => (aHad.every((m) => back.got.includes(m)) ? true : undefined), 5_000, 10);
  assert.equal(back.got.slice(0, aHad.length), aHad, 'in their order, from its own session');
  assert.equal(b.got, bHad, 'B got none of them');
  assert.is(await metric(broker, 'tz_broker_share_handover_total', `group="${GROUP}"`), 0);
});

test('broker.yaml shareHandoverMs is validated', async () => {
  const { brokerConfigSchema } = await import('../../broker/index.ts');
  assert.is(brokerConfigSchema.parse({}).shareHandoverMs, 5_000);
  assert.is(brokerConfigSchema.parse({ shareHandoverMs: 0 }).shareHandoverMs, 0);
  assert.not.ok(brokerConfigSchema.safeParse({ shareHandoverMs: -1 }).success);
  assert.not.ok(brokerConfigSchema.safeParse({ shareHandoverMs: 1.5 }).success);
  const users = BrokerUsers.inMemory();
  users.add('tz-ingest', PASSWORD, 'ingest');
  const refused = await startBroker({ users, port: 0, shareHandoverMs: -5 }).then((b) => { brokers.push(b); return null; }, (err: Error) => err);
  assert.match(refused?.message ?? 'started', /shareHandoverMs/);
});

test.run();
