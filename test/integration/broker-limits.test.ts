// Limits over real TCP: failed-login throttling per client id and per
// address (clock injected, no waiting for lockouts), the per-client publish
// rate, and a consumer that stops reading being cut off.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as netConnect, type Socket } from 'node:net';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { topics } from '../../proto/index.ts';
import { ManualClock } from '../../service-kit/index.ts';
import { connectMqtt, counter, runMosquittoClient, waitFor } from './helpers.ts';

const clients: MqttClient[] = [];
const PASSWORDS: Record<string, string> = { 'gw-0001': 'gw-0001-secret-pass', 'gw-0002': 'gw-0002-secret-pass', 'gw-0003': 'gw-0003-secret-pass', 'tz-ingest': 'ingest-secret-pass' };

function users(): BrokerUsers {
  const u = BrokerUsers.inMemory();
  for (const [name, password] of Object.entries(PASSWORDS)) u.add(name, password, name.startsWith('gw-') ? 'gateway' : 'ingest');
  return u;
}

const connect = (broker: RunningBroker, options: IClientOptions): Promise<MqttClient> => connectMqtt(broker.mqttUrl, options, clients);
const login = (broker: RunningBroker, id: string, password = PASSWORDS[id]!, clientId = id) =>
  connect(broker, { clientId, username: id, password }).then(() => 0, (err: Error & { code?: number }) => err.code ?? -1);

test.after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
});

test('failed logins lock out the client id, then the address; the lockout ends; a right password clears the id', async () => {
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const broker = await startBroker({ users: users(), port: 0, clock, loginThrottle: { maxFailures: 3, windowMs: 60_000, lockoutMs: 30_000, maxLockoutMs: 120_000 } });
  try {
    for (let i = 0; i < 3; i++) assert.is(await login(broker, 'gw-0001', 'wrong-password-xx'), 4);
    assert.is(await login(broker, 'gw-0001'), 5, 'locked out: even the right password is refused');
    const viaMosquitto = await runMosquittoClient('mosquitto_pub', ['-h', '127.0.0.1', '-p', new URL(broker.mqttUrl).port, '-V', 'mqttv311', '-i', 'gw-0001', '-u', 'gw-0001', '-P', PASSWORDS['gw-0001']!, '-t', topics.batch('gw-0001'), '-m', 'x']);
    assert.is.not(viaMosquitto.code, 0, 'mosquitto_pub is refused during the lockout too');
    // The address (127.0.0.1) has 3 failures as well: a different id from it is locked out.
    assert.is(await login(broker, 'gw-0002'), 5, 'the address is locked out');
    assert.ok(counter(broker.stats(), 'throttledLogins') >= 3);
    clock.advance(30_001);
    assert.is(await login(broker, 'gw-0002'), 0, 'lockout over for the address');
    assert.is(await login(broker, 'gw-0001'), 0, 'lockout over for the id');
    // The successes above reset the address's escalation: its second lockout is not doubled.
    // The failing client's own key escalates (login-throttle.ts).
    for (let i = 0; i < 3; i++) assert.is(await login(broker, 'gw-0003', 'wrong-password-xx'), 4);
    clock.advance(30_001);
    assert.is(await login(broker, 'gw-0002'), 0, 'the address lockout did not double after successful logins from it');
    for (let i = 0; i < 3; i++) assert.is(await login(broker, 'gw-0003', 'wrong-password-xx'), 4);
    clock.advance(30_001);
    assert.is(await login(broker, 'gw-0003'), 5, 'gw-0003 is on its second, doubled lockout');
    clock.advance(30_000);
    assert.is(await login(broker, 'gw-0003'), 0);
    const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    assert.match(metrics, /tz_broker_auth_failures_total\{[^}]*reason="throttled"[^}]*\} [3-9]/);
  } finally {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await broker.stop();
  }
});

test('publish rate: QoS 1 over the burst is slowed down (nothing lost); a QoS 0 flood far over it is dropped and counted', async () => {
  const broker = await startBroker({ users: users(), port: 0, limits: { publishRate: { perSecond: 20, burst: 5, maxDelayMs: 300 } } });
  try {
    const ingest = await connect(broker, { clientId: 'tz-ingest', username: 'tz-ingest', password: PASSWORDS['tz-ingest']! });
    await ingest.subscribeAsync(topics.allBatches, { qos: 1 });
    let received = 0;
    ingest.on('message', () => (received += 1));
    const gw = await connect(broker, { clientId: 'gw-0001', username: 'gw-0001', password: PASSWORDS['gw-0001']! });
    const started = Date.now();
    for (let i = 0; i < 11; i++) await gw.publishAsync(topics.batch('gw-0001'), Buffer.from(`m${i}`), { qos: 1 });
    const took = Date.now() - started;
    // 5 from the burst, 6 more at 20/s ≈ 300 ms.
    assert.ok(took >= 250, `11 QoS 1 publishes at 20/s after a burst of 5 took only ${took} ms`);
    await waitFor('all 11 delivered', () => (received === 11 ? true : undefined), 5_000, 20);
    assert.ok(gw.connected);

    const before = counter(broker.stats(), 'messagesDropped');
    for (let i = 0; i < 200; i++) gw.publish(topics.batch('gw-0001'), Buffer.from('flood'), { qos: 0 });
    await waitFor('flood dropped and counted', () => (counter(broker.stats(), 'messagesDropped') - before >= 150 ? true : undefined), 5_000, 20);
    assert.ok(received < 11 + 50, `most of the flood must be dropped, got ${received - 11}`);
    const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    assert.match(metrics, /tz_broker_messages_dropped_total\{[^}]*reason="rate-limit"[^}]*\} \d{3}/);
    assert.match(metrics, /tz_broker_rate_limited_total\{[^}]*action="delayed"/);
  } finally {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await broker.stop();
  }
});

/** A hand-made MQTT 3.1.1 CONNECT + SUBSCRIBE (QoS 1) for a client that then never reads or acknowledges anything. */
function rawSubscriber(port: number, clientId: string, username: string, password: string, filter: string): Promise<Socket> {
  const str = (s: string) => {
    const b = Buffer.from(s);
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  const packet = (first: number, body: Buffer) => Buffer.concat([Buffer.from([first, body.length]), body]);
  const connectBody = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 60]), str(clientId), str(username), str(password)]);
  const subscribeBody = Buffer.concat([Buffer.from([0, 1]), str(filter), Buffer.from([1])]);
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1', () => {
      socket.write(packet(0x10, connectBody));
      socket.once('data', (connack) => {
        if (connack[0] !== 0x20 || connack[3] !== 0) return reject(new Error(`CONNACK ${connack.toString('hex')}`));
        socket.write(packet(0x82, subscribeBody));
        socket.once('data', () => {
          socket.pause(); // from now on: never read, never PUBACK
          resolve(socket);
        });
      });
    });
    socket.on('error', () => undefined);
  });
}

test('a subscriber that stops acknowledging is disconnected at maxInflight; others keep getting their messages', async () => {
  const broker = await startBroker({ users: users(), port: 0, limits: { maxInflight: 20, maxOutgoingBytes: 64 * 1024 } });
  try {
    const port = Number(new URL(broker.mqttUrl).port);
    const stuck = await rawSubscriber(port, 'stuck-consumer', 'tz-ingest', PASSWORDS['tz-ingest']!, topics.allBatches);
    const healthy = await connect(broker, { clientId: 'healthy', username: 'tz-ingest', password: PASSWORDS['tz-ingest']! });
    await healthy.subscribeAsync(topics.allBatches, { qos: 1 });
    let received = 0;
    healthy.on('message', () => (received += 1));
    const gw = await connect(broker, { clientId: 'gw-0001', username: 'gw-0001', password: PASSWORDS['gw-0001']! });
    for (let i = 0; i < 60; i++) await gw.publishAsync(topics.batch('gw-0001'), Buffer.alloc(120, i), { qos: 1 });
    await waitFor('stuck consumer cut off', () => (counter(broker.stats(), 'slowConsumers') >= 1 ? true : undefined), 5_000, 20);
    await waitFor('healthy subscriber got everything', () => (received === 60 ? true : undefined), 5_000, 20);
    assert.ok(counter(broker.stats(), 'slowConsumers') >= 1);
    const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    assert.match(metrics, /tz_broker_slow_consumers_total\{[^}]*reason="(inflight|outgoing-bytes)"[^}]*\} 1/);
    stuck.destroy();
  } finally {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await broker.stop();
  }
});

test('memory persistence: an offline persistent session keeps at most maxOfflineMessagesPerClient; the rest is dropped and counted', async () => {
  const broker = await startBroker({ users: users(), port: 0, limits: { maxOfflineMessagesPerClient: 5 } });
  try {
    const got: string[] = [];
    const session = () =>
      new Promise<MqttClient>((resolve, reject) => {
        const c = mqtt.connect(broker.mqttUrl, { clientId: 'offline-ingest', clean: false, username: 'tz-ingest', password: PASSWORDS['tz-ingest']!, reconnectPeriod: 0 });
        clients.push(c);
        c.on('message', (_topic, payload) => got.push(payload.toString()));
        c.once('connect', () => resolve(c));
        c.once('error', reject);
      });
    let sub = await session();
    await sub.subscribeAsync(topics.allBatches, { qos: 1 });
    const gw = await connect(broker, { clientId: 'gw-0001', username: 'gw-0001', password: PASSWORDS['gw-0001']! });
    const publish = async (prefix: string, n: number) => {
      for (let i = 0; i < n; i++) await gw.publishAsync(topics.batch('gw-0001'), Buffer.from(`${prefix}${i}`), { qos: 1 });
    };
    // Online and acknowledged: these must leave the queue, or they would use up the cap.
    await publish('online', 5);
    await waitFor('online messages delivered', () => (got.length === 5 ? true : undefined), 5_000, 20);
    await sub.endAsync();
    await publish('offline', 12);
    got.length = 0;
    sub = await session();
    await gw.publishAsync(topics.batch('gw-0001'), Buffer.from('marker'), { qos: 1 });
    await waitFor('queue replayed, then the marker', () => (got.includes('marker') ? true : undefined), 5_000, 20);
    assert.equal(got.filter((m) => m !== 'marker'), ['offline0', 'offline1', 'offline2', 'offline3', 'offline4'], 'the oldest 5 kept, the newest 7 dropped');
    const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    assert.match(metrics, /tz_broker_messages_dropped_total\{[^}]*reason="offline-queue-full"[^}]*\} 7\n/);
  } finally {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await broker.stop();
  }
});

test.run();
