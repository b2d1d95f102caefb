// Rules evaluation benchmark: 50 rules (the profiles' defaults, the built-in
// no-data rule and operator rules with windows, ranges, scopes and
// overrides) over 100,000 devices, readings fed through the engine as the
// MQTT consumer does: one gateway batch at a time (metric resolution, scope
// plans, state machines; the batch's alarm changes and outbox rows committed
// in one SQLite transaction, synchronous=FULL, before the PUBACK). Peers in
// the same run: a naive evaluator (every rule, every reading, conditions
// interpreted from the document, no scope index) and the floor (a loop that
// decodes and touches each reading). Also measured: heap per device after a
// forced GC, the longest event-loop stall, and the sliced write-behind
// checkpoint. TZ_BENCH_CPU_PROFILE=<dir> writes a CPU profile of the
// measured engine loop only (node:inspector).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { loadProfiles, metricOfValue, type Condition, type DeviceProfile, type RuleSpec } from '../../device-profiles/index.ts';
import { metricValueOf, type IReading } from '../../proto/index.ts';
import { createRegistry, DEFAULT_TIME_ZONE, ManualClock, markdownTable, processCpuSeconds, type Bench } from '../../service-kit/index.ts';
import { createRulesMetrics } from '../metrics.ts';
import { RulesEngine } from '../engine.ts';
import { SqliteRulesStore } from '../sqlite-store.ts';

/** arr[i] where the loop's bounds promise it (a checked read instead of a non-null assertion; costs nothing measurable). */
function at<T>(arr: readonly T[], i: number): T {
  const v = arr[i];
  if (v === undefined) throw new Error(`rules bench: no element ${i} of ${arr.length}`);
  return v;
}

/** Values of a healthy device (inside every default rule's band). */
const HEALTHY: Record<string, number> = {
  voltage_v: 220, current_a: 0.4, pressure_mpa: 0.3, battery_pct: 80, paper_pct: 80, soap_pct: 80, noise_db: 55, pm25_ugm3: 35, nh3_ppm: 5,
  h2s_ppm: 0.5, ev_charger_state: 0, flow_m3h: 0.2, temperature_c: 18, humidity_pct: 50, dimming_pct: 80, water_level_cm: 20, tilt_deg: 1,
};

const DISTRICTS = ['gulou', 'xuanwu', 'qinhuai', 'jianye', 'qixia', 'yuhuatai', 'jiangning', 'pukou', 'liuhe', 'lishui'];

function operatorRules(profiles: DeviceProfile[], need: number): RuleSpec[] {
  const out: RuleSpec[] = [];
  let i = 0;
  while (out.length < need) {
    const p = at(profiles, i % profiles.length);
    const numeric = p.metrics.filter((m) => m.type !== 'boolean');
    const m = at(numeric, i % numeric.length);
    const hi = (m.max ?? 1000) * 0.97;
    const kinds: Condition[] = [
      { metric: m.name, op: '>', value: hi },
      { metric: m.name, avg: '30m', op: '>', value: hi },
      { metric: m.name, outside: [m.min ?? -1e9, hi] },
      { all: [{ metric: m.name, max: '1h', op: '>', value: hi }, { time: { from: '22:00', to: '06:00' } }] },
    ];
    out.push({
      id: `op-rule-${i}`, name: `Operator rule ${i}`, severity: 'warning', scope: { classes: [p.class], ...(i % 3 === 0 ? { districts: DISTRICTS.slice(0, 5) } : {}) },
      when: at(kinds, i % kinds.length), for: i % 2 ? '5m' : 0, deadband: 0.5,
      ...(i % 4 === 0 ? { overrides: [{ districts: ['gulou'], set: { severity: 'critical' as const } }] } : {}),
    });
    i++;
  }
  return out;
}

function makeReadings(profiles: DeviceProfile[], devices: number, perDevice: number, t0: number): IReading[] {
  const readings: IReading[] = [];
  for (let round = 0; round < perDevice; round++) {
    for (let d = 0; d < devices; d++) {
      const p = at(profiles, d % profiles.length);
      // 1 in 500 readings leaves the normal band (an alarm or a clear).
      const abnormal = (d * 7 + round * 13) % 500 === 0;
      readings.push({
        deviceId: `dev-${d}`, profile: p.class, profileVersion: 1, timestampMs: t0 + round * 60_000 + d, seq: round + 1, district: at(DISTRICTS, d % DISTRICTS.length),
        metrics: p.metrics.map((m, j) => (m.type === 'boolean'
          ? { index: j + 1, flag: abnormal && j === 0 }
          : { index: j + 1, number: abnormal ? (m.max ?? 1000) : (HEALTHY[m.name] ?? (m.min ?? 0) + 1) + (d % 3) * 0.001 })),
      });
    }
  }
  return readings;
}

/** The peer: every rule for every reading, conditions interpreted from the document by metric name. */
function naiveEvaluate(rules: readonly RuleSpec[], profile: DeviceProfile, values: Map<string, number | boolean>, district: string): number {
  let holding = 0;
  const check = (c: Condition): boolean => {
    if ('all' in c) return c.all.every(check);
    if ('any' in c) return c.any.some(check);
    if ('not' in c) return !check(c.not);
    if ('time' in c) return true;
    const v = values.get(c.metric);
    if (v === undefined) return false;
    const n = Number(v);
    if (c.between) return n >= c.between[0] && n <= c.between[1];
    if (c.outside) return n < c.outside[0] || n > c.outside[1];
    const x = Number(c.value);
    switch (c.op) { case '>': return n > x; case '>=': return n >= x; case '<': return n < x; case '<=': return n <= x; case '==': return n === x; default: return n !== x; }
  };
  for (const r of rules) {
    if (r.scope?.classes && !r.scope.classes.includes(profile.class)) continue;
    if (r.scope?.districts && !r.scope.districts.includes(district)) continue;
    if (r.when && check(r.when)) holding++;
  }
  return holding;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

// Kinds of measured readings (bits), to say which make the p99.
const KIND_OTHER = 0;
/** First reading of its batch, after an event-loop turn. */
const KIND_FIRST = 1;
/** First reading of its batch, after the previous batch committed alarm changes on the loop. */
const KIND_FIRST_AFTER_COMMIT = 2;
/** The reading raised, updated or cleared an alarm. */
const KIND_CHANGED = 4;

/** Readings at or above the p99, by kind, and each kind's own p50 (µs). */
function tailOf(latencies: Float64Array, kinds: Uint8Array): string {
  const p99 = percentile(Float64Array.from(latencies).sort(), 0.99);
  const groups: Array<[string, (k: number) => boolean]> = [
    ['first of its batch after a commit', (k) => (k & 3) === KIND_FIRST_AFTER_COMMIT],
    ['first of its batch after a batch without alarm changes', (k) => (k & 3) === KIND_FIRST],
    ['raised, updated or cleared an alarm', (k) => (k & 3) === KIND_OTHER && (k & KIND_CHANGED) !== 0],
    ['any other', (k) => k === KIND_OTHER],
  ];
  let above = 0;
  const parts = groups.map(([name, is]) => {
    const own: number[] = [];
    let over = 0;
    for (let i = 0; i < latencies.length; i++) {
      if (!is(kinds[i] ?? 0)) continue;
      const x = latencies[i] ?? 0;
      own.push(x);
      if (x >= p99) over++;
    }
    above += over;
    return `${over} ${name} (${own.length} such readings, p50 ${percentile(Float64Array.from(own).sort(), 0.5).toFixed(1)} µs)`;
  });
  return `${above} readings at or above the p99: ${parts.join('; ')}`;
}

/** Devices per gateway: a batch is one gateway's readings of one round (the edge agent seals at most 500). */
const PER_GATEWAY = 100;

/** A forced full GC (heap per device is measured between two). */
function forcedGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => { gc(); gc(); };
}

function memoryNow(gc: () => void): number {
  gc();
  const m = process.memoryUsage();
  // Typed arrays past V8's on-heap size live outside the heap: count them too.
  return m.heapUsed + m.arrayBuffers;
}

/**
 * CPU ms used so far by the main thread and by the process's other threads (the alarm writer, GC helpers, the
 * thread pool), from /proc (Linux; process.cpuUsage sums the threads). On a loaded machine the wall-clock rate
 * says how much of a core the scheduler gave the loop; this says what the loop itself cost.
 */
function cpuByThreadMs(): { main: number; others: number } {
  const cpu = { main: 0, others: 0 };
  try {
    for (const task of readdirSync('/proc/self/task')) {
      const ms = processCpuSeconds('self', task) * 1000;
      if (task === String(process.pid)) cpu.main += ms;
      else cpu.others += ms;
    }
  } catch {
    return { main: Number.NaN, others: Number.NaN }; // not Linux: the row says NaN
  }
  return cpu;
}

/** CPU profile of one stretch of the run (TZ_BENCH_CPU_PROFILE=<dir>). */
async function profiled<T>(dir: string | undefined, name: string, fn: () => Promise<T>): Promise<T> {
  if (!dir) return fn();
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

export const bench: Bench = {
  name: 'rules-evaluation',
  title: 'Rules evaluation: 50 rules over 100,000 devices, per reading',
  async run({ quick, progress }) {
    const devices = quick ? 10_000 : 100_000;
    const loadAtStart = loadavg()[0] ?? 0;
    const perDevice = quick ? 2 : 3;
    const profiles = loadProfiles();
    const all = profiles.all();
    const dir = mkdtempSync(join(tmpdir(), 'tz-rules-bench-'));
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const store = new SqliteRulesStore(join(dir, 'rules.db'), { alarmWriter: true });
    const metrics = createRulesMetrics(createRegistry('rules-bench'), { alarmsActive: () => 0, outboxDepth: () => ({}), devices: () => 0 });
    const engine = new RulesEngine({ store, profiles, clock, timeZone: DEFAULT_TIME_ZONE, log: pino({ level: 'silent' }), metrics, sinks: () => ['mqtt', 'cases'] });
    const defaults = engine.rules.specs().length;
    for (const r of operatorRules(all, 50 - defaults)) engine.rules.create(r, 'bench');
    const ruleCount = engine.rules.specs().length;
    const gc = forcedGc();

    const readings = makeReadings(all, devices, perDevice, clock.now());
    const gatewayOf = (i: number) => `gw-${Math.floor((i % devices) / PER_GATEWAY)}`;
    progress(`${readings.length.toLocaleString()} readings for ${devices.toLocaleString()} devices, ${ruleCount} rules`);
    // First round creates the device states (counted in memory per device, not in the rate).
    const memoryBefore = memoryNow(gc);
    for (let i = 0; i < devices; i += PER_GATEWAY) engine.handleBatch(gatewayOf(i), readings.slice(i, Math.min(devices, i + PER_GATEWAY)));
    const bytesPerDevice = (memoryNow(gc) - memoryBefore) / devices;
    await engine.pending();

    const measured = readings.length - devices;
    const latencies = new Float64Array(measured);
    // What each reading was, to say which ones make the p99 (see `tailOf`).
    const kinds = new Uint8Array(measured);
    let previousCommitted = false;
    const alarmLatencies: number[] = [];
    const changeStarts: number[] = [];
    const raisedBefore = engine.counters.alarmsRaised;
    let n = 0;
    let commitMs = 0;
    let batchCommits = 0;
    const unsynced = new Set<Promise<void>>();
    const syncsBefore = store.walSyncsRun();
    const stalls = monitorEventLoopDelay({ resolution: 1 });
    stalls.enable();
    const cpuStart = process.cpuUsage();
    const threadsStart = cpuByThreadMs();
    const start = performance.now();
    await profiled(process.env.TZ_BENCH_CPU_PROFILE, 'rules-engine-loop', async () => {
      for (let b = devices; b < readings.length; b += PER_GATEWAY) {
        const end = Math.min(readings.length, b + PER_GATEWAY);
        const gatewayId = gatewayOf(b);
        engine.beginBatch();
        // One clock read per reading: a reading starts where the one before it ended (the loop's own
        // bookkeeping, well under 0.1 µs, is counted in the next reading); a batch's first starts after beginBatch.
        let held = engine.heldReadings();
        let t = performance.now();
        for (let i = b; i < end; i++) {
          engine.handleReading(gatewayId, at(readings, i));
          const done = performance.now();
          const heldNow = engine.heldReadings();
          kinds[n] = (i === b ? (previousCommitted ? KIND_FIRST_AFTER_COMMIT : KIND_FIRST) : KIND_OTHER) | (heldNow > held ? KIND_CHANGED : 0);
          latencies[n++] = (done - t) * 1000;
          if (heldNow > held) changeStarts.push(t);
          held = heldNow;
          t = done;
        }
        // No CPU reading around it: process.cpuUsage counts the writer thread too, and cost ~0.1 ms a call (7 % of the loop).
        const commitStart = performance.now();
        const durable = engine.endBatch();
        commitMs += performance.now() - commitStart;
        previousCommitted = durable !== undefined;
        if (durable) {
          batchCommits++;
          // Reading handed over → its alarm and outbox rows on disk (the WAL synced; the batch's PUBACK follows).
          const starts = changeStarts.splice(0);
          const synced = durable.then(() => {
            const at = performance.now();
            for (const t of starts) alarmLatencies.push((at - t) * 1000);
          });
          unsynced.add(synced);
          void synced.finally(() => unsynced.delete(synced));
          // As the MQTT consumer: at most 256 messages unacknowledged, then it takes no more until one is.
          if (unsynced.size >= 256) await Promise.race(unsynced);
        }
        changeStarts.length = 0;
        // The next MQTT message arrives through the event loop.
        await yieldToLoop();
      }
      // The last batches' syncs belong to the run.
      await Promise.all(unsynced);
    });
    const engineSeconds = (performance.now() - start) / 1000;
    const syncs = store.walSyncsRun() - syncsBefore;
    const engineCpu = process.cpuUsage(cpuStart);
    const threadsEnd = cpuByThreadMs();
    stalls.disable();
    const evalUs = latencies.reduce((a, b) => a + b, 0) / measured;
    const tail = tailOf(latencies, kinds);
    const engineRate = measured / engineSeconds;
    latencies.sort();
    const alarmSorted = Float64Array.from(alarmLatencies).sort();
    progress(`engine: ${Math.round(engineRate).toLocaleString()} readings/s, ${engine.counters.alarmsRaised} alarms raised`);

    // Peer 1: naive evaluator (no scope index, no compilation), same readings.
    const specs = engine.rules.specs();
    const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
    let sink = 0;
    // The peer runs three times (fresh state each) and its median run is the one compared: one run of it moved
    // by a third between two quiet runs of this bench, as much as the gap being measured.
    const naiveRuns: Array<{ rate: number; cpu: NodeJS.CpuUsage }> = [];
    for (let run = 0; run < 3; run++) {
      const peerValues = new Map<string, Map<string, number | boolean>>();
      const naiveCpuStart = process.cpuUsage();
      const naiveStart = process.hrtime.bigint();
      for (let i = 0; i < readings.length; i++) {
        const r = at(readings, i);
        const profile = profiles.get(r.profile ?? '');
        if (!profile) continue;
        const deviceId = r.deviceId ?? '';
        let values = peerValues.get(deviceId);
        if (!values) { values = new Map(); peerValues.set(deviceId, values); }
        for (const m of r.metrics ?? []) values.set(metricOfValue(profile, m)?.name ?? '', metricValueOf(m) ?? 0);
        if (i >= devices) sink += naiveEvaluate(specs, profile, values, r.district ?? '');
      }
      naiveRuns.push({ rate: readings.length / (Number(process.hrtime.bigint() - naiveStart) / 1e9), cpu: process.cpuUsage(naiveCpuStart) });
    }
    naiveRuns.sort((a, b) => a.rate - b.rate);
    const naiveMedian = at(naiveRuns, 1);
    const naiveRate = naiveMedian.rate;
    const naiveCpu = naiveMedian.cpu;
    const naiveRange = `${fmt(at(naiveRuns, 0).rate)}–${fmt(at(naiveRuns, 2).rate)}`;
    const cpuUs = (c: NodeJS.CpuUsage, count: number) => (c.user + c.system) / count;

    // Peer 2: the floor — resolve and touch each reading's values, nothing else.
    const floorStart = process.hrtime.bigint();
    for (let i = devices; i < readings.length; i++) {
      const r = at(readings, i);
      const profile = profiles.get(r.profile ?? '');
      if (!profile) continue;
      for (const m of r.metrics ?? []) { if (metricOfValue(profile, m)) sink += Number(metricValueOf(m)); }
    }
    const floorRate = measured / (Number(process.hrtime.bigint() - floorStart) / 1e9);

    // Write-behind: every device changed (the worst tick), written in slices while the loop keeps turning.
    const checkpointStalls = monitorEventLoopDelay({ resolution: 1 });
    // GC pauses while it runs (the main thread's, from V8): a stall longer than the longest slice is one of these or the scheduler.
    const gcPauses: Array<{ ms: number; kind: number }> = [];
    const gcSeen = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcPauses.push({ ms: e.duration, kind: ((e as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind ?? 0 });
    });
    gcSeen.observe({ entryTypes: ['gc'] });
    checkpointStalls.enable();
    const checkpointStart = performance.now();
    const saved = await engine.checkpointInSlices();
    const checkpointMs = performance.now() - checkpointStart;
    checkpointStalls.disable();
    await yieldToLoop();
    gcSeen.disconnect();
    const longestGc = gcPauses.reduce((a, b) => (b.ms > a.ms ? b : a), { ms: 0, kind: 0 });
    const gcKind = ({ 1: 'scavenge', 2: 'minor mark-compact', 4: 'mark-compact', 8: 'incremental marking step', 16: 'weak callbacks' } as Record<number, string>)[longestGc.kind] ?? 'gc';
    // Then a tick in which 1 % of the devices reported: only those are written.
    const changed = Math.max(1, Math.floor(devices / 100));
    const again = makeReadings(all, changed, 1, clock.now() + perDevice * 60_000);
    engine.handleBatch('gw-0', again);
    const smallStart = performance.now();
    const savedAgain = await engine.checkpointInSlices();
    const smallMs = performance.now() - smallStart;
    store.close();
    rmSync(dir, { recursive: true, force: true });
    if (sink === 42) progress('');

    const load = `1-minute load average ${loadAtStart.toFixed(1)} at the start and ${(loadavg()[0] ?? 0).toFixed(1)} at the end of the run`;
    const ms = (h: { max: number }) => (h.max / 1e6).toFixed(1);
    return [
      `Setup: ${ruleCount} rules (${defaults} profile/built-in defaults + ${ruleCount - defaults} operator rules: thresholds, ranges, avg/max windows, night-time windows, district scopes and overrides, \`for:\`, deadband), ${fmt(devices)} devices of the ${all.length} classes in 10 districts, ${fmt(measured)} readings measured after a first round that creates every device's state; about 1 in 500 readings out of band. Readings reach the engine as the MQTT consumer hands them over: one batch per gateway message (${PER_GATEWAY} devices per gateway), the event loop turning between messages. Each reading goes through metric resolution by index, its scope plan and the state machines; a batch's alarm changes (alarm + outbox rows for 2 sinks) are posted to the alarm writer thread (its own SQLite connection to the same file, synchronous=FULL), which commits every batch that queued while it committed the last group in one transaction and one fsync; the batch's PUBACK waits for the writer's answer, the next batches are evaluated meanwhile (at most 256 messages unacknowledged, as the MQTT consumer). The run ends when the writer has answered the last batch.`,
      '',
      `The machine is shared (other agents' builds and tests on its ${cpus().length} cores; ${load}): compare the ratios; wall times and every fsync are inflated by the load.`,
      '',
      'Peers, same readings, same process: a naive evaluator (every rule for every reading, conditions interpreted from the rule document by metric name, no scope index, no state machine, no storage; run three times with fresh state, its median run compared) and the floor (resolve and touch each value, nothing else).',
      '',
      markdownTable(['measure', 'Tianzhong engine', 'naive evaluator', 'floor', 'ratio'], [
        ['readings/s', fmt(engineRate), `${fmt(naiveRate)} (median of 3 runs: ${naiveRange})`, fmt(floorRate), `${(engineRate / naiveRate).toFixed(2)}× naive, ${(engineRate / floorRate).toFixed(2)}× floor`],
        ['p50 / p99 per reading (µs)', `${percentile(latencies, 0.5).toFixed(1)} / ${percentile(latencies, 0.99).toFixed(1)} (p99/p50 ${(percentile(latencies, 0.99) / percentile(latencies, 0.5)).toFixed(1)}×)`, '', '', ''],
        ['which readings make the p99', tail, '', '', ''],
        ['p50 / p99 reading → stored alarm change (µs)', alarmSorted.length ? `${percentile(alarmSorted, 0.5).toFixed(0)} / ${percentile(alarmSorted, 0.99).toFixed(0)} (${alarmSorted.length} readings changed alarms, ${engine.counters.alarmsRaised - raisedBefore} raised)` : 'n/a', '', '', ''],
        ['CPU per reading (µs, user + system)', cpuUs(engineCpu, measured).toFixed(1), cpuUs(naiveCpu, readings.length).toFixed(1), '', `${(cpuUs(engineCpu, measured) / cpuUs(naiveCpu, readings.length)).toFixed(2)}× naive`],
        ['CPU per reading by thread (µs): event loop / other threads (the alarm writer, GC, thread pool)', `${((threadsEnd.main - threadsStart.main) * 1000 / measured).toFixed(1)} / ${((threadsEnd.others - threadsStart.others) * 1000 / measured).toFixed(1)}`, '', '', ''],
        ['wall time per reading, by part (µs)', `${(1e6 / engineRate).toFixed(1)} = evaluation ${evalUs.toFixed(1)} + handing batches to the writer thread ${(commitMs * 1000 / measured).toFixed(1)} + event loop, loop and waiting for the writer ${(1e6 / engineRate - evalUs - commitMs * 1000 / measured).toFixed(1)}`, (1e6 / naiveRate).toFixed(1), '', ''],
        ['batch commits with alarm changes / WAL fsyncs that made them durable', `${fmt(batchCommits)} / ${fmt(syncs)}`, '', '', ''],
        ['longest event-loop stall while evaluating (ms)', ms(stalls), '', '', ''],
        ['memory per device (heap + typed arrays after forced GC, bytes)', fmt(bytesPerDevice), '', '', ''],
        ['write-behind checkpoint, every device changed', `${checkpointMs.toFixed(0)} ms for ${fmt(saved.devices)} devices in ${saved.slices} slices; longest slice on the event loop ${saved.longestSliceMs.toFixed(1)} ms (${saved.longestSliceCpuMs.toFixed(1)} ms CPU), on the writer thread ${saved.longestSaveMs.toFixed(1)} ms; longest event-loop stall ${ms(checkpointStalls)} ms; longest GC pause meanwhile ${longestGc.ms.toFixed(1)} ms (${gcKind}; ${gcPauses.length} pauses, ${gcPauses.reduce((a, b) => a + b.ms, 0).toFixed(0)} ms in all)`, '', '', ''],
        ['write-behind checkpoint, 1 % of devices changed', `${smallMs.toFixed(0)} ms for ${fmt(savedAgain.devices)} devices in ${savedAgain.slices} slices`, '', '', ''],
      ]),
      '',
      'Per reading is the time of `handleReading` inside its batch (evaluation; the alarm rows are written at the batch commit). Reading → stored alarm change runs from handing over a reading that raised, updated or cleared an alarm until the writer thread answered that its batch\'s transaction (alarm, outbox rows) is committed and synced; the PUBACK follows. CPU by thread counts /proc\'s per-thread time: on a loaded machine the wall-clock rates say how much of a core the scheduler gave each side, the event loop\'s CPU what it cost. The event-loop stall is the longest delay seen by `monitorEventLoopDelay` (1 ms resolution) while batches were evaluated. Memory per device is the growth of heap plus ArrayBuffer memory over the first round, each side after a forced full GC (device objects, value tables, window arenas, scope plans, map entries). The write-behind checkpoint is not part of readings/s: it runs on the 1 s tick in slices of about 5 ms of work, saving only devices changed since the last tick: the event loop serialises each slice and posts it to the alarm writer thread, which commits it (one transaction each, between its batch commits); live, at one reading per device per minute or slower, each reading costs one device save within a second.',
      '',
      'Where the time goes (CPU profile of the measured loop only: `TZ_BENCH_CPU_PROFILE=<dir>`, self time, this machine under a 1-minute load of 17–23, 2026-12-03):',
      '',
      '- First (one SQLite transaction per alarm change, per-device JS arrays for windows and a `Map` of rule states, a `Set` of dirty ids, objects and closures per reading): SQLite statement `run` 8.3 s of the 11.1 s loop (75 %: each alarm change its own commit and fsync); `evaluate` 0.61 s; `.all` 0.31 s (closing an incident scanned every open alarm); GC 0.26 s; statement preparation 0.24 s; `handleReading` 0.20 s. Over the whole run GC was 2.0 s (14 %) and the one-transaction checkpoint 2.7–3.3 s in one pause.',
      '- Then (one commit per gateway batch with alarm changes, flat per-class tables and window arenas, scope plans, shared frozen results on the no-alarm path, incident closing by the device index, sliced write-behind): SQLite `run` 5.1 s (about 700 batch commits, each waiting for its fsync on the event loop, ~7 ms apiece under this load); `evaluateInput` 0.36 s; statement preparation 0.36 s; `handleReading` 0.18 s; GC 0.16 s; the prom-client histogram 0.08 s. 0.52× naive on a quiet machine: evaluation 2.3 µs a reading, the batch commits 3.2 µs.',
      '- Then (issue 18, first step: the batch COMMIT writes the WAL with synchronous=NORMAL on the loop, the WAL fsync that FULL would do inside COMMIT runs on the thread pool as a group commit before the PUBACK, the next batches are evaluated meanwhile; SQLite\'s automatic WAL checkpoint, which ran inside a COMMIT on the loop with two fsyncs, moved to a worker thread with its own connection): of 5.1 s on the loop (the profiler\'s own 1.7 s of serialising left out), evaluation about 1.8 s (`evaluateInput` 0.74, `handleReading` 0.31, the prom-client histogram 0.25, `evaluateOnly` 0.16, conditions and steps 0.19); the batch commits about 1.6 s of CPU for 800 commits (statement `run` 0.68 of which the COMMIT\'s WAL write 0.26 and the outbox inserts 0.25; reading rows back `getAlarm`/`get`/`toAlarm` 0.43; `openAlarmsOfDevice` 0.09); opening and fsyncing the WAL from the loop\'s side 0.18; the bench\'s own `process.cpuUsage` per batch 0.56 (now read only around commits that write); GC 0.15. No fsync waits on the loop any more: ~200–260 fsyncs made the 800 commits durable (3–4 commits each).',
      '- Now (issue 18: the whole batch transaction runs on the alarm writer thread, `alarm-writer.ts`, with its own connection, FULL, grouped; `endBatch()` posts the transitions as plain data and the loop only counts the answers), profiled at a 1-minute load of 6, 2026-12-03: of 2.22 s on the loop (the profiler\'s own 0.63 s of serialising included), evaluation 1.02 s (`handleReading` inclusive: `evaluateInput` 0.68, the prom-client histogram 0.10); handing 800 batches to the writer 0.06 s (`postMessage` 0.04); waiting for the writer (the 256-message cap, the last answer) 0.23 s; GC 0.09. The batch commits (27.5 % of the loop before) and the WAL sync from the loop (12.2 %) are gone from it. Event-loop CPU per reading, /proc per thread, same load (5–7): 9.2 µs before (1,840–1,860 ms for 200,000 readings), 4.8–5.0 µs now; the writer and the other threads 5.0–5.2 µs (a batch commit ~1.2 ms of the writer\'s CPU under this load), so the process uses about as much CPU as before, on two cores instead of one. Wall-clock ratios at that load, alternating with the code before: before 0.71×, 0.79×, 0.45×, 0.85×; now 0.97×, 0.58×, 0.59×, 0.77× — the scheduler\'s share of a saturated 2-core machine decides them; a quiet machine gives the loop a core and the writer the other.',
      '',
      'Same machine, same load (1-minute load 16–19), the code before issue 18 (fsync inside COMMIT on the event loop, SQLite\'s own checkpoints) against this: 0.41× and 0.49× naive before; 0.76×, 1.03×, 0.91×, 0.43× after (and 0.78× under the profiler). The batch commits\' time on the event loop fell from 35–38 µs a reading (8–9 ms a commit, mostly the fsync) to 10–17 µs, of which about 5 µs is CPU.',
      '',
      'What is left between this and more: the commit\'s CPU (about 1–2 ms per commit under this load: an alarm row, its incident lookups, two outbox rows with the event JSON, the rows read back to build the event) and the WAL write inside COMMIT, which still waits while an fsync runs — likely the ext4 journal (an append that changes the WAL\'s size or mtime needs a journal handle, and new handles wait while the journal commits the fsync\'s transaction) or a page under writeback (WAL frames of 4,120 bytes straddle the 4 KiB pages); not measured directly. That wait is what the writer thread (now) took off the loop with the rest of the transaction; what is left on the loop is evaluation, the loop itself, and waiting for the writer when it falls behind (its commit CPU, about 1 ms a batch under load: the alarm row written and read back, incident lookups, two outbox rows with the event JSON). On this shared machine an fsync costs 5–30 ms, so a PUBACK with an alarm follows its reading by the p50 above; the p99 per reading falls on readings right after a commit (caches cold). Quiet-machine figures are the lead\'s to take.',
      '',
      'The per-reading path (issue 18, rules-eval): `tz_rules_evaluation_seconds` is counted in a typed array per reading and handed to prom-client when scraped (`tally-histogram.ts`; prom-client\'s `observe` allocated a closure and two objects per reading, 3.6 % of the loop) — exposition byte-for-byte prom-client\'s own; an alarm\'s evidence is built from positions and names the rule compiled once; this bench reads the clock once per reading. Four alternating runs each, same machine under a 1-minute load of 3–10 (2 cores): before 0.47–0.90× naive, p50 / p99 3.1–3.4 / 14–23 µs (p99/p50 5.6–6.7×), evaluation 4.1–5.8 µs, CPU 8.5–11.5 µs a reading; after 0.73–1.03× naive, p50 / p99 2.1–2.5 / 14–15 µs (5.9–7.1×), evaluation 3.4–5.8 µs, CPU 8.2–9.9 µs. The p99 row says which readings make the tail: about 15–20 % are the first reading of a batch after a commit on the loop (SQLite\'s work in between leaves caches cold: p50 13–15 µs), 25 % readings that raised, updated or cleared an alarm (p50 18–21 µs here, but 2–5 µs for the same path replayed hot on a few devices: code and state touched once in 300 readings are cold), 5–10 % a batch\'s first after a plain loop turn, and half any other reading — a background of 0.3–0.8 % of all readings above 5× the p50 that a tight loop over the evaluator alone (no SQLite, no event loop) shows too, as often after a batch without commits as after one, and that is not GC (no scavenge overlapped a reading) nor window growth: preemption and caches shared with the other processes on this loaded machine. With the commits moved off the loop (rules-writer2) the first group goes; the p99 within 5× of the p50 was not reached here.',
    ].join('\n');
  },
};
