// One health snapshot feeds the edge agent's /healthz, its GatewayStatus and
// /metrics. Two bugs it fixed: /healthz left out the readings of the open
// batch, and the dropped count fell back after a config reload (the batch
// builder that counted store failures was replaced). Real parts: simulated
// Modbus TCP devices, an Aedes broker, an MQTT subscriber, the agent's SQLite
// file locked by another connection (as a backup tool would) to make a
// batch unwritable.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { loadProfiles } from '../../device-profiles/index.ts';
import { decodeGatewayStatus, topics, type IGatewayStatus } from '../../proto/index.ts';
import { startSimulatedDistrict, type SimulatedDistrict } from '../../firmware-sim/index.ts';
import { parseEdgeAgentConfig, startEdgeAgent, type EdgeAgent } from '../../edge-agent/index.ts';
import { tempDir, waitFor, startBareBroker, type BareBroker } from './helpers.ts';

const GW = 'gw-health';
const profiles = loadProfiles();
const data = tempDir('tz-edge-health-');

let bare: BareBroker;
let brokerUrl: string;
let district: SimulatedDistrict;
let observer: MqttClient;
let agent: EdgeAgent;
const statuses: IGatewayStatus[] = [];

function config() {
  return parseEdgeAgentConfig({
    gatewayId: GW, brokerUrl, username: GW, password: 'pw', dataDir: data.path,
    devices: district.devices.map((d) => ({ deviceId: d.deviceId, profile: d.profile, district: d.district, modbus: { host: d.host, port: d.port, unitId: d.unitId } })),
    pollIntervalMs: 200, requestTimeoutMs: 150, retries: 0,
    // Nothing is sealed by size or age during the test: the readings stay in the open batch.
    batch: { maxReadings: 100_000, maxDelayMs: 600_000 },
    statusIntervalMs: 100,
  }, 'test');
}

/** The agent's own counters (stats() is a name → number table). */
const stat = (name: string): number => agent.stats()[name] ?? Number.NaN;

async function healthz(): Promise<{ queueDepth: number; dropped: number }> {
  return (await (await fetch(`${agent.httpUrl}/healthz`)).json()) as { queueDepth: number; dropped: number };
}

async function gauge(name: string): Promise<number> {
  const text = await (await fetch(`${agent.httpUrl}/metrics`)).text();
  const m = new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

test.before(async () => {
  bare = await startBareBroker();
  brokerUrl = bare.url;
  district = await startSimulatedDistrict({ profiles, devices: 4, seed: 5, devicesPerBus: 4, tickMs: 3_600_000 });
  observer = mqtt.connect(brokerUrl, { clientId: 'observer', reconnectPeriod: 200 });
  observer.on('message', (_topic, payload) => void statuses.push(decodeGatewayStatus(payload)));
  await new Promise<void>((resolve) => observer.once('connect', () => resolve()));
  await observer.subscribeAsync(topics.status(GW), { qos: 1 });
  agent = await startEdgeAgent(config(), { profiles });
});

test.after(async () => {
  await agent?.stop();
  await observer?.endAsync();
  await district?.stop();
  await bare?.stop();
  data.remove();
});

test('/healthz, GatewayStatus and /metrics count the readings of the open batch in the queue depth', async () => {
  await waitFor('readings in the open batch', () => (stat('queueDepth') >= 4 ? true : undefined), 10_000, 20);
  assert.is(stat('queueBatches'), 0, 'nothing sealed yet: every reading is in the open batch');
  const h = await healthz();
  assert.ok(h.queueDepth >= 4, `/healthz queueDepth ${h.queueDepth}`);
  assert.ok(await gauge('tz_edge_queue_depth') >= 4, '/metrics tz_edge_queue_depth');
  const status = await waitFor('a GatewayStatus with the open readings', () => statuses.find((s) => Number(s.queueDepth) >= 4), 5_000, 20);
  assert.ok(Number(status.queueDepth) >= 4);
});

test('the dropped count does not fall back after a reload', async () => {
  // Another connection holds the write lock: the seal at reload cannot write its batch (busy), the readings are dropped and counted.
  const other = new Database(join(data.path, 'gateway.sqlite'));
  other.exec('BEGIN IMMEDIATE');
  const open = stat('queueDepth');
  assert.ok(open > 0);
  try {
    await agent.reload(config());
  } finally {
    other.exec('ROLLBACK');
    other.close();
  }
  const dropped = stat('dropped');
  assert.ok(dropped >= open, `dropped ${dropped} after the failed seal of ${open} readings`);
  assert.is((await healthz()).dropped, dropped, '/healthz after the reload');
  await waitFor('a GatewayStatus with the drops after the reload', () => {
    const last = statuses.at(-1);
    return last && Number(last.dropped) === dropped ? true : undefined;
  }, 5_000, 20);
  // A second reload with a writable file: the count stays.
  await agent.reload(config());
  assert.is(stat('dropped'), dropped, 'still counted after another reload');
  assert.is((await healthz()).dropped, dropped);
});

test.run();
