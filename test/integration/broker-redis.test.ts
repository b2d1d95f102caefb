// Two broker nodes on one real redis-server (Debian package): a message
// published on node A reaches a subscriber on node B, and a persistent
// session's queued QoS 1 messages survive a broker restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { topics, type GatewayConnectionEvent } from '../../proto/index.ts';
import { startRedis, waitFor, type TestRedis } from './helpers.ts';

let redis: TestRedis;
const users = BrokerUsers.inMemory();
const clients: MqttClient[] = [];
const brokers: RunningBroker[] = [];

function connect(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    clients.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', (err) => reject(err));
  });
}
const gateway = (url: string) => connect(url, { clientId: 'gw-0001', username: 'gw-0001', password: 'gw-0001-secret-pass' });
const ingest = (url: string, clientId: string, clean = true) => connect(url, { clientId, username: 'tz-ingest', password: 'ingest-secret-pass', clean });

async function node(nodeId: string): Promise<RunningBroker> {
  const b = await startBroker({ users, port: 0, nodeId, persistence: { type: 'redis', url: redis.url } });
  brokers.push(b);
  return b;
}

test.before(async () => {
  redis = await startRedis({ persist: false });
  users.add('gw-0001', 'gw-0001-secret-pass', 'gateway');
  users.add('tz-ingest', 'ingest-secret-pass', 'ingest');
});

test.after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  for (const b of brokers) await b.stop();
  await redis.stop();
});

test('a message published on node A reaches a subscriber on node B; gateway events too', async () => {
  const a = await node('node-a');
  const b = await node('node-b');
  const sub = await ingest(b.mqttUrl, 'ingest-on-b');
  const got: Array<[string, string]> = [];
  sub.on('message', (topic, payload) => got.push([topic, payload.toString()]));
  await sub.subscribeAsync([topics.allBatches, topics.gatewayEvents], { qos: 1 });
  const gw = await gateway(a.mqttUrl);
  await gw.publishAsync(topics.batch('gw-0001'), Buffer.from('from node A'), { qos: 1 });
  await waitFor('cross-node delivery', () => (got.some(([, p]) => p === 'from node A') ? true : undefined), 10_000, 20);
  const event = await waitFor('gateway event from node A', () => {
    const e = got.find(([t]) => t === topics.gatewayEvents);
    return e ? (JSON.parse(e[1]) as GatewayConnectionEvent) : undefined;
  }, 10_000, 20);
  assert.is(event.brokerId, 'node-a');
  assert.is(event.type, 'connected');
  assert.is(got.filter(([, p]) => p === 'from node A').length, 1, 'delivered once');
  await gw.endAsync();
  await sub.endAsync();
});

test('queued QoS 1 messages of an offline persistent session survive a restart of the broker', async () => {
  const [a] = brokers;
  const sub = await ingest(a!.mqttUrl, 'ingest-durable', false);
  await sub.subscribeAsync(topics.allBatches, { qos: 1 });
  await sub.endAsync(); // offline; the session and its subscription stay in Redis
  const gw = await gateway(a!.mqttUrl);
  const sent = ['q1', 'q2', 'q3', 'q4', 'q5'];
  for (const p of sent) await gw.publishAsync(topics.batch('gw-0001'), Buffer.from(p), { qos: 1 });
  await gw.endAsync();

  // Every node goes down; a new process comes up on the same Redis.
  for (const b of brokers.splice(0)) await b.stop();
  const restarted = await node('node-a');
  const got: string[] = [];
  const back = await new Promise<MqttClient>((resolve, reject) => {
    const c = mqtt.connect(restarted.mqttUrl, { clientId: 'ingest-durable', username: 'tz-ingest', password: 'ingest-secret-pass', clean: false, reconnectPeriod: 0 });
    clients.push(c);
    c.on('message', (_t, payload) => got.push(payload.toString()));
    c.once('connect', (connack) => {
      assert.ok(connack.sessionPresent, 'the session is still there after the restart');
      resolve(c);
    });
    c.once('error', reject);
  });
  await waitFor('queued messages after restart', () => (got.length >= sent.length ? true : undefined), 10_000, 20);
  assert.equal(got, sent, 'all queued messages, in order');
  await back.endAsync();
});

test('a persistent session with more queued messages than maxSessionDelivery gets all of them back on reconnect', async () => {
  // aedes-persistence-redis replays only the first maxSessionDelivery+1 of a
  // session's queue on CONNECT; the rest stayed in Redis, never delivered.
  // A small page size makes the queue span several pages.
  const b = await startBroker({ users, port: 0, nodeId: 'node-paged', persistence: { type: 'redis', url: redis.url, maxSessionDelivery: 7 } });
  brokers.push(b);
  const sub = await ingest(b.mqttUrl, 'ingest-long-queue', false);
  await sub.subscribeAsync(topics.allBatches, { qos: 1 });
  await sub.endAsync();
  const gw = await gateway(b.mqttUrl);
  const sent = Array.from({ length: 40 }, (_, i) => `m${i}`);
  for (const p of sent) await gw.publishAsync(topics.batch('gw-0001'), Buffer.from(p), { qos: 1 });
  await gw.endAsync();
  const got: string[] = [];
  const back = await new Promise<MqttClient>((resolve, reject) => {
    const c = mqtt.connect(b.mqttUrl, { clientId: 'ingest-long-queue', username: 'tz-ingest', password: 'ingest-secret-pass', clean: false, reconnectPeriod: 0 });
    clients.push(c);
    c.on('message', (_t, payload) => got.push(payload.toString()));
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
  await waitFor('the whole queue after reconnect', () => (got.length >= sent.length ? true : undefined), 10_000, 20).catch(() => undefined);
  assert.equal(got, sent, 'every queued message, once, in order');
  await back.endAsync();
});

test('a persistent session subscribing to several topics in one SUBSCRIBE gets its SUBACK and every subscription', async () => {
  // Aedes stores each topic of the packet concurrently; aedes-persistence-redis
  // waited for its broadcast under one key per (client, first topic), so all
  // but one waiter were lost: no SUBACK, and those topics never subscribed.
  const b = await startBroker({ users, port: 0, nodeId: 'node-multi', persistence: { type: 'redis', url: redis.url } });
  brokers.push(b);
  const sub = await ingest(b.mqttUrl, 'ingest-multi', false);
  const got: string[] = [];
  sub.on('message', (topic) => got.push(topic));
  const granted = await Promise.race([
    sub.subscribeAsync([`$share/multi/${topics.allBatches}`, `$share/multi/${topics.allStatus}`, topics.gatewayEvents], { qos: 1 }),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 5_000)),
  ]);
  assert.ok(granted, 'SUBACK within 5 s');
  assert.equal(granted.map((g) => g.qos), [1, 1, 1]);
  const gw = await gateway(b.mqttUrl);
  await gw.publishAsync(topics.batch('gw-0001'), Buffer.from('b'), { qos: 1 });
  await gw.publishAsync(topics.status('gw-0001'), Buffer.from('s'), { qos: 1 });
  await waitFor('batch and status through both $share filters', () => (got.includes(topics.batch('gw-0001')) && got.includes(topics.status('gw-0001')) ? true : undefined), 10_000, 20).catch(() => undefined);
  assert.ok(got.includes(topics.batch('gw-0001')), 'batch delivered');
  assert.ok(got.includes(topics.status('gw-0001')), 'status delivered');
  assert.ok(got.includes(topics.gatewayEvents), 'gateway event delivered');
  await gw.endAsync();
  await sub.endAsync();
});

test.run();
