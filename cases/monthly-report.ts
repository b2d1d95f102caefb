import { stringify } from 'csv-stringify/sync';
import type { CaseStore } from './case-store.ts';
import { cityTimeText, monthWindow, previousMonth } from './city-time.ts';
import { categoryLabel, type CaseConfig } from './config.ts';
import { computeKpis, kpisBy, type KpiReport } from './kpis.ts';
import type { CaseEventRecord, CaseRecord, CaseStatus } from './model.ts';

// The monthly report for the urban-management office (城市管理月报): the
// assessment figures for the month in the city's time zone, by district,
// department and category, the worst overdue cases, and the trend against the
// previous month. Everything from the audit trail (kpis.ts), so the report and
// GET /api/v1/kpis for the same period agree to the digit.

export interface ReportRow {
  key: string;
  name: string;
  reported: number;
  registered: number;
  closed: number;
  closureRate: number | null;
  onTimeVerificationRate: number | null;
  autoDiscoveryRate: number | null;
  reworks: number;
  averageRating: number | null;
}

export interface OverdueCase {
  id: number;
  title: string;
  category: string;
  categoryName: string;
  district: string | null;
  department: string;
  crewId: string | null;
  status: CaseStatus | null;
  dueAt: string;
  overdueHours: number;
}

export interface TrendLine {
  metric: TrendMetric;
  nameZh: string;
  nameEn: string;
  current: number | null;
  previous: number | null;
  delta: number | null;
}

export interface MonthlyReport {
  month: string;
  timeZone: string;
  from: string;
  to: string;
  overall: KpiReport;
  previous: { month: string; kpis: KpiReport };
  trend: TrendLine[];
  byDistrict: ReportRow[];
  byDepartment: ReportRow[];
  byCategory: ReportRow[];
  worstOverdue: OverdueCase[];
}

const METRICS = [
  ['closureRate', '结案率', 'closure rate'],
  ['onTimeVerificationRate', '按时核查率', 'on-time verification rate'],
  ['autoDiscoveryRate', '自动发现率', 'found automatically'],
  ['onTimeClosureRate', '按期结案率', 'on-time closure rate'],
  ['averageRating', '平均评价', 'average rating'],
] as const;
type TrendMetric = (typeof METRICS)[number][0];

/** Cases reported in [from, to) with their audit trails (paged; one read transaction). */
export async function casesWithTrails(store: CaseStore, from: number, to: number, district?: string | null): Promise<{ cases: CaseRecord[]; events: CaseEventRecord[] }> {
  return store.atomically(async (tx) => {
    const list: CaseRecord[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await tx.listCases({ createdFrom: from, createdTo: to, ...(district ? { district } : {}), limit: 1000, offset });
      list.push(...page);
      if (page.length < 1000) break;
    }
    return { cases: list, events: await tx.eventsOfCases(list.map((c) => c.id)) };
  });
}

const rowOf = (key: string, name: string, k: KpiReport): ReportRow => ({
  key, name, reported: k.counts.reported, registered: k.counts.registered, closed: k.counts.closed, closureRate: k.closureRate,
  onTimeVerificationRate: k.onTimeVerificationRate, autoDiscoveryRate: k.autoDiscoveryRate, reworks: k.counts.reworks, averageRating: k.averageRating,
});

/** How late each case of the month was as of `to`, read from its trail: its last known deadline against its close (or `to`). */
function overdueCases(cases: readonly CaseRecord[], events: readonly CaseEventRecord[], to: number, config: Readonly<CaseConfig>, limit: number): OverdueCase[] {
  const trails = new Map<number, CaseEventRecord[]>();
  for (const e of events) if (e.at < to) trails.set(e.caseId, [...(trails.get(e.caseId) ?? []), e]);
  const out: OverdueCase[] = [];
  for (const c of cases) {
    const trail = (trails.get(c.id) ?? []).sort((a, b) => a.at - b.at || a.id - b.id);
    let dueAt: number | null = null;
    let status: CaseStatus | null = null;
    let closedAt: number | null = null;
    for (const e of trail) {
      if (typeof e.detail.dueAt === 'number') dueAt = e.detail.dueAt;
      if (e.toStatus && e.toStatus !== e.fromStatus) status = e.toStatus;
      if (e.action === 'close') closedAt = e.at;
      if (e.action === 'reopen') closedAt = null;
    }
    if (dueAt === null || status === 'cancelled' || status === 'rejected') continue;
    const end = status === 'closed' && closedAt !== null ? closedAt : to;
    if (end <= dueAt) continue;
    const label = categoryLabel(config, c.category);
    out.push({
      id: c.id, title: c.title, category: c.category, categoryName: label.code ? `${label.code} ${label.nameZh}` : label.nameZh, district: c.district, department: c.department,
      crewId: c.crewId, status, dueAt: new Date(dueAt).toISOString(), overdueHours: Math.round(((end - dueAt) / 3_600_000) * 10) / 10,
    });
  }
  return out.sort((a, b) => b.overdueHours - a.overdueHours || a.id - b.id).slice(0, limit);
}

/** Builds the report of `month` (YYYY-MM) in `timeZone` from the store, as of the end of the month (or `now`, if earlier). */
export async function buildMonthlyReport(store: CaseStore, config: Readonly<CaseConfig>, o: { month: string; timeZone: string; now: number; worst?: number }): Promise<MonthlyReport> {
  const window = monthWindow(o.month, o.timeZone);
  const prevMonth = previousMonth(o.month);
  const prev = monthWindow(prevMonth, o.timeZone);
  const to = Math.min(window.to, Math.max(o.now, window.from + 1));
  const { cases, events } = await casesWithTrails(store, prev.from, window.to);
  const inMonth = cases.filter((c) => c.createdAt >= window.from);
  const w = { from: window.from, to };
  const overall = computeKpis(inMonth, events, { ...w, district: null });
  const previous = computeKpis(cases.filter((c) => c.createdAt < prev.to), events, { from: prev.from, to: prev.to, district: null });
  const departments = new Map(config.departments.map((d) => [d.id, d.name]));
  return {
    month: o.month,
    timeZone: o.timeZone,
    from: new Date(window.from).toISOString(),
    to: new Date(to).toISOString(),
    overall,
    previous: { month: prevMonth, kpis: previous },
    trend: METRICS.map(([metric, nameZh, nameEn]) => {
      const current = overall[metric];
      const before = previous[metric];
      return { metric, nameZh, nameEn, current, previous: before, delta: current === null || before === null ? null : Math.round((current - before) * 10_000) / 10_000 };
    }),
    byDistrict: kpisBy(inMonth, events, w, (c) => c.district ?? '—').map((g) => rowOf(g.key, g.key, g.kpis)),
    byDepartment: kpisBy(inMonth, events, w, (c) => c.department).map((g) => rowOf(g.key, departments.get(g.key) ?? g.key, g.kpis)),
    byCategory: kpisBy(inMonth, events, w, (c) => c.category).map((g) => {
      const label = categoryLabel(config, g.key);
      return rowOf(g.key, `${label.kindZh} ${label.code ?? ''} ${label.nameZh}`.replace(/\s+/g, ' ').trim(), g.kpis);
    }),
    worstOverdue: overdueCases(inMonth, events, to, config, o.worst ?? 10),
  };
}

const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
const stars = (v: number | null): string => (v === null ? '—' : v.toFixed(2));

const ROW_HEADER = ['分组 section', '键 key', '名称 name', '受理 reported', '立案 registered', '结案 closed', '结案率 closure rate', '按时核查率 on-time verification', '自动发现率 found automatically', '返工 reworks', '平均评价 average rating'];

/** CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese): the KPI rows, then the worst overdue cases. Rates as fractions. */
export function monthlyReportCsv(r: MonthlyReport): string {
  const num = (v: number | null): string => (v === null ? '' : String(v));
  const line = (section: string, row: ReportRow) => [section, row.key, row.name, row.reported, row.registered, row.closed, num(row.closureRate), num(row.onTimeVerificationRate), num(row.autoDiscoveryRate), row.reworks, num(row.averageRating)];
  const rows: unknown[][] = [ROW_HEADER];
  rows.push(line('全市 city', rowOf('total', `${r.month}`, r.overall)));
  rows.push(line('上月 previous month', rowOf('total', r.previous.month, r.previous.kpis)));
  for (const x of r.byDistrict) rows.push(line('区 district', x));
  for (const x of r.byDepartment) rows.push(line('部门 department', x));
  for (const x of r.byCategory) rows.push(line('类别 category', x));
  rows.push([]);
  rows.push(['超期案件 overdue case', '案件 id', '标题 title', '类别 category', '区 district', '部门 department', '处置组 crew', '状态 status', '期限 due', '超期小时 hours overdue']);
  for (const o of r.worstOverdue) rows.push(['超期 overdue', o.id, o.title, o.categoryName, o.district ?? '', o.department, o.crewId ?? '', o.status ?? '', o.dueAt, o.overdueHours]);
  return `\ufeff${stringify(rows)}`;
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (ch) => HTML_ENTITIES[ch] ?? ch);

function table(rows: ReportRow[]): string {
  const head = '<tr><th>名称<br><small>name</small></th><th>受理<br><small>reported</small></th><th>立案<br><small>registered</small></th><th>结案<br><small>closed</small></th><th>结案率<br><small>closure</small></th><th>按时核查率<br><small>on-time verification</small></th><th>自动发现率<br><small>automatic</small></th><th>返工<br><small>rework</small></th><th>平均评价<br><small>rating</small></th></tr>';
  const body = rows.map((x) => `<tr data-key="${esc(x.key)}"><td>${esc(x.name)}</td><td>${x.reported}</td><td>${x.registered}</td><td>${x.closed}</td><td>${pct(x.closureRate)}</td><td>${pct(x.onTimeVerificationRate)}</td><td>${pct(x.autoDiscoveryRate)}</td><td>${x.reworks}</td><td>${stars(x.averageRating)}</td></tr>`).join('');
  return `<table>${head}${body || '<tr><td colspan="9">无 none</td></tr>'}</table>`;
}

/** A printable A4 page, Chinese first; the same page renders to PDF (report-pdf.ts). */
export function monthlyReportHtml(r: MonthlyReport): string {
  const k = r.overall;
  const trend = r.trend.map((t) => {
    const fmt = t.metric === 'averageRating' ? stars : pct;
    const arrow = t.delta === null ? '' : t.delta > 0 ? '▲' : t.delta < 0 ? '▼' : '＝';
    const delta = t.delta === null ? '—' : t.metric === 'averageRating' ? `${arrow} ${t.delta.toFixed(2)}` : `${arrow} ${(t.delta * 100).toFixed(1)} pt`;
    return `<tr data-metric="${t.metric}"><td>${esc(t.nameZh)}<br><small>${esc(t.nameEn)}</small></td><td class="now">${fmt(t.current)}</td><td>${fmt(t.previous)}</td><td>${delta}</td></tr>`;
  }).join('');
  const overdue = r.worstOverdue.map((o) => `<tr data-case-id="${o.id}"><td>${o.id}</td><td>${esc(o.title)}</td><td>${esc(o.categoryName)}</td><td>${esc(o.district ?? '—')}</td><td>${esc(o.department)}</td><td>${esc(o.crewId ?? '—')}</td><td>${esc(o.status ?? '')}</td><td>${esc(cityTimeText(Date.parse(o.dueAt), r.timeZone))}</td><td>${o.overdueHours}</td></tr>`).join('');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>城市管理月报 ${esc(r.month)} · Urban management monthly report</title>
<style>
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", sans-serif; font-size: 10.5pt; color: #111; }
h1 { font-size: 17pt; margin: 0 0 2pt; } h2 { font-size: 12.5pt; margin: 14pt 0 4pt; border-bottom: 1px solid #999; }
small { color: #555; font-weight: normal; } table { border-collapse: collapse; width: 100%; page-break-inside: auto; }
th, td { border: 1px solid #bbb; padding: 2pt 4pt; text-align: right; } th:first-child, td:first-child { text-align: left; }
th { background: #eef2f6; } tr { page-break-inside: avoid; } .kpi { display: flex; gap: 8pt; } .kpi div { border: 1px solid #bbb; padding: 4pt 8pt; flex: 1; }
.kpi b { font-size: 15pt; display: block; }
</style></head><body>
<h1>驻马店市 城市管理月报 <small>Urban management monthly report</small></h1>
<p>${esc(r.month)} · ${esc(cityTimeText(Date.parse(r.from), r.timeZone))} — ${esc(cityTimeText(Date.parse(r.to), r.timeZone))} (${esc(r.timeZone)}) · GB/T 30428</p>
<div class="kpi">
<div data-kpi="closureRate">结案率 <small>closure rate</small><b>${pct(k.closureRate)}</b></div>
<div data-kpi="onTimeVerificationRate">按时核查率 <small>on-time verification</small><b>${pct(k.onTimeVerificationRate)}</b></div>
<div data-kpi="autoDiscoveryRate">自动发现率 <small>found automatically</small><b>${pct(k.autoDiscoveryRate)}</b></div>
<div data-kpi="reworks">返工 <small>rework</small><b>${k.counts.reworks}</b></div>
<div data-kpi="averageRating">平均评价 <small>average rating</small><b>${stars(k.averageRating)}</b></div>
</div>
<p>受理 ${k.counts.reported} · 立案 ${k.counts.registered} · 结案 ${k.counts.closed} · 作废 ${k.counts.cancelled} · 在办 ${k.counts.open} · 评价 ${k.counts.ratings}（满意 ${k.counts.satisfied} / 基本满意 ${k.counts.basicallySatisfied} / 不满意 ${k.counts.dissatisfied}）<br>
<small>reported ${k.counts.reported} · registered ${k.counts.registered} · closed ${k.counts.closed} · cancelled ${k.counts.cancelled} · open ${k.counts.open} · ratings ${k.counts.ratings}</small></p>
<h2>与上月比较 <small>against ${esc(r.previous.month)}</small></h2>
<table id="trend"><tr><th>指标 <small>metric</small></th><th>本月 <small>${esc(r.month)}</small></th><th>上月 <small>${esc(r.previous.month)}</small></th><th>变化 <small>change</small></th></tr>${trend}</table>
<h2>按区 <small>by district</small></h2><div id="by-district">${table(r.byDistrict)}</div>
<h2>按部门 <small>by department</small></h2><div id="by-department">${table(r.byDepartment)}</div>
<h2>按类别 <small>by category (GB/T 30428.2)</small></h2><div id="by-category">${table(r.byCategory)}</div>
<h2>超期最严重的案件 <small>worst overdue cases</small></h2>
<table id="overdue"><tr><th>案件 <small>case</small></th><th>标题 <small>title</small></th><th>类别 <small>category</small></th><th>区 <small>district</small></th><th>部门 <small>department</small></th><th>处置组 <small>crew</small></th><th>状态 <small>status</small></th><th>期限 <small>due</small></th><th>超期小时 <small>hours</small></th></tr>${overdue || '<tr><td colspan="9">无 none</td></tr>'}</table>
</body></html>
`;
}
