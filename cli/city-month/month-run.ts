import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProfiles } from '../../device-profiles/index.ts';
import { DEFAULT_CASE_CONFIG, type KpiReport, type MonthlyReport } from '../../cases/index.ts';
import { loadScenario, parseCityDateTime, type ScenarioProgress } from '../../firmware-sim/index.ts';
import { createLogger, openAccessTokens, openSqlite, SimulatedClock, type Logger } from '../../service-kit/index.ts';
import { startStack, type PipelineCounters } from '../stack.ts';
import { CaseApi } from './case-api.ts';
import { CityPeople, type PeopleCounts, type StreetPlace } from './people.ts';
import { monthCaseConfig, MONTH_CREWS } from './month-crews.ts';
import { repairDevice } from './repairs.ts';
import { writeMonthProfiles } from './month-profiles.ts';

// `tianzhong sim month`: 驻马店 for a month (or its first days) through the
// real stack on one simulated clock — simulated city → edge agent → broker →
// ingest (InfluxDB) / rules → cases — with citizens, inspectors and crews
// acting through the case API. At the end time stands still and the month's
// figures are read from the audit trail (GET /api/v1/kpis) and the monthly
// report, which must agree.

const DAY = 86_400_000;

export interface CityMonthOptions {
  /** Folder for this run's stores (a fresh one: they are marked with the simulated clock). */
  varDir: string;
  /** Simulated days, 1–30 (default 30). */
  days?: number;
  /** Simulated seconds per wall second (default the scenario's, 3600: 30 days in 12 min). */
  speed?: number;
  seed?: number;
  /** Simulated street devices (default 80). */
  devices?: number;
  /** Wall ms between polls of each device (default 500: half an hour of city time at 3600×). */
  pollIntervalMs?: number;
  /** An InfluxDB to use; a managed influxd under varDir when absent. */
  influx?: { url: string; database: string };
  log?: Logger;
  progress?: (line: string) => void;
}

export interface CityMonthResult {
  start: string;
  end: string;
  days: number;
  speed: number;
  wallSeconds: number;
  /** CPU seconds of this process (sim, agent, broker, ingest, rules, cases, people). */
  cpuSeconds: number;
  /** KPIs over the run's window [start, end), as of its end, from GET /api/v1/kpis (the audit trail). */
  kpis: KpiReport;
  /** The monthly report of the scenario's month (as of the end of the run) and the KPI API over the same window. */
  report: MonthlyReport;
  reportWindowKpis: KpiReport;
  people: PeopleCounts;
  apiCalls: { calls: number; refused: number };
  pipeline: PipelineCounters;
  scenario: ScenarioProgress | undefined;
  /** Alarms raised in the run, by rule. */
  alarmsByRule: Record<string, number>;
}

export async function runCityMonth(o: CityMonthOptions): Promise<CityMonthResult> {
  const log = o.log ?? createLogger('city-month');
  const say = o.progress ?? (() => undefined);
  const profiles = loadProfiles();
  const scenario = loadScenario('city-month', profiles);
  const timeZone = scenario.timeZone ?? 'Asia/Shanghai';
  const days = Math.min(30, Math.max(1, o.days ?? 30));
  const speed = o.speed ?? scenario.speed;
  const seed = o.seed ?? 17;
  const startMs = parseCityDateTime(scenario.start, timeZone);
  const endMs = startMs + days * DAY;
  const clock = new SimulatedClock(startMs, speed);
  const pollIntervalMs = o.pollIntervalMs ?? 500;
  const pollSimSeconds = (pollIntervalMs * speed) / 1000;
  mkdirSync(o.varDir, { recursive: true });
  const caseConfigPath = join(o.varDir, 'city-month.case-config.json');
  writeFileSync(caseConfigPath, JSON.stringify(monthCaseConfig(DEFAULT_CASE_CONFIG)));

  const wallStart = Date.now();
  const cpuStart = process.cpuUsage();
  const stack = await startStack({
    varDir: o.varDir, devices: o.devices ?? 80, seed, gatewayId: 'gw-city-month', pollIntervalMs,
    ...(o.influx ? { influx: { url: o.influx.url } } : {}), database: o.influx?.database ?? 'tianzhong_sim', mqttPort: 0, statusPort: 0,
    clock, caseConfig: caseConfigPath, devicesPerBus: 5, profileDir: writeMonthProfiles(pollSimSeconds, join(o.varDir, 'profiles')),
  });
  try {
    stack.sim.runScenario(scenario);
    say(`city-month: stack up in ${((Date.now() - wallStart) / 1000).toFixed(1)} s; ${days} simulated days at ${speed}× from ${scenario.start} (${timeZone}); clock ${clock.toSpec()}`);

    // The people's tokens, in the stack's own token store.
    const accessDb = openSqlite(join(o.varDir, 'access.sqlite'), { durability: 'full' });
    const access = openAccessTokens(accessDb);
    const issue = (name: string, role: 'operator' | 'dispatcher' | 'inspector' | 'crew' | 'readonly', crewId?: string): string =>
      access.issue({ name, role, ...(crewId ? { crewId } : {}) }).token;
    const tokens = {
      operator: issue('city-month-app', 'operator'),
      dispatcher: issue('city-month-dispatcher', 'dispatcher'),
      inspectors: ['监督员-1', '监督员-2', '监督员-3'].map((n) => issue(n, 'inspector')),
      crews: new Map(MONTH_CREWS.map((c) => [c.id, issue(`crew-${c.id}`, 'crew', c.id)])),
    };
    const readonly = issue('city-month-figures', 'readonly');
    accessDb.close();

    const places: StreetPlace[] = stack.sim.devices.flatMap((d) => (d.site ? [{ lat: d.site.lat, long: d.site.lon, district: d.site.district, address: d.site.address }] : []));
    const classOf = new Map(stack.sim.devices.map((d) => [d.deviceId, d.profile]));
    const api = new CaseApi(stack.urls.rules);
    const rainFrom = startMs + 2 * DAY;
    const rainTo = startMs + 7 * DAY;
    const people = new CityPeople({
      api, clock, seed, tokens, places, timeZone, log,
      raining: (t) => t >= rainFrom && t < rainTo,
      repair: (deviceId) => repairDevice(stack.sim, classOf.get(deviceId), deviceId, log),
    });
    let lastDay = -1;
    const progressTimer = setInterval(() => {
      const day = Math.floor((clock.now() - startMs) / DAY);
      if (day === lastDay) return;
      lastDay = day;
      const c = stack.counters();
      const agent = stack.details().edgeAgent ?? {};
      const simStats = stack.sim.stats();
      say(`city-month: day ${day + 1}/${days} · ${agent.polls ?? 0} polls (${agent.pollFailures ?? 0} failed, sim ${simStats.lagSteps ?? 0} steps behind) · ${c.readingsWritten} readings written · ${c.alarmsRaised} alarms · ${c.casesOpened} sensor cases · people ${JSON.stringify(people.counts)}`);
    }, 500);
    try {
      await people.run(endMs);
    } finally {
      clearInterval(progressTimer);
    }
    // Time stands still: the figures below are read with nothing moving.
    clock.hold();
    const wallSeconds = (Date.now() - wallStart) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const iso = (ms: number) => new Date(ms).toISOString();
    const kpis = await api.ok('GET', `/api/v1/kpis?from=${encodeURIComponent(iso(startMs))}&to=${encodeURIComponent(iso(Math.min(endMs, clock.now())))}`, readonly) as KpiReport;
    const month = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit' }).format(new Date(startMs)).slice(0, 7);
    const report = await api.ok('GET', `/api/v1/reports/monthly?month=${month}&format=json`, readonly) as MonthlyReport;
    const reportWindowKpis = await api.ok('GET', `/api/v1/kpis?from=${encodeURIComponent(report.from)}&to=${encodeURIComponent(report.overall.to)}`, readonly) as KpiReport;
    const alarmList = await api.ok('GET', '/api/v1/alarms?limit=1000', readonly) as { alarms?: Array<{ ruleId: string }> } | Array<{ ruleId: string }>;
    const alarmsByRule: Record<string, number> = {};
    for (const a of Array.isArray(alarmList) ? alarmList : alarmList.alarms ?? []) alarmsByRule[a.ruleId] = (alarmsByRule[a.ruleId] ?? 0) + 1;
    return {
      alarmsByRule,
      start: iso(startMs), end: iso(endMs), days, speed, wallSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6,
      kpis, report, reportWindowKpis, people: { ...people.counts }, apiCalls: { ...api.counts }, pipeline: stack.counters(), scenario: stack.sim.scenario(),
    };
  } finally {
    await stack.stop();
  }
}

/** The month's figures as lines for a person (zh-CN first). */
export function monthSummary(r: CityMonthResult): string[] {
  const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);
  const k = r.kpis;
  return [
    `驻马店 ${r.start} → ${r.end} (${r.days} 天 days at ${r.speed}×) in ${r.wallSeconds.toFixed(0)} s wall, ${r.cpuSeconds.toFixed(0)} CPU s`,
    `按时核查率 on-time verification ${pct(k.onTimeVerificationRate)} (target ${pct(k.targets.onTimeVerificationRate)})`,
    `结案率 closure ${pct(k.closureRate)} (target ${pct(k.targets.closureRate)})`,
    `自动发现率 found by sensors ${pct(k.autoDiscoveryRate)} (target ≥ ${pct(k.targets.sensorShare)})`,
    `按期结案率 on-time closure ${pct(k.onTimeClosureRate)} · 满意率 satisfaction ${pct(k.satisfactionRate)} · 平均评价 ${k.averageRating ?? '—'}`,
    `cases ${k.counts.reported} reported, ${k.counts.registered} registered (${k.counts.bySensor} by sensors), ${k.counts.closed} closed, ${k.counts.open} open, ${k.counts.reworks} reworks, ${k.counts.escalatedCases} escalated`,
    `pipeline ${r.pipeline.readingsWritten} readings written, ${r.pipeline.readingsRejected} rejected, ${r.pipeline.alarmsRaised} alarms raised`,
  ];
}
