import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { startStack, type PipelineCounters, type RunningStack } from '../cli/stack.ts';
import { createLogger, queryInfluxQL, SimulatedClock, type InfluxTarget } from '../service-kit/index.ts';
import { tempDir, waitFor } from '../testing/index.ts';
import { buildLedger, deadLetteredReadings, storedReadings, type Ledger } from './harness/ledger.ts';

// The soak (issue 20): the `npm start` stack (one process: broker, ingest,
// rules, cases, edge agent, simulated city; a managed influxd beside it) run
// for a long stretch of city time at city scale, on one simulated clock
// (`npm start --sim-clock`): `simulatedMs` of city time pass in
// simulatedMs / speed of wall time. Polling and sampling are paced by the
// wall clock (the machine's work per second does not change with the speed);
// every reading, rule window, SLA and the simulator's physics read the
// simulated one. Samples are taken at a fixed wall cadence after a forced GC.
// It passes when the heap and the open handles stopped growing (the second
// half of the measured samples holds no more than the first half, within a
// tolerance) and when every reading the gateway numbered is in InfluxDB or
// dead-lettered with a reason, none twice.

export interface SoakOptions {
  devices: number;
  /** City time the run covers (simulated ms). */
  simulatedMs: number;
  /** Simulated ms per wall ms: the run takes simulatedMs / speed of wall time. */
  speed: number;
  /** Wall ms between two polls of a device (a poll period of pollIntervalMs × speed in city time). */
  pollIntervalMs: number;
  /** Wall ms between samples (each after a forced GC). */
  sampleEveryMs: number;
  /** City time at the start (epoch ms); default the wall time now (InfluxDB's retention keeps recent points). */
  simulatedStartMs?: number;
  /** Share of the run before measuring starts (caches, JIT, rule states, InfluxDB shards fill up). */
  warmupShare: number;
  /** Heap growth allowed between the two measured halves: the larger of these. */
  heapToleranceBytes: number;
  heapToleranceShare: number;
  /** Open handles (sockets, timers, files) allowed above the first half's highest. */
  handleTolerance: number;
  seed?: number;
  /** One plain line per sample and step, for a person at the terminal. */
  progress?: (line: string) => void;
}

export interface SoakSample {
  /** Wall ms since the stack was up. */
  atMs: number;
  /** City ms since the simulated start. */
  simAtMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  handles: number;
  counters: PipelineCounters;
}

/** Sent against stored: the harness's exact ledger, or per-device counts after a long run. */
export type SoakLedger = Pick<Ledger, 'devices' | 'sent' | 'stored' | 'deadLettered' | 'lost' | 'duplicates' | 'missingSample'> & { exact: boolean };

export interface SoakResult {
  samples: SoakSample[];
  ledger: SoakLedger;
  /** Readings the edge agent numbered (its own count): must equal the ledger's sent. */
  agentReadings: number;
  heap: { firstHalfMean: number; secondHalfMean: number; growthBytes: number; allowedBytes: number; slopeBytesPerHour: number };
  handles: { firstHalfMax: number; secondHalfMax: number; byType: Record<string, number> };
  problems: string[];
  wallMs: number;
  /** Wall ms of the sampled run (simulatedMs / speed). */
  runWallMs: number;
  /** The run's clock (`<start>@<speed>@<wallAnchor>`, as TZ_SIM_CLOCK) and the city time it reached. */
  clock: { spec: string; reachedMs: number };
  /** Readings per wall second the agent polled over the sampled run. */
  readingsPerSecond: number;
}

export const SOAK_DEFAULTS: Omit<SoakOptions, 'devices' | 'simulatedMs' | 'speed' | 'pollIntervalMs' | 'sampleEveryMs'> = {
  warmupShare: 0.3, heapToleranceBytes: 16 * 2 ** 20, heapToleranceShare: 0.1, handleTolerance: 4,
};

/** `global.gc` without starting node with --expose-gc (the flag is read when the function is created). */
function forcedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const mx = mean(points.map((p) => p[0]));
  const my = mean(points.map((p) => p[1]));
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Above this many readings the ledger is built from per-device counts: reading every point back takes longer than InfluxDB's query timeout. */
const EXACT_LEDGER_MAX = 300_000;

/**
 * Per device: points stored (COUNT) and the highest seq (MAX). The agent numbers
 * a device's readings 1..n and a replay overwrites its own point, so
 * count + dead-lettered = max seq when nothing is lost or doubled.
 */
async function countedLedger(target: InfluxTarget, deadLetterPath: string): Promise<SoakLedger> {
  const perDevice = new Map<string, { stored: number; top: number; dead: number }>();
  const entry = (d: string): { stored: number; top: number; dead: number } => {
    let e = perDevice.get(d);
    if (e === undefined) {
      e = { stored: 0, top: 0, dead: 0 };
      perDevice.set(d, e);
    }
    return e;
  };
  for (const series of await queryInfluxQL(target, 'SELECT COUNT("seq") AS n, MAX("seq") AS top FROM /.*/ GROUP BY "device"')) {
    const device = series.tags?.device;
    const row = series.values[0];
    if (!device || !row) continue;
    const e = entry(device);
    e.stored += Number(row[series.columns.indexOf('n')] ?? 0);
    e.top = Math.max(e.top, Number(row[series.columns.indexOf('top')] ?? 0));
  }
  const deadSeen = new Set<string>();
  for (const r of deadLetteredReadings(deadLetterPath)) {
    const key = `${r.deviceId}\u0000${r.seq}`;
    if (deadSeen.has(key)) continue;
    deadSeen.add(key);
    const e = entry(r.deviceId);
    e.dead += 1;
    e.top = Math.max(e.top, r.seq);
  }
  const ledger: SoakLedger = { devices: perDevice.size, sent: 0, stored: 0, deadLettered: 0, lost: 0, duplicates: 0, missingSample: [], exact: false };
  for (const [device, e] of perDevice) {
    ledger.sent += e.top;
    ledger.stored += e.stored;
    ledger.deadLettered += e.dead;
    const gap = e.top - e.stored - e.dead;
    if (gap > 0) {
      ledger.lost += gap;
      if (ledger.missingSample.length < 8) ledger.missingSample.push(`${device}: ${gap} of ${e.top}`);
    } else ledger.duplicates += -gap;
  }
  return ledger;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The agent's queue and ingest's buffers empty: everything polled is stored or dead-lettered. */
function drained(stack: RunningStack): true | undefined {
  const d = stack.details();
  return (d.edgeAgent?.queueDepth ?? 1) === 0 && (d.ingest?.pending ?? 0) === 0 && (d.ingest?.buffered ?? 0) === 0 ? true : undefined;
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const say = options.progress ?? (() => undefined);
  const gc = forcedGc();
  const dir = tempDir('tz-soak-');
  const varDir = dir.path;
  const started = Date.now();
  const problems: string[] = [];
  const clock = new SimulatedClock(options.simulatedStartMs ?? Date.now(), options.speed);
  const runWallMs = options.simulatedMs / options.speed;
  const minutes = (ms: number) => `${(ms / 60_000).toFixed(ms < 600_000 ? 1 : 0)} min`;
  say(`soak: ${options.devices} devices, ${minutes(options.simulatedMs)} of city time at ${options.speed}× = ${minutes(runWallMs)} wall; a poll every ${options.pollIntervalMs} ms wall (${((options.pollIntervalMs * options.speed) / 1000).toFixed(0)} s city) = ${Math.round((options.devices * 1000) / options.pollIntervalMs)} readings/s; a sample every ${Math.round(options.sampleEveryMs / 1000)} s wall (${Math.floor(runWallMs / options.sampleEveryMs)} samples)`);
  const stack = await startStack({
    varDir, devices: options.devices, seed: options.seed ?? 7, gatewayId: 'gw-soak', pollIntervalMs: options.pollIntervalMs,
    database: 'tianzhong_soak', mqttPort: 0, statusPort: 0, log: createLogger('soak', process.env.TZ_LOG_LEVEL ?? 'silent'), clock,
  });
  const samples: SoakSample[] = [];
  try {
    // startStack released the clock once everything listened: city time flows from here.
    const t0 = Date.now();
    // Bounded: one sample per cadence until the run's wall time (its city time / speed) is over.
    for (let i = 1; i <= Math.ceil(runWallMs / options.sampleEveryMs); i++) {
      await sleep(Math.max(0, t0 + i * options.sampleEveryMs - Date.now()));
      gc();
      const mem = process.memoryUsage();
      const sample: SoakSample = { atMs: Date.now() - t0, simAtMs: clock.now() - clock.startMs, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, handles: process.getActiveResourcesInfo().length, counters: stack.counters() };
      samples.push(sample);
      const c = sample.counters;
      say(`soak: ${Math.round(sample.atMs / 1000)} s (city +${minutes(sample.simAtMs)}) heap ${(mem.heapUsed / 2 ** 20).toFixed(1)} MiB rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB handles ${sample.handles} · polled ${c.readingsPolled} stored ${c.readingsWritten} rejected ${c.readingsRejected} · alarms ${c.alarmsRaised} cases ${c.casesOpened}`);
    }

    // Stop the devices answering, then let the queue and ingest settle before counting.
    await stack.sim.stop();
    await waitFor('the pipeline to drain', () => drained(stack), 120_000, 250).catch(() => problems.push(`the pipeline did not drain within 120 s: ${JSON.stringify(stack.details().edgeAgent?.queueDepth)} queued`));
    const agentReadings = stack.counters().readingsPolled;
    const target = { url: stack.influxUrl, database: stack.database };
    const deadLetterPath = join(varDir, 'dead-letter.sqlite');
    const ledger: SoakLedger = agentReadings <= EXACT_LEDGER_MAX
      ? { ...buildLedger([], await storedReadings(target), deadLetteredReadings(deadLetterPath)), exact: true }
      : await countedLedger(target, deadLetterPath);
    // A short run checks the counted ledger (what a long run relies on) against the exact one.
    if (ledger.exact) {
      const counted = await countedLedger(target, deadLetterPath);
      if (counted.sent !== ledger.sent || counted.stored !== ledger.stored || counted.lost !== ledger.lost) problems.push(`the counted ledger (${JSON.stringify(counted)}) disagrees with the exact one`);
    }
    if (ledger.lost > 0) problems.push(`${ledger.lost} readings lost, e.g. ${ledger.missingSample.join(', ')}`);
    if (ledger.duplicates > 0) problems.push(`${ledger.duplicates} readings stored twice`);
    if (ledger.sent !== agentReadings) problems.push(`the agent numbered ${agentReadings} readings, the ledger accounts for ${ledger.sent}`);
    if (agentReadings === 0) problems.push('no readings at all');
    // Readings carry city time: the newest stored point stands near the end of the simulated run, far past the wall clock at a speed above 1.
    const newest = Math.max(0, ...(await queryInfluxQL(target, 'SELECT last("seq") FROM /.*/')).map((series) => Number(series.values[0]?.[0] ?? 0)));
    const reached = clock.now() - clock.startMs;
    if (newest < clock.startMs + reached * 0.8) problems.push(`the newest stored reading is at ${new Date(newest).toISOString()}, not near the city time reached (${new Date(clock.startMs + reached).toISOString()}): readings do not carry the simulated clock`);

    const runPolled = samples.at(-1)?.counters.readingsPolled ?? 0;
    const measured = samples.filter((s) => s.atMs >= runWallMs * options.warmupShare);
    const half = Math.floor(measured.length / 2);
    const first = measured.slice(0, half);
    const second = measured.slice(half);
    if (first.length < 2 || second.length < 2) problems.push(`too few samples after the warm-up (${measured.length}): run longer or sample more often`);
    const heap = {
      firstHalfMean: mean(first.map((s) => s.heapUsedBytes)),
      secondHalfMean: mean(second.map((s) => s.heapUsedBytes)),
      growthBytes: 0,
      allowedBytes: 0,
      slopeBytesPerHour: slope(measured.map((s) => [s.atMs, s.heapUsedBytes])) * 3_600_000,
    };
    heap.growthBytes = heap.secondHalfMean - heap.firstHalfMean;
    const allowed = Math.max(options.heapToleranceBytes, heap.firstHalfMean * options.heapToleranceShare);
    heap.allowedBytes = allowed;
    if (heap.growthBytes > allowed) problems.push(`the heap still grows: ${(heap.growthBytes / 2 ** 20).toFixed(1)} MiB between the halves (allowed ${(allowed / 2 ** 20).toFixed(1)} MiB), ${(heap.slopeBytesPerHour / 2 ** 20).toFixed(1)} MiB/h`);
    const handles = {
      firstHalfMax: Math.max(0, ...first.map((s) => s.handles)),
      secondHalfMax: Math.max(0, ...second.map((s) => s.handles)),
      byType: process.getActiveResourcesInfo().reduce<Record<string, number>>((acc, t) => ({ ...acc, [t]: (acc[t] ?? 0) + 1 }), {}),
    };
    if (handles.secondHalfMax > handles.firstHalfMax + options.handleTolerance) problems.push(`open handles still grow: ${handles.firstHalfMax} → ${handles.secondHalfMax}`);
    say(`soak: sent ${ledger.sent} = stored ${ledger.stored} + dead-lettered ${ledger.deadLettered}; lost ${ledger.lost}, duplicates ${ledger.duplicates}; heap ${(heap.firstHalfMean / 2 ** 20).toFixed(1)} → ${(heap.secondHalfMean / 2 ** 20).toFixed(1)} MiB (allowed +${(allowed / 2 ** 20).toFixed(1)}); handles ${handles.firstHalfMax} → ${handles.secondHalfMax}`);
    return {
      samples, ledger, agentReadings, heap, handles, problems, wallMs: Date.now() - started, runWallMs,
      clock: { spec: clock.toSpec(), reachedMs: samples.at(-1)?.simAtMs ?? 0 }, readingsPerSecond: runPolled / (Math.max(1, samples.at(-1)?.atMs ?? 0) / 1000),
    };
  } finally {
    await stack.stop();
    dir.remove();
  }
}
