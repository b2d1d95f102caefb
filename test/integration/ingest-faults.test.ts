// Ingest as its own process (bin/tianzhong.js ingest) under faults, against a
// real influxd and broker: SIGKILL mid-stream loses nothing; InfluxDB stopped
// and restarted mid-stream loses nothing (intake held at the buffer limit,
// caught up after). The outage lasts TZ_TEST_OUTAGE_MS (default 8 s, to keep
// CI short; the 30 s outage belongs to the fault suite).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { encodeUplinkBatch, topics, type IReading } from '../../proto/index.ts';
import { queryInfluxQL, type InfluxTarget } from '../../ingest/index.ts';
import { counter, freePort, type RestartableInfluxd, startRestartableInfluxd, tempDir, waitFor } from './helpers.ts';

const OUTAGE_MS = Number(process.env.TZ_TEST_OUTAGE_MS ?? 8_000);
const PASSWORD = 'tz-ingest-secret!';
const dir = tempDir('tz-ingest-faults-');
let influxd: RestartableInfluxd;
let broker: RunningBroker;
let target: InfluxTarget;
let child: ChildProcess | null = null;
let httpPort: number;
let childLog = '';
const base = Math.floor((Date.now() - 86_400_000) / 1000) * 1000;

function startIngestProcess(): ChildProcess {
  const proc = spawn(process.execPath, [
    'bin/tianzhong.js', 'ingest', '--broker', broker.mqttUrl, '--influx-url', influxd.url, '--database', influxd.database,
    '--dead-letter', join(dir.path, 'dlq.sqlite'), '--http-port', String(httpPort), '--max-buffered', '3000', '--linger-ms', '20',
  ], { env: { ...process.env, TZ_MQTT_PASSWORD: PASSWORD, TZ_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr?.on('data', (d: Buffer) => {
    childLog = (childLog + d.toString()).slice(-20_000);
  });
  return proc;
}

async function metric(name: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

async function countOf(gateway: string): Promise<number> {
  const series = await queryInfluxQL(target, `SELECT COUNT(seq) FROM water_meter WHERE gateway = '${gateway}'`);
  return Number(series[0]?.values?.[0]?.[1] ?? 0);
}

/** A gateway publishing `batches` batches of 100 water-meter readings, one every `everyMs`. */
async function publishStream(gatewayId: string, batches: number, everyMs: number): Promise<number> {
  const client: MqttClient = await mqtt.connectAsync(broker.mqttUrl, { clientId: gatewayId, username: gatewayId, password: `${gatewayId}-secret!`, reconnectPeriod: 0 });
  try {
    for (let b = 0; b < batches; b++) {
      const readings: IReading[] = [];
      for (let d = 0; d < 100; d++) {
        readings.push({ deviceId: `wm-${gatewayId}-${d}`, profile: 'water-meter', profileVersion: 1, timestampMs: base + b * 1000, seq: b + 1, district: 'xihu', metrics: [{ name: 'pressure_mpa', number: 0.3 + (b % 10) / 100 }, { name: 'volume_m3', number: 1000 + b }] });
      }
      await client.publishAsync(topics.batch(gatewayId), Buffer.from(encodeUplinkBatch({ gatewayId, batchSeq: b + 1, sentAtMs: Date.now(), readings })), { qos: 1 });
      await new Promise((r) => setTimeout(r, everyMs));
    }
  } finally {
    await client.endAsync();
  }
  return batches * 100;
}

test.before(async () => {
  influxd = await startRestartableInfluxd();
  target = { url: influxd.url, database: influxd.database };
  const users = BrokerUsers.inMemory();
  for (const gw of ['gw-kill', 'gw-outage']) users.add(gw, `${gw}-secret!`, 'gateway');
  users.add('tz-ingest', PASSWORD, 'service');
  broker = await startBroker({ users, port: 0 });
  httpPort = await freePort();
  child = startIngestProcess();
  await waitFor('ingest process up and subscribed', async () => ((await metric('tz_ingest_influx_reachable')) === 1 && counter(broker.stats(), 'clientsConnected') >= 1 ? true : undefined), 30_000, 100);
});

test.after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await broker?.stop();
  await influxd?.stop();
  dir.remove();
});

test('SIGKILL of ingest mid-stream loses nothing: the broker redelivers the unacknowledged batches to the restarted process', async () => {
  const published = publishStream('gw-kill', 150, 15);
  await waitFor('some readings written', async () => (((await metric('tz_ingest_readings_written_total')) ?? 0) >= 2_000 ? true : undefined), 20_000, 20);
  const exited = new Promise((r) => child!.once('exit', r));
  child!.kill('SIGKILL');
  await exited;
  const beforeRestart = await countOf('gw-kill');
  const total = await published;
  assert.ok(beforeRestart < total, `the kill happened mid-stream (${beforeRestart} of ${total} written)`);
  child = startIngestProcess();
  await waitFor(`all ${total} readings in InfluxDB`, async () => ((await countOf('gw-kill')) >= total ? true : undefined), 30_000, 200).catch((err: Error) => {
    throw new Error(`${err.message}; ingest log: ${childLog.slice(-2000)}`);
  });
  assert.is(await countOf('gw-kill'), total, 'each reading exactly once');
});

test(`InfluxDB stopped for ${OUTAGE_MS / 1000} s mid-stream then restarted: intake held, nothing lost, caught up`, async () => {
  await waitFor('ingest reachable again', async () => ((await metric('tz_ingest_influx_reachable')) === 1 ? true : undefined), 20_000, 100);
  const batches = 120;
  const everyMs = Math.max(5, Math.floor(OUTAGE_MS / batches) * 2);
  const published = publishStream('gw-outage', batches, everyMs);
  await waitFor('some readings written', async () => ((await countOf('gw-outage')) >= 1_000 ? true : undefined), 20_000, 50);
  await influxd.halt();
  const haltedAt = Date.now();
  // While InfluxDB is down: unhealthy, writes failing, the buffer fills to its bound and the intake stops.
  await waitFor('intake paused at the buffer limit', async () => ((await metric('tz_ingest_intake_paused')) === 1 ? true : undefined), OUTAGE_MS, 100);
  assert.is(await metric('tz_ingest_influx_reachable'), 0);
  assert.ok(((await metric('tz_ingest_buffered_readings')) ?? 0) <= 3_000 + 100, 'buffer stays bounded');
  assert.is((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status, 503);
  await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - haltedAt))));
  await influxd.restart();
  const total = await published;
  await waitFor(`all ${total} readings in InfluxDB`, async () => ((await countOf('gw-outage')) >= total ? true : undefined), 30_000, 200).catch((err: Error) => {
    throw new Error(`${err.message}; ingest log: ${childLog.slice(-2000)}`);
  });
  assert.is(await countOf('gw-outage'), total, 'each reading exactly once');
  await waitFor('intake running again', async () => ((await metric('tz_ingest_intake_paused')) === 0 && (await metric('tz_ingest_pending_messages')) === 0 ? true : undefined), 10_000, 100);
  assert.ok(((await metric('tz_ingest_backpressure_pauses_total')) ?? 0) >= 1);
  assert.ok(((await metric('tz_ingest_write_errors_total')) ?? 0) >= 1);
});

test.run();
