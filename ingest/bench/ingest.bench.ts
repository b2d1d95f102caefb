// ingest-throughput: end-to-end readings/s from simulated gateways (a child
// process publishing pre-encoded UplinkBatch messages, QoS 1) through the
// broker (startBroker) and ingest (bin/tianzhong.js ingest, its own process)
// into a fresh influxd; the same load through Node-RED 4.1 (mqtt in →
// function decode → node-red-contrib-influxdb batch out); and InfluxDB's own
// limit: the same points as line protocol, in ingest's request size and
// concurrency (5000 lines, 3 in flight), straight to /write. Readings/s,
// ratios, CPU per reading of every process and the CPU budget they imply.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { stringify as toYaml } from 'yaml';
import { availableParallelism } from 'node:os';
import { request, Agent } from 'node:http';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import mqtt from 'mqtt';
import { BrokerUsers } from '../../broker/index.ts';
import { loadProfiles, type DeviceProfile } from '../../device-profiles/index.ts';
import { TzError, markdownTable, processCpuSeconds, queryInfluxQL, delay, type Bench, type BenchContext } from '../../service-kit/index.ts';
import { freePort, startManagedInfluxd, tempDir } from '../../testing/index.ts';
import { toLine, validateStep } from '../index.ts';
import { gatewayId, reading, type LoadShape } from './load.ts';
import { startNodeRed } from './node-red-peer.ts';

const root = new URL('../..', import.meta.url).pathname;
const PASSWORD = 'bench-password-1234';
/** CPU seconds a process has used so far; 0 once it is gone (a leg's consumer may have exited). */
function cpuSeconds(pid: number): number {
  try {
    return processCpuSeconds(pid);
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
  return i < 0 ? 0 : Number(s?.values[0]?.[i]);
}

/** A spawned child's pid; none means the spawn failed. */
function pidOf(child: ChildProcess, what: string): number {
  if (child.pid === undefined) throw new Error(`${what} has no pid: it did not start`);
  return child.pid;
}

function startPublishers(brokerUrl: string, shape: LoadShape, window: number): { pid: number; go: () => void; ready: Promise<void>; done: Promise<number> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'ingest/bench/gateway-publishers.ts')], {
    env: { ...process.env, TZ_LOG_LEVEL: 'silent', TZ_BENCH_LOAD: JSON.stringify({ ...shape, brokerUrl, password: PASSWORD, window }) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const { stdout, stdin } = child;
  if (!stdout || !stdin) throw new Error('gateway publishers have no stdio pipes');
  let out = '';
  // Listeners run in the order added: the text first, then the two checks on it.
  stdout.on('data', (d: Buffer) => void (out += d.toString()));
  const ready = new Promise<void>((resolve) => stdout.on('data', () => {
    if (out.includes('ready')) resolve();
  }));
  const done = new Promise<number>((resolve) => stdout.on('data', () => {
    const m = /done (\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  }));
  return { pid: pidOf(child, 'gateway publishers'), go: () => void stdin.write('go\n'), ready, done };
}

/** Ends a consumer's persistent session (a clean-session connect discards it), so the broker stops queueing for it. */
async function dropSession(brokerUrl: string, clientId: string, username: string): Promise<void> {
  const client = await mqtt.connectAsync(brokerUrl, { clientId, username, password: PASSWORD, clean: true, reconnectPeriod: 0 });
  await client.endAsync();
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await delay(everyMs);
  }
}

function rateOf(p: Phase): number {
  return p.readings / p.seconds;
}

/** Runs one pipeline phase: publishers go, wait until InfluxDB has taken `expected` more points. */
async function pipelinePhase(name: string, ctx: BenchContext, brokerUrl: string, brokerPid: number, shape: LoadShape, influx: { url: string; pid: number }, consumer: { pid: number }, database: string, profiles: DeviceProfile[], timeoutMs: number): Promise<Phase> {
  const expected = shape.gateways * shape.batchesPerGateway * shape.readingsPerBatch;
  const publishers = startPublishers(brokerUrl, shape, 8);
  await publishers.ready;
  await settleBenchHeap();
  await influxdQuiet(influx.pid);
  const base = await pointsAccepted(influx.url);
  const cpu0 = { consumer: cpuSeconds(consumer.pid), influxd: cpuSeconds(influx.pid), broker: cpuSeconds(brokerPid), publishers: cpuSeconds(publishers.pid), bench: ownCpuSeconds() };
  const start = performance.now();
  publishers.go();
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
  const cpu = { consumer: cpuSeconds(consumer.pid) - cpu0.consumer, influxd: cpuSeconds(influx.pid) - cpu0.influxd, broker: cpuSeconds(brokerPid) - cpu0.broker, publishers: cpuSeconds(publishers.pid) - cpu0.publishers, bench: ownCpuSeconds() - cpu0.bench };
  await publishers.done;
  const accepted = (await pointsAccepted(influx.url)) - base;
  // pointReq counts a request when it arrives; the COUNT waits for the last ones to be applied.
  let verified = 0;
  await waitUntil('points countable', async () => (verified = await pointsIn(influx.url, database, profiles)) >= expected, 10_000, 250).catch(() => undefined);
  await dropDatabase(influx.url, database);
  return { name: finished ? name : `${name} (timed out)`, readings: finished ? expected : accepted, seconds, cpu, verified };
}

/**
 * A full garbage collection of the bench process before a timed leg: it holds
 * hundreds of thousands of pre-rendered lines, and V8 finishing a major GC of
 * that heap during a leg took up to 0.2 cores from the processes measured
 * (the same for every leg).
 */
async function settleBenchHeap(): Promise<void> {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  // Its sweeping goes on in background threads for a moment: let it finish before the clock starts.
  await delay(1_000);
}

/**
 * Waits (at most 30 s) until influxd is idle: its CPU is counted per leg, and
 * a compaction of what the previous leg wrote would be charged to the next.
 * Each leg's database is also dropped once counted, so there is none to compact.
 */
async function influxdQuiet(pid: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const before = cpuSeconds(pid);
    await delay(500);
    if (cpuSeconds(pid) - before < 0.03) return;
  }
}

async function dropDatabase(url: string, database: string): Promise<void> {
  await queryInfluxQL({ url, database }, `DROP DATABASE ${database}`).catch(() => undefined);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN; // NaN: no values
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
}

/** `bin/tianzhong.js broker run` on free ports with slow-consumer limits raised (see the call site). */
async function startBrokerProcess(dir: string): Promise<{ mqttUrl: string; pid: number; stop: () => Promise<void> }> {
  const [mqttPort, httpPort] = [await freePort(), await freePort()];
  const configFile = join(dir, 'broker.yaml');
  // Slow-consumer limits raised for both consumers alike: the publishers outrun any consumer here, and a
  // disconnect would measure reconnects (and, for Node-RED's clean session, losses) instead of throughput.
  writeFileSync(configFile, toYaml({
    users: join(dir, 'broker-users.json'),
    listeners: { tcp: { host: '127.0.0.1', port: mqttPort } },
    http: { host: '127.0.0.1', port: httpPort },
    limits: { maxPacketSize: 4 * 1024 * 1024, maxInflight: 1_000_000, maxOutgoingBytes: 2 ** 30, slowConsumerTimeoutMs: 600_000 },
  }));
  const child = spawn(process.execPath, [join(root, 'bin/tianzhong.js'), 'broker', 'run', '--config', configFile], { env: { ...process.env, TZ_LOG_LEVEL: 'error' }, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitUntil('broker ready', async () => {
    try {
      return (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok;
    } catch {
      return child.exitCode === null ? false : Promise.reject(new Error(`broker exited with ${child.exitCode}`));
    }
  }, 30_000);
  return {
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    pid: pidOf(child, 'broker'),
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

/** The limit: the same points as line protocol, `concurrency` writers of `batchLines`-line batches straight to /write. */
async function limitPhase(influx: { url: string; pid: number }, database: string, lines: string[], batchLines: number, concurrency: number, order: string): Promise<Phase> {
  await queryInfluxQL({ url: influx.url, database }, `CREATE DATABASE ${database}`);
  const bodies: string[] = [];
  for (let i = 0; i < lines.length; i += batchLines) bodies.push(lines.slice(i, i + batchLines).join('\n'));
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
  await settleBenchHeap();
  await influxdQuiet(influx.pid);
  const cpu0 = { influxd: cpuSeconds(influx.pid), writer: ownCpuSeconds() };
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let body = bodies[next++]; body !== undefined; body = bodies[next++]) await post(body);
  }));
  const seconds = (performance.now() - start) / 1000;
  const cpu = { influxd: cpuSeconds(influx.pid) - cpu0.influxd, writer: ownCpuSeconds() - cpu0.writer };
  agent.destroy();
  await dropDatabase(influx.url, database);
  return { name: `bare writer → /write (${concurrency} in flight × ${batchLines}-point batches, ${order})`, readings: lines.length, seconds, cpu, verified: 0 };
}

export const bench: Bench = {
  name: 'ingest-throughput',
  title: 'Ingest: end-to-end readings/s (gateways → broker → ingest → InfluxDB) vs Node-RED vs InfluxDB alone',
  async run(ctx) {
    // TZ_BENCH_INGEST_LOAD="gateways,batches,readings" overrides the load (for profiling runs).
    const custom = process.env.TZ_BENCH_INGEST_LOAD?.split(',').map(Number);
    const [gateways, batchesPerGateway, readingsPerBatch] = custom ?? [];
    const shape: LoadShape = custom?.length === 3 && gateways !== undefined && batchesPerGateway !== undefined && readingsPerBatch !== undefined ? { gateways, batchesPerGateway, readingsPerBatch } : ctx.quick ? { gateways: 4, batchesPerGateway: 10, readingsPerBatch: 500 } : { gateways: 20, batchesPerGateway: 30, readingsPerBatch: 500 };
    const expected = shape.gateways * shape.batchesPerGateway * shape.readingsPerBatch;
    const profiles = loadProfiles().all();
    const dir = tempDir('tz-bench-ingest-');
    const stops: Array<() => Promise<void>> = [];
    try {
      ctx.progress('starting influxd and the broker');
      const influxd = await startManagedInfluxd({ dataDir: join(dir.path, 'influxd') });
      stops.push(() => influxd.stop());
      const influx = { url: influxd.url, pid: influxd.pid };
      // The broker as deployed: `bin/tianzhong.js broker run` in its own process, so its CPU column is the
      // broker's alone (in the bench process its GCs had to walk the pre-rendered lines of the limit legs).
      const users = BrokerUsers.load(join(dir.path, 'broker-users.json'));
      for (let g = 0; g < shape.gateways; g++) users.add(gatewayId(g), PASSWORD, 'gateway');
      users.add('tz-ingest', PASSWORD, 'service');
      users.add('tz-nodered', PASSWORD, 'service');
      users.save();
      const broker = await startBrokerProcess(dir.path);
      stops.push(() => broker.stop());
      const brokerPort = Number(new URL(broker.mqttUrl).port);

      // The very lines ingest writes, made here before any clock starts.
      const lines: string[] = [];
      const context = { profiles: loadProfiles(), window: { futureMs: 3_600_000, pastMs: 30 * 86_400_000 }, clock: { now: () => Date.now() } };
      // Gateway-major: each 5000-line request holds 500 series × 10 points (InfluxDB groups a request's points by
      // series, so this is its cheap case). Batch-major, below, is the other end: 5000 series × 1 point per request.
      // Ingest's requests fall in between (messages of 500 series × 1 point, consecutive batches of a gateway often together).
      const byBatch: string[] = [];
      for (let g = 0; g < shape.gateways; g++) {
        for (let b = 0; b < shape.batchesPerGateway; b++) {
          const readings = Array.from({ length: shape.readingsPerBatch }, (_, i) => reading(profiles, g, b, i));
          for (const a of validateStep(readings, context).accepted) lines.push(toLine(a, gatewayId(g)));
        }
      }
      const perBatch = shape.batchesPerGateway * shape.readingsPerBatch;
      for (let b = 0; b < shape.batchesPerGateway; b++) {
        for (let g = 0; g < shape.gateways; g++) byBatch.push(...lines.slice(g * perBatch + b * shape.readingsPerBatch, g * perBatch + (b + 1) * shape.readingsPerBatch));
      }

      /** One round: limit → ingest → Node-RED, one after the other, each into a fresh database. */
      const runRound = async (round: number) => {
        // 1. The limit, in the same request size and concurrency as ingest's defaults (--max-batch 5000, --write-concurrency 3).
        ctx.progress(`round ${round}: InfluxDB alone (bare /write)`);
        const limitByGateway = await limitPhase(influx, `bench_limit_${round}`, lines, 5000, 3, 'sorted by gateway');
        const limitByBatch = await limitPhase(influx, `bench_limit_batch_${round}`, byBatch, 5000, 3, 'batch-major');
        // The ratios are taken against the faster of the two: the stricter reading of "the limit".
        const limit = rateOf(limitByGateway) >= rateOf(limitByBatch) ? limitByGateway : limitByBatch;
        const other = limit === limitByGateway ? limitByBatch : limitByGateway;

        // 2. Our pipeline: ingest as its own process, as deployed.
        ctx.progress(`round ${round}: broker → ingest → InfluxDB`);
        const httpPort = await freePort();
        const ingestClientId = `tz-ingest-bench-${round}`;
        const ingest = spawn(process.execPath, [...(process.env.TZ_BENCH_INGEST_NODE_ARGS ?? '').split(' ').filter(Boolean), join(root, 'bin/tianzhong.js'), 'ingest', '--broker', broker.mqttUrl, '--client-id', ingestClientId, '--influx-url', influx.url, '--database', `bench_tz_${round}`, '--dead-letter', join(dir.path, `dlq-${round}.sqlite`), '--http-port', String(httpPort), '--max-buffered', '100000', ...(process.env.TZ_BENCH_INGEST_ARGS ?? '').split(' ').filter(Boolean)], {
          env: { ...process.env, TZ_MQTT_PASSWORD: PASSWORD, TZ_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'],
        });
        const stopIngest = async () => {
          if (ingest.exitCode !== null) return;
          const gone = new Promise((r) => ingest.once('exit', r));
          ingest.kill('SIGTERM');
          await gone;
        };
        stops.push(stopIngest);
        await waitUntil('ingest ready', async () => {
          try {
            return /tz_ingest_influx_reachable\{[^}]*\} 1/.test(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text());
          } catch {
            return false;
          }
        }, 30_000);
        await delay(500); // its SUBACK has no event here
        const ours = await pipelinePhase(`gateways → broker → ingest → InfluxDB`, ctx, broker.mqttUrl, broker.pid, shape, influx, { pid: pidOf(ingest, 'ingest') }, `bench_tz_${round}`, profiles, 300_000);
        const ingestMetrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
        await stopIngest();
        // Its persistent session would make the broker queue the next legs' messages for it: end the session.
        await dropSession(broker.mqttUrl, ingestClientId, 'tz-ingest');

        // 3. Node-RED 4.1 with the same load.
        ctx.progress(`round ${round}: broker → Node-RED → InfluxDB`);
        await queryInfluxQL({ url: influx.url, database: `bench_nodered_${round}` }, `CREATE DATABASE bench_nodered_${round}`);
        const userDir = join(dir.path, `node-red-${round}`);
        mkdirSync(userDir, { recursive: true });
        const noderedClientId = `tz-nodered-bench-${round}`;
        const nodeRed = startNodeRed({ userDir, clientId: noderedClientId, uiPort: await freePort(), brokerPort, username: 'tz-nodered', password: PASSWORD, influxPort: Number(new URL(influx.url).port), database: `bench_nodered_${round}`, profiles });
        stops.push(() => nodeRed.stop());
        await nodeRed.connected;
        await delay(1000);
        const nodered = await pipelinePhase('gateways → broker → Node-RED → InfluxDB', ctx, broker.mqttUrl, broker.pid, shape, influx, { pid: pidOf(nodeRed.process, 'Node-RED') }, `bench_nodered_${round}`, profiles, ctx.quick ? 120_000 : 300_000);
        await nodeRed.stop();
        await dropSession(broker.mqttUrl, noderedClientId, 'tz-nodered');
        const histogram = /tz_ingest_write_batch_lines_sum\{[^}]*\} (\S+)[\s\S]*tz_ingest_write_batch_lines_count\{[^}]*\} (\S+)/.exec(ingestMetrics);
        return { round, limit, other, ours, nodered, avgBatch: histogram ? Math.round(Number(histogram[1]) / Number(histogram[2])) : NaN };
      };
      // Three rounds on a full run: the machine's other load moves single legs a lot; every round is reported, and the medians.
      const results: Array<Awaited<ReturnType<typeof runRound>>> = [];
      for (let round = 1; round <= (ctx.quick ? 1 : 3); round++) results.push(await runRound(round));

      const rate = (p: Phase) => p.readings / p.seconds;
      const perReading = (s: number | undefined, p: Phase) => ((s ?? 0) / p.readings) * 1e6;
      const us = (s: number | undefined, p: Phase) => perReading(s, p).toFixed(1);
      const sum = (c: Record<string, number>, keys: string[]) => keys.reduce((t, k) => t + (c[k] ?? 0), 0);
      const PIPELINE = ['consumer', 'broker', 'influxd', 'publishers'];
      const rows = results.flatMap(({ round, limit, other, ours, nodered }) => [
        ...[limit, other].map((l) => [`${round}`, l.name, String(l.readings), l.seconds.toFixed(2), Math.round(rate(l)).toLocaleString('en'), '—', '—', us(l.cpu.influxd, l), `${us(l.cpu.writer, l)} (writer)`, us(sum(l.cpu, ['influxd', 'writer']), l), (sum(l.cpu, ['influxd', 'writer']) / l.seconds).toFixed(2), 'n/a']),
        ...[ours, nodered].map((p) => [`${round}`, p.name, String(p.readings), p.seconds.toFixed(2), Math.round(rate(p)).toLocaleString('en'), us(p.cpu.consumer, p), us(p.cpu.broker, p), us(p.cpu.influxd, p), us(p.cpu.publishers, p), us(sum(p.cpu, PIPELINE), p), (sum(p.cpu, PIPELINE) / p.seconds).toFixed(2), `${p.verified}/${expected}`]),
      ]);
      // The CPU budget: on N cores, a path whose processes need T µs of CPU per reading in total cannot exceed N·10⁶ / T readings/s.
      const cores = availableParallelism();
      const budget = ({ limit, ours }: { limit: Phase; ours: Phase }) => {
        const limitCost = perReading(sum(limit.cpu, ['influxd', 'writer']), limit);
        const oursCost = perReading(sum(ours.cpu, PIPELINE), ours);
        return { limitCost, oursCost, influxd: perReading(ours.cpu.influxd, ours), ceiling: limitCost / oursCost };
      };
      const last = results.at(-1);
      if (last === undefined) throw new TzError('TZ_INTERNAL', 'ingest bench: no round finished');
      const b = budget(last);
      return [
        `Load: ${shape.gateways} gateways × ${shape.batchesPerGateway} batches × ${shape.readingsPerBatch} readings = ${expected.toLocaleString('en')} readings (the four built-in classes, every metric — 7 to 13 fields per point with seq —, compact \`MetricValue.index\` form as edge agents send by default), published QoS 1 by a separate process with 8 publishes in flight per gateway, through the Aedes broker (\`bin/tianzhong.js broker run\`, its own process) to one fresh influxd (Debian 1.6) on the same machine. Each round runs the three legs one after the other, each into its own fresh database, dropped once counted (no compaction of one leg's data is charged to the next); before each timed leg the bench waits until influxd is idle and collects its own garbage; each consumer's persistent MQTT session is ended after its leg so the broker does not queue the other legs' messages for it. Ingest runs as \`bin/tianzhong.js ingest\` (defaults: 5000-line requests batched across messages, 3 in flight, gzip off on loopback). Node-RED 4.1: mqtt in (QoS 1) → function (protobufjs decode, index → name) → node-red-contrib-influxdb \`influxdb batch\` (that node writes one request per message: 500 points). The limit writes the very lines ingest renders (same points, same fields), pre-rendered, in ingest's request size and concurrency (5000 lines, 3 in flight), with no broker at all, twice: sorted by gateway (each request 500 series × 10 points) and batch-major (5000 series × 1 point); InfluxDB's cost per point differs by up to 2× between the two, and the ratios are taken against the faster one. Each pipeline is timed from the first publish until InfluxDB has accepted every point (SHOW STATS pointReq); "in DB" is a COUNT afterwards. CPU: user + system time from /proc/<pid>/stat over the timed leg, per process, divided by the readings; "cores busy" = all of it / wall time.`,
        '',
        markdownTable(['round', 'path', 'readings', 's', 'readings/s', 'consumer CPU µs/reading', 'broker µs', 'influxd µs', 'load generator µs', 'total CPU µs/reading', 'cores busy', 'in DB'], rows),
        '',
        `- **Median of ${results.length} round${results.length === 1 ? '' : 's'}**: pipeline / InfluxDB limit **${(median(results.map((r) => rate(r.ours) / rate(r.limit))) * 100).toFixed(0)} %** (rounds: ${results.map((r) => `${((rate(r.ours) / rate(r.limit)) * 100).toFixed(0)} %`).join(', ')}); pipeline / Node-RED **${median(results.map((r) => rate(r.ours) / rate(r.nodered))).toFixed(1)} ×**; consumer CPU per reading **${median(results.map((r) => perReading(r.ours.cpu.consumer, r.ours))).toFixed(1)} µs** vs Node-RED ${median(results.map((r) => perReading(r.nodered.cpu.consumer, r.nodered))).toFixed(1)} µs.`,
        ...results.map(({ round, limit, ours, nodered, avgBatch }) => `- round ${round}: pipeline / InfluxDB limit **${((rate(ours) / rate(limit)) * 100).toFixed(0)} %** (goal ≥ 70 %); pipeline / Node-RED **${(rate(ours) / rate(nodered)).toFixed(1)} ×** (goal: several times); consumer CPU per reading ingest ${us(ours.cpu.consumer, ours)} µs vs Node-RED ${us(nodered.cpu.consumer, nodered)} µs (**${(perReading(nodered.cpu.consumer, nodered) / perReading(ours.cpu.consumer, ours)).toFixed(1)} ×** less); ingest's mean write request ${avgBatch} lines; CPU-budget ceiling ${(budget({ limit, ours }).ceiling * 100).toFixed(0)} %.`),
        `- CPU budget on ${cores} cores (round ${last.round}): the bare writer needs ${b.limitCost.toFixed(1)} µs of CPU per point (influxd + writer) → at most ${Math.round((cores * 1e6) / b.limitCost).toLocaleString('en')} points/s; the pipeline needs ${b.oursCost.toFixed(1)} µs per reading (ingest + broker + influxd + load generator, all on the same cores) → at most ${Math.round((cores * 1e6) / b.oursCost).toLocaleString('en')} readings/s: a ceiling of **${(b.ceiling * 100).toFixed(0)} %** of the limit when both are CPU-bound ("cores busy" shows how close each leg came; below ${cores}, a leg waited on latency or lost CPU to other load). influxd alone takes ${b.influxd.toFixed(1)} µs of it per reading; 70 % would need everything else to fit in ${Math.max(0, b.limitCost / 0.7 - b.influxd).toFixed(1)} µs per reading.`,
        ...results.map(({ round, limit, nodered }) => `- Round ${round}: InfluxDB alone (the limit, no broker, no consumer) writes **${(rate(limit) / rate(nodered)).toFixed(1)} ×** Node-RED's end-to-end rate: no pipeline ending in this influxd can be "several times" Node-RED's on this machine.`),
        `- Against Node-RED (round ${last.round}): broker + influxd + load generator cost ${(b.oursCost - perReading(last.ours.cpu.consumer, last.ours)).toFixed(1)} µs per reading in our leg whatever the consumer does, so even a consumer costing nothing could be at most ${(perReading(sum(last.nodered.cpu, PIPELINE), last.nodered) / (b.oursCost - perReading(last.ours.cpu.consumer, last.ours))).toFixed(1)} × Node-RED's ${perReading(sum(last.nodered.cpu, PIPELINE), last.nodered).toFixed(1)} µs per reading when both are CPU-bound; the consumer-CPU ratio above is where ingest itself differs.`,
        `- The broker column is the broker process. Not counted in any leg: the bench process itself (SHOW STATS polling), ${results.map(({ round, ours, nodered }) => `round ${round} ${us(ours.cpu.bench, ours)} / ${us(nodered.cpu.bench, nodered)} µs per reading`).join(', ')} (ingest / Node-RED leg). Node-RED acknowledges each MQTT message on receipt, before the write; ingest only after the write is durable.`,
      ].join('\n');
    } finally {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      dir.remove();
    }
  },
};
