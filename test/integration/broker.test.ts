// The broker against real mqtt.js clients over TCP: credentials, topic ACLs,
// garbage on the wire, packet size limit, the users file at rest.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as netConnect } from 'node:net';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { topics } from '../../proto/index.ts';
import { tempDir, waitFor } from './helpers.ts';

const GW_PASSWORD = 'gw-0001-secret-pass';
const SERVICE_PASSWORD = 'ingest-secret-pass';
let broker: RunningBroker;
const clients: MqttClient[] = [];

function client(options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(broker.mqttUrl, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    clients.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

/** The QoS the broker granted for one filter; 128 = refused (mqtt.js reports it as an error with code 128). */
async function grantedQos(c: MqttClient, filter: string): Promise<number> {
  try {
    const granted = await c.subscribeAsync(filter, { qos: 1 });
    return granted[0]?.qos ?? -1;
  } catch (err) {
    // mqtt.js rejects a SUBACK failure with the packet attached.
    const packet = (err as { packet?: { granted?: number[] } }).packet;
    return packet?.granted?.[0] ?? -1;
  }
}

test.before(async () => {
  const users = BrokerUsers.inMemory();
  users.add('gw-0001', GW_PASSWORD, 'gateway');
  users.add('gw-0002', 'gw-0002-secret-pass', 'gateway');
  users.add('tz-ingest', SERVICE_PASSWORD, 'service');
  broker = await startBroker({ users, port: 0, maxPacketSize: 4096 });
});

test.after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker.stop();
});

test('right password connects; wrong password gets CONNACK 4, no credentials gets 5', async () => {
  const good = await client({ clientId: 'gw-0001', username: 'gw-0001', password: GW_PASSWORD });
  assert.ok(good.connected);
  await good.endAsync();
  const wrong = await client({ clientId: 'gw-0001', username: 'gw-0001', password: 'not-the-password' }).then(() => null, (err: Error & { code?: number }) => err);
  assert.ok(wrong, 'wrong password must be refused');
  assert.is(wrong.code, 4);
  const anonymous = await client({ clientId: 'someone' }).then(() => null, (err: Error & { code?: number }) => err);
  assert.is(anonymous?.code, 5);
  const spoofed = await client({ clientId: 'gw-0002', username: 'gw-0001', password: GW_PASSWORD }).then(() => null, (err: Error & { code?: number }) => err);
  assert.is(spoofed?.code, 5, 'a gateway must use its id as client id');
  assert.ok(broker.stats().authFailures >= 3);
  const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
  assert.match(metrics, /tz_broker_auth_failures_total\{reason="bad-credentials"/);
});

test('service sees its gateway uplinks; a gateway cannot publish into another gateway branch', async () => {
  const service = await client({ clientId: 'tz-ingest', username: 'tz-ingest', password: SERVICE_PASSWORD });
  const granted = await service.subscribeAsync(topics.allUplink, { qos: 1 });
  assert.is(granted[0]?.qos, 1);
  const received: string[] = [];
  service.on('message', (topic) => received.push(topic));

  const gw = await client({ clientId: 'gw-0001', username: 'gw-0001', password: GW_PASSWORD });
  const deniedBefore = broker.stats().deniedPublishes;
  const closed = new Promise<void>((resolve) => gw.once('close', () => resolve()));
  gw.publish(topics.batch('gw-0002'), Buffer.from('forged'), { qos: 0 });
  await closed; // a refused publish closes the connection (Aedes semantics)
  assert.is(broker.stats().deniedPublishes, deniedBefore + 1);

  const gw2 = await client({ clientId: 'gw-0001', username: 'gw-0001', password: GW_PASSWORD });
  await gw2.publishAsync(topics.batch('gw-0001'), Buffer.from('real'), { qos: 1 });
  await waitFor('own uplink', () => (received.includes(topics.batch('gw-0001')) ? true : undefined), 5_000, 20);
  assert.not.ok(received.includes(topics.batch('gw-0002')), 'the forged batch must never reach a subscriber');
  const health = await fetch(`${broker.httpUrl}/healthz`);
  assert.is(health.status, 200);
  const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
  assert.match(metrics, /tz_broker_gateway_last_seen_seconds\{gateway="gw-0001"/);
  assert.match(metrics, /tz_broker_denied_publishes_total\{reason="foreign-branch"/);
  await gw2.endAsync();
  await service.endAsync();
});

test('a gateway cannot subscribe to another gateway down topic (granted 128) but can to its own', async () => {
  const gw = await client({ clientId: 'gw-0001', username: 'gw-0001', password: GW_PASSWORD });
  assert.is(await grantedQos(gw, topics.command('gw-0002')), 128);
  assert.is(await grantedQos(gw, 'tz/v1/gw/+/down/#'), 128);
  assert.is(await grantedQos(gw, 'tz/v1/gw/gw-0001/down/#'), 1);
  assert.ok(gw.connected, 'a refused subscription does not disconnect');
  const service = await client({ clientId: 'tz-rules', username: 'tz-ingest', password: SERVICE_PASSWORD });
  assert.is(await grantedQos(service, '#'), 128, 'a service may not subscribe to everything');
  assert.ok(broker.stats().deniedSubscriptions >= 3);
  const received = new Promise<string>((resolve) => gw.once('message', (topic) => resolve(topic)));
  await service.publishAsync(topics.command('gw-0001'), Buffer.from('cmd'), { qos: 1 });
  assert.is(await received, topics.command('gw-0001'));
  await gw.endAsync();
  await service.endAsync();
});

test('garbage bytes and an oversized packet close only that socket; the broker keeps serving', async () => {
  const errorsBefore = broker.stats().clientErrors;
  for (const bytes of [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), Buffer.from([0x30, 0x05, 0x00])]) {
    await new Promise<void>((resolve) => {
      const socket = netConnect(Number(new URL(broker.mqttUrl).port), '127.0.0.1', () => socket.end(bytes));
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      socket.resume();
    });
  }
  const service = await client({ clientId: 'tz-ingest', username: 'tz-ingest', password: SERVICE_PASSWORD });
  await service.subscribeAsync(topics.allBatches, { qos: 1 });
  const gw = await client({ clientId: 'gw-0002', username: 'gw-0002', password: 'gw-0002-secret-pass' });
  const closed = new Promise<void>((resolve) => gw.once('close', () => resolve()));
  gw.publish(topics.batch('gw-0002'), Buffer.alloc(8192), { qos: 0 });
  await closed;
  assert.is(broker.stats().oversizedPackets, 1);

  const gw2 = await client({ clientId: 'gw-0002', username: 'gw-0002', password: 'gw-0002-secret-pass' });
  const got = new Promise<Buffer>((resolve) => service.once('message', (_t, payload) => resolve(payload)));
  await gw2.publishAsync(topics.batch('gw-0002'), Buffer.from('still alive'), { qos: 1 });
  assert.is((await got).toString(), 'still alive');
  assert.ok(broker.stats().clientErrors > errorsBefore, 'protocol errors are counted');
  await gw2.endAsync();
  await service.endAsync();
});

test('users file round trip keeps only hashes, mode 0600', () => {
  const dir = tempDir('tz-broker-users-');
  try {
    const file = join(dir.path, 'users.json');
    const users = BrokerUsers.load(file);
    assert.equal(users.list(), []);
    users.add('gw-0042', 'gw-0042-long-secret', 'gateway');
    users.save();
    const text = readFileSync(file, 'utf8');
    assert.not.ok(text.includes('gw-0042-long-secret'), 'the password must never be stored');
    assert.match(text, /scrypt\$/);
    assert.is(statSync(file).mode & 0o777, 0o600);
    const again = BrokerUsers.load(file);
    assert.is(again.list()[0]?.username, 'gw-0042');
    assert.ok(again.authenticate('gw-0042', 'gw-0042-long-secret'));
    assert.is(again.authenticate('gw-0042', 'wrong-password-x'), null);
  } finally {
    dir.remove();
  }
});

test.run();
