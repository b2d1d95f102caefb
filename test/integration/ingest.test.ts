// Ingest against a real influxd and a real broker, fed by a real mqtt.js
// gateway: layout, idempotent replays, every dead-letter reason, setup of
// retention and downsampling, the device registry API, dlq replay after a
// profile fix, InfluxDB down at start.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { loadProfiles, metricIndexOf, ProfileCatalogue } from '../../device-profiles/index.ts';
import { encodeUplinkBatch, topics, tz, type IDeviceStatus, type IReading } from '../../proto/index.ts';
import { DEFAULT_RETENTION, downsampleSelect, openDeadLetterStore, queryInfluxQL, replayDeadLetters, startIngest, type DeviceView, type Ingest, type InfluxTarget } from '../../ingest/index.ts';
import { counter, freePort, startInfluxd, tempDir, type TestInfluxd, waitFor } from './helpers.ts';
import Database from 'better-sqlite3';
import { openAccessTokens, type SqliteAccessTokens } from '../../service-kit/index.ts';

const GW = 'gw-hz-01';
const GW_PASSWORD = 'gw-hz-01-secret!';
const profiles = loadProfiles();
const manhole = profiles.require('manhole-cover');
let influxd: TestInfluxd;
let broker: RunningBroker;
let ingest: Ingest;
let gateway: MqttClient;
let forwarder: Server | undefined;
const forwarded = new Set<Socket>();
let proxyPort: number;
let target: InfluxTarget;
let access: SqliteAccessTokens;
let readToken = '';
let crewToken = '';
const auth = () => ({ headers: { authorization: `Bearer ${readToken}` } });
const dir = tempDir('tz-ingest-');
const deadLetterPath = join(dir.path, 'dead-letters.sqlite');
let batchSeq = 0;
const SHARED_GATEWAYS = Array.from({ length: 12 }, (_, i) => `gw-share-${i}`);
// Device time: a whole hour some days back, inside the default −30 days window.
const t0 = Math.floor((Date.now() - 3 * 86_400_000) / 3_600_000) * 3_600_000;

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

function batch(readings: IReading[], statuses: IDeviceStatus[] = []): Buffer {
  batchSeq += 1;
  return Buffer.from(encodeUplinkBatch({ gatewayId: GW, batchSeq, sentAtMs: Date.now(), readings, statuses }));
}

async function count(measurement: string, where = ''): Promise<number> {
  const series = await queryInfluxQL(target, `SELECT COUNT(seq) FROM ${measurement} ${where}`);
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

async function settledBatches(n: number): Promise<void> {
  await waitFor(`${n} batches settled`, () => (counter(ingest.stats(), 'batches') >= n ? true : undefined), 10_000, 20);
}

/** Until ingest's /healthz says the broker granted its subscription (the SUBACK, not a sleep). */
function subscribed(ingestUrl: string): Promise<true> {
  return waitFor(`${ingestUrl} subscribed`, async () => {
    const body = (await (await fetch(`${ingestUrl}/healthz`)).json()) as { subscribed?: boolean };
    return body.subscribed === true ? true : undefined;
  }, 10_000, 20);
}

test.before(async () => {
  influxd = await startInfluxd();
  proxyPort = await freePort();
  // Ingest talks to InfluxDB through this port; nothing listens on it until the first test opens it.
  target = { url: `http://127.0.0.1:${proxyPort}`, database: influxd.database };
  const users = BrokerUsers.inMemory();
  users.add(GW, GW_PASSWORD, 'gateway');
  users.add('tz-ingest', 'tz-ingest-secret!', 'service');
  for (const gw of SHARED_GATEWAYS) users.add(gw, `${gw}-secret!`, 'gateway');
  broker = await startBroker({ users, port: 0 });
  access = openAccessTokens(new Database(':memory:'));
  readToken = access.issue({ name: 'registry-reader', role: 'readonly' }).token;
  crewToken = access.issue({ name: 'crew-phone', role: 'crew', crewId: 'crew-a' }).token;
  ingest = await startIngest({ brokerUrl: broker.mqttUrl, username: 'tz-ingest', password: 'tz-ingest-secret!', influx: target, profiles, deadLetterPath, lingerMs: 10, access });
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
  await subscribed(ingest.httpUrl);
  await gateway.publishAsync(topics.batch(GW), batch([manholeReading('mh-0001', 0, 1.5), manholeReading('mh-0001', 60, 1.7)]), { qos: 1 });
  await waitFor('message held unacknowledged', () => (counter(ingest.stats(), 'pending') === 1 ? true : undefined), 10_000, 20);
  const health = await fetch(`${ingest.httpUrl}/healthz`);
  assert.is(health.status, 503);
  assert.is(((await health.json()) as { influxReachable: boolean }).influxReachable, false);
  assert.is(counter(ingest.stats(), 'written'), 0);

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

  await waitFor('readings written', () => (counter(ingest.stats(), 'written') === 2 ? true : undefined), 20_000, 50);
  assert.is(counter(ingest.stats(), 'pending'), 0);
  assert.is(await count('manhole_cover', `WHERE device = 'mh-0001'`), 2);
  const healthy = await fetch(`${ingest.httpUrl}/healthz`);
  assert.is(healthy.status, 200);
});

test('first start set up the raw (default) and hourly policies and one continuous query per class; the CQ body downsamples', async () => {
  const policies = await queryInfluxQL(target, `SHOW RETENTION POLICIES ON "${influxd.database}"`);
  const byName = Object.fromEntries(policies[0]!.values.map((v) => [v[0], { duration: v[1], isDefault: v[4] }]));
  assert.equal(byName.raw, { duration: '2160h0m0s', isDefault: true });
  assert.equal(byName.hourly, { duration: '17520h0m0s', isDefault: false });
  const cqs = (await queryInfluxQL(target, 'SHOW CONTINUOUS QUERIES')).find((s) => s.name === influxd.database);
  const names = (cqs?.values ?? []).map((v) => String(v[0])) ?? [];
  for (const p of profiles.all()) assert.ok(names.some((n) => n.startsWith(`tz_1h_${p.measurement}_`)), `CQ for ${p.measurement} in ${names.join(', ')}`);
  assert.match(String(cqs?.values[0]?.[1]), /RESAMPLE EVERY 1h FOR 6h/);

  // Run the CQ's own SELECT … INTO over the hour of mh-0001's readings (the CQ would do this at the next hour).
  await queryInfluxQL(target, downsampleSelect(manhole, influxd.database, DEFAULT_RETENTION).replace(' GROUP BY', ` WHERE time >= ${t0}ms AND time < ${t0 + 3_600_000}ms GROUP BY`));
  const [hourly] = await queryInfluxQL({ ...target, retentionPolicy: 'hourly' }, `SELECT tilt_deg_mean, tilt_deg_min, tilt_deg_max FROM manhole_cover WHERE device = 'mh-0001'`);
  assert.equal(hourly?.values, [[t0, 1.6, 1.5, 1.7]]);
});

test('readings land with measurement, tags, typed values and device timestamps; the compact index form too', async () => {
  const before = counter(ingest.stats(), 'batches');
  await gateway.publishAsync(
    topics.batch(GW),
    batch([
      manholeReading('mh-0002', 0, 12.5),
      { deviceId: 'wc-0001', profile: 'public-toilet', profileVersion: 1, timestampMs: t0 + 5_000, seq: 9, district: 'shangcheng', metrics: [{ name: 'people_count', integer: 321 }] },
      manholeReading('mh-0010', 0, 0, { metrics: [{ index: metricIndexOf(manhole, 'tilt_deg'), number: 4.25 }, { index: metricIndexOf(manhole, 'cover_open'), flag: true }] }),
    ]),
    { qos: 1 },
  );
  await settledBatches(before + 1);
  const [row] = await queryInfluxQL(target, `SELECT * FROM manhole_cover WHERE device = 'mh-0002'`);
  assert.ok(row, 'manhole_cover series');
  const fields = Object.fromEntries(row.columns.map((c, i) => [c, row.values[0]?.[i]]));
  assert.equal(
    Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null)),
    { time: t0, cover_open: false, device: 'mh-0002', district: 'xihu', gateway: GW, profile_version: '1', seq: 0, tilt_deg: 12.5, water_level_cm: 35.5 },
  );
  const [toilet] = await queryInfluxQL(target, `SELECT people_count, seq FROM public_toilet WHERE device = 'wc-0001'`);
  assert.equal(toilet?.values, [[t0 + 5_000, 321, 9]]);
  const [compact] = await queryInfluxQL(target, `SELECT tilt_deg, cover_open FROM manhole_cover WHERE device = 'mh-0010'`);
  assert.equal(compact?.values, [[t0, 4.25, true]]);
  const tags = await queryInfluxQL(target, 'SHOW TAG KEYS FROM manhole_cover');
  assert.equal(tags[0]?.values.map((v) => v[0]), ['device', 'district', 'gateway', 'profile_version']);
});

test('exactly once: the same batch published twice (a redelivery) gives one point per reading', async () => {
  const payload = batch([manholeReading('mh-0003', 0, 3), manholeReading('mh-0003', 60, 4)]);
  const before = counter(ingest.stats(), 'batches');
  await gateway.publishAsync(topics.batch(GW), payload, { qos: 1 });
  await gateway.publishAsync(topics.batch(GW), payload, { qos: 1 });
  await settledBatches(before + 2);
  assert.is(await count('manhole_cover', `WHERE device = 'mh-0003'`), 2);
  const [points] = await queryInfluxQL(target, `SELECT tilt_deg FROM manhole_cover WHERE device = 'mh-0003'`);
  assert.equal(points?.values, [[t0, 3], [t0 + 60_000, 4]]);
});

test('every kind of bad input lands in the dead-letter store with its reason; good readings still land', async () => {
  const before = ingest.stats();
  const now = Date.now();
  const bad: Array<[string, IReading]> = [
    ['above-max', manholeReading('mh-0005', 0, 95)], // tilt max is 90
    ['below-min', manholeReading('mh-0006', 0, -3)],
    ['unknown-profile', manholeReading('hy-0001', 0, 2, { profile: 'street-piano' })],
    ['unknown-profile-version', manholeReading('mh-0007', 0, 2, { profileVersion: 9 })],
    ['unknown-metric', manholeReading('mh-0008', 0, 2, { metrics: [{ name: 'lid_colour', number: 1 }] })],
    ['wrong-type', manholeReading('mh-0009', 0, 2, { metrics: [{ name: 'cover_open', number: 1 }] })],
    ['invalid-device-id', manholeReading('mh 0011/x', 0, 2)],
    ['timestamp-out-of-range', manholeReading('mh-0012', 0, 2, { timestampMs: now + 3_600_000 })],
    ['timestamp-out-of-range', manholeReading('mh-0013', 0, 2, { timestampMs: now - 40 * 86_400_000 })],
  ];
  await gateway.publishAsync(topics.batch(GW), Buffer.from([0x0a, 0xff, 0xff, 0x01]), { qos: 1 });
  await gateway.publishAsync(topics.batch(GW), Buffer.from(encodeUplinkBatch({ gatewayId: 'gw-other', readings: [manholeReading('mh-0014', 0, 1)] })), { qos: 1 });
  await gateway.publishAsync(topics.batch(GW), batch([manholeReading('mh-0004', 0, 2), ...bad.map(([, r]) => r)]), { qos: 1 });
  await settledBatches(counter(before, 'batches') + 3);
  assert.is(await count('manhole_cover', `WHERE device = 'mh-0004'`), 1);
  assert.is(await count('manhole_cover', `WHERE device = 'mh-0005'`), 0);
  assert.is(counter(ingest.stats(), 'deadLettered'), counter(before, 'deadLettered') + 2 + bad.length);
  assert.is(counter(ingest.stats(), 'rejected'), counter(before, 'rejected') + bad.length);

  const store = openDeadLetterStore(deadLetterPath);
  try {
    const letters = store.list({ afterId: 0 });
    const reasons = letters.map((l) => l.reason).sort();
    assert.equal(reasons, ['gateway-mismatch', 'malformed-protobuf', ...bad.map(([r]) => r)].sort(), JSON.stringify(letters.map((l) => [l.reason, l.detail])));
    const byReason = Object.fromEntries(letters.map((l) => [l.reason, l]));
    assert.is(byReason['above-max']?.deviceId, 'mh-0005');
    assert.match(byReason['above-max']?.detail ?? '', /tilt_deg/);
    assert.match(byReason['timestamp-out-of-range']?.detail ?? '', /ahead|behind/);
    assert.is(byReason['malformed-protobuf']?.topic, topics.batch(GW));
    assert.equal([...(byReason['malformed-protobuf']?.payload ?? [])], [0x0a, 0xff, 0xff, 0x01]);
    assert.is(store.count('timestamp-out-of-range'), 2);
  } finally {
    store.close();
  }
  const metrics = await (await fetch(`${ingest.httpUrl}/metrics`)).text();
  assert.match(metrics, /tz_ingest_readings_rejected_total\{reason="above-max",component="ingest"\} 1/);
  assert.match(metrics, /tz_ingest_readings_rejected_total\{reason="timestamp-out-of-range",component="ingest"\} 2/);
  assert.match(metrics, /tz_ingest_influx_reachable\{component="ingest"\} 1/);
  for (const name of ['tz_ingest_write_seconds_bucket', 'tz_ingest_buffered_readings', 'tz_ingest_lag_seconds', 'tz_ingest_readings_written_total', 'tz_ingest_intake_paused']) assert.match(metrics, new RegExp(name));
});

test('a write InfluxDB refuses for good (field type conflict, 400) is dead-lettered as influx-rejected; the rest of the request lands', async () => {
  // In 1.x a field's type is fixed per shard (one week); a reading in an older shard keeps the other tests unaffected.
  const when = t0 - 14 * 86_400_000;
  const seed = await fetch(`${influxd.url}/write?db=${influxd.database}&rp=raw&precision=ms`, { method: 'POST', body: `manhole_cover,device=mh-0099 tilt_deg="text" ${when}` });
  assert.is(seed.status, 204);
  const before = ingest.stats();
  await gateway.publishAsync(topics.batch(GW), batch([manholeReading('mh-0100', -14 * 86_400, 3, { seq: 1 }), manholeReading('mh-0101', 0, 3)]), { qos: 1 });
  await settledBatches(counter(before, 'batches') + 1);
  assert.is(counter(ingest.stats(), 'written'), counter(before, 'written') + 1);
  assert.is(await count('manhole_cover', `WHERE device = 'mh-0101'`), 1);
  const store = openDeadLetterStore(deadLetterPath);
  try {
    const [letter] = store.list({ reason: 'influx-rejected' });
    assert.is(letter?.deviceId, 'mh-0100');
    assert.match(letter?.detail ?? '', /conflict/, letter?.detail);
  } finally {
    store.close();
  }
});

test('device registry API needs a token of a reading role', async () => {
  assert.is((await fetch(`${ingest.httpUrl}/api/v1/devices`)).status, 401);
  assert.is((await fetch(`${ingest.httpUrl}/api/v1/devices`, { headers: { authorization: 'Bearer not-a-token' } })).status, 401);
  assert.is((await fetch(`${ingest.httpUrl}/api/v1/devices`, { headers: { authorization: `Bearer ${crewToken}` } })).status, 403);
  assert.is((await fetch(`${ingest.httpUrl}/api/v1/devices`, auth())).status, 200);
});

test('device registry: GET /api/v1/devices lists devices seen with gateway, district, last seen, battery and state', async () => {
  const before = counter(ingest.stats(), 'batches');
  const withBattery = manholeReading('mh-0200', 120, 1, { metrics: [{ name: 'battery_pct', number: 71.5 }] });
  const status: IDeviceStatus = { deviceId: 'mh-0201', profile: 'manhole-cover', timestampMs: t0 + 130_000, state: tz.DeviceState.DEVICE_STATE_FAULT, error: tz.DeviceErrorCode.DEVICE_ERROR_TIMEOUT, detail: 'no answer', batteryPct: 12 };
  await gateway.publishAsync(topics.batch(GW), batch([withBattery, manholeReading('mh-0201', 100, 1)], [status]), { qos: 1 });
  await settledBatches(before + 1);
  const list = (await (await fetch(`${ingest.httpUrl}/api/v1/devices?profile=manhole-cover&limit=500`, auth())).json()) as { total: number; devices: DeviceView[] };
  assert.ok(list.total >= 8, `total ${list.total}`);
  assert.not.ok(list.devices.some((d) => d.deviceId === 'mh-0005'), 'a refused device is not registered');
  const one = (await (await fetch(`${ingest.httpUrl}/api/v1/devices/mh-0200`, auth())).json()) as DeviceView;
  assert.is(one.gatewayId, GW);
  assert.is(one.district, 'xihu');
  assert.is(one.batteryPct, 71.5);
  assert.is(one.state, 'online');
  assert.is(one.lastSeenAt, new Date(t0 + 120_000).toISOString());
  const faulty = (await (await fetch(`${ingest.httpUrl}/api/v1/devices/mh-0201`, auth())).json()) as DeviceView;
  assert.equal([faulty.state, faulty.stateDetail, faulty.batteryPct], ['fault', 'no answer', 12]);
  const faults = (await (await fetch(`${ingest.httpUrl}/api/v1/devices?state=fault`, auth())).json()) as { devices: DeviceView[] };
  assert.equal(faults.devices.map((d) => d.deviceId), ['mh-0201']);
  const missing = await fetch(`${ingest.httpUrl}/api/v1/devices/mh-9999`, auth());
  assert.is(missing.status, 404);
  assert.is(((await missing.json()) as { code: string }).code, 'TZ_DEVICE_UNKNOWN');
  assert.is((await fetch(`${ingest.httpUrl}/api/v1/devices?state=sleepy`, auth())).status, 400);
});

test('dlq replay after a profile fix writes what now passes and marks it replayed; the rest stays with its reason', async () => {
  // The operator learns that tilt sensors of this series report up to 120°: the profile is fixed.
  const fixed = profiles.all().map((p) => (p.class === 'manhole-cover' ? { ...p, metrics: p.metrics.map((m) => (m.name === 'tilt_deg' ? { ...m, max: 120 } : m)) } : p));
  const store = openDeadLetterStore(deadLetterPath);
  try {
    const liveBefore = store.count();
    const report = await replayDeadLetters({ store, profiles: new ProfileCatalogue(fixed), influx: { ...target, retentionPolicy: 'raw' } });
    assert.is(report.replayed, 1);
    assert.is(report.readingsWritten, 1);
    assert.is(report.stillRefused['below-min'], 1);
    assert.is(store.count(), liveBefore - 1);
    assert.is(store.count('above-max'), 0);
    const [replayed] = store.list({ reason: 'above-max', includeReplayed: true });
    assert.ok(replayed?.replayedAt, 'marked replayed');
    assert.match(store.list({ reason: 'below-min' })[0]?.lastReplayProblem ?? '', /below-min/);
    // Replaying again is harmless: nothing left of that reason, the point is there once.
    const again = await replayDeadLetters({ store, profiles: new ProfileCatalogue(fixed), influx: { ...target, retentionPolicy: 'raw' }, reason: 'above-max' });
    assert.is(again.examined, 0);
  } finally {
    store.close();
  }
  const [point] = await queryInfluxQL(target, `SELECT tilt_deg FROM manhole_cover WHERE device = 'mh-0005'`);
  assert.equal(point?.values, [[t0, 95]]);
});

test('--share-group: two ingest instances split the gateways between them; every reading is written once', async () => {
  const members = await Promise.all(['a', 'b'].map((m) => startIngest({
    brokerUrl: broker.mqttUrl, username: 'tz-ingest', password: 'tz-ingest-secret!', clientId: `tz-ingest-${m}`, shareGroup: 'writers',
    influx: target, profiles, deadLetterPath: join(dir.path, `dlq-${m}.sqlite`), lingerMs: 10,
  })));
  try {
    for (const m of members) await subscribed(m.httpUrl);
    for (const gw of SHARED_GATEWAYS) {
      const client = await mqtt.connectAsync(broker.mqttUrl, { clientId: gw, username: gw, password: `${gw}-secret!`, reconnectPeriod: 0 });
      const readings = [0, 1, 2, 3, 4].map((i) => manholeReading(`mh-${gw}`, 600 + i, 1));
      await client.publishAsync(topics.batch(gw), Buffer.from(encodeUplinkBatch({ gatewayId: gw, batchSeq: 1, sentAtMs: Date.now(), readings })), { qos: 1 });
      await client.endAsync();
    }
    const total = SHARED_GATEWAYS.length * 5;
    await waitFor('shared members wrote everything', () => (counter(members[0]!.stats(), 'written') + counter(members[1]!.stats(), 'written') === total ? true : undefined), 10_000, 20);
    assert.ok(members.every((m) => counter(m.stats(), 'written') > 0), `both members got gateways: ${members.map((m) => counter(m.stats(), 'written')).join(' + ')}`);
    assert.is(await count('manhole_cover', `WHERE device =~ /^mh-gw-share-/`), total);
  } finally {
    await Promise.all(members.map((m) => m.stop()));
  }
});

test.run();
