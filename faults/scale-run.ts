// The scale-out run behind docs/SCALE.md: `npx tsx faults/scale-run.ts [--seconds 15] [--gateways 8] [--devices 250]`.
// Same load twice in one run: (1) one broker (memory) + one ingest, the
// one-machine default; (2) two broker nodes on one Redis + two ingest
// instances in a `$share` group, gateways split across both nodes, InfluxDB
// behind INFLUX_URL. Load = simulated gateways publishing UplinkBatches
// (QoS 1, a window of batches in flight) as fast as the pipeline acknowledges.
// Reports messages/s and readings/s accepted, points/s stored end to end, and
// sent vs stored per device (loss and duplicates by seq). The two-node run
// also starts two rules instances in a `$share/rules` group and reports which
// gateways each evaluated (from each instance's evaluator state) and how many
// readings (its /metrics): disjoint gateways, together every reading. It also
// counts every batch hop by hop from each process's /metrics (gateway PUBACK →
// node → Redis → node 0 → $share → ingest/rules → stored) and names the first
// hop that lost some (`hops`, `lossHop`). TZ_FAULT_KEEP=1 keeps every log.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { stringify as toYaml } from 'yaml';
import { BrokerUsers } from '../broker/index.ts';
import { encodeUplinkBatch, topics, type IReading } from '../proto/index.ts';
import { queryInfluxQL, type InfluxTarget } from '../ingest/index.ts';
import Database from 'better-sqlite3';
import { ComponentProcess, freePort, health, metricSum, startManagedInfluxd } from '../testing/index.ts';
import { TzError } from '../service-kit/index.ts';
import { cliHelp, waitUntil } from './harness/pipeline.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 15);
const GATEWAYS = arg('gateways', 8);
const DEVICES = arg('devices', 250); // per gateway, one reading each per batch
const WINDOW = 4; // batches in flight per gateway
// Every publish crosses Redis pub/sub (mqemitter-redis), which is at most once:
// Redis closes a subscriber whose output buffer passes `client-output-buffer-limit
// pubsub` (default 32 MB hard, 8 MB for 60 s) and whatever it buffered is gone.
// A broker node busy for a moment under this load falls that far behind, so the
// run lifts the limit as docs/SCALE.md tells operators to; `--redis-default-limits`
// keeps Redis' defaults to show the loss.
const REDIS_PUBSUB_LIMIT = process.argv.includes('--redis-default-limits') ? [] : ['--client-output-buffer-limit', 'pubsub 0 0 0'];

export interface ScaleResult {
  topology: string;
  messagesPerS: number;
  readingsPerS: number;
  storedPointsPerS: number;
  sent: number;
  stored: number;
  lost: number;
  duplicates: number;
  drainS: number;
  /** Clients the broker nodes cut off as slow consumers during the run (ingest, rules). */
  slowConsumers: number;
  /** Readings missing, by `gateway@node` (only when some are). */
  lostByGateway?: Record<string, number>;
  /** Where each batch was counted on its way (two-node run, read from every process's /metrics before it stops). */
  hops?: Hop[];
  /** The first hop that counted fewer batches than the one before it, or null when none did. */
  lossHop?: string | null;
  /** Two-node run: the rules instances of the `$share/rules` group. */
  rules?: RulesShare[];
  /** Every gateway evaluated by exactly one rules instance, and batches received = batches published. */
  rulesPartitioned?: boolean;
  /** Two-node run: each node's Redis stream reader (emitter streams; zeros with pubsub). */
  redisStream?: Array<{ node: string; resumes: number; trimmedBeforeRead: number; duplicatesSkipped: number; subscriberReconnects: number }>;
}

export interface Hop {
  hop: string;
  batches: number;
  /** Why this hop may have lost some: reconnects, PUBLISH errors, undeliverable, ... (only when non-zero). */
  note?: string;
}

export interface RulesShare {
  instance: string;
  batches: number;
  readingsEvaluated: number;
  readingsRejected: number;
  gateways: string[];
}

/** What a fault injected into the two-node run may touch (faults/cases/redis-*.ts). */
export interface ScaleFaultContext {
  redisPort: number;
  /** SIGKILL of redis-server, then the same server started again on its data (append-only file). */
  restartRedis(): Promise<void>;
  /** Each broker node's HTTP base URL (/metrics). */
  brokerHttp: string[];
  log(line: string): void;
}

/** A fault during the two-node run's load, `afterMs` after it starts; the run then drains and counts as usual. */
export interface ScaleFault {
  afterMs: number;
  inject(ctx: ScaleFaultContext): Promise<void>;
}

export interface ScaleRunOptions {
  seconds?: number;
  gateways?: number;
  fault?: ScaleFault;
}

function reading(gw: number, device: number, seq: number, t0: number): IReading {
  return {
    deviceId: `pole-g${gw}-${device}`, profile: 'smart-pole', profileVersion: 1, seq, timestampMs: t0 + seq, district: 'gulou',
    metrics: [{ name: 'voltage_v', number: 220 + (seq % 10) }, { name: 'current_a', number: 1.5 }, { name: 'noise_db', number: 55 + (device % 20) }, { name: 'temperature_c', number: 21.5 }],
  };
}

/** One simulated gateway: publishes batches until `until`, keeping WINDOW in flight. Returns readings acknowledged. */
async function gatewayLoad(url: string, gw: number, password: string, until: number, t0: number, sentPerDevice: Map<string, number>): Promise<{ messages: number; readings: number }> {
  const id = `gw-scale-${gw}`;
  const client = await mqtt.connectAsync(url, { clientId: id, username: id, password, clean: true, reconnectPeriod: 1000 });
  let seq = 0;
  let messages = 0;
  let readings = 0;
  const lane = async () => {
    while (Date.now() < until) {
      const s = ++seq;
      const batch = encodeUplinkBatch({ gatewayId: id, batchSeq: s, sentAtMs: Date.now(), readings: Array.from({ length: DEVICES }, (_, d) => reading(gw, d, s, t0)) });
      await client.publishAsync(topics.batch(id), Buffer.from(batch), { qos: 1 });
      messages++;
      readings += DEVICES;
      for (let d = 0; d < DEVICES; d++) sentPerDevice.set(`pole-g${gw}-${d}`, Math.max(sentPerDevice.get(`pole-g${gw}-${d}`) ?? 0, s));
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  await client.endAsync();
  return { messages, readings };
}

async function storedCount(target: InfluxTarget): Promise<Map<string, number>> {
  const series = await queryInfluxQL(target, 'SELECT count("seq") FROM "smart_pole" GROUP BY "device"').catch(() => []);
  const out = new Map<string, number>();
  for (const s of series) out.set(String(s.tags?.device), Number(s.values?.[0]?.[1] ?? 0));
  return out;
}

/**
 * A batch's way in the two-node run, counted at each hop from the processes'
 * /metrics: acknowledged to the gateways on node n → node n put it on Redis
 * (tz_broker_redis_published_total{kind="gw/up/batch"}) → node 0 got it back
 * from Redis (tz_broker_redis_received_total; every batch crosses Redis, even
 * from node 0's own gateways) → node 0's `$share` dispatchers handed it to a
 * member (tz_broker_shared_deliveries_total, per group) → the ingest and rules
 * instances settled it → readings stored / DEVICES. The first hop that counts
 * less than the one before is where a loss happened.
 */
async function countHops(nodes: string[], acked: number[], ingest: string[], rules: string[], storedBatches: number): Promise<{ hops: Hop[]; lossHop: string | null }> {
  const m = (url: string, name: string, labels: Record<string, string> = {}) => metricSum(url, name, labels).catch(() => Number.NaN);
  const sum = async (urls: string[], name: string, labels: Record<string, string> = {}) => (await Promise.all(urls.map((u) => m(u, name, labels)))).reduce((a, b) => a + b, 0);
  const note = (parts: Array<[string, number]>) => parts.filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ') || undefined;
  const hops: Hop[] = [];
  const publishedByNode: number[] = [];
  const [node0] = nodes;
  if (node0 === undefined) throw new TzError('TZ_INTERNAL', 'scale run: no broker node to count hops on');
  for (const [n, node] of nodes.entries()) {
    hops.push({ hop: `gateways→node${n} (PUBACK)`, batches: acked[n] ?? 0 });
    const published = await m(node, 'tz_broker_redis_published_total', { kind: 'gw/up/batch' });
    publishedByNode.push(published);
    hops.push({ hop: `node${n}→Redis`, batches: published, note: note([['PUBLISH errors', await m(node, 'tz_broker_redis_publish_errors_total')], ['published to no subscriber', await m(node, 'tz_broker_redis_published_unheard_total', { kind: 'gw/up/batch' })]]) });
  }
  const chain: Hop[] = [
    { hop: 'Redis→node0', batches: await m(node0, 'tz_broker_redis_received_total', { kind: 'gw/up/batch' }),
      note: note([['subscriber reconnects', await m(node0, 'tz_broker_redis_subscriber_reconnects_total')], ['pub/sub connection errors', await m(node0, 'tz_broker_redis_connection_errors_total')]]) },
    { hop: 'node0 $share/ingest', batches: await m(node0, 'tz_broker_shared_deliveries_total', { group: 'ingest' }), note: note([['undeliverable', await m(node0, 'tz_broker_shared_undeliverable_total', { group: 'ingest' })]]) },
    { hop: 'Redis→node0 ($share hand-offs)', batches: await m(node0, 'tz_broker_redis_received_total', { kind: 'share' }), note: 'both groups; out of ' + await m(node0, 'tz_broker_redis_published_total', { kind: 'share' }) },
    { hop: 'ingest settled', batches: await sum(ingest, 'tz_ingest_batches_total') },
    { hop: 'stored', batches: storedBatches },
  ];
  const rulesChain: Hop[] = rules.length === 0 ? [] : [
    { hop: 'node0 $share/rules', batches: await m(node0, 'tz_broker_shared_deliveries_total', { group: 'rules' }), note: note([['undeliverable', await m(node0, 'tz_broker_shared_undeliverable_total', { group: 'rules' })]]) },
    { hop: 'rules evaluated', batches: await sum(rules, 'tz_rules_batches_total') },
  ];
  // Redelivered (unacknowledged at a cut-off) batches count twice downstream, so a hop may count more than the one before; only less is a loss.
  const totalAcked = acked.reduce((a, b) => a + b, 0);
  let lossHop: string | null = null;
  for (let n = 0; n < nodes.length && !lossHop; n++) if ((publishedByNode[n] ?? 0) < (acked[n] ?? 0)) lossHop = `node${n}→Redis`;
  // A hop that counts less than the least before it lost some; NaN (a process that did not answer) counts as a loss too.
  const check = (from: number, list: Hop[]) => {
    let previous = from;
    for (const h of list) {
      if (lossHop) return;
      if (!(h.batches >= previous)) lossHop = h.hop;
      previous = Math.min(previous, h.batches);
    }
  };
  const [fromRedis, dispatched, handOffs, ...toIngest] = chain as [Hop, Hop, Hop, ...Hop[]];
  check(totalAcked, [fromRedis, dispatched]);
  // Each group's hand-off crosses Redis once more: everything node 0 published to `$tzshare/...` must come back to it.
  const handOffsOut = await m(node0, 'tz_broker_redis_published_total', { kind: 'share' });
  if (!lossHop && !(handOffs.batches >= handOffsOut)) lossHop = handOffs.hop;
  check(Math.min(totalAcked, fromRedis.batches, dispatched.batches), toIngest);
  check(Math.min(totalAcked, fromRedis.batches), rulesChain);
  hops.push(...chain, ...rulesChain);
  return { hops, lossHop };
}

async function runTopology(clustered: boolean, dir: string, influx: InfluxTarget, procs: ComponentProcess[], log: (line: string) => void, options: ScaleRunOptions = {}): Promise<ScaleResult> {
  const seconds = options.seconds ?? SECONDS;
  const gateways = options.gateways ?? GATEWAYS;
  const users = BrokerUsers.load(join(dir, `users-${clustered ? 'c' : 's'}.json`));
  const secret = 'scale-run-password-0123456789';
  users.add('tz-ingest', secret, 'service');
  if (clustered) users.add('tz-rules', secret, 'rules');
  for (let g = 0; g < gateways; g++) users.add(`gw-scale-${g}`, secret, 'gateway');
  users.save();
  let redis: ChildProcess | null = null;
  const brokers: Array<{ mqtt: number; http: number }> = [];
  const brokerAt = (n: number): { mqtt: number; http: number } => {
    const broker = brokers[n];
    if (broker === undefined) throw new TzError('TZ_INTERNAL', `scale run: no broker node ${n} (${brokers.length} started)`);
    return broker;
  };
  const nodes = clustered ? 2 : 1;
  let redisPort = 0;
  // With appendfsync everysec an acknowledged write is in the AOF file (the OS's page cache) before the reply, so a SIGKILL of the process loses none.
  const spawnRedis = () => spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir,
    '--logfile', join(dir, 'redis.log'), ...REDIS_PUBSUB_LIMIT], { stdio: 'ignore' });
  if (clustered) {
    redisPort = await freePort();
    redis = spawnRedis();
  }
  try {
    for (let n = 0; n < nodes; n++) {
      const ports = { mqtt: await freePort(), http: await freePort() };
      brokers.push(ports);
      const args = ['broker', 'run', '--port', String(ports.mqtt), '--http-port', String(ports.http), '--users', users.path ?? join(dir, `users-${clustered ? 'c' : 's'}.json`)];
      if (clustered) {
        const file = join(dir, `broker-${n}.yaml`);
        writeFileSync(file, toYaml({ nodeId: `broker-${n}`, persistence: { type: 'redis', url: `redis://127.0.0.1:${redisPort}/0` } }));
        args.push('--config', file);
      }
      const p = new ComponentProcess({ name: `broker-${n}`, args, logFile: join(dir, `broker-${n}.log`), ready: async () => (await health(`http://127.0.0.1:${ports.http}`))?.ok === true });
      procs.push(p);
      await p.start();
    }
    const ingestHttp: string[] = [];
    const ingestCmd = /^\s+run \[options\]/m.test(await cliHelp(['ingest'])) ? ['ingest', 'run'] : ['ingest'];
    const shared = clustered && /--share-group/.test(await cliHelp(ingestCmd));
    for (let i = 0; i < (clustered ? 2 : 1); i++) {
      const httpPort = await freePort();
      ingestHttp.push(`http://127.0.0.1:${httpPort}`);
      // All members of the $share group on node 0: the group is per node (broker/README.md); node 1's gateways reach it over Redis.
      const args = [...ingestCmd, '--broker', `mqtt://127.0.0.1:${brokerAt(0).mqtt}`, '--http-port', String(httpPort), '--influx-url', influx.url, '--database', influx.database,
        '--dead-letter', join(dir, `dl-${clustered ? 'c' : 's'}-${i}.sqlite`), '--client-id', `tz-ingest-${clustered ? 'c' : 's'}-${i}`, ...(shared ? ['--share-group', 'ingest'] : [])];
      const p = new ComponentProcess({ name: `ingest-${i}`, args, env: { TZ_MQTT_PASSWORD: secret }, logFile: join(dir, `ingest-${i}.log`), ready: async () => (await health(`http://127.0.0.1:${httpPort}`))?.mqttConnected === true });
      procs.push(p);
      await p.start();
    }
    // Rules partitioned by gateway: two members of `$share/rules`, on node 0 like ingest's group.
    const rules: Array<{ name: string; proc: ComponentProcess; http: string; db: string }> = [];
    if (clustered) {
      for (let i = 0; i < 2; i++) {
        const httpPort = await freePort();
        const name = `rules-${i}`;
        const db = join(dir, `${name}.sqlite`);
        const args = ['rules', 'run', '--broker', `mqtt://127.0.0.1:${brokerAt(0).mqtt}`, '--username', 'tz-rules', '--client-id', `tz-rules-c-${i}`, '--share-group', 'rules',
          '--http-port', String(httpPort), '--db', db, '--cases-db', join(dir, `${name}-cases.sqlite`), '--access-db', join(dir, `${name}-access.sqlite`), '--photos', join(dir, `${name}-photos`)];
        const p = new ComponentProcess({ name, args, env: { TZ_MQTT_PASSWORD: secret }, logFile: join(dir, `${name}.log`), ready: async () => (await health(`http://127.0.0.1:${httpPort}`))?.ok === true });
        procs.push(p);
        await p.start();
        rules.push({ name, proc: p, http: `http://127.0.0.1:${httpPort}`, db });
      }
    }
    const node0 = `http://127.0.0.1:${brokerAt(0).http}`;
    if (shared) await waitUntil('ingest group complete', async () => (await metricSum(node0, 'tz_broker_shared_members', { group: 'ingest' })) === 2, 20_000, 100);
    if (rules.length > 0) await waitUntil('rules group complete', async () => (await metricSum(node0, 'tz_broker_shared_members', { group: 'rules' })) === 2, 20_000, 100);
    const sentPerDevice = new Map<string, number>();
    const started = Date.now();
    const until = started + seconds * 1000;
    const t0 = Date.now() - 3_600_000 + (clustered ? 1_800_000 : 0); // distinct time ranges per topology
    const fault = clustered && options.fault ? options.fault : null;
    const faulted = fault
      ? new Promise((resolve) => setTimeout(resolve, fault.afterMs)).then(() => fault.inject({
          redisPort,
          brokerHttp: brokers.map((b) => `http://127.0.0.1:${b.http}`),
          log,
          restartRedis: async () => {
            const old = redis;
            if (old && old.exitCode === null && old.signalCode === null) {
              const gone = new Promise((resolve) => old.once('exit', resolve));
              old.kill('SIGKILL');
              await gone;
            }
            redis = spawnRedis();
            await waitUntil('redis-server back', () => new Promise<boolean>((resolve) => {
              const socket = netConnect(redisPort, '127.0.0.1');
              socket.once('connect', () => { socket.destroy(); resolve(true); });
              socket.once('error', () => resolve(false));
            }), 10_000, 20);
          },
        }))
      : Promise.resolve();
    const loads = await Promise.all(Array.from({ length: gateways }, (_, g) => gatewayLoad(`mqtt://127.0.0.1:${brokerAt(g % nodes).mqtt}`, g, secret, until, t0, sentPerDevice)));
    await faulted;
    const publishedS = (Date.now() - started) / 1000;
    const sent = [...sentPerDevice.values()].reduce((a, b) => a + b, 0);
    let stored = 0;
    let lastCounts = new Map<string, number>();
    const drainMs = await waitUntil('every reading stored', async () => {
      const counts = await storedCount(influx);
      lastCounts = counts;
      stored = [...sentPerDevice.keys()].reduce((a, d) => a + (counts.get(d) ?? 0), 0);
      return stored >= sent;
    }, 120_000, 500).catch(() => 120_000);
    const totalS = publishedS + drainMs / 1000;
    const messages = loads.reduce((a, l) => a + l.messages, 0);
    const readings = loads.reduce((a, l) => a + l.readings, 0);
    // Where a loss is, by gateway and broker node (gateway g is on node g % nodes).
    const lostByGateway: Record<string, number> = {};
    for (const [device, max] of sentPerDevice) {
      const missing = max - (lastCounts.get(device) ?? 0);
      const gw = `gw-scale-${/^pole-g(\d+)-/.exec(device)?.[1]}@node${Number(/^pole-g(\d+)-/.exec(device)?.[1]) % nodes}`;
      if (missing > 0) lostByGateway[gw] = (lostByGateway[gw] ?? 0) + missing;
    }
    let slowConsumers = 0;
    for (const b of brokers) slowConsumers += await metricSum(`http://127.0.0.1:${b.http}`, 'tz_broker_slow_consumers_total').catch(() => 0);
    let rulesShares: RulesShare[] | undefined;
    let rulesPartitioned: boolean | undefined;
    const batchesSeen = async () => (await Promise.all(rules.map((r) => metricSum(r.http, 'tz_rules_batches_total').catch(() => 0)))).reduce((a, b) => a + b, 0);
    // Every published batch reaches one member (QoS 1, persistent sessions); bounded wait for the last ones.
    if (rules.length > 0) await waitUntil('rules received every batch', async () => (await batchesSeen()) >= messages, 60_000, 250).catch(() => undefined);
    let hops: Hop[] | undefined;
    let lossHop: string | null | undefined;
    let redisStream: ScaleResult['redisStream'];
    if (clustered) {
      const acked = brokers.map((_, n) => loads.filter((_, g) => g % nodes === n).reduce((a, l) => a + l.messages, 0));
      ({ hops, lossHop } = await countHops(brokers.map((b) => `http://127.0.0.1:${b.http}`), acked, ingestHttp, rules.map((r) => r.http), stored / DEVICES));
      redisStream = [];
      for (const [n, broker] of brokers.entries()) {
        const url = `http://127.0.0.1:${broker.http}`;
        const m = (name: string) => metricSum(url, name).catch(() => Number.NaN);
        redisStream.push({ node: `broker-${n}`, resumes: await m('tz_broker_redis_stream_resumes_total'), trimmedBeforeRead: await m('tz_broker_redis_stream_trimmed_before_read_total'),
          duplicatesSkipped: await m('tz_broker_redis_stream_duplicates_total'), subscriberReconnects: await m('tz_broker_redis_subscriber_reconnects_total') });
      }
      log(`scale-out: hops ${hops.map((h) => `${h.hop}=${h.batches}${h.note ? ` (${h.note})` : ''}`).join(' → ')}${lossHop ? `; LOST at ${lossHop}` : '; no hop lost a batch'}`);
    }
    if (rules.length > 0) {
      rulesShares = [];
      for (const r of rules) {
        const share: RulesShare = {
          instance: r.name,
          batches: await metricSum(r.http, 'tz_rules_batches_total'),
          readingsEvaluated: await metricSum(r.http, 'tz_rules_readings_evaluated_total'),
          readingsRejected: await metricSum(r.http, 'tz_rules_rejected_total'),
          gateways: [],
        };
        await r.proc.stop(); // a polite stop checkpoints the evaluator state: one row per device it evaluated
        const db = new Database(r.db, { readonly: true });
        const devices = db.prepare('SELECT device_id FROM device_state').all() as Array<{ device_id: string }>;
        db.close();
        share.gateways = [...new Set(devices.map((d) => `gw-scale-${/^pole-g(\d+)-/.exec(d.device_id)?.[1] ?? '?'}`))].sort();
        rulesShares.push(share);
      }
      const all = rulesShares.flatMap((r) => r.gateways);
      rulesPartitioned = new Set(all).size === all.length && all.length === gateways && rulesShares.reduce((a, r) => a + r.batches, 0) >= messages;
    }
    return {
      topology: clustered ? `2 brokers on Redis + ${shared ? '2 ingest ($share)' : '2 ingest (no --share-group: each writes every reading)'}` : '1 broker (memory) + 1 ingest',
      messagesPerS: Math.round(messages / publishedS), readingsPerS: Math.round(readings / publishedS), storedPointsPerS: Math.round(stored / totalS),
      sent, stored: Math.min(stored, sent), lost: Math.max(0, sent - stored), duplicates: Math.max(0, stored - sent), drainS: Math.round(drainMs / 100) / 10,
      slowConsumers, ...(Object.keys(lostByGateway).length > 0 ? { lostByGateway } : {}), ...(hops ? { hops, lossHop } : {}), ...(redisStream ? { redisStream } : {}), ...(rulesShares ? { rules: rulesShares, rulesPartitioned } : {}),
    };
  } finally {
    for (const p of procs.splice(0).reverse()) {
      await p.stop();
      p.close();
    }
    redis?.kill('SIGKILL');
  }
}

/** INFLUX_URL when set, else the influxd the run started for lack of it. */
function influxUrlOf(influxd: { url: string } | null): string {
  const url = process.env.INFLUX_URL ?? influxd?.url;
  if (url === undefined) throw new TzError('TZ_INTERNAL', 'scale run: neither INFLUX_URL nor a managed influxd');
  return url;
}

export async function scaleRun(log: (line: string) => void = console.error): Promise<ScaleResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tz-scale-'));
  const influxd = process.env.INFLUX_URL ? null : await startManagedInfluxd({ dataDir: join(dir, 'influxdb') });
  const influx: InfluxTarget = { url: influxUrlOf(influxd), database: 'tz_scale' };
  const procs: ComponentProcess[] = [];
  const results: ScaleResult[] = [];
  try {
    for (const clustered of [false, true]) {
      await queryInfluxQL(influx, 'DROP DATABASE "tz_scale"').catch(() => undefined);
      log(`scale-out: ${clustered ? 'two-node' : 'single-node'} run, ${GATEWAYS} gateways × ${DEVICES} devices, ${SECONDS} s`);
      results.push(await runTopology(clustered, dir, influx, procs, log));
      log(JSON.stringify(results.at(-1)));
    }
  } finally {
    await influxd?.stop();
    if (process.env.TZ_FAULT_KEEP === '1') log(`scale-out: kept ${dir} (logs of every process)`);
    else rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/**
 * Only the two-node topology, with a fault injected during its load
 * (faults/cases/redis-restart.ts, redis-link-cut.ts). Same counting as the scale run.
 */
export async function scaleFaultRun(options: ScaleRunOptions, log: (line: string) => void = console.error): Promise<ScaleResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tz-scale-fault-'));
  const influxd = process.env.INFLUX_URL ? null : await startManagedInfluxd({ dataDir: join(dir, 'influxdb') });
  const influx: InfluxTarget = { url: influxUrlOf(influxd), database: 'tz_scale' };
  const procs: ComponentProcess[] = [];
  try {
    await queryInfluxQL(influx, 'DROP DATABASE "tz_scale"').catch(() => undefined);
    return await runTopology(true, dir, influx, procs, log, options);
  } finally {
    await influxd?.stop();
    if (process.env.TZ_FAULT_KEEP === '1') log(`scale-fault: kept ${dir} (logs of every process)`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await scaleRun();
  console.log(JSON.stringify(results, null, 2));
}
