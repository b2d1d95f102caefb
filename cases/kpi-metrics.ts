import { Gauge, type Registry } from 'prom-client';
import { computeKpis, kpisBy, KPI_TARGETS, type KpiReport } from './kpis.ts';
import type { CaseEventRecord, CaseRecord } from './model.ts';

// The city's assessment figures as Prometheus gauges, so Grafana can chart
// them beside the pipeline (the KPI dashboard): the same computeKpis as
// GET /api/v1/kpis, over rolling windows ending now, for the whole city and
// per district, department and category. Computed from the audit trail at
// scrape time, at most once per `cacheMs` (a scrape every 15 s must not
// re-read a month of cases each time). A rate with no cases behind it (no
// verification yet) is left out rather than shown as 0.

/** Rolling windows the gauges cover (label `window`). */
export const KPI_WINDOWS = { '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
/** Label `kpi` → the KpiReport field. */
const RATES = { on_time_verification: 'onTimeVerificationRate', closure: 'closureRate', on_time_closure: 'onTimeClosureRate', sensor_share: 'sensorShare' } as const satisfies Record<string, keyof KpiReport>;
const TARGETS: Record<string, number> = { on_time_verification: KPI_TARGETS.onTimeVerificationRate, closure: KPI_TARGETS.closureRate, sensor_share: KPI_TARGETS.sensorShare };

export interface KpiGaugeSources {
  /** Cases reported in [from, to) with their audit trails. */
  casesWithTrails(from: number, to: number): Promise<{ cases: CaseRecord[]; events: CaseEventRecord[] }>;
  now(): number;
}

interface Row { labels: { window: string; by: string; group: string }; kpis: KpiReport }

export function createKpiGauges(registry: Registry, sources: KpiGaugeSources, cacheMs = 60_000): void {
  let cached: { at: number; rows: Promise<Row[]> } | null = null;
  const rows = (): Promise<Row[]> => {
    const now = sources.now();
    if (cached && now - cached.at < cacheMs) return cached.rows;
    const computing = compute(now);
    cached = { at: now, rows: computing };
    // A failed read is not cached: the next scrape tries again.
    computing.catch(() => { if (cached?.rows === computing) cached = null; });
    return computing;
  };
  const compute = async (now: number): Promise<Row[]> => {
    const out: Row[] = [];
    const longest = Math.max(...Object.values(KPI_WINDOWS));
    const all = await sources.casesWithTrails(now - longest, now);
    for (const [window, span] of Object.entries(KPI_WINDOWS)) {
      const from = now - span;
      const cases = all.cases.filter((c) => c.createdAt >= from);
      const ids = new Set(cases.map((c) => c.id));
      const events = all.events.filter((e) => ids.has(e.caseId));
      out.push({ labels: { window, by: 'all', group: 'all' }, kpis: computeKpis(cases, events, { from, to: now, district: null }) });
      const keys: Record<string, (c: CaseRecord) => string> = { district: (c) => c.district ?? 'unknown', department: (c) => c.department, category: (c) => c.category };
      for (const [by, keyOf] of Object.entries(keys)) {
        for (const g of kpisBy(cases, events, { from, to: now }, keyOf)) out.push({ labels: { window, by, group: g.key }, kpis: g.kpis });
      }
    }
    return out;
  };

  new Gauge({
    name: 'tz_cases_kpi_ratio',
    help: 'Case KPIs (0..1) over a rolling window ending now, for the city (by="all") and per district, department or category: on_time_verification (按时核查率), closure (结案率), on_time_closure, sensor_share (自动发现率)',
    labelNames: ['kpi', 'window', 'by', 'group'], registers: [registry],
    async collect() {
      this.reset();
      for (const row of await rows()) {
        for (const [kpi, field] of Object.entries(RATES)) {
          const value = row.kpis[field];
          if (typeof value === 'number') this.set({ kpi, ...row.labels }, value);
        }
      }
    },
  });
  new Gauge({
    name: 'tz_cases_kpi_reported', help: 'Cases reported in the rolling window, for the city (by="all") and per district, department or category',
    labelNames: ['window', 'by', 'group'], registers: [registry],
    async collect() {
      this.reset();
      for (const row of await rows()) this.set(row.labels, row.kpis.counts.reported);
    },
  });
  const targets = new Gauge({ name: 'tz_cases_kpi_target', help: 'The city\'s KPI targets (0..1): on_time_verification 97 %, closure 97 %, sensor_share at least 20 %', labelNames: ['kpi'], registers: [registry] });
  for (const [kpi, value] of Object.entries(TARGETS)) targets.set({ kpi }, value);
}
