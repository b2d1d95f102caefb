// Shared subscriptions `$share/{group}/{filter}` on one node, with real
// mqtt.js clients (and one mosquitto_sub member): one member per message,
// sticky by gateway id, members leaving and joining, QoS 1 queued for a
// persistent member while it is away, unsubscribe.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import type { MqttClient, IClientOptions } from 'mqtt';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { topics } from '../../proto/index.ts';
import { connectMqtt, waitFor } from './helpers.ts';

const PASSWORD = 'ingest-secret-pass';
const GATEWAYS = ['gw-0001', 'gw-0002', 'gw-0003', 'gw-0004', 'gw-0005', 'gw-0006', 'gw-0007', 'gw-0008'];
const SHARE = `$share/ingest/${topics.allBatches}`;
let broker: RunningBroker;
const clients: MqttClient[] = [];
const gateways = new Map<string, MqttClient>();

const connect = (options: IClientOptions): Promise<MqttClient> => connectMqtt(broker.mqttUrl, options, clients);

/** A member of the ingest group recording which messages (payload = "gw/n") it got. */
async function member(clientId: string, clean = true): Promise<{ client: MqttClient; got: string[] }> {
  const client = await connect({ clientId, username: 'tz-ingest', password: PASSWORD, clean });
  const got: string[] = [];
  client.on('message', (topic, payload) => {
    assert.ok(topic.startsWith('tz/v1/gw/'), `a member receives the original topic, got ${topic}`);
    got.push(payload.toString());
  });
  const granted = await client.subscribeAsync(SHARE, { qos: 1 });
  assert.is(granted[0]?.qos, 1);
  return { client, got };
}

let seq = 0;
/** Every gateway publishes `n` QoS 1 batches; returns the payloads sent. */
async function publishRound(n: number): Promise<string[]> {
  const sent: string[] = [];
  for (const [id, gw] of gateways) {
    for (let i = 0; i < n; i++) {
      const payload = `${id}/${seq++}`;
      sent.push(payload);
      await gw.publishAsync(topics.batch(id), Buffer.from(payload), { qos: 1 });
    }
  }
  return sent;
}

const gatewaysOf = (got: string[], sent: string[]) => new Set(got.filter((p) => sent.includes(p)).map((p) => p.split('/')[0]));

test.before(async () => {
  const users = BrokerUsers.inMemory();
  users.add('tz-ingest', PASSWORD, 'ingest');
  for (const id of GATEWAYS) users.add(id, `${id}-secret-pass`, 'gateway');
  broker = await startBroker({ users, port: 0 });
  for (const id of GATEWAYS) gateways.set(id, await connect({ clientId: id, username: id, password: `${id}-secret-pass` }));
});

test.after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker.stop();
});

test('each message goes to exactly one member, every gateway sticks to one member; plain subscribers still get everything', async () => {
  const a = await member('ingest-a');
  const b = await member('ingest-b');
  const c = await member('ingest-c');
  const plain = await connect({ clientId: 'tz-ingest-plain', username: 'tz-ingest', password: PASSWORD });
  const plainGot: string[] = [];
  plain.on('message', (_t, p) => plainGot.push(p.toString()));
  await plain.subscribeAsync(topics.allBatches, { qos: 1 });

  const sent = await publishRound(10);
  await waitFor('all delivered once', () => (a.got.length + b.got.length + c.got.length === sent.length ? true : undefined), 5_000, 20);
  await waitFor('plain subscriber', () => (plainGot.length === sent.length ? true : undefined), 5_000, 20);
  const all = [...a.got, ...b.got, ...c.got];
  assert.is(new Set(all).size, sent.length, 'no message twice');
  assert.equal([...all].sort(), [...sent].sort());
  const owners = [a, b, c].map((m) => gatewaysOf(m.got, sent));
  for (const id of GATEWAYS) assert.is(owners.filter((o) => o.has(id)).length, 1, `${id} must stick to one member`);
  assert.ok(owners.filter((o) => o.size > 0).length >= 2, 'gateways spread over the members');
  assert.is(broker.sharedGroups()[0]?.members.length, 3);
  const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
  assert.match(metrics, /tz_broker_shared_members\{[^}]*group="ingest"[^}]*\} 3/);
  assert.match(metrics, new RegExp(`tz_broker_shared_deliveries_total\\{[^}]*group="ingest"[^}]*\\} ${sent.length}`));

  // A member leaves: only its gateways move; the others keep their owner.
  const leaving = [a, b, c].find((m) => gatewaysOf(m.got, sent).size > 0)!;
  const stay = [a, b, c].filter((m) => m !== leaving);
  const before = stay.map((m) => gatewaysOf(m.got, sent));
  await leaving.client.endAsync();
  await waitFor('member gone', () => (broker.sharedGroups()[0]?.members.length === 2 ? true : undefined), 5_000, 20);
  const sent2 = await publishRound(5);
  await waitFor('delivered to the two left', () => (stay.reduce((n, m) => n + gatewaysOf(m.got, sent2).size, 0) === GATEWAYS.length && stay.reduce((n, m) => n + m.got.filter((p) => sent2.includes(p)).length, 0) === sent2.length ? true : undefined), 5_000, 20);
  stay.forEach((m, i) => {
    for (const id of before[i]!) assert.ok(gatewaysOf(m.got, sent2).has(id), `${id} stayed with its member`);
  });

  // A member joins: it takes over some gateways, each still with exactly one member.
  const d = await member('ingest-d');
  const sent3 = await publishRound(5);
  const now = [...stay, d];
  await waitFor('delivered after join', () => (now.reduce((n, m) => n + m.got.filter((p) => sent3.includes(p)).length, 0) === sent3.length ? true : undefined), 5_000, 20);
  const owners3 = now.map((m) => gatewaysOf(m.got, sent3));
  for (const id of GATEWAYS) assert.is(owners3.filter((o) => o.has(id)).length, 1, `${id} has one member after the join`);
  assert.ok(owners3[2]!.size > 0, 'the new member takes some gateways');

  // Unsubscribe leaves the group for good.
  await d.client.unsubscribeAsync(SHARE);
  await waitFor('unsubscribed member gone', () => (broker.sharedGroups()[0]?.members.length === 2 ? true : undefined), 5_000, 20);
  const dBefore = d.got.length;
  const sent4 = await publishRound(2);
  await waitFor('delivered after unsubscribe', () => (stay.reduce((n, m) => n + m.got.filter((p) => sent4.includes(p)).length, 0) === sent4.length ? true : undefined), 5_000, 20);
  assert.is(d.got.length, dBefore, 'no messages after unsubscribe');
  for (const m of [...stay, d]) await m.client.endAsync();
  await plain.endAsync();
  await waitFor('group closed', () => (broker.sharedGroups().length === 0 ? true : undefined), 5_000, 20);
});

test('QoS 1: messages for a persistent member that is away wait in its session and arrive when it returns', async () => {
  const p = await member('ingest-persistent', false);
  await p.client.endAsync(); // offline, session kept: still a member
  await waitFor('offline member', () => (broker.sharedGroups()[0]?.members[0]?.online === false ? true : undefined), 5_000, 20);
  const sent = await publishRound(3);
  const back = await connect({ clientId: 'ingest-persistent', username: 'tz-ingest', password: PASSWORD, clean: false });
  const got: string[] = [];
  back.on('message', (topic, payload) => {
    assert.ok(topic.startsWith('tz/v1/gw/'));
    got.push(payload.toString());
  });
  await waitFor('queued messages delivered', () => (got.length === sent.length ? true : undefined), 5_000, 20);
  assert.equal([...got].sort(), [...sent].sort());
  // The restored session is a live member again.
  const sent2 = await publishRound(1);
  await waitFor('live again', () => (sent2.every((s) => got.includes(s)) ? true : undefined), 5_000, 20);
  await back.unsubscribeAsync(SHARE);
  await back.endAsync();
});

test('a mosquitto_sub member shares the load with an mqtt.js member', async () => {
  const js = await member('ingest-js');
  const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', new URL(broker.mqttUrl).port, '-V', 'mqttv311', '-i', 'ingest-mosq', '-u', 'tz-ingest', '-P', PASSWORD, '-t', SHARE, '-q', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  sub.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  try {
    await waitFor('mosquitto_sub joined', () => (broker.sharedGroups()[0]?.members.length === 2 ? true : undefined), 5_000, 20);
    const sent = await publishRound(4);
    const mosqGot = () => out.split('\n').filter((l) => sent.includes(l));
    await waitFor('all delivered', () => (js.got.filter((p) => sent.includes(p)).length + mosqGot().length === sent.length ? true : undefined), 5_000, 20);
    assert.ok(mosqGot().length > 0 && js.got.length > 0, 'both members get a share');
    assert.is(new Set([...mosqGot(), ...js.got]).size, sent.length, 'no message twice');
  } finally {
    sub.kill();
    await js.client.endAsync();
  }
});

test.run();
