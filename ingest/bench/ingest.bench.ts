// ingest-throughput: end-to-end readings/s from simulated gateways (a child
// process publishing pre-encoded UplinkBatch messages, QoS 1) through the
// broker (startBroker) and ingest (bin/tianzhong.js ingest, its own process)
// into a fresh influxd; the same load through Node-RED 4.1 (mqtt in →
// function decode → node-red-contrib-influxdb batch out); and InfluxDB's own
// limit: the same points as line protocol, 5k-point batches, 4 concurrent
// writers straight to /write. Readings/s, ratios and CPU per reading.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { join } from 'node:path';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { freePort, startManagedInfluxd } from '../../cli/managed-influxd.ts';
import { loadProfiles, type DeviceProfile } from '../../device-profiles/index.ts';
import { createLogger, markdownTable, queryInfluxQL, delay, type Bench, type BenchContext } from '../../service-kit/index.ts';
import { tempDir } from '../../test/integration/helpers.ts';
import { toLine, validateStep } from '../index.ts';
import { gatewayId, reading, type LoadShape } from './load.ts';
import { startNodeRed } from './node-red-peer.ts';

const root = new URL('../..', import.meta.url).pathname;
const PASSWORD = 'bench-password-1234';
const TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

interface Phase {
  name: string;
  readings: number;
  seconds: number;
  /** CPU seconds by process while the phase ran. */
  cpu: Record<string, number>;
  verified: number;
}

async function pointsIn(url: string, database: string, profiles: DeviceProfile[]): Promise<number> {
  let total = 0;
  for (const p of profiles) {
    const series = await queryInfluxQL({ url, database }, `SELECT COUNT(seq) FROM ${p.measurement}`);
    total += Number(series[0]?.values?.[0]?.[1] ?? 0);
  }
  return total;
}

/** Points InfluxDB has accepted since it started (SHOW STATS, module "write"): cheap to poll, unlike COUNT. */
async function pointsAccepted(url: string): Promise<number> {
  const series = await queryInfluxQL({ url, database: '_internal' }, 'SHOW STATS FOR \'write\'');
  const s = series.find((x) => x.name === 'write');
  const i = s?.columns.indexOf('pointReq') ?? -1;
  return i < 0 ? 0 : Number(s!.values[0]![i]);
}

function startPublishers(brokerUrl: string, shape: LoadShape, window: number): { child: ChildProcess; ready: Promise<void>; done: Promise<number> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'ingest/bench/gateway-publishers.ts')], {
    env: { ...process.env, TZ_LOG_LEVEL: 'silent', TZ_BENCH_LOAD: JSON.stringify({ ...shape, brokerUrl, password: PASSWORD, window }) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  let readyResolve!: () => void;
  let doneResolve!: (ms: number) => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  const done = new Promise<number>((r) => (doneResolve = r));
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready')) readyResolve();
    const m = /done (\d+)/.exec(out);
    if (m) doneResolve(Number(m[1]));
  });
  return { child, ready, done };
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await delay(everyMs);
  }
}

/** Runs one pipeline phase: publishers go, wait until InfluxDB has taken `expected` more points. */
async function pipelinePhase(name: string, ctx: BenchContext, brokerUrl: string, shape: LoadShape, influx: { url: string; pid: number }, consumer: { pid: number }, database: string, profiles: DeviceProfile[], timeoutMs: number): Promise<Phase> {
  const expected = shape.gateways * shape.batchesPerGateway * shape.readingsPerBatch;
  const publishers = startPublishers(brokerUrl, shape, 8);
  await publishers.ready;
  const base = await pointsAccepted(influx.url);
  const cpu0 = { consumer: cpuSeconds(consumer.pid), influxd: cpuSeconds(influx.pid), broker: ownCpuSeconds(), publishers: cpuSeconds(publishers.child.pid!) };
  const start = performance.now();
  publishers.child.stdin!.write('go\n');
  let lastReport = 0;
  let finished = true;
  await waitUntil(`${name}: ${expected} points`, async () => {
    const n = (await pointsAccepted(influx.url)) - base;
    if (performance.now() - lastReport > 2000) {
      lastReport = performance.now();
      ctx.progress(`${name}: ${n}/${expected} points`);
    }
    return n >= expected;
  }, timeoutMs, 50).catch(() => {
    finished = false;
  });
  const seconds = (performance.now() - start) / 1000;
  const cpu = { consumer: cpuSeconds(consumer.pid) - cpu0.consumer, influxd: cpuSeconds(influx.pid) - cpu0.influxd, broker: ownCpuSeconds() - cpu0.broker, publishers: cpuSeconds(publishers.child.pid!) - cpu0.publishers };
  await publishers.done;
  const accepted = (await pointsAccepted(influx.url)) - base;
  // pointReq counts a request when it arrives; the COUNT waits for the last ones to be applied.
  let verified = 0;
  await waitUntil('points countable', async () => (verified = await pointsIn(influx.url, database, profiles)) >= expected, 10_000, 250).catch(() => undefined);
  return { name: finished ? name : `${name} (timed out)`, readings: finished ? expected : accepted, seconds, cpu, verified };
}

/** The limit: the same points as line protocol, `concurrency` writers of 5k-line batches straight to /write. */
async function limitPhase(influx: { url: string; pid: number }, database: string, lines: string[], concurrency: number): Promise<Phase> {
  await queryInfluxQL({ url: influx.url, database }, `CREATE DATABASE ${database}`);
  const bodies: string[] = [];
  for (let i = 0; i < lines.length; i += 5000) bodies.push(lines.slice(i, i + 5000).join('\n'));
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL(`${influx.url}/write?db=${database}&precision=ms`);
  const post = (body: string) => new Promise<void>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', agent, headers: { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`write answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
  const cpu0 = { influxd: cpuSeconds(influx.pid), writer: ownCpuSeconds() };
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < bodies.length) await post(bodies[next++]!);
  }));
  const seconds = (performance.now() - start) / 1000;
  const cpu = { influxd: cpuSeconds(influx.pid) - cpu0.influxd, writer: ownCpuSeconds() - cpu0.writer };
  agent.destroy();
  return { name: `bare writer → /write (${concurrency} × 5k-point batches)`, readings: lines.length, seconds, cpu, verified: 0 };
}

export const bench: Bench = {
  name: 'ingest-throughput',
  title: 'Ingest: end-to-end readings/s (gateways → broker → ingest → InfluxDB) vs Node-RED vs InfluxDB alone',
  async run(ctx) {
    const shape: LoadShape = ctx.quick ? { gateways: 4, batchesPerGateway: 10, readingsPerBatch: 500 } : { gateways: 20, batchesPerGateway: 30, readingsPerBatch: 500 };
    const expected = shape.gateways * shape.batchesPerGateway * shape.readingsPerBatch;
    const profiles = loadProfiles().all();
    const dir = tempDir('tz-bench-ingest-');
    const stops: Array<() => Promise<void>> = [];
    try {
      ctx.progress('starting influxd and the broker');
      const influxd = await startManagedInfluxd({ dataDir: join(dir.path, 'influxd') });
      stops.push(() => influxd.stop());
      const influx = { url: influxd.url, pid: influxd.pid };
      const users = BrokerUsers.inMemory();
      for (let g = 0; g < shape.gateways; g++) users.add(gatewayId(g), PASSWORD, 'gateway');
      users.add('tz-ingest', PASSWORD, 'service');
      users.add('tz-nodered', PASSWORD, 'service');
      // Slow-consumer limits raised for both consumers alike: the publishers outrun any consumer here, and a
      // disconnect would measure reconnects (and, for Node-RED's clean session, losses) instead of throughput.
      const broker: RunningBroker = await startBroker({ users, port: 0, log: createLogger('broker', 'error'), limits: { maxPacketSize: 4 * 1024 * 1024, maxInflight: 1_000_000, maxOutgoingBytes: 2 ** 30, slowConsumerTimeoutMs: 600_000 } });
      stops.push(() => broker.stop());
      const brokerPort = Number(new URL(broker.mqttUrl).port);

      // 1. The limit: the very lines ingest writes, made here before the clock starts.
      ctx.progress('InfluxDB alone (bare /write)');
      const lines: string[] = [];
      const context = { profiles: loadProfiles(), window: { futureMs: 3_600_000, pastMs: 30 * 86_400_000 }, clock: { now: () => Date.now() } };
      for (let g = 0; g < shape.gateways; g++) {
        for (let b = 0; b < shape.batchesPerGateway; b++) {
          const readings = Array.from({ length: shape.readingsPerBatch }, (_, i) => reading(profiles, g, b, i));
          for (const a of validateStep(readings, context).accepted) lines.push(toLine(a, gatewayId(g)));
        }
      }
      const limit = await limitPhase(influx, 'bench_limit', lines, 4);
      lines.length = 0;

      // 2. Our pipeline: ingest as its own process, as deployed.
      ctx.progress('broker → ingest → InfluxDB');
      const httpPort = await freePort();
      const ingest = spawn(process.execPath, [join(root, 'bin/tianzhong.js'), 'ingest', '--broker', broker.mqttUrl, '--influx-url', influx.url, '--database', 'bench_tz', '--dead-letter', join(dir.path, 'dlq.sqlite'), '--http-port', String(httpPort), '--max-buffered', '100000', ...(process.env.TZ_BENCH_INGEST_ARGS ?? '').split(' ').filter(Boolean)], {
        env: { ...process.env, TZ_MQTT_PASSWORD: PASSWORD, TZ_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'],
      });
      stops.push(async () => {
        if (ingest.exitCode !== null) return;
        const gone = new Promise((r) => ingest.once('exit', r));
        ingest.kill('SIGTERM');
        await gone;
      });
      await waitUntil('ingest ready', async () => {
        try {
          return /tz_ingest_influx_reachable\{[^}]*\} 1/.test(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text());
        } catch {
          return false;
        }
      }, 30_000);
      await delay(500); // its SUBACK has no event here
      const ours = await pipelinePhase('gateways → broker → ingest → InfluxDB', ctx, broker.mqttUrl, shape, influx, { pid: ingest.pid! }, 'bench_tz', profiles, 300_000);
      const ingestMetrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      await stops.pop()!();

      // 3. Node-RED 4.1 with the same load.
      ctx.progress('broker → Node-RED → InfluxDB');
      await queryInfluxQL({ url: influx.url, database: 'bench_nodered' }, 'CREATE DATABASE bench_nodered');
      const nodeRed = startNodeRed({ userDir: join(dir.path), uiPort: await freePort(), brokerPort, username: 'tz-nodered', password: PASSWORD, influxPort: Number(new URL(influx.url).port), database: 'bench_nodered', profiles });
      stops.push(() => nodeRed.stop());
      await nodeRed.connected;
      await delay(1000);
      const nodered = await pipelinePhase('gateways → broker → Node-RED → InfluxDB', ctx, broker.mqttUrl, shape, influx, { pid: nodeRed.process.pid! }, 'bench_nodered', profiles, ctx.quick ? 120_000 : 300_000);

      const rate = (p: Phase) => p.readings / p.seconds;
      const us = (s: number, p: Phase) => ((s / p.readings) * 1e6).toFixed(1);
      const sum = (c: Record<string, number>, keys: string[]) => keys.reduce((t, k) => t + (c[k] ?? 0), 0);
      const rows = [
        [limit.name, String(limit.readings), limit.seconds.toFixed(2), Math.round(rate(limit)).toLocaleString('en'), '—', us(limit.cpu.influxd!, limit), us(sum(limit.cpu, ['influxd', 'writer']), limit), 'n/a'],
        ...[ours, nodered].map((p) => [p.name, String(p.readings), p.seconds.toFixed(2), Math.round(rate(p)).toLocaleString('en'), us(p.cpu.consumer!, p), us(p.cpu.influxd!, p), us(sum(p.cpu, ['consumer', 'influxd', 'broker']), p), `${p.verified}/${expected}`]),
      ];
      const histogram = /tz_ingest_write_batch_lines_sum\{[^}]*\} (\S+)[\s\S]*tz_ingest_write_batch_lines_count\{[^}]*\} (\S+)/.exec(ingestMetrics);
      const avgBatch = histogram ? Math.round(Number(histogram[1]) / Number(histogram[2])) : NaN;
      return [
        `Load: ${shape.gateways} gateways × ${shape.batchesPerGateway} batches × ${shape.readingsPerBatch} readings = ${expected.toLocaleString('en')} readings (the four built-in classes, every metric, compact index form), published QoS 1 by a separate process with 8 publishes in flight per gateway, through the Aedes broker (startBroker, in the bench process) to a fresh influxd ${'(Debian 1.6)'} on the same machine. Ingest runs as \`bin/tianzhong.js ingest\` (defaults: 5000-line batches across messages, 3 writes in flight, gzip off on loopback). Node-RED 4.1: mqtt in (QoS 1) → function (protobufjs decode, index → name) → node-red-contrib-influxdb \`influxdb batch\` (one write per message). The limit writes the same points, pre-rendered, with no broker at all. Each pipeline is timed from the first publish until InfluxDB has accepted every point (SHOW STATS pointReq); "in DB" is a COUNT afterwards.`,
        '',
        markdownTable(['path', 'readings', 's', 'readings/s', 'consumer CPU µs/reading', 'influxd CPU µs/reading', 'total CPU µs/reading', 'in DB'], rows),
        '',
        `- pipeline / InfluxDB limit: **${((rate(ours) / rate(limit)) * 100).toFixed(0)} %** (goal ≥ 70 %)`,
        `- pipeline / Node-RED: **${(rate(ours) / rate(nodered)).toFixed(1)} ×** (goal: several times)`,
        `- ingest's mean write request: ${avgBatch} lines; publishers used ${us(ours.cpu.publishers!, ours)} µs/reading (load generator, not counted); broker CPU ${us(ours.cpu.broker!, ours)} µs/reading (ours) vs ${us(nodered.cpu.broker!, nodered)} (Node-RED run).`,
        '- "total CPU" = consumer + influxd + broker (pipelines); influxd + writer (limit). Node-RED acknowledges each MQTT message on receipt, before the write; ingest only after the write is durable.',
      ].join('\n');
    } finally {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      dir.remove();
    }
  },
};
