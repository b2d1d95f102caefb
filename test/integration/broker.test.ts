// The broker against real clients over TCP — mqtt.js and Debian's
// mosquitto_pub/mosquitto_sub: credentials, topic ACLs, $SYS, garbage on the
// wire, packet size limit, gateway connection events, the users file at rest.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as netConnect } from 'node:net';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient, IClientOptions } from 'mqtt';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { topics, type GatewayConnectionEvent } from '../../proto/index.ts';
import { connectMqtt, counter, runMosquittoClient, tempDir, waitFor } from './helpers.ts';

const GW_PASSWORD = 'gw-0001-secret-pass';
const GW2_PASSWORD = 'gw-0002-secret-pass';
const SERVICE_PASSWORD = 'ingest-secret-pass';
const RULES_PASSWORD = 'rules-secret-pass';
let broker: RunningBroker;
let port: number;
const clients: MqttClient[] = [];

const client = (options: IClientOptions): Promise<MqttClient> => connectMqtt(broker.mqttUrl, options, clients);

const gateway = (id = 'gw-0001', password = GW_PASSWORD) => client({ clientId: id, username: id, password });
const ingest = (clientId = 'tz-ingest') => client({ clientId, username: 'tz-ingest', password: SERVICE_PASSWORD });

/** The QoS the broker granted for one filter; 128 = refused (mqtt.js reports it as an error with code 128). */
async function grantedQos(c: MqttClient, filter: string): Promise<number> {
  try {
    const granted = await c.subscribeAsync(filter, { qos: 1 });
    return granted[0]?.qos ?? -1;
  } catch (err) {
    const packet = (err as { packet?: { granted?: number[] } }).packet;
    return packet?.granted?.[0] ?? -1;
  }
}

const mosquittoAuth = (id: string, password: string) => ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-i', id, '-u', id, '-P', password];

test.before(async () => {
  const users = BrokerUsers.inMemory();
  users.add('gw-0001', GW_PASSWORD, 'gateway');
  users.add('gw-0002', GW2_PASSWORD, 'gateway');
  users.add('tz-ingest', SERVICE_PASSWORD, 'service');
  users.add('tz-rules', RULES_PASSWORD, 'rules');
  // Login throttling has its own test (broker-limits); here many refusals come from one address on purpose.
  broker = await startBroker({ users, port: 0, maxPacketSize: 4096, loginThrottle: { maxFailures: 1000 }, nodeId: 'node-test' });
  port = Number(new URL(broker.mqttUrl).port);
});

test.after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker.stop();
});

test('right password connects; wrong password gets CONNACK 4, none gets 5 (mqtt.js and mosquitto_pub)', async () => {
  const good = await gateway();
  assert.ok(good.connected);
  await good.endAsync();
  const wrong = await gateway('gw-0001', 'not-the-password').then(() => null, (err: Error & { code?: number }) => err);
  assert.is(wrong?.code, 4, 'wrong password must be refused with 4');
  const anonymous = await client({ clientId: 'someone' }).then(() => null, (err: Error & { code?: number }) => err);
  assert.is(anonymous?.code, 5);
  const spoofed = await client({ clientId: 'gw-0002', username: 'gw-0001', password: GW_PASSWORD }).then(() => null, (err: Error & { code?: number }) => err);
  assert.is(spoofed?.code, 5, 'a gateway must use its id as client id');

  const refused = await runMosquittoClient('mosquitto_pub', [...mosquittoAuth('gw-0001', 'wrong-password-123'), '-t', topics.batch('gw-0001'), '-m', 'x', '-q', '1']);
  assert.is.not(refused.code, 0, 'mosquitto_pub must fail on a wrong password');
  assert.match(refused.stderr.toLowerCase(), /bad user name or password|not authori[sz]ed/);
  const accepted = await runMosquittoClient('mosquitto_pub', [...mosquittoAuth('gw-0001', GW_PASSWORD), '-t', topics.batch('gw-0001'), '-m', 'x', '-q', '1']);
  assert.is(accepted.code, 0, accepted.stderr);

  assert.ok(counter(broker.stats(), 'authFailures') >= 4);
  const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
  assert.match(metrics, /tz_broker_auth_failures_total\{[^}]*reason="bad-credentials"[^}]*\} [2-9]/);
});

test('a publish into another gateway branch is dropped and counted; the connection stays (mqtt.js and mosquitto_pub)', async () => {
  const service = await ingest();
  assert.is(await grantedQos(service, topics.allUplink), 1);
  const received: Array<[string, string]> = [];
  service.on('message', (topic, payload) => received.push([topic, payload.toString()]));

  const gw = await gateway();
  const before = broker.stats();
  await gw.publishAsync(topics.batch('gw-0002'), Buffer.from('forged'), { qos: 1 }); // QoS 1 still gets its PUBACK
  await gw.publishAsync('$SYS/broker/fake', Buffer.from('forged'), { qos: 0 });
  const viaMosquitto = await runMosquittoClient('mosquitto_pub', [...mosquittoAuth('gw-0002', GW2_PASSWORD), '-t', topics.batch('gw-0001'), '-m', 'forged-by-gw-0002', '-q', '1']);
  assert.is(viaMosquitto.code, 0);
  await gw.publishAsync(topics.batch('gw-0001'), Buffer.from('real'), { qos: 1 });
  assert.ok(gw.connected, 'a refused publish does not disconnect (deniedPublish: drop)');
  await waitFor('own uplink', () => (received.some(([, p]) => p === 'real') ? true : undefined), 5_000, 20);
  assert.equal(received.filter(([, p]) => p.startsWith('forged')), [], 'a forged message never reaches a subscriber');
  const after = broker.stats();
  assert.is(counter(after, 'deniedPublishes'), counter(before, 'deniedPublishes') + 3);
  assert.ok(counter(after, 'messagesDropped') >= counter(before, 'messagesDropped') + 3);
  const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
  assert.match(metrics, /tz_broker_gateway_last_seen_seconds\{[^}]*gateway="gw-0001"[^}]*\}/);
  assert.match(metrics, /tz_broker_denied_publishes_total\{[^}]*reason="foreign-branch"[^}]*\} 2/);
  assert.match(metrics, /tz_broker_denied_publishes_total\{[^}]*reason="sys-topic"[^}]*\} 1/);
  assert.match(metrics, /tz_broker_messages_dropped_total\{[^}]*reason="acl"[^}]*\} [3-9]/);
  await gw.endAsync();
  await service.endAsync();
});

test('subscriptions outside the own branch get SUBACK 128 (mqtt.js and mosquitto_sub); $SYS is read-only for services', async () => {
  const gw = await gateway();
  assert.is(await grantedQos(gw, topics.command('gw-0002')), 128);
  assert.is(await grantedQos(gw, 'tz/v1/gw/+/down/#'), 128);
  assert.is(await grantedQos(gw, '$SYS/#'), 128);
  assert.is(await grantedQos(gw, 'tz/v1/gw/gw-0001/down/#'), 1);
  assert.ok(gw.connected, 'a refused subscription does not disconnect');
  const rules = await client({ clientId: 'tz-rules', username: 'tz-rules', password: RULES_PASSWORD });
  assert.is(await grantedQos(rules, '#'), 128, 'a service may not subscribe to everything');
  assert.is(await grantedQos(rules, '$SYS/#'), 1, '$SYS is readable by services');
  const received = new Promise<string>((resolve) => gw.once('message', (topic) => resolve(topic)));
  await rules.publishAsync(topics.command('gw-0001'), Buffer.from('cmd'), { qos: 1 });
  assert.is(await received, topics.command('gw-0001'));

  const denied = await runMosquittoClient('mosquitto_sub', [...mosquittoAuth('gw-0002', GW2_PASSWORD), '-t', topics.command('gw-0001'), '-E', '-d']);
  assert.match(denied.stdout + denied.stderr, /SUBACK/);
  assert.match(denied.stdout + denied.stderr, /denied|128|0x80/i, `mosquitto_sub must see the refusal: ${denied.stdout}${denied.stderr}`);
  const allowed = await runMosquittoClient('mosquitto_sub', [...mosquittoAuth('gw-0002', GW2_PASSWORD), '-t', topics.command('gw-0002'), '-q', '1', '-E', '-d']);
  assert.is(allowed.code, 0);
  assert.not.match(allowed.stdout + allowed.stderr, /denied/i);
  assert.ok(counter(broker.stats(), 'deniedSubscriptions') >= 5);
  await gw.endAsync();
  await rules.endAsync();
});

test('garbage bytes and oversized packets (mqtt.js and mosquitto_pub) close only that socket; the broker keeps serving', async () => {
  const errorsBefore = counter(broker.stats(), 'clientErrors');
  const oversizedBefore = counter(broker.stats(), 'oversizedPackets');
  for (const bytes of [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), Buffer.from([0x30, 0x05, 0x00]), Buffer.from([0x10, 0x02, 0xde, 0xad])]) {
    await new Promise<void>((resolve) => {
      const socket = netConnect(port, '127.0.0.1', () => socket.end(bytes));
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      socket.resume();
    });
  }
  const service = await ingest();
  await service.subscribeAsync(topics.allBatches, { qos: 1 });
  const gw = await gateway('gw-0002', GW2_PASSWORD);
  const closed = new Promise<void>((resolve) => gw.once('close', () => resolve()));
  gw.publish(topics.batch('gw-0002'), Buffer.alloc(8192), { qos: 0 });
  await closed;
  const dir = tempDir('tz-broker-big-');
  try {
    const big = join(dir.path, 'big.bin');
    writeFileSync(big, Buffer.alloc(10_000, 1));
    await runMosquittoClient('mosquitto_pub', [...mosquittoAuth('gw-0002', GW2_PASSWORD), '-t', topics.batch('gw-0002'), '-f', big, '-q', '1']);
  } finally {
    dir.remove();
  }
  await waitFor('both oversized packets counted', () => (counter(broker.stats(), 'oversizedPackets') === oversizedBefore + 2 ? true : undefined), 5_000, 20);

  const gw2 = await gateway('gw-0002', GW2_PASSWORD);
  const got = new Promise<Buffer>((resolve) => service.once('message', (_t, payload) => resolve(payload)));
  await gw2.publishAsync(topics.batch('gw-0002'), Buffer.from('still alive'), { qos: 1 });
  assert.is((await got).toString(), 'still alive');
  assert.ok(counter(broker.stats(), 'clientErrors') > errorsBefore, 'protocol errors are counted');
  assert.is((await fetch(`${broker.httpUrl}/healthz`)).status, 200);
  await gw2.endAsync();
  await service.endAsync();
});

test('gateway connect/disconnect events: QoS 1, ordered by connectionSeq, a takeover disconnect carries the older seq', async () => {
  const rules = await client({ clientId: 'tz-rules-events', username: 'tz-rules', password: RULES_PASSWORD });
  const events: GatewayConnectionEvent[] = [];
  rules.on('message', (topic, payload) => {
    if (topic === topics.gatewayEvents) events.push(JSON.parse(payload.toString()) as GatewayConnectionEvent);
  });
  await rules.subscribeAsync(topics.gatewayEvents, { qos: 1 });
  assert.is(await grantedQos(await gateway('gw-0002', GW2_PASSWORD), topics.command('gw-0002')), 1);
  const forged = await rules.publishAsync(topics.gatewayEvents, Buffer.from('{}'), { qos: 1 }).then(() => 'sent');
  assert.is(forged, 'sent');

  const first = await gateway();
  await waitFor('connected event', () => events.find((e) => e.type === 'connected' && e.gatewayId === 'gw-0001'), 5_000, 20);
  const second = await gateway(); // same client id: takes over the first connection
  await waitFor('takeover seen', () => (events.filter((e) => e.gatewayId === 'gw-0001').length >= 3 ? true : undefined), 5_000, 20);
  await second.endAsync(); // clean DISCONNECT
  await waitFor('final disconnect', () => (events.filter((e) => e.gatewayId === 'gw-0001').length >= 4 ? true : undefined), 5_000, 20);
  first.end(true);

  const mine = events.filter((e) => e.gatewayId === 'gw-0001');
  const connects = mine.filter((e) => e.type === 'connected');
  const disconnects = mine.filter((e) => e.type === 'disconnected');
  assert.is(connects.length, 2);
  assert.ok(connects[1]!.connectionSeq > connects[0]!.connectionSeq, 'a newer connection has a higher number');
  const takeover = disconnects.find((e) => e.connectionSeq === connects[0]!.connectionSeq);
  assert.is(takeover?.reason, 'takeover');
  const last = disconnects.find((e) => e.connectionSeq === connects[1]!.connectionSeq);
  assert.is(last?.reason, 'client');
  for (const e of mine) {
    assert.is(e.brokerId, 'node-test');
    assert.is(e.clientId, 'gw-0001');
    assert.ok(!Number.isNaN(Date.parse(e.at)));
  }
  // What a consumer does (keep the highest connectionSeq per client id) ends in "offline".
  const latest = [...mine].sort((a, b) => a.connectionSeq - b.connectionSeq || (a.type === 'disconnected' ? 1 : -1)).at(-1);
  assert.is(latest?.type, 'disconnected');
  assert.not.ok(events.some((e) => !e.type), 'a client cannot publish gateway events (broker-only topic)');
  const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
  assert.match(metrics, /tz_broker_gateway_connected\{[^}]*gateway="gw-0001"[^}]*\} 0/);
  assert.match(metrics, /tz_broker_gateway_connected\{[^}]*gateway="gw-0002"[^}]*\} 1/);
  assert.match(metrics, /tz_broker_denied_publishes_total\{[^}]*reason="broker-only"[^}]*\} 1/);
  await rules.endAsync();
});

test('users file round trip keeps only hashes, mode 0600; version-1 files with role service still load', () => {
  const dir = tempDir('tz-broker-users-');
  try {
    const file = join(dir.path, 'users.json');
    const users = BrokerUsers.load(file);
    assert.equal(users.list(), []);
    users.add('gw-0042', 'gw-0042-long-secret', 'gateway');
    users.add('tz-console', 'console-long-secret', 'console');
    users.save();
    const text = readFileSync(file, 'utf8');
    assert.not.ok(text.includes('gw-0042-long-secret'), 'the password must never be stored');
    assert.match(text, /scrypt\$/);
    assert.is(statSync(file).mode & 0o777, 0o600);
    const again = BrokerUsers.load(file);
    assert.equal(again.list().map((u) => [u.username, u.role]), [['gw-0042', 'gateway'], ['tz-console', 'console']]);
    assert.ok(again.authenticate('gw-0042', 'gw-0042-long-secret'));
    assert.is(again.authenticate('gw-0042', 'wrong-password-x'), null);
  } finally {
    dir.remove();
  }
});

test.run();
