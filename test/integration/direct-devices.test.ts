// Devices that connect by themselves: fire hydrants with their own broker
// credentials publish JSON over real MQTT (and POST it over HTTP); the device
// gateway decodes it with the profile's sandboxed JSON codec and hands it to
// a real ingest as an UplinkBatch; the reading lands in a real influxd. A
// replay does not duplicate, bad payloads are dead-lettered, and a device
// cannot touch another device's branch.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { BUILTIN_PROFILE_DIR, loadProfiles } from '../../device-profiles/index.ts';
import { openDeadLetterStore, queryInfluxQL, startDeviceGateway, startIngest, type Ingest } from '../../ingest/index.ts';
import { deviceTopics, encodeCommand, topics, decodeCommandAck, tz, type ICommandAck } from '../../proto/index.ts';
import type { RunningService } from '../../service-kit/index.ts';
import { startInfluxd, tempDir, waitFor, type TestInfluxd } from './helpers.ts';

const PW = { direct: 'device-gateway-secret', ingest: 'tz-ingest-secret!', a: 'hydrant-a-secret', b: 'hydrant-b-secret', ops: 'operator-service-secret' };
const FLOOD_LIMIT = 20;
const profiles = loadProfiles();
const dir = tempDir('tz-direct-');
let influxd: TestInfluxd;
let broker: RunningBroker;
let ingest: Ingest;
let gateway: RunningService;
let hydA: MqttClient;
let ops: MqttClient;
const acks: ICommandAck[] = [];
const commandsToA: Array<Record<string, unknown>> = [];

const target = () => ({ url: influxd.url, database: influxd.database });
async function rows(where: string): Promise<Array<Record<string, unknown>>> {
  const series = await queryInfluxQL(target(), `SELECT * FROM fire_hydrant WHERE ${where}`);
  const s = series[0];
  return s ? s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]]))) : [];
}
const deadLetters = () => {
  const store = openDeadLetterStore(join(dir.path, 'direct-dead-letters.sqlite'));
  try {
    return store.countByReason();
  } finally {
    store.close();
  }
};
const post = (deviceId: string, token: string, body: string) =>
  fetch(`${gateway.httpUrl}/api/v1/direct/${deviceId}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });

test.before(async () => {
  influxd = await startInfluxd();
  const users = BrokerUsers.inMemory();
  users.add('direct', PW.direct, 'device-gateway');
  users.add('tz-ingest', PW.ingest, 'service');
  users.add('tz-ops', PW.ops, 'service');
  users.add('hyd-a', PW.a, 'device');
  users.add('hyd-b', PW.b, 'device');
  broker = await startBroker({ users, port: 0 });
  ingest = await startIngest({ brokerUrl: broker.mqttUrl, username: 'tz-ingest', password: PW.ingest, influx: target(), profiles, deadLetterPath: join(dir.path, 'ingest-dlq.sqlite'), lingerMs: 10 });
  gateway = await startDeviceGateway({
    brokerUrl: broker.mqttUrl, username: 'direct', password: PW.direct, profiles, profileDir: BUILTIN_PROFILE_DIR, dataDir: dir.path,
    devices: [{ deviceId: 'hyd-a', profile: 'fire-hydrant', district: 'yicheng' }, { deviceId: 'hyd-b', profile: 'fire-hydrant', district: 'yicheng' }],
    verifyToken: async (deviceId, token) => (await users.authenticateAsync(deviceId, token))?.role === 'device',
    maxPayloadBytes: 2048, maxMessagesPerDevicePerMinute: FLOOD_LIMIT,
  });
  await waitFor('device gateway connected', async () => ((await fetch(`${gateway.httpUrl}/healthz`)).status === 200 ? true : undefined), 10_000, 50);
  hydA = await mqtt.connectAsync(broker.mqttUrl, { clientId: 'hyd-a', username: 'hyd-a', password: PW.a, reconnectPeriod: 0 });
  hydA.on('message', (_t, payload) => commandsToA.push(JSON.parse(payload.toString()) as Record<string, unknown>));
  ops = await mqtt.connectAsync(broker.mqttUrl, { clientId: 'tz-ops', username: 'tz-ops', password: PW.ops, reconnectPeriod: 0 });
  ops.on('message', (_t, payload) => acks.push(decodeCommandAck(payload)));
  await ops.subscribeAsync(topics.commandAck('direct'), { qos: 1 });
});

test.after(async () => {
  await hydA?.endAsync();
  await ops?.endAsync();
  await gateway?.stop();
  await ingest?.stop();
  await broker?.stop();
  await influxd?.stop();
  dir.remove();
});

const T0 = Date.now() - 60_000;
const reading = (extra: Record<string, unknown> = {}) => JSON.stringify({ ts: new Date(T0).toISOString(), msgId: 'm-1', pressure: 0.31, valve: 'closed', auth: false, tamper: false, tilt: 1.2, fallen: false, flow: 0, drawn: 12.5, bat: 88, ...extra });

test('a hydrant publishes JSON over MQTT; the reading lands in InfluxDB under the device gateway, at the device time', async () => {
  await hydA.publishAsync(deviceTopics.upJson('hyd-a'), reading(), { qos: 1 });
  const [row] = await waitFor('hyd-a in InfluxDB', async () => {
    const r = await rows(`device = 'hyd-a'`);
    return r.length > 0 ? r : undefined;
  }, 15_000, 100);
  assert.is(row!.pressure_mpa, 0.31);
  assert.is(row!.valve_open, false);
  assert.is(row!.water_drawn_m3, 12.5);
  assert.is(row!.gateway, 'direct');
  assert.is(row!.district, 'yicheng');
  const t = typeof row!.time === 'number' ? row!.time : Date.parse(String(row!.time));
  assert.is(t, T0, 'device time, not receive time');
});

test('a replay (same message id, or the same bytes without one) does not duplicate', async () => {
  await hydA.publishAsync(deviceTopics.upJson('hyd-a'), reading(), { qos: 1 });
  // No timestamp and no id: the gateway stamps it; a retransmission within the window gets the same stamp.
  const bare = JSON.stringify({ pressure: 0.29, valve: 'closed', bat: 87 });
  await hydA.publishAsync(deviceTopics.upJson('hyd-a'), bare, { qos: 1 });
  await hydA.publishAsync(deviceTopics.upJson('hyd-a'), bare, { qos: 1 });
  await waitFor('four messages through the gateway', () => (gateway.stats().accepted! + gateway.stats().repeat! >= 4 ? true : undefined), 10_000, 50);
  assert.is(gateway.stats().repeat, 2);
  await waitFor('ingest wrote them', () => (ingest.stats().written! >= 4 ? true : undefined), 10_000, 50);
  const r = await rows(`device = 'hyd-a'`);
  assert.is(r.length, 2, 'two distinct readings in InfluxDB, not four');
  assert.equal(r.map((x) => x.seq).sort(), [1, 2]);
});

test('HTTP POST with the device token lands too; a wrong token is refused', async () => {
  const bad = await post('hyd-b', 'not-the-password', reading({ msgId: 'h-1' }));
  assert.is(bad.status, 401);
  assert.is(((await bad.json()) as { code: string }).code, 'TZ_AUTH_REQUIRED', 'the service-kit error body: { code, message }');
  const ok = await post('hyd-b', PW.b, reading({ msgId: 'h-1', pressure: 0.05 }));
  assert.is(ok.status, 202, await ok.clone().text());
  const body = (await ok.json()) as { seq: number; repeat: boolean };
  assert.equal([body.seq, body.repeat], [1, false]);
  const again = (await (await post('hyd-b', PW.b, reading({ msgId: 'h-1', pressure: 0.05 }))).json()) as { seq: number; repeat: boolean };
  assert.equal([again.seq, again.repeat], [1, true]);
  await waitFor('hyd-b in InfluxDB', async () => ((await rows(`device = 'hyd-b'`)).length === 1 ? true : undefined), 15_000, 100);
});

test('bad JSON, a bad value, an oversized payload and an unknown device are refused, counted and dead-lettered', async () => {
  assert.is((await post('hyd-b', PW.b, '{"pressure": ')).status, 400);
  const badValue = await post('hyd-b', PW.b, JSON.stringify({ valve: 'ajar' }));
  assert.equal([badValue.status, ((await badValue.json()) as { code: string }).code], [422, 'TZ_READING_INVALID']);
  await hydA.publishAsync(deviceTopics.upJson('hyd-a'), '{not json', { qos: 1 });
  await hydA.publishAsync(deviceTopics.upJson('hyd-a'), JSON.stringify({ pressure: 0.3, junk: 'x'.repeat(4000) }), { qos: 1 });
  await waitFor('refusals counted', () => (gateway.stats()['bad-json'] === 2 && gateway.stats().oversized === 1 && gateway.stats()['codec-error'] === 1 ? true : undefined), 10_000, 50);
  assert.equal(deadLetters(), { 'bad-json': 2, 'codec-error': 1, oversized: 1 });
  const metrics = await (await fetch(`${gateway.httpUrl}/metrics`)).text();
  assert.match(metrics, /tz_direct_messages_total\{via="mqtt",outcome="bad-json",component="device-gateway"\} 1/);
  assert.is((await rows(`device = 'hyd-a'`)).length, 2, 'nothing bad reached InfluxDB');
});

test('device A cannot publish on device B\'s branch nor read B\'s commands', async () => {
  const before = broker.stats().deniedPublishes ?? 0;
  await hydA.publishAsync(deviceTopics.upJson('hyd-b'), reading({ msgId: 'forged', pressure: 1.5 }), { qos: 1 }).catch(() => undefined);
  await waitFor('publish denied by the broker', () => ((broker.stats().deniedPublishes ?? 0) > before ? true : undefined), 5000, 20);
  const refused = await hydA.subscribeAsync(deviceTopics.downCommand('hyd-b'), { qos: 1 }).then((g) => g[0]?.qos === 128, () => true);
  assert.ok(refused, 'subscription to B\'s commands refused');
  await hydA.publishAsync(topics.batch('direct'), Buffer.from([1, 2, 3]), { qos: 1 }).catch(() => undefined);
  const b = await rows(`device = 'hyd-b'`);
  assert.is(b.length, 1);
  assert.is(b[0]!.pressure_mpa, 0.05, 'B\'s only reading is its own');
});

test('a command reaches the device on its own down branch as JSON; one for an unknown device is rejected', async () => {
  await hydA.subscribeAsync(deviceTopics.downCommand('hyd-a'), { qos: 1 });
  const command = { commandId: 'hyd-cmd-1', deviceId: 'hyd-a', name: 'set_report_interval', params: [{ name: 'seconds', integer: 600 }], issuedAtMs: Date.now() };
  await ops.publishAsync(topics.command('direct'), Buffer.from(encodeCommand(command)), { qos: 1 });
  const got = await waitFor('command at the device', () => commandsToA.find((c) => c.commandId === 'hyd-cmd-1'), 5000, 20);
  assert.equal(got.params, { seconds: 600 });
  const ack = await waitFor('ack', () => acks.find((a) => a.commandId === 'hyd-cmd-1'), 5000, 20);
  assert.is(ack.result, tz.CommandResult.COMMAND_RESULT_OK);
  await ops.publishAsync(topics.command('direct'), Buffer.from(encodeCommand({ ...command, commandId: 'hyd-cmd-2', deviceId: 'hyd-zzz' })), { qos: 1 });
  const rejected = await waitFor('rejected ack', () => acks.find((a) => a.commandId === 'hyd-cmd-2'), 5000, 20);
  assert.is(rejected.result, tz.CommandResult.COMMAND_RESULT_REJECTED);
});

test('one device flooding is refused with 429 above its budget while another device still gets through', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 2 * FLOOD_LIMIT + 5; i++) statuses.push((await post('hyd-b', PW.b, JSON.stringify({ pressure: 0.3, msgId: `f-${i}` }))).status);
  assert.ok(statuses.filter((s) => s === 429).length >= 5, `429s: ${statuses.join(',')}`);
  assert.ok((gateway.stats().flood ?? 0) >= 5);
  const before = gateway.stats().accepted!;
  await hydA.publishAsync(deviceTopics.upJson('hyd-a'), reading({ msgId: 'after-flood', ts: new Date(T0 + 1000).toISOString() }), { qos: 1 });
  await waitFor('the quiet hydrant accepted', () => (gateway.stats().accepted! > before ? true : undefined), 5000, 20);
});

test.run();
