import type { CaseEventRecord, CaseRecord, CaseStatus } from './model.ts';

// The city's assessment figures, computed from the audit trail alone (not from
// the cases' current columns), as of `to`: the cases reported in [from, to)
// and what happened to them before `to`.
//   on-time verification rate = verifications done by their deadline / verifications
//   closure rate              = closed / (registered − cancelled)
//   on-time closure rate      = closed by the case deadline / closed
//   sensor share              = registered cases found by sensors / registered
//   自动发现率 autoDiscoveryRate = the same share: every registered case is a
//                                component (部件) or event (事件) problem
//   rework count              = failed verifications (rework) + reopened cases
//   average rating            = mean stars of the citizens' ratings (评价) given before `to`
// Mean time per stage uses the first entry into each state.

export const KPI_TARGETS = { onTimeVerificationRate: 0.97, closureRate: 0.97, sensorShare: 0.2 } as const;

const STAGES = [
  ['toRegister', 'reported', 'registered'],
  ['toDispatch', 'registered', 'dispatched'],
  ['toAccept', 'dispatched', 'in_progress'],
  ['toHandle', 'in_progress', 'handled'],
  ['toVerify', 'handled', 'verified'],
  ['toClose', 'verified', 'closed'],
  ['total', 'reported', 'closed'],
] as const satisfies ReadonlyArray<readonly [string, CaseStatus, CaseStatus]>;

export type StageName = (typeof STAGES)[number][0];

export interface KpiReport {
  from: string;
  to: string;
  district: string | null;
  counts: { reported: number; registered: number; bySensor: number; closed: number; closedOnTime: number; cancelled: number; rejected: number;
    open: number; verifications: number; verificationsOnTime: number; reworks: number; escalatedCases: number;
    ratings: number; satisfied: number; basicallySatisfied: number; dissatisfied: number };
  onTimeVerificationRate: number | null;
  closureRate: number | null;
  onTimeClosureRate: number | null;
  sensorShare: number | null;
  /** 自动发现率: share of registered component and event problems found by sensors (same figure as sensorShare). */
  autoDiscoveryRate: number | null;
  /** Mean stars (1–5) of the ratings given, two decimals; null without ratings. */
  averageRating: number | null;
  /** (满意 + 基本满意) / ratings. */
  satisfactionRate: number | null;
  meanStageMinutes: Record<StageName, number | null>;
  targets: typeof KPI_TARGETS;
  meetsTargets: { onTimeVerificationRate: boolean | null; closureRate: boolean | null; sensorShare: boolean | null };
}

const ratio = (n: number, d: number): number | null => (d === 0 ? null : Math.round((n / d) * 10_000) / 10_000);
const meets = (value: number | null, target: number): boolean | null => (value === null ? null : value >= target);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function computeKpis(cases: readonly CaseRecord[], events: readonly CaseEventRecord[], window: { from: number; to: number; district: string | null }): KpiReport {
  const byCase = new Map<number, CaseEventRecord[]>();
  for (const e of events) {
    if (e.at >= window.to) continue;
    const list = byCase.get(e.caseId) ?? [];
    list.push(e);
    byCase.set(e.caseId, list);
  }
  const counts = { reported: 0, registered: 0, bySensor: 0, closed: 0, closedOnTime: 0, cancelled: 0, rejected: 0, open: 0, verifications: 0, verificationsOnTime: 0, reworks: 0, escalatedCases: 0,
    ratings: 0, satisfied: 0, basicallySatisfied: 0, dissatisfied: 0 };
  let starSum = 0;
  const sums = Object.fromEntries(STAGES.map(([name]) => [name, { total: 0, n: 0 }])) as Record<StageName, { total: number; n: number }>;

  for (const c of cases) {
    const trail = (byCase.get(c.id) ?? []).sort((a, b) => a.at - b.at || a.id - b.id);
    const reported = trail.find((e) => e.toStatus === 'reported');
    if (!reported || reported.at < window.from || reported.at >= window.to) continue;
    counts.reported += 1;
    const firstEntry = new Map<CaseStatus, number>();
    let status: CaseStatus | null = null;
    let closedOnTime = false;
    for (const e of trail) {
      if (e.toStatus && e.toStatus !== e.fromStatus) {
        if (!firstEntry.has(e.toStatus)) firstEntry.set(e.toStatus, e.at);
        status = e.toStatus;
      }
      if (e.action === 'verify') {
        counts.verifications += 1;
        const due = num(e.detail.verifyDueAt);
        if (due !== null && e.at <= due) counts.verificationsOnTime += 1;
      }
      if (e.action === 'close') {
        const due = num(e.detail.dueAt);
        closedOnTime = due !== null && e.at <= due;
      }
      if (e.action === 'rework' || e.action === 'reopen') counts.reworks += 1;
      const stars = num(e.detail.stars);
      if (e.action === 'rating' && stars !== null) {
        counts.ratings += 1;
        starSum += stars;
        if (stars >= 4) counts.satisfied += 1;
        else if (stars === 3) counts.basicallySatisfied += 1;
        else counts.dissatisfied += 1;
      }
    }
    if (trail.some((e) => e.action === 'escalated')) counts.escalatedCases += 1;
    if (firstEntry.has('registered')) {
      counts.registered += 1;
      if (c.source === 'sensor') counts.bySensor += 1;
    }
    if (status === 'closed') {
      counts.closed += 1;
      if (closedOnTime) counts.closedOnTime += 1;
    } else if (status === 'cancelled') counts.cancelled += 1;
    else if (status === 'rejected') counts.rejected += 1;
    else counts.open += 1;
    for (const [name, a, b] of STAGES) {
      const start = firstEntry.get(a);
      const end = firstEntry.get(b);
      if (start !== undefined && end !== undefined && end >= start) {
        sums[name].total += end - start;
        sums[name].n += 1;
      }
    }
  }

  const onTimeVerificationRate = ratio(counts.verificationsOnTime, counts.verifications);
  const closureRate = ratio(counts.closed, counts.registered - counts.cancelled);
  const sensorShare = ratio(counts.bySensor, counts.registered);
  return {
    from: new Date(window.from).toISOString(),
    to: new Date(window.to).toISOString(),
    district: window.district,
    counts,
    onTimeVerificationRate,
    closureRate,
    onTimeClosureRate: ratio(counts.closedOnTime, counts.closed),
    sensorShare,
    autoDiscoveryRate: sensorShare,
    averageRating: counts.ratings === 0 ? null : Math.round((starSum / counts.ratings) * 100) / 100,
    satisfactionRate: ratio(counts.satisfied + counts.basicallySatisfied, counts.ratings),
    meanStageMinutes: Object.fromEntries(STAGES.map(([name]) => [name, sums[name].n === 0 ? null : Math.round((sums[name].total / sums[name].n / 60_000) * 10) / 10])) as Record<StageName, number | null>,
    targets: KPI_TARGETS,
    meetsTargets: {
      onTimeVerificationRate: meets(onTimeVerificationRate, KPI_TARGETS.onTimeVerificationRate),
      closureRate: meets(closureRate, KPI_TARGETS.closureRate),
      sensorShare: meets(sensorShare, KPI_TARGETS.sensorShare),
    },
  };
}

/** One group's figures in a breakdown (by district, department or category). */
export interface KpiGroup {
  key: string;
  kpis: KpiReport;
}

/** The KPIs per group of cases (`keyOf` → group); groups sorted by key. Same rules as computeKpis, each group alone. */
export function kpisBy(cases: readonly CaseRecord[], events: readonly CaseEventRecord[], window: { from: number; to: number }, keyOf: (c: CaseRecord) => string): KpiGroup[] {
  const groups = new Map<string, CaseRecord[]>();
  for (const c of cases) {
    const key = keyOf(c);
    const list = groups.get(key) ?? [];
    list.push(c);
    groups.set(key, list);
  }
  const eventsByCase = new Map<number, CaseEventRecord[]>();
  for (const e of events) {
    const list = eventsByCase.get(e.caseId) ?? [];
    list.push(e);
    eventsByCase.set(e.caseId, list);
  }
  return [...groups.entries()]
    .map(([key, list]) => ({ key, kpis: computeKpis(list, list.flatMap((c) => eventsByCase.get(c.id) ?? []), { ...window, district: null }) }))
    .filter((g) => g.kpis.counts.reported > 0)
    .sort((a, b) => a.key.localeCompare(b.key));
}
