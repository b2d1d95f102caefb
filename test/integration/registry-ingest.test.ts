// Ingest bound to the device registry, against a real influxd and a real
// broker: a reading from an unregistered device and one from a device
// registered to another gateway are dead-lettered (unknown-device,
// wrong-gateway) and counted in /metrics; the unregistered device shows up
// in the registry as discovered, and once accepted its readings are written.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { loadProfiles } from '../../device-profiles/index.ts';
import { encodeUplinkBatch, topics, type IReading } from '../../proto/index.ts';
import { openDeadLetterStore, queryInfluxQL, startIngest, type Ingest, type InfluxTarget } from '../../ingest/index.ts';
import { openRegistryBinding, RegistryKey, SqliteRegistryStore, type RegistryBinding } from '../../registry/index.ts';
import { createLogger } from '../../service-kit/index.ts';
import { counter, startInfluxd, tempDir, type TestInfluxd, waitFor } from './helpers.ts';

const profiles = loadProfiles();
const dir = tempDir('tz-registry-ingest-');
const registryPath = join(dir.path, 'registry.sqlite');
const deadLetterPath = join(dir.path, 'dead-letters.sqlite');
const key = RegistryKey.parse('3c'.repeat(32), 'test');
let influxd: TestInfluxd;
let broker: RunningBroker;
let ingest: Ingest;
let binding: RegistryBinding;
let operator: SqliteRegistryStore;
let gateway: MqttClient;
let target: InfluxTarget;
let batchSeq = 0;
const t0 = Math.floor((Date.now() - 86_400_000) / 3_600_000) * 3_600_000;

function reading(deviceId: string, offsetS: number): IReading {
  return {
    deviceId, profile: 'manhole-cover', profileVersion: 1, timestampMs: t0 + offsetS * 1000, seq: offsetS, district: 'yicheng',
    metrics: [{ name: 'cover_open', flag: false }, { name: 'tilt_deg', number: 1.5 }, { name: 'water_level_cm', number: 30 }],
  };
}

async function publish(readings: IReading[]): Promise<void> {
  batchSeq += 1;
  await gateway.publishAsync(topics.batch('gw-a'), Buffer.from(encodeUplinkBatch({ gatewayId: 'gw-a', batchSeq, sentAtMs: Date.now(), readings, statuses: [] })), { qos: 1 });
}

async function rejectedMetric(reason: string): Promise<number> {
  const text = await (await fetch(`${ingest.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('tz_ingest_readings_rejected_total{') && l.includes(`reason="${reason}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function written(deviceId: string): Promise<number> {
  const series = await queryInfluxQL(target, `SELECT COUNT(seq) FROM manhole_cover WHERE device = '${deviceId}'`);
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

test.before(async () => {
  influxd = await startInfluxd();
  target = { url: influxd.url, database: influxd.database };
  const users = BrokerUsers.inMemory();
  users.add('gw-a', 'gw-a-secret!', 'gateway');
  users.add('tz-ingest', 'tz-ingest-secret!', 'service');
  broker = await startBroker({ users, port: 0 });
  // The operator's registry (what the API or the CLI would write): one device on gw-a, one on gw-b.
  operator = new SqliteRegistryStore(registryPath, { profiles, key });
  operator.createDevice({ id: 'mh-a1', class: 'manhole-cover', gatewayId: 'gw-a', transport: 'modbus-tcp', host: '10.0.0.1', state: 'active' }, 'test');
  operator.createDevice({ id: 'mh-b1', class: 'manhole-cover', gatewayId: 'gw-b', transport: 'modbus-tcp', host: '10.0.0.2', state: 'active' }, 'test');
  binding = openRegistryBinding(registryPath, { profiles, key, log: createLogger('registry', 'silent'), refreshMs: 50 });
  ingest = await startIngest({ brokerUrl: broker.mqttUrl, username: 'tz-ingest', password: 'tz-ingest-secret!', influx: target, profiles, deadLetterPath, lingerMs: 10, binding, log: createLogger('ingest', 'silent') });
  gateway = await mqtt.connectAsync(broker.mqttUrl, { clientId: 'gw-a', username: 'gw-a', password: 'gw-a-secret!', reconnectPeriod: 0 });
  await waitFor('ingest subscribed', () => (counter(broker.stats(), 'clientsConnected') >= 2 ? true : undefined), 10_000, 20);
});

test.after(async () => {
  await gateway?.endAsync();
  await ingest?.stop();
  binding?.close();
  operator?.close();
  await broker?.stop();
  await influxd?.stop();
  dir.remove();
});

test('unregistered and wrong-gateway readings are dead-lettered with their reasons and counted; the registered one is written', async () => {
  // Until ingest's subscription is in place the broker drops QoS 1 publishes to nobody: resend until the first lands.
  await waitFor('first batch settled', async () => {
    if (counter(ingest.stats(), 'batches') > 0) return true;
    await publish([reading('mh-a1', 0)]);
    return counter(ingest.stats(), 'batches') > 0 ? true : undefined;
  }, 15_000, 200);
  const settled = counter(ingest.stats(), 'batches');
  await publish([reading('mh-a1', 60), reading('mh-b1', 60), reading('mh-x9', 60)]);
  await publish([reading('mh-x9', 120), reading('mh-b1', 120)]);
  await waitFor('two batches settled', () => (counter(ingest.stats(), 'batches') >= settled + 2 ? true : undefined), 10_000, 20);

  const letters = openDeadLetterStore(deadLetterPath);
  try {
    const byDevice = letters.list().map((l) => [l.deviceId, l.gatewayId, l.reason]);
    assert.equal(byDevice, [['mh-b1', 'gw-a', 'wrong-gateway'], ['mh-x9', 'gw-a', 'unknown-device'], ['mh-x9', 'gw-a', 'unknown-device'], ['mh-b1', 'gw-a', 'wrong-gateway']]);
    assert.match(letters.list()[0]!.detail, 'registered to gateway gw-b, not gw-a');
  } finally {
    letters.close();
  }
  assert.is(await rejectedMetric('unknown-device'), 2);
  assert.is(await rejectedMetric('wrong-gateway'), 2);
  assert.ok(await written('mh-a1') >= 2);
  assert.is(await written('mh-b1'), 0);
  assert.is(await written('mh-x9'), 0);

  // The unregistered device was noted once, as discovered on gw-a.
  const discovered = operator.getDevice('mh-x9')!;
  assert.equal([discovered.state, discovered.gatewayId, discovered.class, discovered.transport], ['discovered', 'gw-a', 'manhole-cover', null]);
  assert.is(operator.history('mh-x9').length, 1);
});

test('once an operator accepts the discovered device, its readings are written', async () => {
  operator.acceptDevice('mh-x9', 'operator:test', { transport: 'modbus-tcp', host: '10.0.0.9' });
  await waitFor('binding sees the acceptance', () => (binding.check('mh-x9', 'gw-a') === null ? true : undefined), 5_000, 20);
  const before = counter(ingest.stats(), 'written');
  await publish([reading('mh-x9', 180)]);
  await waitFor('reading written', () => (counter(ingest.stats(), 'written') > before ? true : undefined), 10_000, 20);
  assert.is(await written('mh-x9'), 1);
  assert.is(await rejectedMetric('unknown-device'), 2, 'no new refusals');
});

test('a device moved to another gateway in the registry is refused on its old one (the cached answer is dropped)', async () => {
  operator.patchDevice('mh-a1', { gatewayId: 'gw-c' }, 'operator:test');
  await waitFor('binding sees the move', () => (binding.check('mh-a1', 'gw-a')?.reason === 'wrong-gateway' ? true : undefined), 5_000, 20);
  const settled = counter(ingest.stats(), 'batches');
  await publish([reading('mh-a1', 240)]);
  await waitFor('batch settled', () => (counter(ingest.stats(), 'batches') > settled ? true : undefined), 10_000, 20);
  assert.is(await rejectedMetric('wrong-gateway'), 3);
});

test.run();
