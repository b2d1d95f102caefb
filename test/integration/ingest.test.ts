// Ingest against a real influxd and a real broker, fed by a real mqtt.js
// gateway: layout, idempotent replays, dead letters, InfluxDB down at start.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { loadProfiles } from '../../device-profiles/index.ts';
import { encodeUplinkBatch, topics, type IReading } from '../../proto/index.ts';
import { openDeadLetterStore, queryInfluxQL, startIngest, type Ingest, type InfluxTarget } from '../../ingest/index.ts';
import { freePort, startInfluxd, tempDir, waitFor, type TestInfluxd } from './helpers.ts';

const GW = 'gw-hz-01';
const GW_PASSWORD = 'gw-hz-01-secret!';
let influxd: TestInfluxd;
let broker: RunningBroker;
let ingest: Ingest;
let gateway: MqttClient;
let forwarder: Server | undefined;
const forwarded = new Set<Socket>();
let proxyPort: number;
let target: InfluxTarget;
const dir = tempDir('tz-ingest-');
const deadLetterPath = join(dir.path, 'dead-letters.sqlite');
let batchSeq = 0;
const t0 = Date.UTC(2026, 0, 15, 8, 0, 0);

function manholeReading(deviceId: string, offsetS: number, tilt: number, overrides: Partial<IReading> = {}): IReading {
  return {
    deviceId,
    profile: 'manhole-cover',
    profileVersion: 1,
    timestampMs: t0 + offsetS * 1000,
    seq: offsetS,
    district: 'xihu',
    metrics: [
      { name: 'cover_open', flag: false },
      { name: 'tilt_deg', number: tilt },
      { name: 'water_level_cm', number: 35.5 },
    ],
    ...overrides,
  };
}

function batch(readings: IReading[]): Uint8Array {
  batchSeq += 1;
  return encodeUplinkBatch({ gatewayId: GW, batchSeq, sentAtMs: Date.now(), readings });
}

async function count(measurement: string, where = ''): Promise<number> {
  const series = await queryInfluxQL(target, `SELECT COUNT(seq) FROM ${measurement} ${where}`);
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

test.before(async () => {
  influxd = await startInfluxd();
  proxyPort = await freePort();
  // Ingest talks to InfluxDB through this port; nothing listens on it until the first test opens it.
  target = { url: `http://127.0.0.1:${proxyPort}`, database: influxd.database };
  const users = BrokerUsers.inMemory();
  users.add(GW, GW_PASSWORD, 'gateway');
  users.add('tz-ingest', 'tz-ingest-secret!', 'service');
  broker = await startBroker({ users, port: 0 });
  ingest = await startIngest({ brokerUrl: broker.mqttUrl, username: 'tz-ingest', password: 'tz-ingest-secret!', influx: target, profiles: loadProfiles(), deadLetterPath });
  gateway = await mqtt.connectAsync(broker.mqttUrl, { clientId: GW, username: GW, password: GW_PASSWORD, reconnectPeriod: 0 });
});

test.after(async () => {
  await gateway?.endAsync();
  await ingest?.stop();
  for (const s of forwarded) s.destroy();
  await new Promise<void>((r) => (forwarder ? forwarder.close(() => r()) : r()));
  await broker?.stop();
  await influxd?.stop();
  dir.remove();
});

test('InfluxDB unreachable at start: ingest stays up, unhealthy, holds the message, writes it once InfluxDB is there', async () => {
  await waitFor('ingest subscribed', () => (broker.stats().clientsConnected >= 2 ? true : undefined), 10_000, 20);
  await new Promise((r) => setTimeout(r, 200)); // the SUBACK has no event on the broker side; give it a moment
  await gateway.publishAsync(topics.batch(GW), Buffer.from(batch([manholeReading('mh-0001', 0, 1.5), manholeReading('mh-0001', 60, 1.7)])), { qos: 1 });
  await waitFor('message held unacknowledged', () => (ingest.stats().pending === 1 ? true : undefined), 10_000, 20);
  const health = await fetch(`${ingest.httpUrl}/healthz`);
  assert.is(health.status, 503);
  assert.is(((await health.json()) as { influxReachable: boolean }).influxReachable, false);
  assert.is(ingest.stats().written, 0);

  const influxPort = Number(new URL(influxd.url).port);
  forwarder = createServer((client) => {
    const upstream = netConnect(influxPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      forwarded.add(s);
      s.on('error', () => undefined);
      s.on('close', () => forwarded.delete(s));
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => forwarder!.listen(proxyPort, '127.0.0.1', r));

  await waitFor('readings written', () => (ingest.stats().written === 2 ? true : undefined), 20_000, 50);
  assert.is(ingest.stats().pending, 0);
  assert.is(await count('manhole_cover', `WHERE device = 'mh-0001'`), 2);
  const healthy = await fetch(`${ingest.httpUrl}/healthz`);
  assert.is(healthy.status, 200);
});

test('readings land with measurement, tags, typed values and device timestamps', async () => {
  await gateway.publishAsync(
    topics.batch(GW),
    Buffer.from(
      batch([
        manholeReading('mh-0002', 0, 12.5),
        {
          deviceId: 'wc-0001', profile: 'public-toilet', profileVersion: 1, timestampMs: t0 + 5_000, seq: 9, district: 'shangcheng',
          metrics: [{ name: 'people_count', integer: 321 }],
        },
      ]),
    ),
    { qos: 1 },
  );
  await waitFor('written', () => (ingest.stats().written === 4 ? true : undefined), 10_000, 20);
  const [manhole] = await queryInfluxQL(target, `SELECT * FROM manhole_cover WHERE device = 'mh-0002'`);
  assert.ok(manhole, 'manhole_cover series');
  const row = Object.fromEntries(manhole.columns.map((c, i) => [c, manhole.values[0]?.[i]]));
  assert.equal(row, { time: t0, cover_open: false, device: 'mh-0002', district: 'xihu', gateway: GW, profile_version: '1', seq: 0, tilt_deg: 12.5, water_level_cm: 35.5 });
  const [toilet] = await queryInfluxQL(target, `SELECT people_count, seq FROM public_toilet WHERE device = 'wc-0001'`);
  assert.equal(toilet?.values, [[t0 + 5_000, 321, 9]]);
  const tags = await queryInfluxQL(target, 'SHOW TAG KEYS FROM manhole_cover');
  assert.equal(tags[0]?.values.map((v) => v[0]), ['device', 'district', 'gateway', 'profile_version']);
});

test('the same batch published twice gives no duplicate points', async () => {
  const payload = Buffer.from(batch([manholeReading('mh-0003', 0, 3), manholeReading('mh-0003', 60, 4)]));
  await gateway.publishAsync(topics.batch(GW), payload, { qos: 1 });
  await gateway.publishAsync(topics.batch(GW), payload, { qos: 1 });
  await waitFor('both written', () => (ingest.stats().written === 8 ? true : undefined), 10_000, 20);
  assert.is(await count('manhole_cover', `WHERE device = 'mh-0003'`), 2);
});

test('malformed protobuf, unknown profile and out-of-range values are dead-lettered; good readings still land', async () => {
  const before = ingest.stats();
  await gateway.publishAsync(topics.batch(GW), Buffer.from([0x0a, 0xff, 0xff, 0x01]), { qos: 1 });
  await gateway.publishAsync(
    topics.batch(GW),
    Buffer.from(
      batch([
        manholeReading('mh-0004', 0, 2),
        manholeReading('mh-0005', 0, 95), // tilt max is 90
        manholeReading('hy-0001', 0, 2, { profile: 'fire-hydrant' }),
      ]),
    ),
    { qos: 1 },
  );
  await waitFor('both messages handled', () => (ingest.stats().batches === before.batches + 2 ? true : undefined), 10_000, 20);
  assert.is(await count('manhole_cover', `WHERE device = 'mh-0004'`), 1);
  assert.is(await count('manhole_cover', `WHERE device = 'mh-0005'`), 0);
  assert.is(ingest.stats().deadLettered, before.deadLettered + 3);
  assert.is(ingest.stats().rejected, before.rejected + 2);

  const store = openDeadLetterStore(deadLetterPath);
  try {
    const letters = store.list();
    const byReason = Object.fromEntries(letters.map((l) => [l.reason, l]));
    assert.equal(Object.keys(byReason).sort(), ['above-max', 'malformed-protobuf', 'unknown-profile'], JSON.stringify(letters.map((l) => [l.reason, l.detail, [...l.payload]])));
    assert.is(byReason['above-max']?.deviceId, 'mh-0005');
    assert.match(byReason['above-max']?.detail ?? '', /tilt_deg/);
    assert.is(byReason['unknown-profile']?.deviceId, 'hy-0001');
    assert.is(byReason['malformed-protobuf']?.topic, topics.batch(GW));
    assert.equal([...(byReason['malformed-protobuf']?.payload ?? [])], [0x0a, 0xff, 0xff, 0x01]);
    assert.is(store.count('above-max'), 1);
  } finally {
    store.close();
  }
  const metrics = await (await fetch(`${ingest.httpUrl}/metrics`)).text();
  assert.match(metrics, /tz_ingest_readings_rejected_total\{reason="above-max",component="ingest"\} 1/);
  assert.match(metrics, /tz_ingest_influx_reachable\{component="ingest"\} 1/);
});

test('a write InfluxDB refuses for good (field type conflict, 400) is dead-lettered as influx-rejected and acknowledged', async () => {
  // In 1.x a field's type is fixed per shard; a shard far from the others' (one week) keeps the other tests unaffected.
  const when = t0 + 60 * 86_400_000;
  const seed = await fetch(`${influxd.url}/write?db=${influxd.database}&precision=ms`, { method: 'POST', body: `manhole_cover,device=mh-0099 tilt_deg="text" ${when}` });
  assert.is(seed.status, 204);
  const before = ingest.stats();
  await gateway.publishAsync(topics.batch(GW), Buffer.from(batch([manholeReading('mh-0100', 60 * 86_400, 3)])), { qos: 1 });
  await waitFor('message handled', () => (ingest.stats().batches === before.batches + 1 ? true : undefined), 10_000, 20);
  assert.is(ingest.stats().written, before.written);
  const store = openDeadLetterStore(deadLetterPath);
  try {
    const [letter] = store.list({ reason: 'influx-rejected' });
    assert.is(letter?.deviceId, 'mh-0100');
    assert.match(letter?.detail ?? '', /conflict/);
  } finally {
    store.close();
  }
});

test.run();
