// TLS with client certificates (mTLS: client id must equal the certificate
// CN), MQTT over WebSocket for the web console, and broker.yaml validation —
// real mqtt.js and mosquitto clients, certificates made by the openssl CLI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient, IClientOptions } from 'mqtt';
import { BrokerUsers, loadBrokerConfig, startBroker, type RunningBroker } from '../../broker/index.ts';
import { topics, type GatewayConnectionEvent } from '../../proto/index.ts';
import { connectMqtt, makeTestCertificates, runMosquittoClient, tempDir, waitFor, type TestCertificates } from './helpers.ts';

const CONSOLE_PASSWORD = 'console-secret-pass';
let broker: RunningBroker;
let certs: TestCertificates;
const dir = tempDir('tz-broker-tls-');
const clients: MqttClient[] = [];

const connect = (url: string, options: IClientOptions): Promise<MqttClient> => connectMqtt(url, options, clients);

const tlsOptions = (cert?: { cert: string; key: string }): IClientOptions => ({
  ca: readFileSync(certs.caCert),
  ...(cert ? { cert: readFileSync(cert.cert), key: readFileSync(cert.key) } : {}),
  rejectUnauthorized: true,
});

test.before(async () => {
  certs = await makeTestCertificates(dir.path);
  const users = BrokerUsers.inMemory();
  users.add('gw-0001', 'gw-0001-secret-pass', 'gateway');
  users.add('gw-0002', 'gw-0002-secret-pass', 'gateway');
  users.add('tz-console', CONSOLE_PASSWORD, 'console');
  broker = await startBroker({
    users,
    nodeId: 'node-tls',
    loginThrottle: { maxFailures: 1000 },
    listeners: {
      tls: { port: 0, cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert, clientCertificates: 'optional' },
      ws: { port: 0, path: '/mqtt' },
    },
  });
});

test.after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker.stop();
  dir.remove();
});

test('mTLS: a certificate whose CN is the client id logs in without a password; a CN mismatch is refused', async () => {
  assert.is(broker.urls.mqtt, undefined, 'TCP is off when not configured');
  assert.ok(broker.urls.mqtts?.startsWith('mqtts://'));
  const gw1 = certs.client('gw-0001');
  const good = await connect(broker.urls.mqtts!, { clientId: 'gw-0001', ...tlsOptions(gw1) });
  await good.publishAsync(topics.batch('gw-0001'), Buffer.from('over tls'), { qos: 1 });
  await good.endAsync();

  const mismatch = await connect(broker.urls.mqtts!, { clientId: 'gw-0002', ...tlsOptions(gw1) }).then(() => null, (err: Error & { code?: number }) => err);
  assert.is(mismatch?.code, 5, 'client id gw-0002 with a certificate for gw-0001 must be refused');
  const wrongUser = await connect(broker.urls.mqtts!, { clientId: 'gw-0001', username: 'gw-0002', password: 'gw-0002-secret-pass', ...tlsOptions(gw1) }).then(() => null, (err: Error & { code?: number }) => err);
  assert.is(wrongUser?.code, 5, 'a username other than the CN is refused');
  const rogue = await connect(broker.urls.mqtts!, { clientId: 'gw-0001', ...tlsOptions(certs.rogueClient('gw-0001')) }).then(() => null, (err: Error & { code?: number }) => err);
  assert.ok(rogue, 'a certificate from another CA is refused');
  const passwordOnly = await connect(broker.urls.mqtts!, { clientId: 'gw-0002', username: 'gw-0002', password: 'gw-0002-secret-pass', ...tlsOptions() });
  assert.ok(passwordOnly.connected, 'optional mode: TLS with a password and no certificate works');
  await passwordOnly.endAsync();
  const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
  assert.match(metrics, /tz_broker_auth_failures_total\{[^}]*reason="certificate-cn-mismatch"[^}]*\} 2/);
  assert.match(metrics, /tz_broker_auth_failures_total\{[^}]*reason="bad-certificate"[^}]*\} 1/);
});

test('mosquitto_pub over TLS with a client certificate; and with a CN that is not its client id', async () => {
  const port = new URL(broker.urls.mqtts!.replace('mqtts:', 'http:')).port;
  const gw2 = certs.client('gw-0002');
  const base = ['-h', '127.0.0.1', '-p', port, '-V', 'mqttv311', '--cafile', certs.caCert, '--cert', gw2.cert, '--key', gw2.key, '-t', topics.batch('gw-0002'), '-m', 'x', '-q', '1'];
  const ok = await runMosquittoClient('mosquitto_pub', [...base, '-i', 'gw-0002']);
  assert.is(ok.code, 0, ok.stderr);
  const refused = await runMosquittoClient('mosquitto_pub', [...base, '-i', 'gw-0001']);
  assert.is.not(refused.code, 0);
  assert.match(refused.stderr.toLowerCase(), /not authori[sz]ed/);
});

test('a listener that requires certificates refuses the handshake without one', async () => {
  const strict = await startBroker({
    users: BrokerUsers.inMemory(),
    listeners: { tls: { port: 0, cert: readFileSync(certs.serverCert, 'utf8'), key: readFileSync(certs.serverKey, 'utf8'), ca: readFileSync(certs.caCert, 'utf8'), clientCertificates: 'require' } },
  });
  try {
    const err = await connect(strict.urls.mqtts!, { clientId: 'gw-0001', username: 'gw-0001', password: 'gw-0001-secret-pass', ...tlsOptions() }).then(() => null, (e: Error) => e);
    assert.ok(err, 'no certificate, no TLS session');
  } finally {
    await strict.stop();
  }
});

test('WebSocket: the console connects over ws:// and sees gateway events; a gateway cannot read them', async () => {
  assert.match(broker.urls.ws!, /^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
  const consoleClient = await connect(broker.urls.ws!, { clientId: 'console-1', username: 'tz-console', password: CONSOLE_PASSWORD });
  const events: GatewayConnectionEvent[] = [];
  consoleClient.on('message', (topic, payload) => topic === topics.gatewayEvents && events.push(JSON.parse(payload.toString()) as GatewayConnectionEvent));
  const granted = await consoleClient.subscribeAsync([topics.gatewayEvents, topics.allStatus], { qos: 1 });
  assert.equal(granted.map((g) => g.qos), [1, 1]);
  const uplinks = await consoleClient.subscribeAsync(topics.allBatches, { qos: 1 }).then(() => 0, (err: { packet?: { granted?: number[] } }) => err.packet?.granted?.[0]);
  assert.is(uplinks, 128, 'the console role does not read raw telemetry');
  const gw = await connect(broker.urls.ws!, { clientId: 'gw-0002', username: 'gw-0002', password: 'gw-0002-secret-pass' });
  await waitFor('connected event over WebSocket', () => events.find((e) => e.gatewayId === 'gw-0002' && e.type === 'connected'), 5_000, 20);
  await gw.endAsync();
  const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
  assert.match(metrics, /tz_broker_connections_total\{[^}]*listener="ws"[^}]*\} [2-9]/);
});

test('broker.yaml: valid file resolves paths; bad keys are listed with file and path', () => {
  const good = join(dir.path, 'broker.yaml');
  writeFileSync(good, ['nodeId: node-a', 'users: users.json', 'listeners:', '  tls: { port: 8883, cert: server.crt, key: server.key, ca: ca.crt, clientCertificates: require }', '  ws: { port: 8083 }', 'limits:', '  maxPacketSize: 65536', '  publishRate: { perSecond: 50, burst: 100 }', 'persistence: { type: redis, url: "redis://127.0.0.1:6379/2" }', ''].join('\n'));
  const config = loadBrokerConfig(good);
  assert.is(config.users, join(dir.path, 'users.json'));
  assert.is(config.listeners.tls?.cert, join(dir.path, 'server.crt'));
  assert.is(config.listeners.tcp, undefined);
  assert.is(config.limits.publishRate?.maxDelayMs, 1000);
  assert.is(config.persistence.type, 'redis');
  const bad = join(dir.path, 'bad.yaml');
  writeFileSync(bad, ['listeners: {}', 'limits: { maxPacketSize: 1 }', 'persistense: { type: redis }', ''].join('\n'));
  assert.throws(() => loadBrokerConfig(bad), (err: Error) =>
    err.message.includes(`${bad}: listeners: at least one`) && err.message.includes('limits.maxPacketSize') && err.message.includes('persistense'));
  writeFileSync(bad, 'listeners:\n  tls: { cert: a, key: b, clientCertificates: require }\n');
  assert.throws(() => loadBrokerConfig(bad), /listeners\.tls\.ca: needed/);
});

test.run();
