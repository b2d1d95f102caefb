// Rules evaluation benchmark: 50 rules (the profiles' defaults, the built-in
// no-data rule and operator rules with windows, ranges, scopes and
// overrides) over 100,000 devices, readings fed one by one through the engine
// (metric resolution, scope index, state machines, SQLite for every alarm
// change and its outbox rows). Peers in the same run: a naive evaluator (every
// rule, every reading, conditions interpreted from the document, no scope
// index) and the floor (a loop that decodes and touches each reading).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadProfiles, metricOfValue, type Condition, type DeviceProfile, type RuleSpec } from '../../device-profiles/index.ts';
import { metricValueOf, type IReading } from '../../proto/index.ts';
import { createRegistry, DEFAULT_TIME_ZONE, ManualClock, markdownTable, type Bench } from '../../service-kit/index.ts';
import { createRulesMetrics } from '../metrics.ts';
import { RulesEngine } from '../engine.ts';
import { SqliteRulesStore } from '../sqlite-store.ts';

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
    const p = profiles[i % profiles.length]!;
    const numeric = p.metrics.filter((m) => m.type !== 'boolean');
    const m = numeric[i % numeric.length]!;
    const hi = (m.max ?? 1000) * 0.97;
    const kinds: Condition[] = [
      { metric: m.name, op: '>', value: hi },
      { metric: m.name, avg: '30m', op: '>', value: hi },
      { metric: m.name, outside: [m.min ?? -1e9, hi] },
      { all: [{ metric: m.name, max: '1h', op: '>', value: hi }, { time: { from: '22:00', to: '06:00' } }] },
    ];
    out.push({
      id: `op-rule-${i}`, name: `Operator rule ${i}`, severity: 'warning', scope: { classes: [p.class], ...(i % 3 === 0 ? { districts: DISTRICTS.slice(0, 5) } : {}) },
      when: kinds[i % kinds.length]!, for: i % 2 ? '5m' : 0, deadband: 0.5,
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
      const p = profiles[d % profiles.length]!;
      // 1 in 500 readings leaves the normal band (an alarm or a clear).
      const abnormal = (d * 7 + round * 13) % 500 === 0;
      readings.push({
        deviceId: `dev-${d}`, profile: p.class, profileVersion: 1, timestampMs: t0 + round * 60_000 + d, seq: round + 1, district: DISTRICTS[d % DISTRICTS.length]!,
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
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

export const bench: Bench = {
  name: 'rules-evaluation',
  title: 'Rules evaluation: 50 rules over 100,000 devices, per reading',
  async run({ quick, progress }) {
    const devices = quick ? 10_000 : 100_000;
    const perDevice = quick ? 2 : 3;
    const profiles = loadProfiles();
    const all = profiles.all();
    const dir = mkdtempSync(join(tmpdir(), 'tz-rules-bench-'));
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const store = new SqliteRulesStore(join(dir, 'rules.db'));
    const metrics = createRulesMetrics(createRegistry('rules-bench'), { alarmsActive: () => 0, outboxDepth: () => ({}), devices: () => 0 });
    const engine = new RulesEngine({ store, profiles, clock, timeZone: DEFAULT_TIME_ZONE, log: pino({ level: 'silent' }), metrics, sinks: () => ['mqtt', 'cases'] });
    const defaults = engine.rules.specs().length;
    for (const r of operatorRules(all, 50 - defaults)) engine.rules.create(r, 'bench');
    const ruleCount = engine.rules.specs().length;

    const readings = makeReadings(all, devices, perDevice, clock.now());
    progress(`${readings.length.toLocaleString()} readings for ${devices.toLocaleString()} devices, ${ruleCount} rules`);
    const heapBefore = process.memoryUsage().heapUsed;
    // First round creates the device states (counted in memory per device, not in the rate).
    for (let i = 0; i < devices; i++) engine.handleReading('gw-1', readings[i]!);
    const heapAfter = process.memoryUsage().heapUsed;

    const latencies = new Float64Array(readings.length - devices);
    const alarmLatencies: number[] = [];
    let n = 0;
    const start = process.hrtime.bigint();
    for (let i = devices; i < readings.length; i++) {
      const raisedBefore = engine.counters.alarmsRaised;
      const t = process.hrtime.bigint();
      engine.handleReading('gw-1', readings[i]!);
      const us = Number(process.hrtime.bigint() - t) / 1000;
      latencies[n++] = us;
      if (engine.counters.alarmsRaised > raisedBefore) alarmLatencies.push(us);
    }
    const engineSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    const measured = readings.length - devices;
    const engineRate = measured / engineSeconds;
    latencies.sort();
    const alarmSorted = Float64Array.from(alarmLatencies).sort();
    progress(`engine: ${Math.round(engineRate).toLocaleString()} readings/s, ${engine.counters.alarmsRaised} alarms raised`);

    // Peer 1: naive evaluator (no scope index, no compilation), same readings.
    const specs = engine.rules.specs();
    const peerValues = new Map<string, Map<string, number | boolean>>();
    let sink = 0;
    const naiveStart = process.hrtime.bigint();
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      const profile = profiles.get(r.profile!)!;
      let values = peerValues.get(r.deviceId!);
      if (!values) { values = new Map(); peerValues.set(r.deviceId!, values); }
      for (const m of r.metrics!) values.set(metricOfValue(profile, m)!.name, metricValueOf(m)!);
      if (i >= devices) sink += naiveEvaluate(specs, profile, values, r.district!);
    }
    const naiveRate = readings.length / (Number(process.hrtime.bigint() - naiveStart) / 1e9);

    // Peer 2: the floor — resolve and touch each reading's values, nothing else.
    const floorStart = process.hrtime.bigint();
    for (let i = devices; i < readings.length; i++) {
      const r = readings[i]!;
      const profile = profiles.get(r.profile!)!;
      for (const m of r.metrics!) { if (metricOfValue(profile, m)) sink += Number(metricValueOf(m)); }
    }
    const floorRate = measured / (Number(process.hrtime.bigint() - floorStart) / 1e9);
    const checkpointStart = process.hrtime.bigint();
    const saved = engine.checkpoint();
    const checkpointMs = Number(process.hrtime.bigint() - checkpointStart) / 1e6;
    store.close();
    rmSync(dir, { recursive: true, force: true });
    if (sink === 42) progress('');

    const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
    return [
      `Setup: ${ruleCount} rules (${defaults} profile/built-in defaults + ${ruleCount - defaults} operator rules: thresholds, ranges, avg/max windows, night-time windows, district scopes and overrides, \`for:\`, deadband), ${fmt(devices)} devices of the four classes in 10 districts, ${fmt(measured)} readings measured after a first round that creates every device's state; about 1 in 500 readings out of band. Each reading goes through the engine as it does live: metric resolution by index, scope index, state machines, and a SQLite transaction (alarm + outbox rows for 2 sinks) for every alarm change.`,
      '',
      'Peers, same readings, same process: a naive evaluator (every rule for every reading, conditions interpreted from the rule document by metric name, no scope index, no state machine, no storage) and the floor (resolve and touch each value, nothing else).',
      '',
      markdownTable(['measure', 'Tianzhong engine', 'naive evaluator', 'floor', 'ratio'], [
        ['readings/s', fmt(engineRate), fmt(naiveRate), fmt(floorRate), `${(engineRate / naiveRate).toFixed(2)}× naive, ${(engineRate / floorRate).toFixed(2)}× floor`],
        ['p50 / p99 per reading (µs)', `${percentile(latencies, 0.5).toFixed(1)} / ${percentile(latencies, 0.99).toFixed(1)}`, '', '', ''],
        ['p50 / p99 reading → stored alarm (µs)', alarmSorted.length ? `${percentile(alarmSorted, 0.5).toFixed(0)} / ${percentile(alarmSorted, 0.99).toFixed(0)} (${alarmSorted.length} alarms raised)` : 'n/a', '', '', ''],
        ['memory per device (heap, bytes)', fmt((heapAfter - heapBefore) / devices), '', '', ''],
        ['checkpoint of every device (ms)', `${checkpointMs.toFixed(0)} (${fmt(saved)} devices)`, '', '', ''],
      ]),
      '',
      'Latency is measured from handing the decoded reading to the engine until its alarm and outbox rows are committed (the MQTT PUBACK follows); delivery to sinks is asynchronous after that. The mean is far above the p50: with 100,000 device states on the heap, V8 major GC pauses (tens of ms) land on a few readings; they dominate readings/s and the alarm p99. The checkpoint row is the write-behind save of every device state at once (live, only devices that reported since the last 1 s tick are saved). Memory per device is the heap growth over the first round (values, windows, rule states; no forced GC, so it is approximate).',
    ].join('\n');
  },
};
