// What field crews must be able to trust: the agent killed with SIGKILL
// mid-stream loses nothing and, after de-duplication by device + seq, every
// reading arrives exactly once; a broker outage is bridged by the disk queue
// and the backlog arrives complete and in order while live data keeps flowing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { stringify as toYaml } from 'yaml';
import { loadProfiles } from '../../device-profiles/index.ts';
import { decodeUplinkBatch, topics } from '../../proto/index.ts';
import { startSimulatedDistrict, type SimulatedDistrict } from '../../firmware-sim/index.ts';
import { parseEdgeAgentConfig, startEdgeAgent, type EdgeAgent } from '../../edge-agent/index.ts';
import { counter, startBareBroker, tempDir, waitFor, type BareBroker } from './helpers.ts';

const profiles = loadProfiles();
const data = tempDir('tz-edge-durable-');
const root = new URL('../..', import.meta.url).pathname;

let broker: BareBroker;
let district: SimulatedDistrict;
let observer: MqttClient;

/** Every reading seen, per gateway: `${device}:${seq}` → copies, in arrival order with the time it arrived. */
const seen = new Map<string, Array<{ deviceId: string; seq: number; ts: number; arrivedAt: number }>>();

test.before(async () => {
  broker = await startBareBroker();
  district = await startSimulatedDistrict({ profiles, devices: 8, seed: 5, devicesPerBus: 4, tickMs: 3_600_000 });
  // A persistent session, so batches published while it reconnects are kept for it (MQTT 3.1.1 §3.1.2.4).
  observer = mqtt.connect(broker.url, { clientId: 'durability-observer', clean: false, reconnectPeriod: 100 });
  observer.on('message', (_topic, payload) => {
    const batch = decodeUplinkBatch(payload);
    const list = seen.get(String(batch.gatewayId)) ?? [];
    for (const r of batch.readings) list.push({ deviceId: String(r.deviceId), seq: Number(r.seq), ts: Number(r.timestampMs), arrivedAt: Date.now() });
    seen.set(String(batch.gatewayId), list);
  });
  await new Promise<void>((resolve) => observer.once('connect', () => resolve()));
  await observer.subscribeAsync([topics.allBatches], { qos: 1 });
});

test.after(async () => {
  await observer?.endAsync(true);
  await district?.stop();
  await broker?.stop();
  data.remove();
});

function agentConfig(gatewayId: string, extra: Record<string, unknown> = {}) {
  return {
    gatewayId, brokerUrl: broker.url, username: gatewayId, dataDir: join(data.path, gatewayId),
    devices: district.devices.map((d) => ({ deviceId: d.deviceId, profile: d.profile, district: d.district, modbus: { host: d.host, port: d.port, unitId: d.unitId } })),
    pollIntervalMs: 100, requestTimeoutMs: 300, batch: { maxReadings: 20, maxDelayMs: 60 }, statusIntervalMs: 1000,
    ...extra,
  };
}

/** Received readings of a gateway de-duplicated by device + seq, and how many copies were extra. */
function dedup(gatewayId: string): { perDevice: Map<string, number[]>; duplicates: number; total: number } {
  const perDevice = new Map<string, number[]>();
  const keys = new Set<string>();
  let duplicates = 0;
  for (const r of seen.get(gatewayId) ?? []) {
    const key = `${r.deviceId}:${r.seq}`;
    if (keys.has(key)) {
      duplicates++;
      continue;
    }
    keys.add(key);
    perDevice.set(r.deviceId, [...(perDevice.get(r.deviceId) ?? []), r.seq]);
  }
  return { perDevice, duplicates, total: keys.size };
}

function runAgent(configFile: string): ChildProcess {
  return spawn(process.execPath, [join(root, 'bin/tianzhong.js'), 'edge-agent', '--config', configFile], {
    cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TZ_LOG_LEVEL: 'silent', TZ_GATEWAY_PASSWORD: 'unused-by-this-broker' },
  });
}
const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

test('SIGKILL mid-stream, restart: every reading the agent made arrives exactly once after dedup by device + seq', async () => {
  const gw = 'gw-killed';
  const file = join(data.path, 'gw-killed.yaml');
  writeFileSync(file, toYaml(agentConfig(gw)));
  let child = runAgent(file);
  await waitFor('readings flowing', () => ((seen.get(gw)?.length ?? 0) >= 150 ? true : undefined), 20_000, 20);
  child.kill('SIGKILL');
  assert.is(await exited(child), null, 'killed, not exited');
  const atKill = dedup(gw).total;

  child = runAgent(file);
  await waitFor('readings flowing again after restart', () => (dedup(gw).total >= atKill + 150 ? true : undefined), 20_000, 20);
  // SIGHUP with a changed file: applied without a restart and without losing what is queued.
  writeFileSync(file, toYaml(agentConfig(gw, { pollIntervalMs: 150 })));
  child.kill('SIGHUP');
  const atReload = dedup(gw).total;
  await waitFor('readings flowing after SIGHUP', () => (dedup(gw).total >= atReload + 60 ? true : undefined), 20_000, 20);
  assert.is(child.exitCode, null, 'still running after SIGHUP');
  child.kill('SIGTERM');
  assert.is(await exited(child), 0, 'graceful stop');

  // What the agent made: the per-device counters it persisted with its batches, and nothing left queued.
  const db = new Database(join(data.path, gw, 'gateway.sqlite'), { readonly: true });
  const made = new Map((db.prepare('SELECT device_id AS id, seq FROM device_counters').all() as { id: string; seq: number }[]).map((r) => [r.id, r.seq]));
  const left = (db.prepare('SELECT COUNT(*) AS n FROM uplink_queue').get() as { n: number }).n;
  db.close();
  assert.is(left, 0, 'the disk queue is empty after a graceful stop');
  await waitFor('the last batches arrive', () => ([...made.values()].reduce((a, b) => a + b, 0) === dedup(gw).total ? true : undefined), 5000, 20);
  const { perDevice, total } = dedup(gw);
  assert.is(made.size, district.devices.length);
  for (const [deviceId, seq] of made) {
    const got = [...(perDevice.get(deviceId) ?? [])].sort((a, b) => a - b);
    assert.equal(got, Array.from({ length: seq }, (_, i) => i + 1), `${deviceId}: every seq 1..${seq} exactly once`);
  }
  assert.is(total, [...made.values()].reduce((a, b) => a + b, 0), 'sent (made) = received (distinct)');
});

test('broker down for a while: readings are queued on disk and the backlog arrives complete and in order while live data flows', async () => {
  const gw = 'gw-outage';
  let stopped = false;
  const agent: EdgeAgent = await startEdgeAgent(parseEdgeAgentConfig({ ...agentConfig(gw), password: 'x', queue: { replayReadingsPerSecond: 150 } }, 'test'), { profiles });
  try {
    await waitFor('readings flowing', () => ((seen.get(gw)?.length ?? 0) >= 40 ? true : undefined), 15_000, 20);
    // The broker goes away: no listener, every connection cut.
    await broker.goDown();
    const downAt = Date.now();
    await waitFor('a backlog on disk', () => (counter(agent.stats(), 'queueDepth') >= 300 ? true : undefined), 15_000, 50);
    const metrics = await (await fetch(`${agent.httpUrl}/metrics`)).text();
    assert.match(metrics, /tz_edge_broker_connected\{component="edge-agent"\} 0/);
    assert.match(metrics, /tz_edge_oldest_unsent_age_seconds\{component="edge-agent"\} [1-9]/);
    await broker.comeUp();
    const upAt = Date.now();
    await waitFor('the backlog drained', () => (counter(agent.stats(), 'queueBatches') === 0 && counter(agent.stats(), 'batchesReplayed') > 0 ? true : undefined), 20_000, 50);
    stopped = true;
    await agent.stop();

    const all = seen.get(gw)!;
    const { perDevice, duplicates } = dedup(gw);
    for (const [deviceId, seqs] of perDevice) {
      const sorted = [...seqs].sort((a, b) => a - b);
      assert.equal(sorted, Array.from({ length: sorted.length }, (_, i) => i + 1), `${deviceId}: complete, no gap`);
    }
    // The backlog: readings made while the broker was down, with their original device timestamps.
    const backlog = all.filter((r) => r.ts > downAt + 200 && r.ts < upAt - 200);
    assert.ok(backlog.length >= 200, `backlog of ${backlog.length}`);
    assert.ok(backlog.every((r) => r.arrivedAt > upAt), 'backlog delivered after the broker came back');
    for (const deviceId of perDevice.keys()) {
      const seqs = backlog.filter((r) => r.deviceId === deviceId).map((r) => r.seq);
      assert.equal(seqs, [...seqs].sort((a, b) => a - b), `${deviceId}: backlog in order`);
    }
    // Rate-limited replay alongside live data: readings made after reconnect arrived before the backlog's last one.
    const lastBacklogArrival = Math.max(...backlog.map((r) => r.arrivedAt));
    assert.ok(all.some((r) => r.ts > upAt && r.arrivedAt < lastBacklogArrival), 'live readings were not held behind the backlog');
    assert.ok(duplicates <= all.length * 0.05, `${duplicates} duplicates`);
  } finally {
    if (!stopped) await agent.stop();
  }
});

test.run();
